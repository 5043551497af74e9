import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { BlobClient } from '@azure/storage-blob';
import { seedStorage, startTestEmulator, SUBSCRIPTION } from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { publishInputs } from '../../helpers/publish.js';
import { runBundledAction } from '../../helpers/runner.js';
import { uploadVhd } from '../../helpers/vhd.js';

let emu: TestEmulator;
let storageAccountId: string;

/** The runner's OIDC contract and our CA, pointing the bundle at the stand-in. */
const runnerEnv = (): Record<string, string> => ({
  NODE_EXTRA_CA_CERTS: emu.caCertPath,
  ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidcRequestUrl,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
});

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 40, replicationMs: 150 } });
  storageAccountId = await seedStorage(emu, 'rg-publish', 'bundlestore');
});
afterAll(async () => {
  await emu.dispose();
});

describe('dist/publish-to-gallery run as the runner runs it', () => {
  it('signs in with GitHub OIDC, publishes a VHD and writes outputs and a job summary', async () => {
    const uri = await uploadVhd(emu.blobEndpoint, 'bundlestore', emu.credential(), 'bundle.vhd');
    await new BlobClient(uri, emu.credential()).setMetadata({ sha256: '9'.repeat(64) });
    const run = await runBundledAction(
      'publish-to-gallery',
      publishInputs(emu, {
        'kubernetes-version': 'v1.31.2',
        source: uri,
        'source-storage-account-id': storageAccountId,
        'poll-interval-seconds': '1',
        'target-regions': 'westus2 eastus=2',
      }),
      runnerEnv(),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Signing in to Azure with GitHub OIDC federated credential');
    const versionId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-publish/providers/Microsoft.Compute/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2`;
    expect(run.outputs).toMatchObject({
      'image-version-id': versionId,
      'image-definition-id': versionId.replace('/versions/1.31.2', ''),
      'gallery-id': versionId.replace('/images/capi-ubuntu-2404/versions/1.31.2', ''),
      created: 'true',
      // The digest attestations name: the VHD's SHA-256, as the blob metadata records it.
      'content-digest': `sha256:${'9'.repeat(64)}`,
      'subject-digest': `sha256:${'9'.repeat(64)}`,
    });
    expect(run.outputs['image-reference']).toContain(
      'computeGallery:\n  gallery: staging_gallery\n  name: capi-ubuntu-2404\n  version: "1.31.2"',
    );
    expect(run.summary).toContain(`sha256:${'9'.repeat(64)}`);
    expect(run.summary).toMatch(/\| East US \| 2 \| Standard_LRS \| Completed \| 100% \|/);
    expect(run.summary).toContain('az sig image-version show');
    // Tokens reach stdout only inside ::add-mask:: commands, which the runner swallows.
    const leaked = run.stdout
      .split('\n')
      .filter((l) => /eyJ[\w-]{10,}\./.test(l) && !l.startsWith('::add-mask::'));
    expect(leaked).toEqual([]);
    expect(run.stdout).toMatch(/::add-mask::eyJ/);

    const again = await runBundledAction(
      'publish-to-gallery',
      publishInputs(emu, {
        'kubernetes-version': '1.31.2',
        source: uri,
        'source-storage-account-id': storageAccountId,
        'poll-interval-seconds': '1',
        'target-regions': 'westus2 eastus=2',
      }),
      runnerEnv(),
    );
    expect(again.code).toBe(0);
    expect(again.outputs.created).toBe('false');
    expect(again.outputs['content-digest']).toBe(`sha256:${'9'.repeat(64)}`);
    expect(again.summary).toContain('Already published with the same content');
  });
});

const VHD = 'https://127.0.0.1:1/bundlestore/vhds/x.vhd';
const SA = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-publish/providers/Microsoft.Storage/storageAccounts/bundlestore`;
const MI = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-publish/providers/Microsoft.Compute/images/packer`;
const GOOD = { 'image-version': '1.0.0', source: MI };

/** [what is wrong, the input the error must name, inputs to change]. */
const BAD_INPUTS: [string, string, Record<string, string>][] = [
  ['gallery name with a dash', 'gallery', { gallery: 'my-gallery' }],
  ['gallery name of 81 characters', 'gallery', { gallery: 'g'.repeat(81) }],
  ['definition name of 81 characters', 'image-definition', { 'image-definition': 'd'.repeat(81) }],
  ['definition name ending in a dash', 'image-definition', { 'image-definition': 'capi-' }],
  ['version 1.31', 'image-version', { 'image-version': '1.31' }],
  ['version part over 2^31-1', 'image-version', { 'image-version': '1.2147483648.0' }],
  [
    'kubernetes pre-release beyond the naming scheme',
    'kubernetes-version',
    { 'image-version': '', 'kubernetes-version': 'v1.31.2-rc.1000' },
  ],
  [
    'kubernetes version 1.31',
    'kubernetes-version',
    { 'image-version': '', 'kubernetes-version': '1.31' },
  ],
  [
    'both image-version and kubernetes-version',
    'kubernetes-version',
    { 'kubernetes-version': '1.31.2' },
  ],
  ['neither version input', 'image-version', { 'image-version': '' }],
  ['malformed region list', 'target-regions', { 'target-regions': 'westus2=,eastus' }],
  [
    'unknown region (a display name split in two)',
    'target-regions',
    { 'target-regions': 'west us' },
  ],
  ['unknown location', 'location', { location: 'marseast' }],
  ['replicas 0', 'target-regions', { 'target-regions': 'westus2=0' }],
  ['replicas 101', 'target-regions', { 'target-regions': 'westus2=101' }],
  [
    'unknown storage type in a region',
    'target-regions',
    { 'target-regions': 'westus2=1/Cheap_LRS' },
  ],
  ['replica-count 0', 'replica-count', { 'replica-count': '0' }],
  ['replica-count 101', 'replica-count', { 'replica-count': '101' }],
  ['end-of-life date in the past', 'end-of-life-date', { 'end-of-life-date': '2020-01-01' }],
  ['end-of-life not a date', 'end-of-life-date', { 'end-of-life-date': 'soon' }],
  ['tag without =', 'tags', { tags: 'team' }],
  ['VHD URL without a storage account ID', 'source-storage-account-id', { source: VHD }],
  [
    'storage account ID with a non-VHD source',
    'source-storage-account-id',
    { 'source-storage-account-id': SA },
  ],
  ['source that is no resource ID or URL', 'source', { source: 'ubuntu:latest' }],
  [
    'http VHD URL',
    'source',
    { source: VHD.replace('https', 'http'), 'source-storage-account-id': SA },
  ],
  ['unknown os-type', 'os-type', { 'os-type': 'BSD' }],
  ['unknown hyper-v-generation', 'hyper-v-generation', { 'hyper-v-generation': 'V3' }],
  ['unknown security-type', 'security-type', { 'security-type': 'Secure' }],
  ['unknown architecture', 'architecture', { architecture: 'riscv' }],
  ['unknown storage-account-type', 'storage-account-type', { 'storage-account-type': 'Cheap_LRS' }],
  ['unknown replication-mode', 'replication-mode', { 'replication-mode': 'Deep' }],
  ['unknown if-exists', 'if-exists', { 'if-exists': 'overwrite' }],
  ['unknown sharing', 'sharing', { sharing: 'public' }],
  [
    'community without a public name prefix',
    'public-name-prefix',
    {
      sharing: 'community',
      'publisher-uri': 'https://x.example',
      'publisher-contact': 'a@b.example',
      eula: 'x',
    },
  ],
  ['exclude-from-latest not a boolean', 'exclude-from-latest', { 'exclude-from-latest': 'maybe' }],
  ['subscription ID not a GUID', 'subscription-id', { 'subscription-id': 'my-subscription' }],
  ['client-id without tenant-id', 'tenant-id', { 'tenant-id': '' }],
  ['resource group ending in a period', 'resource-group', { 'resource-group': 'rg.' }],
  ['timeout-minutes 0', 'timeout-minutes', { 'timeout-minutes': '0' }],
];

describe('bad input through the bundle', () => {
  it(`fails each of ${BAD_INPUTS.length} bad inputs naming the input, before any Azure request`, async () => {
    const before = (await emu.admin<{ seq: number }[]>('GET', '/requests')).at(-1)?.seq ?? 0;
    const failures: string[] = [];
    // Four at a time: each is a Node process that should exit within a second.
    for (let i = 0; i < BAD_INPUTS.length; i += 4) {
      await Promise.all(
        BAD_INPUTS.slice(i, i + 4).map(async ([label, input, change]) => {
          const run = await runBundledAction(
            'publish-to-gallery',
            publishInputs(emu, { ...GOOD, ...change }),
            runnerEnv(),
          );
          const error = run.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
          if (run.code !== 1 || !error.includes(`'${input}'`))
            failures.push(`${label}: exit ${run.code}, ${error || run.stdout.slice(-300)}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect(await emu.admin<unknown[]>('GET', `/requests?since=${before}`)).toEqual([]);
  });
});

describe('a publish killed mid-wait', () => {
  it('is finished by the next run: one version, created by the first', async () => {
    await emu.admin('POST', '/settings', { replicationMs: 4000 });
    try {
      const uri = await uploadVhd(emu.blobEndpoint, 'bundlestore', emu.credential(), 'killed.vhd');
      const inputs = publishInputs(emu, {
        'image-version': '7.0.0',
        source: uri,
        'source-storage-account-id': storageAccountId,
        gallery: 'killed_gallery',
        'poll-interval-seconds': '1',
      });
      const env = {
        ...runnerEnv(),
        // The same workflow run as the re-run below (runBundle's), attempt 1: a re-run
        // finishes its own create and says created.
        GITHUB_REPOSITORY: 'smoke/compute-gallery-actions',
        GITHUB_RUN_ID: '1',
        GITHUB_RUN_ATTEMPT: '1',
        ...Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
        ),
      };
      const child = spawn(process.execPath, [resolve('dist/publish-to-gallery/index.js')], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout.on('data', (d: Buffer) => (log += d.toString()));
      // Kill it once it is waiting on replication, as a cancelled job would be.
      for (let i = 0; i < 200 && !/7\.0\.0 Creating/.test(log); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(log).toMatch(/7\.0\.0 Creating/);
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));

      const again = await runBundledAction('publish-to-gallery', inputs, runnerEnv());
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(
        /Found killed_gallery\/capi-ubuntu-2404\/7\.0\.0 in state Creating; waiting/,
      );
      expect(again.outputs.created).toBe('true');
      const versions: string[] = [];
      for await (const v of emu
        .compute()
        .galleryImageVersions.listByGalleryImage(
          'rg-publish',
          'killed_gallery',
          'capi-ubuntu-2404',
        ))
        versions.push(v.name!);
      expect(versions).toEqual(['7.0.0']);
    } finally {
      await emu.admin('POST', '/settings', { replicationMs: 150 });
    }
  });
});
