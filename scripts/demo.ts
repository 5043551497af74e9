/**
 * npm run demo [-- --skip-validation] [--dir DIR] [--keep]
 * npm run demo -- --dir DIR --yank <versions> [--yank-reason TEXT]   (after a run on DIR)
 *
 * The whole pipeline on this machine: starts the local Azure stand-in, seeds GitHub releases of
 * kubernetes/kubernetes, and runs a calling repository's scheduled workflow, which calls
 * .github/workflows/images.yml, which calls image.yml for the one image plan picks: plan →
 * build-image (builder: disk, a qcow2 written here in Node) → publish-to-gallery (staging) →
 * validate-cluster (vm) → promote (community gallery) → cleanup (dry run) → summary. Every step
 * is the workflow files' own: inputs come from their `with:` blocks through GitHub's expression
 * evaluator, and our actions run from their dist/ bundles under the runner's contract
 * (scripts/lib/demo-runner.ts says how far that goes). Nothing leaves the machine.
 *
 * With --yank, the calling repository's workflow is dispatched by hand to yank versions from the
 * community gallery instead (docs/examples/retire-an-image.md): run it on the --dir of an
 * earlier run, whose stand-in data it reuses.
 *
 * Prints each step as it runs, then the combined job summary and the CAPZ `image:` stanza.
 * Writes DIR/trace.json (every step's inputs and outputs) and DIR/summary.md; DIR is removed at
 * the end unless --keep or --dir is given. Exit code 0 when every job succeeded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repositoryRoot } from './lib/actions.js';
import { demoCaller } from './lib/demo-caller.js';
import { startOfflineGuard } from './lib/demo-offline.js';
import { DemoRunner, type RunTrace } from './lib/demo-runner.js';
import {
  CLIENT,
  makeDiskImage,
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
  },
});

const started = performance.now();
const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const problems = prerequisites();
if (problems.length > 0) {
  for (const p of problems) console.error(`demo: ${p}`);
  process.exit(2);
}

const runDir = values.dir
  ? path.resolve(values.dir)
  : mkdtempSync(path.join(os.tmpdir(), 'cga-demo-'));
mkdirSync(runDir, { recursive: true });
const guard = await startOfflineGuard();
const emulator = await startStandIn(path.join(runDir, 'emulator'));
let exitCode = 1;
try {
  const { blobContainerUrl } = await seedWorld(emulator);
  const callerFiles = path.join(runDir, 'caller-repository');
  const diskSha256 = makeDiskImage(callerFiles);
  say(`Local Azure stand-in: ${emulator.endpoint} (GitHub API ${emulator.githubApiUrl})`);
  say(
    `Seeded: GitHub releases of kubernetes/kubernetes (demo data), resource group and storage account for the staging VHDs`,
  );
  say(`Calling repository: images/node.qcow2 (sha256 ${diskSha256.slice(0, 12)}…)`);
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
  const runner = new DemoRunner({
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
      AZURE_ARM_ENDPOINT: emulator.endpoint,
      AZURE_AUTHORITY_HOST: emulator.authorityHost,
      BLOB_CONTAINER_URL: blobContainerUrl,
      NODE_IMAGE_SHA256: diskSha256,
    },
    env: { NODE_EXTRA_CA_CERTS: emulator.caCertPath, ...guard.env },
    oidc: { requestUrl: emulator.oidcRequestUrl, requestToken: emulator.oidcRequestToken },
    callerFiles,
    stepTimeoutMs: 120_000,
    print: say,
  });
  const caller = demoCaller();
  const inputs = runner.typedInputs(
    event.name === 'workflow_dispatch' ? caller.on.workflow_dispatch?.inputs : {},
    event.name === 'workflow_dispatch' ? (event.payload.inputs ?? {}) : {},
    caller.file,
  );
  const result = await runner.runWorkflow(caller, inputs);
  const trace = runner.trace;
  writeFileSync(path.join(runDir, 'trace.json'), JSON.stringify(trace, null, 2));
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
  say(
    guard.refused.length > 0
      ? `Outbound requests refused by the demo: ${[...new Set(guard.refused)].join(', ')} (the Kubernetes release calendar; the actions fell back to release date + 14 months).`
      : 'No request tried to leave the machine.',
  );
  // A build run must end with an image in production; a yank run with a version yanked.
  const done = values.yank
    ? trace.steps.some(
        (s) => s.id === 'production' && JSON.parse(s.outputs.yanked ?? '[]').length > 0,
      )
    : trace.steps.some((s) => s.id === 'promote' && s.outcome === 'success');
  if (!done)
    say(values.yank ? '✗ Nothing was yanked.' : '✗ No image reached the production gallery.');
  exitCode = result.result === 'success' && done ? 0 : 1;
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
    ['jq', ['--version'], 'apt-get install jq; GitHub’s runners have it'],
  ] as const) {
    try {
      execFileSync(tool, [...args], { stdio: 'ignore' });
    } catch {
      found.push(`${tool} is missing (${hint}).`);
    }
  }
  for (const action of ['plan', 'build-image', 'publish-to-gallery', 'promote', 'cleanup']) {
    if (!existsSync(path.join(repositoryRoot, 'dist', action, 'index.js'))) {
      found.push(`dist/${action}/index.js is missing: run 'npm run bundle'.`);
    }
  }
  return found;
}
