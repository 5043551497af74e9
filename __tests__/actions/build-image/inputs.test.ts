import { describe, expect, it } from '@jest/globals';
import { BUILD_IMAGE_INPUTS, getInputs } from '../../../src/actions/build-image/inputs.js';
import { IMAGE_BUILDER_OS_TARGETS } from '../../../src/build/os-targets.js';
import { InputError } from '../../../src/common/errors.js';
import { recordInputReader } from '../../../src/common/inputs.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const CONTAINER = 'https://buildstore.blob.core.windows.net/vhds';
const SHA = 'a'.repeat(64);

const DISK = {
  'subscription-id': SUB,
  builder: 'disk',
  os: 'ubuntu-2404-gen2',
  'kubernetes-version': 'v1.31.2',
  'source-disk': '/images/node.qcow2',
  'blob-container-url': CONTAINER,
  'resource-group': 'rg-images',
};
const IMAGE_BUILDER = {
  'subscription-id': SUB,
  os: 'windows-2022-containerd',
  'kubernetes-version': '1.31.2',
  'image-builder-path': 'image-builder',
  location: 'westus2',
  'resource-group': 'cluster-api-gallery',
  gallery: 'staging_gallery',
};
const STEMCELL = {
  'subscription-id': SUB,
  builder: 'stemcell',
  'source-disk': 'https://example.com/bosh-stemcell-1.83-azure-hyperv-ubuntu-jammy-go_agent.tgz',
  'source-checksum': `sha256:${SHA}`,
  'blob-container-url': CONTAINER,
  'storage-account-id': `/subscriptions/${SUB}/resourceGroups/rg-sa/providers/Microsoft.Storage/storageAccounts/buildstore`,
};
const PACKER = {
  'subscription-id': SUB,
  builder: 'packer',
  'packer-template': 'node.pkr.hcl',
  'hyper-v-generation': 'V2',
  'packer-vars': 'vm_size=Standard_D4s_v5\nimage_sku = 24_04-lts',
};

const read = (inputs: Record<string, string>) => getInputs(recordInputReader(inputs));

describe('build-image getInputs', () => {
  it('reads a disk import: CAPZ names from os, version from Kubernetes, storage account ID built', () => {
    const settings = read(DISK);
    expect(settings.image).toEqual({
      definition: 'capi-ubuntu-2404-gen2',
      version: '1.31.2',
      osType: 'Linux',
      hyperVGeneration: 'V2',
    });
    expect(settings.builder).toMatchObject({
      kind: 'disk',
      source: { location: '/images/node.qcow2' },
      upload: {
        container: { account: 'buildstore', container: 'vhds', pathStyle: false },
        storageAccountId: `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Storage/storageAccounts/buildstore`,
        concurrency: 8,
      },
    });
  });

  it('hashes the whole VHD only when full-sha256 asks', () => {
    const upload = (inputs: Record<string, string>) =>
      (read(inputs).builder as { upload: { fullSha256?: boolean } }).upload;
    expect(upload(DISK).fullSha256).toBeUndefined();
    expect(upload({ ...DISK, 'full-sha256': 'false' }).fullSha256).toBeUndefined();
    expect(upload({ ...DISK, 'full-sha256': 'true' }).fullSha256).toBe(true);
  });

  it('reads the stand-in path-style container URL', () => {
    const settings = read({
      ...DISK,
      'blob-container-url': 'https://127.0.0.1:41234/buildstore/vhds/',
    });
    expect(settings.builder).toMatchObject({
      upload: { container: { account: 'buildstore', container: 'vhds', pathStyle: true } },
    });
  });

  it('takes a custom image with image-definition and os-type for an os image-builder does not know', () => {
    const settings = read({
      ...DISK,
      os: 'debian-12',
      'image-definition': 'my-debian',
      'os-type': 'linux',
      'hyper-v-generation': 'V2',
      'image-version': '2.0.1',
      'kubernetes-version': '',
    });
    expect(settings.image).toEqual({
      definition: 'my-debian',
      version: '2.0.1',
      osType: 'Linux',
      hyperVGeneration: 'V2',
    });
  });

  it('defaults to image-builder and reads its Azure settings', () => {
    const settings = read(IMAGE_BUILDER);
    expect(settings.builder).toEqual({
      kind: 'image-builder',
      path: 'image-builder',
      skipKubeProxyCheck: false,
      ifExists: 'skip',
      location: 'westus2',
      resourceGroup: 'cluster-api-gallery',
      gallery: 'staging_gallery',
    });
    expect(settings.image).toEqual({
      definition: 'capi-windows-2022-containerd',
      version: '1.31.2',
      osType: 'Windows',
      hyperVGeneration: 'V1',
    });
  });

  it('knows every image-builder Azure target, gen2 and cvm included', () => {
    expect(IMAGE_BUILDER_OS_TARGETS).toEqual(
      expect.arrayContaining([
        'ubuntu-2404',
        'ubuntu-2404-gen2',
        'ubuntu-2404-cvm',
        'windows-2025-containerd',
      ]),
    );
    for (const os of IMAGE_BUILDER_OS_TARGETS)
      expect(() => read({ ...IMAGE_BUILDER, os })).not.toThrow();
  });

  it('reads a stemcell import with a checksum and an explicit storage account', () => {
    const settings = read(STEMCELL);
    expect(settings.builder).toMatchObject({
      kind: 'stemcell',
      source: { checksum: { algorithm: 'sha256', hex: SHA } },
    });
    expect(settings.image).toEqual({});
  });

  it('lets through the defaults the runner passes for inputs other builders use', () => {
    expect(() =>
      read({ ...DISK, 'skip-kube-proxy-check': 'false', 'upload-concurrency': '8' }),
    ).not.toThrow();
    expect(() => read({ ...PACKER, 'upload-concurrency': '8' })).not.toThrow();
  });

  it('ignores, and lists, what a workflow passes that this builder has no use for', () => {
    const settings = read({
      ...STEMCELL,
      os: 'ubuntu-2404',
      'kubernetes-version': 'v1.31.2',
      location: 'westus2',
      gallery: 'staging_gallery',
    });
    expect(settings.ignoredInputs).toEqual(['os', 'kubernetes-version', 'gallery', 'location']);
    // The stemcell's own version wins over the Kubernetes version.
    expect(settings.image).toEqual({});
    expect(settings.os).toBeUndefined();
    const ib = read({ ...IMAGE_BUILDER, 'os-type': 'Linux', 'hyper-v-generation': 'V2' });
    expect(ib.ignoredInputs).toEqual(['os-type', 'hyper-v-generation']);
    expect(ib.image).toMatchObject({ osType: 'Windows', hyperVGeneration: 'V1' });
  });

  it('reads packer vars as key=value lines', () => {
    const settings = read(PACKER);
    expect(settings.builder).toEqual({
      kind: 'packer',
      template: 'node.pkr.hcl',
      vars: { vm_size: 'Standard_D4s_v5', image_sku: '24_04-lts' },
    });
  });

  it('lists every input it reads', () => {
    const names = new Set<string>();
    const reader = (name: string) => {
      names.add(name);
      return { ...DISK, ...{ 'image-version': '1.0.0' } }[name];
    };
    getInputs(reader);
    for (const name of names) expect(BUILD_IMAGE_INPUTS).toContain(name);
  });
});

/** [what is wrong, the input the error must name, the inputs]. */
const BAD: [string, string, Record<string, string>][] = [
  ['unknown builder', 'builder', { ...DISK, builder: 'docker' }],
  ['missing source-disk', 'source-disk', { ...DISK, 'source-disk': '' }],
  [
    'http container URL',
    'blob-container-url',
    { ...DISK, 'blob-container-url': CONTAINER.replace('https', 'http') },
  ],
  [
    'container URL with a SAS token',
    'blob-container-url',
    { ...DISK, 'blob-container-url': `${CONTAINER}?sv=2024&sig=x` },
  ],
  [
    'container URL without a container',
    'blob-container-url',
    { ...DISK, 'blob-container-url': 'https://buildstore.blob.core.windows.net' },
  ],
  [
    'container URL naming a blob',
    'blob-container-url',
    { ...DISK, 'blob-container-url': `${CONTAINER}/x.vhd` },
  ],
  [
    'bad container name',
    'blob-container-url',
    { ...DISK, 'blob-container-url': 'https://buildstore.blob.core.windows.net/VHDs' },
  ],
  ['missing container URL', 'blob-container-url', { ...DISK, 'blob-container-url': '' }],
  [
    'no resource group for the storage account',
    'storage-account-id',
    { ...DISK, 'resource-group': '' },
  ],
  [
    'storage account ID of another account',
    'storage-account-id',
    {
      ...STEMCELL,
      'storage-account-id': STEMCELL['storage-account-id'].replace(/buildstore$/, 'other'),
    },
  ],
  [
    'malformed storage account ID',
    'storage-account-id',
    { ...STEMCELL, 'storage-account-id': 'buildstore' },
  ],
  ['unknown os target', 'os', { ...DISK, os: 'ubuntu-2410' }],
  ['os with capitals', 'os', { ...IMAGE_BUILDER, os: 'Ubuntu-2404' }],
  ['os image-builder does not build', 'os', { ...IMAGE_BUILDER, os: 'rhel-9' }],
  ['missing os for disk', 'os', { ...DISK, os: '' }],
  ['no version for disk', 'image-version', { ...DISK, 'kubernetes-version': '' }],
  [
    'a pre-release beyond the naming scheme',
    'kubernetes-version',
    { ...DISK, 'kubernetes-version': 'v1.32.0-rc.1000' },
  ],
  [
    'bad checksum algorithm',
    'source-checksum',
    { ...DISK, 'source-checksum': `md5:${'a'.repeat(32)}` },
  ],
  ['short sha256', 'source-checksum', { ...DISK, 'source-checksum': 'sha256:abc' }],
  ['blob name with a backslash', 'blob-name', { ...DISK, 'blob-name': 'a\\b.vhd' }],
  ['upload-concurrency 0', 'upload-concurrency', { ...DISK, 'upload-concurrency': '0' }],
  ['full-sha256 not a boolean', 'full-sha256', { ...DISK, 'full-sha256': 'yes please' }],
  ['packer-template with disk', 'packer-template', { ...DISK, 'packer-template': 'x.pkr.hcl' }],
  [
    'source-disk with image-builder',
    'source-disk',
    { ...IMAGE_BUILDER, 'source-disk': '/x.qcow2' },
  ],
  [
    'missing image-builder-path',
    'image-builder-path',
    { ...IMAGE_BUILDER, 'image-builder-path': '' },
  ],
  ['missing location for image-builder', 'location', { ...IMAGE_BUILDER, location: '' }],
  ['unknown location', 'location', { ...IMAGE_BUILDER, location: 'marseast' }],
  ['missing gallery for image-builder', 'gallery', { ...IMAGE_BUILDER, gallery: '' }],
  ['gallery with a dash', 'gallery', { ...IMAGE_BUILDER, gallery: 'staging-gallery' }],
  [
    'missing kubernetes-version for image-builder',
    'kubernetes-version',
    { ...IMAGE_BUILDER, 'kubernetes-version': '' },
  ],
  [
    'bad deb version',
    'kubernetes-deb-version',
    { ...IMAGE_BUILDER, 'kubernetes-deb-version': 'latest' },
  ],
  ['missing packer-template', 'packer-template', { ...PACKER, 'packer-template': '' }],
  [
    'packer without os or generation',
    'hyper-v-generation',
    { ...PACKER, 'hyper-v-generation': '' },
  ],
  ['packer var without =', 'packer-vars', { ...PACKER, 'packer-vars': 'vm_size' }],
  ['missing subscription', 'subscription-id', { ...DISK, 'subscription-id': '' }],
  ['bad image-version', 'image-version', { ...DISK, 'image-version': '1.31' }],
  ['bad os-type', 'os-type', { ...DISK, 'os-type': 'Plan9' }],
];

describe('build-image getInputs names a pre-release apart from its GA (issue 10 item 9)', () => {
  it('gives v1.32.0-rc.1 the image version 1.32.1000003001', () => {
    const rc = read({ ...DISK, 'kubernetes-version': 'v1.32.0-rc.1' });
    const ga = read({ ...DISK, 'kubernetes-version': 'v1.32.0' });
    expect(rc.image.version).toBe('1.32.1000003001');
    expect(ga.image.version).toBe('1.32.0');
  });
});

describe.each(BAD)('build-image getInputs refuses %s', (_what, input, inputs) => {
  it(`naming '${input}'`, () => {
    let error: unknown;
    try {
      read(inputs);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe(input);
    expect((error as Error).message).toMatch(new RegExp(`^Invalid input '${input}': '`));
  });
});
