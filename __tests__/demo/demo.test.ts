/**
 * `npm run demo` run as a user runs it (scripts/demo.ts in its own process), then checked from
 * what it leaves: its trace of every step's inputs and outputs, its printout, and the stand-in's
 * data dir, reopened to find the community image the pipeline promoted.
 */
import { subjectDigestOf } from '../../src/provenance/subject.js';
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repositoryRoot } from '../../scripts/lib/actions.js';
import type { RunTrace, StepTrace } from '../../scripts/lib/demo-runner.js';
import {
  CLIENT,
  COMMUNITY_PUBLIC_NAME,
  PRODUCTION_CLIENT,
  REFERENCE_PUBLISHER,
} from '../../scripts/lib/demo-setup.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { STANDIN_IB_TAG } from '../helpers/image-builder.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface DemoRun {
  code: number | null;
  stdout: string;
  seconds: number;
  trace: RunTrace;
  dir: string;
}

function runDemo(...args: string[]): DemoRun {
  return runDemoIn(mkdtempSync(path.join(tmpdir(), 'cga-demo-test-')), ...args);
}

function runDemoIn(dir: string, ...args: string[]): DemoRun {
  dirs.push(dir);
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      path.join(repositoryRoot, 'node_modules/tsx/dist/cli.mjs'),
      'scripts/demo.ts',
      '--dir',
      dir,
      ...args,
    ],
    { cwd: repositoryRoot, encoding: 'utf8', timeout: 120_000 },
  );
  const seconds = (performance.now() - started) / 1000;
  const tracePath = path.join(dir, 'trace.json');
  if (!existsSync(tracePath))
    throw new Error(`the demo left no trace:\n${run.stdout}\n${run.stderr}`);
  const trace = JSON.parse(readFileSync(tracePath, 'utf8')) as RunTrace;
  return { code: run.status, stdout: run.stdout, seconds, trace, dir };
}

function step(trace: RunTrace, id: string): StepTrace {
  const found = trace.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step '${id}' ran`);
  return found;
}

/** Each step got what the one before it produced, through the workflows' own wiring. */
function expectWiring(trace: RunTrace, validated: boolean): void {
  const plan = step(trace, 'plan');
  const build = step(trace, 'build');
  const publish = step(trace, 'publish');
  const promote = step(trace, 'promote');
  const [leg] = (JSON.parse(plan.outputs.matrix!) as { include: Record<string, unknown>[] })
    .include;

  // plan → the matrix leg of images.yml → image.yml's inputs → build-image
  expect(JSON.parse(plan.outputs['kubernetes-versions']!)).toEqual(['v1.37.2']);
  const call = trace.jobs.find((j) => j.calledWith?.['kubernetes-version'] !== undefined)!;
  expect(call.calledWith).toMatchObject({
    'kubernetes-version': leg!['kubernetes-version'],
    'image-version': leg!['image-version'],
    os: leg!.os,
    'staging-definition': leg!['staging-definition'],
    'production-definition': leg!['production-definition'],
    'security-type': leg!['security-type'],
    // Legs do not promote: images.yml's promote job does, for all legs after one approval.
    promote: false,
  });
  expect(build.given).toMatchObject({
    'kubernetes-version': 'v1.37.2',
    os: 'ubuntu-2404',
    'image-definition': 'capi-ubuntu-2404',
    'image-version': '1.37.2',
    builder: 'disk',
    'source-disk': 'images/node.qcow2',
  });

  // build-image → publish-to-gallery, through the build job's outputs
  expect(publish.given).toMatchObject({
    source: build.outputs['vhd-uri'],
    'source-storage-account-id': build.outputs['storage-account-id'],
    // A step output that was never set reads '' in an expression, as on GitHub.
    'source-sha256': build.outputs['vhd-sha256'] ?? '',
    'image-definition': build.outputs['image-definition'],
    'image-version': build.outputs['image-version'],
    'os-type': build.outputs['os-type'],
    'hyper-v-generation': build.outputs['hyper-v-generation'],
  });

  // publish-to-gallery → validate-cluster → promote
  const staged = publish.outputs['image-version-id']!;
  expect(staged).toMatch(
    /\/galleries\/capi_staging\/images\/capi-ubuntu-2404\/versions\/1\.37\.2$/,
  );
  if (validated) {
    const validate = step(trace, 'validate');
    expect(validate.given['image-version-id']).toBe(staged);
    expect(validate.outputs.result).toBe('passed');
    expect(promote.given['validation-report']).toBe(step(trace, 'report').outputs.path);
  }
  // publish → attest (the stand-in signs) → record-attestation tags the staging version
  const attest = step(trace, 'attest');
  // The build's content digest (content-v1, over the disk's data) is what publish tags and what
  // the attestation names, through its SHA-256.
  expect(build.outputs['content-digest']).toMatch(/^content-v1:[0-9a-f]{64}$/);
  expect(publish.outputs['content-digest']).toBe(build.outputs['content-digest']);
  expect(publish.outputs['subject-digest']).toBe(subjectDigestOf(build.outputs['content-digest']!));
  expect(attest.given).toMatchObject({
    'subject-name': staged,
    'subject-digest': publish.outputs['subject-digest'],
  });
  expect(attest.outputs['attestation-url']).toMatch(
    /^https:\/\/github\.com\/example\/capz-images\/attestations\/\d+$/,
  );
  const recorded = trace.steps.find((s) => s.uses === '$/actions/record-attestation');
  expect(recorded?.outcome).toBe('success');
  expect(recorded?.given).toMatchObject({
    'image-version-id': staged,
    'attestation-url': attest.outputs['attestation-url'],
    'subject-digest': publish.outputs['subject-digest'],
  });
  expect(promote.given).toMatchObject({
    'source-image-version-id': staged,
    gallery: 'ClusterAPI',
    'image-definition': 'capi-ubun2-2404',
    sharing: 'community',
  });
  expect(promote.outputs['community-image-id']).toMatch(
    /^\/CommunityGalleries\/ClusterAPI-[0-9a-f-]{36}\/Images\/capi-ubun2-2404\/Versions\/1\.37\.2$/,
  );

  // publish → image.yml's outputs → the leg's record → images.yml's promote job → the summary
  expect(call.outputs).toMatchObject({
    'staging-image-version-id': staged,
    'image-version-id': '',
  });
  expect(step(trace, 'leg').outputs).toMatchObject({
    'staging-image-version-id': staged,
    promotable: 'true',
  });
  expect(step(trace, 'promotion').outputs.name).toBe('promotion-ubuntu-2404-1.37.2');
  const summary = trace.jobs.find((j) => j.job.endsWith('/summary'))!;
  expect(summary.summary).toContain(`| ${promote.outputs['community-image-id']} |`);

  // plan's settings → cleanup, a dry run of both galleries
  const cleanups = trace.steps.filter((s) => s.uses === '$/actions/cleanup');
  expect(cleanups.map((s) => [s.outcome, s.given.gallery, s.given['dry-run']])).toEqual([
    ['success', 'ClusterAPI', 'true'],
    ['success', 'capi_staging', 'true'],
  ]);
  expect(JSON.parse(cleanups[0]!.outputs.deleted!)).toEqual([]);

  // Two identities: production's only where production is written, in its environment.
  const signedIn = trace.steps.filter((s) => s.given['client-id'] !== undefined);
  expect(
    signedIn.filter((s) => s.given['client-id'] === PRODUCTION_CLIENT).map((s) => s.id),
  ).toEqual(['promote']);
  expect(signedIn.filter((s) => s.given['client-id'] === CLIENT).length).toBe(signedIn.length - 1);
  const oidc = (trace as RunTrace & { oidc: { job: string; sub: string }[] }).oidc;
  expect(oidc.find((o) => /\/promote(\[\d+\])?$/.test(o.job))?.sub).toBe(
    'repo:example@4100001/capz-images@8200002:environment:production',
  );
  expect(oidc.find((o) => o.job.endsWith('/build'))?.sub).toBe(
    'repo:example@4100001/capz-images@8200002:ref:refs/heads/main',
  );
  // The production environment's reviewer was asked once, for the promote job; the dry-run
  // cleanup's environment came to '' (none), so it waited for no one.
  expect(trace.reviews).toEqual([
    {
      environment: 'production',
      decision: 'approve',
      jobs: [expect.stringMatching(/\/images\/promote\[0\]$/)],
    },
  ]);
  expect(trace.jobs.find((j) => j.job.endsWith('/cleanup'))?.environment).toBeUndefined();
  // qemu-img was not on the runner's PATH until image.yml installed it.
  expect(step(trace, 'build').outcome).toBe('success');
  expect(trace.steps.find((s) => s.step === 'Install qemu-img')?.outcome).toBe('success');
}

async function expectCommunityImage(run: DemoRun): Promise<void> {
  const promote = step(run.trace, 'promote');
  const [, publicName] = /^\/CommunityGalleries\/([^/]+)\//.exec(
    promote.outputs['community-image-id']!,
  )!;
  const emu = await startTestEmulator({ dataDir: path.join(run.dir, 'emulator') });
  try {
    const version = await emu
      .compute()
      .communityGalleryImageVersions.get('westus2', publicName!, 'capi-ubun2-2404', '1.37.2');
    expect(version.uniqueId).toBe(promote.outputs['community-image-id']);
    const copy = await emu
      .compute()
      .galleryImageVersions.get('rg-capi-community', 'ClusterAPI', 'capi-ubun2-2404', '1.37.2');
    expect(copy.storageProfile?.source?.id).toBe(
      step(run.trace, 'publish').outputs['image-version-id'],
    );
    // Promote carried the staging version's attestation over.
    expect(copy.tags).toMatchObject({
      attestation: step(run.trace, 'attest').outputs['attestation-url'],
      'attestation-digest': step(run.trace, 'publish').outputs['subject-digest'],
    });
    // The branch holds the catalog the inventory wrote, in the commit publish-catalog named.
    const branch = await emu.admin<{ commit: { sha: string }; files: Record<string, string> }>(
      'GET',
      '/github/branch?repository=example/capz-images&branch=gallery-catalog',
    );
    expect(branch.commit.sha).toBe(step(run.trace, 'publish-catalog').outputs['commit-sha']);
    expect(branch.files['catalog.md']).toBe(
      readFileSync(step(run.trace, 'inventory').outputs.markdown!, 'utf8'),
    );
  } finally {
    await emu.close();
  }
}

function expectPrintout(run: DemoRun): void {
  expect(run.stdout).toContain('═══ CAPZ AzureMachineTemplate image: ═══');
  expect(run.stdout).toMatch(
    /computeGallery:\n {2}gallery: ClusterAPI-[0-9a-f-]{36}\n {2}name: capi-ubun2-2404\n {2}version: "1\.37\.2"\n/,
  );
  expect(run.stdout).toContain('### promote: ClusterAPI/capi-ubun2-2404/1.37.2');
  // Promote verified the attestation's certificate (the stand-in's Sigstore) and its signer.
  expect(run.stdout).toMatch(
    /\| Attestation \| verified: signed by https:\/\/github\.com\/[\w.-]+\/compute-gallery-actions\/\.github\/workflows\/image\.yml@\S+ for https:\/\/github\.com\/example\/capz-images, chained to the given trusted root \(O=GitHub, Inc\.\); subject digest matches \|/,
  );
  // The release calendar came from the stand-in's kubernetes/website: nothing left the machine.
  expect(run.stdout).toContain('No request tried to leave the machine.');
  expect(run.stdout).not.toContain('Could not load the Kubernetes release calendar');
  // The run ends with the production gallery's catalog, its version's attestation verified.
  const catalog = run.stdout.slice(run.stdout.indexOf('═══ Catalog of the production gallery ═══'));
  expect(catalog).toMatch(
    /^═══ Catalog of the production gallery ═══\n## Image catalog: ClusterAPI /,
  );
  expect(catalog).toMatch(/\| 1\.37\.2 \| 1\.37\.2 \| current \|.*\| attestation verified, /);
  // End of life from the demo's release calendar (1.37: 2026-10-10 + 14 months), and days left.
  expect(catalog).toMatch(/\| current \| \d{4}-\d{2}-\d{2} \| 2027-12-10 \| \d+ \| yes \|/);
  // Then the calling repository's own job published it to its branch.
  const published = run.stdout.slice(run.stdout.indexOf('═══ Catalog published ═══'));
  expect(published).toMatch(
    /^═══ Catalog published ═══\nexample\/capz-images@gallery-catalog: README\.md, catalog\.json, catalog\.md\ncommit [0-9a-f]{40} \(1 on the branch, the first\)\nhttps:\/\/github\.com\/example\/capz-images\/blob\/gallery-catalog\/catalog\.md /,
  );
  expect(catalog).toContain('name: capi-ubun2-2404');
  expect(run.seconds).toBeLessThan(60);
  console.log(`demo ${run.code === 0 ? 'passed' : 'failed'} in ${run.seconds.toFixed(1)} s`);
}

describe('npm run demo', () => {
  it('runs the pipeline through validation to a community image, each step fed by the one before', async () => {
    const run = runDemo();
    if (!existsSync(path.join(repositoryRoot, 'dist/validate-cluster/index.js'))) {
      // Until validate-cluster is bundled, the demo must say it could not run it, and fail.
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/validate-cluster.*(does not exist|not bundled)/);
      expect(run.trace.steps.find((s) => s.id === 'promote')?.outcome ?? 'skipped').toBe('skipped');
      throw new Error(
        'dist/validate-cluster/index.js does not exist yet: the demo cannot validate',
      );
    }
    expect(run.code).toBe(0);
    expectWiring(run.trace, true);
    expectPrintout(run);
    await expectCommunityImage(run);
  }, 150_000);

  it('with --skip-validation, as a workflow_dispatch with skip-validation, promotes untested bits', async () => {
    const run = runDemo('--skip-validation');
    expect(run.code).toBe(0);
    expect(run.trace.jobs.find((j) => j.job.endsWith('/validate'))?.result).toBe('skipped');
    expectWiring(run.trace, false);
    expectPrintout(run);
    await expectCommunityImage(run);
  }, 150_000);

  it('with --yank, as a workflow_dispatch with yank, yanks the promoted version and builds nothing', async () => {
    const first = runDemo('--skip-validation');
    expect(first.code).toBe(0);
    const run = runDemoIn(
      first.dir,
      '--yank',
      'capi-ubun2-2404/1.37.2',
      '--yank-reason',
      'bad kubelet',
    );
    expect(run.code).toBe(0);
    expect(run.trace.steps.find((s) => s.id === 'plan')?.outcome).toBe('skipped');
    expect(run.trace.jobs.find((j) => j.job.endsWith('/images'))?.result).toBe('skipped');
    const cleanup = step(run.trace, 'production');
    expect(cleanup.given).toMatchObject({
      yank: 'capi-ubun2-2404/1.37.2',
      'yank-reason': 'bad kubelet',
      'dry-run': 'false',
      // A yank writes production: the production identity, in the production environment.
      'client-id': PRODUCTION_CLIENT,
    });
    expect(run.trace.jobs.find((j) => j.job.endsWith('/cleanup'))?.environment).toBe('production');
    expect(run.trace.reviews.map((r) => r.jobs)).toEqual([[expect.stringMatching(/\/cleanup$/)]]);
    // The catalog after the yank shows the version as yanked, and why.
    const catalog = run.stdout.slice(run.stdout.indexOf('═══ Catalog of the production gallery'));
    expect(catalog).toMatch(/\| 1\.37\.2 \| 1\.37\.2 \| yanked: bad kubelet \|.*\| excluded \|/);
    // Published again: one more commit on the branch, on top of the first run's.
    const before = step(first.trace, 'publish-catalog').outputs['commit-sha']!;
    expect(step(run.trace, 'publish-catalog').outputs.changed).toBe('true');
    expect(run.stdout).toContain(`(2 on the branch, parent ${before.slice(0, 12)})`);
    const emu = await startTestEmulator({ dataDir: path.join(run.dir, 'emulator') });
    try {
      const version = await emu
        .compute()
        .galleryImageVersions.get('rg-capi-community', 'ClusterAPI', 'capi-ubun2-2404', '1.37.2');
      expect(JSON.parse(cleanup.outputs.yanked!)).toEqual([version.id]);
      expect(version.tags?.yanked).toBe('bad kubelet');
      expect(version.publishingProfile?.excludeFromLatest).toBe(true);
    } finally {
      await emu.close();
    }
  }, 150_000);
});

describe('npm run demo -- --cancel-at', () => {
  it('a user cancels the run during validation: only jobs and steps whose if: holds run after', () => {
    const run = runDemo('--cancel-at', 'images[0]/validate#validate');
    expect(run.code).toBe(0);
    const result = (end: string): string | undefined =>
      run.trace.jobs.find((j) => j.job.endsWith(end))?.result;
    expect(step(run.trace, 'validate').outcome).toBe('cancelled');
    expect(result('/images[0]/validate')).toBe('cancelled');
    // image.yml's record (`always()`) still writes the leg's record; nothing after it runs.
    expect(result('/images[0]/record')).toBe('success');
    for (const job of ['/images[0]/promote', '/promote', '/cleanup', '/summary', '/catalog'])
      expect([job, result(job)]).toEqual([job, 'cancelled']);
    expect(run.trace.steps.find((s) => s.id === 'promote')).toBeUndefined();
    expect(run.trace.reviews).toEqual([]);
    expect(run.stdout).toContain('⊘ cancelled by a user: the run is cancelled');
    expect(run.stdout).toContain('└ run cancelled');
  }, 150_000);
});

describe('npm run demo -- --image-builder (issue 10, "Show")', () => {
  it('builds with image-builder, validates its provenance and promotes into the gallery image-builder made', async () => {
    const run = runDemo('--image-builder');
    expect(run.code).toBe(0);
    const commit = execFileSync(
      'git',
      ['-C', path.join(run.dir, 'image-builder-checkout'), 'rev-parse', 'HEAD'],
      {
        encoding: 'utf8',
      },
    ).trim();

    // The stand-in image-builder checkout, with its tags, and a build that asked pkgs.k8s.io nothing.
    const checkout = run.trace.steps.find((s) => s.step === 'Check out image-builder')!;
    expect(checkout.note).toContain(`kubernetes-sigs/image-builder@${STANDIN_IB_TAG} cloned`);
    const build = step(run.trace, 'build');
    expect(build.outcome).toBe('success');
    expect(build.given).toMatchObject({
      builder: 'image-builder',
      'image-builder-path': 'image-builder',
      'kubernetes-deb-version': '1.37.2-1.1',
    });
    expect(run.stdout).not.toContain('pkgs.k8s.io');

    // Validation on the guest the build made: its node packages and /etc/image-builder-release.
    const checks = JSON.parse(step(run.trace, 'validate').outputs.checks!) as {
      name: string;
      status: string;
      actual: string;
    }[];
    expect(checks.every((c) => c.status === 'passed' || c.status === 'skipped')).toBe(true);
    expect(checks.find((c) => c.name === 'kubelet-version')).toMatchObject({
      status: 'passed',
      actual: 'v1.37.2',
    });
    expect(checks.find((c) => c.name === 'provenance-file')).toMatchObject({
      status: 'passed',
      actual: `version ${STANDIN_IB_TAG}, commit ${commit}`,
    });

    // Promote: the existing gallery, checked by public name, and its existing definition.
    const promote = step(run.trace, 'promote');
    expect(promote.outcome).toBe('success');
    expect(promote.given).toMatchObject({
      'create-gallery': 'false',
      'community-gallery-public-name': COMMUNITY_PUBLIC_NAME,
      'image-definition': 'capi-ubun2-2404',
    });
    expect(promote.outputs['community-image-id']).toBe(
      `/CommunityGalleries/${COMMUNITY_PUBLIC_NAME}/Images/capi-ubun2-2404/Versions/1.37.2`,
    );
    expect(run.stdout).toContain(
      `| Identifier | ${REFERENCE_PUBLISHER}/reference-images/ubuntu-2404 (existing definition) |`,
    );

    const emu = await startTestEmulator({ dataDir: path.join(run.dir, 'emulator') });
    try {
      const compute = emu.compute();
      const galleries = [];
      for await (const g of compute.galleries.listByResourceGroup('rg-capi-community'))
        galleries.push(g.name);
      expect(galleries).toEqual(['ClusterAPI']);
      const definition = await compute.galleryImages.get(
        'rg-capi-community',
        'ClusterAPI',
        'capi-ubun2-2404',
      );
      expect(definition.identifier).toEqual({
        publisher: REFERENCE_PUBLISHER,
        offer: 'reference-images',
        sku: 'ubuntu-2404',
      });
      const version = await compute.galleryImageVersions.get(
        'rg-capi-community',
        'ClusterAPI',
        'capi-ubun2-2404',
        '1.37.2',
      );
      expect(version.tags).toMatchObject({
        'image-builder-version': STANDIN_IB_TAG,
        'image-builder-commit': commit,
      });
    } finally {
      await emu.close();
    }
  }, 150_000);
});
