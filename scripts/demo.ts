/**
 * npm run demo [-- --skip-validation] [--dir DIR] [--keep]
 * npm run demo -- --dir DIR --yank <versions> [--yank-reason TEXT]   (after a run on DIR)
 * npm run demo -- --image-builder [--dir DIR] [--keep]
 * npm run demo -- --cancel-at <job>[#<step>] [--dir DIR] [--keep]
 *
 * The whole pipeline on this machine: starts the local Azure stand-in, seeds GitHub releases of
 * kubernetes/kubernetes, and runs a calling repository's scheduled workflow, which calls
 * .github/workflows/images.yml, which calls image.yml for the one image plan picks: plan →
 * build-image (builder: disk, a qcow2 written here in Node) → publish-to-gallery (staging) →
 * attest (the stand-in signs) → validate-cluster (vm) → promote (community gallery, checking the
 * attestation) → cleanup (dry run) → summary → catalog (the inventory of production), then the
 * calling repository's own job publishes that catalog to its branch gallery-catalog. Every step
 * is the workflow files' own: inputs come from their `with:` blocks through GitHub's expression
 * evaluator, and our actions run from their dist/ bundles under the runner's contract
 * (scripts/lib/demo-runner.ts says how far that goes). Nothing leaves the machine.
 *
 * With --image-builder, the second scenario: the calling repository builds CAPZ's reference image
 * for ubuntu-2404 with image-builder (builder: image-builder; a stand-in checkout of
 * kubernetes-sigs/image-builder, and a runner whose make, packer, az and ansible are the
 * stand-ins of __tests__/fixtures/build/bin), validates it, and promotes it into a community
 * gallery that exists already with the definitions image-builder's own publishing workflow made
 * (`capi-ubun2-2404`, identifier `<publisher>/reference-images/ubuntu-2404`), creating no gallery
 * and checking its public name.
 *
 * With --cancel-at, a user cancels the run as that job (its label in the printout, or its end,
 * e.g. `images[0]/validate`) is queued or, with `#<step id or name>`, as that step starts: the
 * run then goes on as GitHub's does (scripts/lib/demo-status.ts), running only the jobs and steps
 * whose `if:` still holds, and ends cancelled; the demo passes when it does.
 *
 * With --yank, the calling repository's workflow is dispatched by hand to yank versions from the
 * community gallery instead (docs/examples/retire-an-image.md): run it on the --dir of an
 * earlier run, whose stand-in data it reuses.
 *
 * The stand-in plays GitHub too: the releases of kubernetes/kubernetes, kubernetes/website's
 * release calendar (demo data in its files' shape, read through KUBERNETES_RELEASE_DATA_URL), and
 * the calling repository, whose jobs get tokens with their own `permissions:`.
 *
 * Prints each step as it runs, then the combined job summary, the CAPZ `image:` stanza, the
 * production gallery's catalog and where it was published.
 * Writes DIR/trace.json (every step's inputs and outputs) and DIR/summary.md; DIR is removed at
 * the end unless --keep or --dir is given. Exit code 0 when every job succeeded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repositoryRoot } from './lib/actions.js';
import {
  DEMO_CALLER_REPOSITORY,
  DEMO_IMAGE_BUILDER_CALLER_YAML,
  DEMO_PINNED_SHA,
  demoCaller,
  demoCallerText,
} from './lib/demo-caller.js';
import { oidcClaims } from './lib/demo-github.js';
import { ownRepository } from './lib/demo-workflow.js';
import { startOfflineGuard } from './lib/demo-offline.js';
import { makeImageBuilderCheckout, STANDIN_IB_TAG } from '../__tests__/helpers/image-builder.js';
import { DemoRunner, type RunTrace } from './lib/demo-runner.js';
import type { Cancellation } from './lib/demo-status.js';
import {
  CLIENT,
  COMMUNITY_PUBLIC_NAME,
  makeDiskImage,
  mintJobToken,
  PRODUCTION_CLIENT,
  readBranch,
  registerFederatedCredentials,
  releaseDataUrl,
  seedImageBuilderGallery,
  seedWorld,
  startStandIn,
  SUBSCRIPTION,
  TENANT,
} from './lib/demo-setup.js';

const { values } = parseArgs({
  options: {
    'skip-validation': { type: 'boolean', default: false },
    yank: { type: 'string' },
    'yank-reason': { type: 'string', default: 'found broken by the demo' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'image-builder': { type: 'boolean', default: false },
    'cancel-at': { type: 'string' },
  },
});

const started = performance.now();
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const cancel = values['cancel-at'] === undefined ? undefined : cancelAt(values['cancel-at']);
const problems = prerequisites();
if (problems.length > 0) {
  for (const p of problems) console.error(`demo: ${p}`);
  process.exit(2);
}

/** The Kubernetes release the image-builder scenario builds (one of the demo's releases). */
const IMAGE_BUILDER_KUBERNETES = 'v1.37.2';
const runDir = values.dir
  ? path.resolve(values.dir)
  : mkdtempSync(path.join(os.tmpdir(), 'cga-demo-'));
mkdirSync(runDir, { recursive: true });
const guard = await startOfflineGuard();
const emulator = await startStandIn(path.join(runDir, 'emulator'));
let exitCode = 1;
try {
  const { blobContainerUrl } = await seedWorld(emulator, DEMO_CALLER_REPOSITORY);
  const trustedRoot = await standInTrustedRoot(emulator.adminEndpoint);
  const callerFiles = path.join(runDir, 'caller-repository');
  const diskSha256 = makeDiskImage(callerFiles);
  say(`Local Azure stand-in: ${emulator.endpoint} (GitHub API ${emulator.githubApiUrl})`);
  say(
    `Seeded: GitHub releases of kubernetes/kubernetes and kubernetes/website's release calendar (demo data), the calling repository, resource group and storage account for the staging VHDs`,
  );
  say(`Calling repository: images/node.qcow2 (sha256 ${diskSha256.slice(0, 12)}…)`);
  const imageBuilder = values['image-builder'] ? await imageBuilderScenario() : undefined;
  say();

  const event: { name: string; payload: { inputs?: Record<string, unknown> } } = values.yank
    ? {
        name: 'workflow_dispatch',
        payload: {
          inputs: {
            yank: values.yank,
            'yank-reason': values['yank-reason'],
            'cleanup-dry-run': false,
          },
        },
      }
    : values['skip-validation']
      ? { name: 'workflow_dispatch', payload: { inputs: { 'skip-validation': true } } }
      : { name: 'schedule', payload: {} };
  // github.com as the demo has it: the calling repository (created after 2026-07-15, so its
  // OIDC subjects carry immutable IDs) and this project at the commit the caller pins.
  const callerRepository = {
    name: DEMO_CALLER_REPOSITORY,
    ownerId: 4100001,
    id: 8200002,
    immutableSubjects: true,
    refs: ['main'],
  };
  const world = {
    repositories: [callerRepository, { name: ownRepository(), refs: [DEMO_PINNED_SHA] }],
  };
  // One federated credential for each identity: the staging one trusts the default branch, the
  // production one only the production environment (what scripts/oidc-subjects.ts prints).
  const subject = (environment?: string): string =>
    oidcClaims({
      repository: callerRepository,
      ref: 'refs/heads/main',
      sha: '',
      eventName: 'schedule',
      jobWorkflowRef: '',
      ...(environment ? { environment } : {}),
    }).sub!;
  const issuer = emulator.oidcRequestUrl.replace(/\/idtoken\?.*$/, '');
  await registerFederatedCredentials(emulator, [
    { clientId: CLIENT, issuer, subject: subject(), audiences: ['api://AzureADTokenExchange'] },
    {
      clientId: PRODUCTION_CLIENT,
      issuer,
      subject: subject('production'),
      audiences: ['api://AzureADTokenExchange'],
    },
  ]);
  say(
    `Identities: staging ${CLIENT} (${subject()}), production ${PRODUCTION_CLIENT} (${subject('production')})`,
  );
  const runner = new DemoRunner({
    world,
    runDir,
    github: {
      event_name: event.name,
      event: event.payload,
      repository: 'example/capz-images',
      repository_owner: 'example',
      run_id: '1000001',
      run_number: '1',
      run_attempt: '1',
      sha: '0123456789abcdef0123456789abcdef01234567',
      ref: 'refs/heads/main',
      actor: 'demo',
      server_url: 'https://github.com',
      api_url: emulator.githubApiUrl,
      token: 'ghs_demoTokenForTheLocalStandIn000000',
    },
    vars: {
      AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_PRODUCTION_CLIENT_ID: PRODUCTION_CLIENT,
      AZURE_ARM_ENDPOINT: emulator.endpoint,
      AZURE_AUTHORITY_HOST: emulator.authorityHost,
      BLOB_CONTAINER_URL: blobContainerUrl,
      NODE_IMAGE_SHA256: diskSha256,
      // The stand-in's Sigstore signs as GitHub's does, with its own CA, TSA and OIDC issuer.
      ATTESTATION_TRUSTED_ROOT: trustedRoot,
      ATTESTATION_OIDC_ISSUER: emulator.oidcIssuer,
      ...imageBuilder?.vars,
    },
    env: {
      NODE_EXTRA_CA_CERTS: emulator.caCertPath,
      // The runner reaches no raw.githubusercontent.com: the calendar comes from the stand-in.
      KUBERNETES_RELEASE_DATA_URL: releaseDataUrl(emulator),
      ...guard.env,
      ...imageBuilder?.env,
    },
    ...(imageBuilder ? { tools: imageBuilder.tools, repositories: imageBuilder.repositories } : {}),
    oidc: { requestUrl: emulator.oidcRequestUrl, requestToken: emulator.oidcRequestToken },
    jobToken: (permissions) => mintJobToken(emulator, DEMO_CALLER_REPOSITORY, permissions),
    attestationsEndpoint: `${emulator.adminEndpoint}/attestations`,
    callerFiles,
    stepTimeoutMs: 120_000,
    // The caller's production environment has required reviewers; the demo's reviewer approves.
    reviewers: { production: 'approve' },
    ...(cancel ? { cancel } : {}),
    print: say,
  });
  const caller = demoCaller(
    imageBuilder ? demoCallerText(undefined, DEMO_IMAGE_BUILDER_CALLER_YAML) : undefined,
  );
  const inputs = runner.typedInputs(
    event.name === 'workflow_dispatch' ? caller.on.workflow_dispatch?.inputs : {},
    event.name === 'workflow_dispatch' ? (event.payload.inputs ?? {}) : {},
    caller.file,
  );
  const result = await runner.runWorkflow(caller, inputs);
  const trace = runner.trace;
  writeFileSync(
    path.join(runDir, 'trace.json'),
    JSON.stringify({ ...trace, oidc: runner.oidcSubjects }, null, 2),
  );
  const summary = trace.jobs
    .map((j) => j.summary)
    .filter(Boolean)
    .join('\n');
  writeFileSync(path.join(runDir, 'summary.md'), summary);

  say();
  say('═══ Job summary (all jobs) ═══');
  say(summary.trim());
  say();
  report(trace);
  if (cancel) {
    const stopped = trace.jobs.filter((j) => j.result === 'cancelled').map((j) => j.job);
    say(`The run was cancelled; cancelled jobs: ${stopped.join(', ')}.`);
  } else {
    printCatalog(trace);
    await printPublished(trace);
  }
  say(
    guard.refused.length > 0
      ? `Outbound requests refused by the demo: ${[...new Set(guard.refused)].join(', ')}.`
      : 'No request tried to leave the machine.',
  );
  // A build run must end with an image in production; a yank run with a version yanked; a
  // cancelled one cancelled.
  const done = values['cancel-at']
    ? result.result === 'cancelled'
    : values.yank
      ? trace.steps.some(
          (s) => s.id === 'production' && JSON.parse(s.outputs.yanked ?? '[]').length > 0,
        )
      : trace.steps.some((s) => s.id === 'promote' && s.outcome === 'success');
  if (!done) {
    say(
      values['cancel-at']
        ? `✗ The run was not cancelled (${values['cancel-at']} never started).`
        : values.yank
          ? '✗ Nothing was yanked.'
          : '✗ No image reached the production gallery.',
    );
  }
  exitCode = (result.result === 'success' || values['cancel-at'] !== undefined) && done ? 0 : 1;
} catch (err) {
  console.error(`demo: ${(err as Error).stack ?? String(err)}`);
} finally {
  await emulator.close();
  await guard.close();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(`${exitCode === 0 ? 'Demo passed' : 'Demo FAILED'} in ${seconds} s.`);
  if (values.keep || values.dir)
    say(`Logs, trace.json, summary.md and the stand-in's data: ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true });
}
process.exit(exitCode);

/**
 * The image-builder scenario's world: the production gallery image-builder's publishing made, a
 * stand-in checkout of kubernetes-sigs/image-builder (tagged, so `git describe` is its
 * IB_VERSION), and a runner whose make, packer, az and ansible are the stand-ins, which create
 * what the build makes in the stand-in (they record their calls under image-builder/).
 */
async function imageBuilderScenario(): Promise<{
  vars: Record<string, string>;
  env: Record<string, string>;
  tools: Record<string, string>;
  repositories: Record<string, string>;
}> {
  const definitions = await seedImageBuilderGallery(emulator);
  const checkout = path.join(runDir, 'image-builder-checkout');
  rmSync(checkout, { recursive: true, force: true });
  mkdirSync(checkout, { recursive: true });
  const commit = makeImageBuilderCheckout(checkout);
  const records = path.join(runDir, 'image-builder');
  mkdirSync(records, { recursive: true });
  const bin = path.join(repositoryRoot, '__tests__', 'fixtures', 'build', 'bin');
  say(
    `Production gallery (image-builder made it): community ${COMMUNITY_PUBLIC_NAME}, definitions ${definitions.map((d) => d.split('/').pop()).join(', ')}`,
  );
  say(
    `kubernetes-sigs/image-builder: a stand-in checkout at ${STANDIN_IB_TAG} (${commit.slice(0, 12)}); the runner's make, packer, az and ansible are stand-ins`,
  );
  return {
    vars: {
      KUBERNETES_VERSION: IMAGE_BUILDER_KUBERNETES,
      KUBERNETES_DEB_VERSION: `${IMAGE_BUILDER_KUBERNETES.slice(1)}-1.1`,
      IMAGE_BUILDER_REF: STANDIN_IB_TAG,
      COMMUNITY_GALLERY_PUBLIC_NAME: COMMUNITY_PUBLIC_NAME,
    },
    env: {
      STANDIN_RECORD: path.join(records, 'build'),
      STANDIN_ARM_ENDPOINT: emulator.endpoint,
      STANDIN_AUTHORITY_HOST: emulator.authorityHost,
    },
    tools: Object.fromEntries(
      ['make', 'packer', 'az', 'ansible'].map((tool) => [tool, path.join(bin, tool)]),
    ),
    repositories: { 'kubernetes-sigs/image-builder': checkout },
  };
}

/** `--cancel-at <job>[#<step>]`: a user cancels the run there. */
function cancelAt(value: string): Cancellation {
  const [job = '', step, ...rest] = value.split('#');
  if (!job || step === '' || rest.length > 0) {
    console.error(
      `demo: --cancel-at '${value}': expected <job>[#<step>], e.g. images[0]/validate#validate`,
    );
    process.exit(2);
  }
  return { job, ...(step ? { step } : {}), scope: 'run', reason: 'cancelled by a user' };
}

/** The CAPZ stanza, and what did not run, from the trace. */
function report(trace: RunTrace): void {
  const promote = trace.steps.find((s) => s.id === 'promote' && s.outcome === 'success');
  if (promote?.outputs['image-reference']) {
    say('═══ CAPZ AzureMachineTemplate image: ═══');
    say(promote.outputs['image-reference'].trimEnd());
    say();
  }
  const failed = trace.steps.filter((s) => s.outcome === 'failure');
  for (const step of failed) {
    say(`✗ ${step.job} · ${step.step}: ${step.note ?? 'failed'}`);
  }
  if (failed.length > 0) say();
}

/** The catalog of the production gallery the run's catalog job wrote, as Markdown. */
function printCatalog(trace: RunTrace): void {
  const step = trace.steps.find((s) => s.id === 'inventory' && s.outcome === 'success');
  const file = step?.outputs.markdown;
  if (!file || !existsSync(file)) {
    say('✗ No catalog of the production gallery was written.');
    return;
  }
  say('═══ Catalog of the production gallery ═══');
  say(readFileSync(file, 'utf8').trimEnd());
  say();
}

/** Where the calling repository's publish-catalog job put the catalog, read back from the stand-in. */
async function printPublished(trace: RunTrace): Promise<void> {
  const step = trace.steps.find((s) => s.id === 'publish-catalog');
  if (!step) return;
  if (step.outcome !== 'success') {
    say(`✗ The catalog was not published (${step.note ?? step.outcome}).`);
    return;
  }
  const branch = step.given.branch ?? 'gallery-catalog';
  const published = await readBranch(emulator, DEMO_CALLER_REPOSITORY, branch);
  say('═══ Catalog published ═══');
  say(
    `${DEMO_CALLER_REPOSITORY}@${branch}: ${Object.keys(published?.files ?? {})
      .sort()
      .join(', ')}`,
  );
  say(
    step.outputs.changed === 'true'
      ? `commit ${step.outputs['commit-sha']} (${published?.history.length ?? 0} on the branch${published?.commit.parents[0] ? `, parent ${published.commit.parents[0].slice(0, 12)}` : ', the first'})`
      : `unchanged: the branch already held this catalog at ${step.outputs['commit-sha']}`,
  );
  say(`${step.outputs['markdown-url']} (on github.com; here, the stand-in's copy)`);
  say();
}

/** The trusted_root.json of the stand-in's CA and TSA (emulator/sigstore.ts). */
async function standInTrustedRoot(adminEndpoint: string): Promise<string> {
  const res = await fetch(`${adminEndpoint}/attestations/trusted-root`);
  if (!res.ok) throw new Error(`stand-in trusted root: ${res.status} ${await res.text()}`);
  return JSON.stringify(await res.json());
}

function prerequisites(): string[] {
  const found: string[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    found.push(
      `Node ${process.versions.node}: run it as 'npm run demo' (npm ci installs Node 24).`,
    );
  }
  for (const [tool, args, hint] of [
    ['bash', ['--version'], 'the workflows’ run: steps use bash'],
  ] as const) {
    try {
      execFileSync(tool, [...args], { stdio: 'ignore' });
    } catch {
      found.push(`${tool} is missing (${hint}).`);
    }
  }
  for (const action of [
    'plan',
    'build-image',
    'publish-to-gallery',
    'promote',
    'cleanup',
    'record-leg',
    'summarize-run',
    'record-attestation',
    'inventory',
    'publish-catalog',
  ]) {
    if (!existsSync(path.join(repositoryRoot, 'dist', action, 'index.js'))) {
      found.push(`dist/${action}/index.js is missing: run 'npm run bundle'.`);
    }
  }
  return found;
}
