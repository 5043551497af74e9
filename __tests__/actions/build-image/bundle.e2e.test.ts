/**
 * dist/build-image run as the runner runs it (INPUT_* variables, GitHub OIDC, output and summary
 * files) against the stand-in, with the real qemu-img: a qcow2 imported and handed to
 * dist/publish-to-gallery through its outputs; bad inputs fail naming the input, with nothing
 * uploaded.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BlobClient, ContainerClient } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentDigestOf } from '../../../src/build/vhd/import/content-digest.js';
import { QemuImg } from '../../../src/build/vhd/qemu-img.js';
import {
  CLIENT,
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
} from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { publishInputs } from '../../helpers/publish.js';
import { runBundledAction } from '../../helpers/runner.js';
import { hasQemuImg, makeDisk, MiB } from '../../build/disks.js';
import { makeStemcell } from '../../build/stemcells.js';

const BIN = fileURLToPath(new URL('../../fixtures/build/bin', import.meta.url));

let emu: TestEmulator;
let work: string;
let containerUrl: string;

const runnerEnv = (): Record<string, string> => ({
  NODE_EXTRA_CA_CERTS: emu.caCertPath,
  ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidcRequestUrl,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
  RUNNER_TEMP: work,
});

const buildInputs = (inputs: Record<string, string>): Record<string, string> => ({
  'subscription-id': SUBSCRIPTION,
  'tenant-id': TENANT,
  'client-id': CLIENT,
  'arm-endpoint': emu.endpoint,
  'authority-host': emu.authorityHost,
  builder: 'disk',
  os: 'ubuntu-2404',
  'kubernetes-version': 'v1.31.2',
  'blob-container-url': containerUrl,
  'resource-group': 'rg-build',
  ...inputs,
});

async function blobNames(): Promise<string[]> {
  const names: string[] = [];
  const container = new ContainerClient(containerUrl, emu.credential());
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names;
}

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 30, replicationMs: 100 } });
  await seedStorage(emu, 'rg-build', 'buildstore');
  containerUrl = `${emu.blobEndpoint}/buildstore/vhds`;
  work = mkdtempSync(join(tmpdir(), 'cga-build-bundle-'));
});
afterAll(async () => {
  await emu.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('dist/build-image, builder: disk, run as the runner runs it', () => {
  it('streams a qcow2 into the blob, writes outputs, manifest and summary, and publish-to-gallery takes it from there', async () => {
    const ranges = [
      { offset: 0, length: MiB },
      { offset: 9 * MiB, length: 2 * MiB },
    ];
    const disk = await makeDisk(join(work, 'node.qcow2'), 'qcow2', 24 * MiB + 4096, ranges);
    const checksum = createHash('sha512').update(readFileSync(disk)).digest('hex');
    const run = await runBundledAction(
      'build-image',
      buildInputs({ 'source-disk': disk, 'source-checksum': `sha512:${checksum}` }),
      runnerEnv(),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Signing in to Azure with GitHub OIDC federated credential');
    expect(run.stdout).toMatch(/is a qcow2 v3.* image of .*streaming it to .* as a fixed VHD/);

    const vhdUri = `${containerUrl}/capi-ubuntu-2404-1.31.2.vhd`;
    const storageAccountId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-build/providers/Microsoft.Storage/storageAccounts/buildstore`;
    expect(run.outputs).toMatchObject({
      'vhd-uri': vhdUri,
      'storage-account-id': storageAccountId,
      'os-type': 'Linux',
      'hyper-v-generation': 'V1',
      'image-definition': 'capi-ubuntu-2404',
      'image-version': '1.31.2',
      manifest: join(work, 'build-manifest-capi-ubuntu-2404-1.31.2.json'),
    });
    expect(run.outputs['managed-image-id']).toBeUndefined();
    // The whole-VHD SHA-256 only on request (full-sha256); the content digest always.
    expect(run.outputs['vhd-sha256']).toBeUndefined();
    const digest = run.outputs['content-digest']!;
    const blob = await new BlobClient(vhdUri, emu.credential()).downloadToBuffer();
    expectFixedVhd(blob, readFileSync(`${disk}.src.raw`), 25 * MiB);
    expect(digest).toBe(contentDigestOf(blob.subarray(0, 25 * MiB)));

    const manifest = JSON.parse(readFileSync(run.outputs.manifest!, 'utf8'));
    expect(manifest).toMatchObject({
      schema: 'compute-gallery-actions/build-manifest@1',
      builder: 'disk',
      kubernetesVersion: 'v1.31.2',
      os: 'ubuntu-2404',
      image: {
        definition: 'capi-ubuntu-2404',
        version: '1.31.2',
        osType: 'Linux',
        hyperVGeneration: 'V1',
      },
      source: {
        location: disk,
        checksum: `sha512:${checksum}`,
        format: 'qcow2',
        virtualSize: 24 * MiB + 4096,
      },
      vhd: {
        uri: vhdUri,
        storageAccountId,
        sha256: '',
        contentDigest: digest,
        size: 25 * MiB + 512,
        bytesSent: 3 * MiB + 512,
        reused: false,
      },
      provenance: {
        repository: expect.stringMatching(/\/compute-gallery-actions$/),
        commit: expect.stringMatching(/^[0-9a-f]{40}$/),
        runUrl: expect.stringMatching(/^https:\/\/github\.com\/.+\/actions\/runs\/\d+/),
      },
    });
    expect(run.summary).toContain('### build-image: capi-ubuntu-2404 1.31.2');
    expect(run.summary).toContain(`| Content digest | \`${digest}\` |`);
    expect(run.summary).not.toContain('VHD SHA-256');
    expect(run.summary).toMatch(
      /in \d.*: 3\.0 MiB of data read, 3\.0 MiB sent \(.*\/s\); 22\.0 MiB of zeros were not/,
    );

    const props = await new BlobClient(vhdUri, emu.credential()).getProperties();
    expect(props.metadata).toMatchObject({
      contentdigest: digest,
      uploadstate: 'complete',
      kubernetesversion: 'v1.31.2',
      managedby: 'compute-gallery-actions',
    });
    expect(props.metadata?.sha256).toBeUndefined();

    // The same build again: the blob is there and identical, so nothing is sent.
    const again = await runBundledAction(
      'build-image',
      buildInputs({ 'source-disk': disk }),
      runnerEnv(),
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('the blob is already uploaded, nothing to send');
    expect(again.outputs['content-digest']).toBe(digest);

    const published = await runBundledAction(
      'publish-to-gallery',
      publishInputs(emu, {
        'resource-group': 'rg-build',
        'image-definition': run.outputs['image-definition']!,
        'image-version': run.outputs['image-version']!,
        'os-type': run.outputs['os-type']!,
        'hyper-v-generation': run.outputs['hyper-v-generation']!,
        source: run.outputs['vhd-uri']!,
        'source-storage-account-id': run.outputs['storage-account-id']!,
        'poll-interval-seconds': '1',
      }),
      runnerEnv(),
    );
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    expect(published.outputs['image-version-id']).toMatch(
      /\/galleries\/staging_gallery\/images\/capi-ubuntu-2404\/versions\/1\.31\.2$/,
    );
    expect(published.summary).toContain(digest);

    // The same disk as raw, the whole-VHD SHA-256 asked for: the same content digest.
    const raw = await runBundledAction(
      'build-image',
      buildInputs({
        'source-disk': `${disk}.src.raw`,
        'blob-name': 'node-raw.vhd',
        'full-sha256': 'true',
      }),
      runnerEnv(),
    );
    expect(raw.stderr).toBe('');
    expect(raw.code).toBe(0);
    expect(raw.stdout).toMatch(/is a raw image of .*streaming it to/);
    expect(raw.outputs['content-digest']).toBe(digest);
    const rawBlob = await new BlobClient(`${containerUrl}/node-raw.vhd`, emu.credential());
    const rawBytes = await rawBlob.downloadToBuffer();
    expectFixedVhd(rawBytes, readFileSync(`${disk}.src.raw`), 25 * MiB);
    const sha256 = createHash('sha256').update(rawBytes).digest('hex');
    expect(raw.outputs['vhd-sha256']).toBe(sha256);
    expect(raw.summary).toContain(`| VHD SHA-256 | \`${sha256}\` |`);
    expect((await rawBlob.getProperties()).metadata).toMatchObject({
      sha256,
      contentdigest: digest,
      uploadstate: 'complete',
    });
  });
});

/** `blob` is `disk` padded with zeros to `virtualSize`, then a fixed-VHD footer of that size. */
function expectFixedVhd(blob: Buffer, disk: Buffer, virtualSize: number): void {
  expect(blob.length).toBe(virtualSize + 512);
  expect(blob.subarray(0, disk.length).equals(disk)).toBe(true);
  expect(
    blob.subarray(disk.length, virtualSize).equals(Buffer.alloc(virtualSize - disk.length)),
  ).toBe(true);
  const footer = blob.subarray(virtualSize);
  expect(footer.toString('latin1', 0, 8)).toBe('conectix');
  expect(footer.readBigUInt64BE(48)).toBe(BigInt(virtualSize)); // current size
  expect(footer.readUInt32BE(60)).toBe(2); // fixed
}

describe('dist/build-image refuses bad input, naming it, with nothing uploaded', () => {
  const cases: [string, string, () => Record<string, string>][] = [
    [
      'a disk that does not exist',
      'source-disk',
      () => ({ 'source-disk': join(work, 'missing.qcow2') }),
    ],
    ['a directory given as a disk', 'source-disk', () => ({ 'source-disk': work })],
    // Root reads files whatever their mode, so this case means something only for other users.
    ...(process.getuid?.() === 0
      ? []
      : [
          [
            'an unreadable disk',
            'source-disk',
            () => {
              const path = join(work, 'secret.raw');
              writeFileSync(path, Buffer.alloc(MiB, 1));
              chmodSync(path, 0o000);
              return { 'source-disk': path };
            },
          ] as [string, string, () => Record<string, string>],
        ]),
    [
      'a checksum that does not match',
      'source-checksum',
      () => ({
        'source-disk': join(work, 'node.qcow2'),
        'source-checksum': `sha256:${'0'.repeat(64)}`,
      }),
    ],
    [
      'a format build-image does not take (VDI)',
      'source-disk',
      () => {
        const path = join(work, 'node.vdi');
        return { 'source-disk': path, _make: path };
      },
    ],
    [
      'a gzip file given as a disk',
      'source-disk',
      () => {
        const path = join(work, 'node.img.gz');
        writeFileSync(path, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
        return { 'source-disk': path };
      },
    ],
    [
      'a container URL that is not https',
      'blob-container-url',
      () => ({
        'source-disk': join(work, 'node.qcow2'),
        'blob-container-url': containerUrl.replace('https:', 'http:'),
      }),
    ],
    [
      'an unknown os target',
      'os',
      () => ({ 'source-disk': join(work, 'node.qcow2'), os: 'ubuntu-2410' }),
    ],
    [
      'a URL without a checksum',
      'source-checksum',
      () => ({ 'source-disk': 'https://example.com/node.qcow2' }),
    ],
  ];

  it.each(cases)('%s', async (_what, input, make) => {
    const before = await blobNames();
    const { _make, ...inputs } = make();
    if (_make && hasQemuImg) {
      await new QemuImg().convert(
        { path: join(work, 'node.qcow2'), format: 'qcow2' },
        _make,
        'vdi',
      );
    } else if (_make) {
      // VirtualBox's header: its text at 0, the signature 0xbeda107f (little-endian) at 0x40.
      const header = Buffer.alloc(512);
      header.write('<<< Oracle VM VirtualBox Disk Image >>>\n', 0, 'latin1');
      header.writeUInt32LE(0xbeda107f, 0x40);
      writeFileSync(_make, header);
    }
    const run = await runBundledAction(
      'build-image',
      buildInputs({ 'image-version': '9.9.9', 'kubernetes-version': '', ...inputs }),
      runnerEnv(),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^::error::Invalid input '${input}': `, 'm'));
    expect(await blobNames()).toEqual(before);
  });
});

describe('dist/build-image with the other builders, run as the runner runs it', () => {
  const azureInputs = () => ({
    'subscription-id': SUBSCRIPTION,
    'tenant-id': TENANT,
    'client-id': CLIENT,
    'arm-endpoint': emu.endpoint,
    'authority-host': emu.authorityHost,
  });
  const standIns = (scenario = 'success') => ({
    ...runnerEnv(),
    PATH: `${BIN}:${process.env.PATH}`,
    STANDIN_RECORD: join(work, `standin-${scenario}-${Date.now()}`),
    STANDIN_SCENARIO: scenario,
    // The checkouts here are no git clones: give the version git describe would (issue 10 item 3).
    IB_VERSION: 'v0.1.40',
    IB_COMMIT: 'c0ffee0000000000000000000000000000000000',
  });

  it('builder: image-builder streams make in a log group, signs the CLI in with a GitHub ID token and outputs the IDs', async () => {
    const checkout = join(work, 'image-builder');
    mkdirSync(join(checkout, 'images', 'capi'), { recursive: true });
    writeFileSync(join(checkout, 'images', 'capi', 'Makefile'), '# stand-in\n');
    const env = standIns();
    const run = await runBundledAction(
      'build-image',
      {
        ...azureInputs(),
        'image-builder-path': checkout,
        os: 'ubuntu-2404-gen2',
        'kubernetes-version': 'v1.31.2',
        'kubernetes-deb-version': '1.31.2-1.1',
        location: 'westus2',
        'resource-group': 'cluster-api-gallery',
        gallery: 'staging_gallery',
      },
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^::group::make build-azure-sig-ubuntu-2404-gen2$/m);
    expect(run.stdout).toMatch(/^::endgroup::$/m);
    const base = `/subscriptions/${SUBSCRIPTION}/resourceGroups/cluster-api-gallery/providers/Microsoft.Compute`;
    expect(run.outputs).toMatchObject({
      'managed-image-id': `${base}/images/capi-ubuntu-2404-gen2-1763716000`,
      'image-version-id': `${base}/galleries/staging_gallery/images/capi-ubuntu-2404-gen2/versions/1.31.2`,
      'image-definition': 'capi-ubuntu-2404-gen2',
      'image-version': '1.31.2',
      'os-type': 'Linux',
      'hyper-v-generation': 'V2',
      // What plan's matrix gives the same target, so both workflow paths agree (issue 10 item 10).
      'security-type': 'Standard',
    });
    expect(run.outputs['vhd-uri']).toBeUndefined();
    // The Azure CLI got a GitHub ID token from the runner's OIDC endpoint, never a secret.
    const az = readFileSync(`${env.STANDIN_RECORD}.az`, 'utf8');
    expect(az).toMatch(
      new RegExp(
        `^login --service-principal --username ${CLIENT} --tenant ${TENANT} --federated-token eyJ`,
      ),
    );
    expect(run.summary).toContain('| Staging version |');
  });

  it('builder: image-builder puts the last Packer error in the failure annotation', async () => {
    const checkout = join(work, 'image-builder');
    const run = await runBundledAction(
      'build-image',
      {
        ...azureInputs(),
        'image-builder-path': checkout,
        os: 'ubuntu-2404',
        'kubernetes-version': 'v1.31.2',
        'kubernetes-deb-version': '1.31.2-1.1',
        location: 'westus2',
        'resource-group': 'cluster-api-gallery',
        gallery: 'staging_gallery',
      },
      standIns('failure'),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::make build-azure-sig-ubuntu-2404 failed (exit 2): Error executing Ansible: Non-zero exit status: exit status 2',
    );
  });

  it('builder: packer runs the template machine-readable and outputs what its artifact names', async () => {
    const template = join(work, 'custom.pkr.hcl');
    writeFileSync(template, 'source "azure-arm" "custom-ubuntu" {}\n');
    const run = await runBundledAction(
      'build-image',
      {
        ...azureInputs(),
        builder: 'packer',
        'packer-template': template,
        os: 'ubuntu-2404-gen2',
        'resource-group': 'packer-rg',
      },
      standIns(),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      'image-definition': 'custom-node',
      'image-version': '2.1.0',
      'hyper-v-generation': 'V2',
      'image-version-id': `/subscriptions/${SUBSCRIPTION}/resourceGroups/packer-rg/providers/Microsoft.Compute/galleries/custom_gallery/images/custom-node/versions/2.1.0`,
    });
    expect(run.stdout).toContain(
      "::warning::Packer built image definition 'custom-node', not 'capi-ubuntu-2404-gen2'",
    );
  });

  it('builder: stemcell uploads root.vhd and names the image after the stemcell', async () => {
    const { tarball } = await makeStemcell(work, 'bundle-stemcell', {});
    const run = await runBundledAction(
      'build-image',
      {
        ...azureInputs(),
        builder: 'stemcell',
        // What a reusable workflow passes to every builder; a stemcell names its own OS.
        os: 'ubuntu-2404',
        'source-disk': tarball,
        'blob-container-url': containerUrl,
        'resource-group': 'rg-build',
      },
      runnerEnv(),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      'image-definition': 'bosh-azure-hyperv-ubuntu-jammy-go_agent',
      'image-version': '1.83.0',
      'vhd-uri': `${containerUrl}/bosh-azure-hyperv-ubuntu-jammy-go_agent-1.83.0.vhd`,
    });
    expect(run.stdout).toContain(
      "::warning::Input 'os' is not used with builder: stemcell; ignoring it.",
    );
  });
});
