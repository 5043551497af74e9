import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../../src/common/errors.js';
import {
  getInputs,
  PUBLISH_TO_GALLERY_DEFAULTS,
  PUBLISH_TO_GALLERY_INPUTS,
} from '../../../src/actions/publish-to-gallery/inputs.js';
import { AZURE_INPUT_DEFAULTS } from '../../../src/common/inputs.js';
import { environmentInputReader, recordInputReader } from '../../../src/common/inputs.js';

const NOW = new Date('2024-10-01T09:00:00Z');
const SUBSCRIPTION = '01234567-89ab-cdef-0123-4567890abcde';

/** The managed image ID Packer prints (CAPZ custom images guide, a seed document). */
const MANAGED_IMAGE_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/cluster-api-images/providers/Microsoft.Compute/images/capi-1234567890`;

/** A version ID in the form Azure CLI reports them, restated here (facts, not a recording). */
const GALLERY_VERSION_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/' +
  'cli_test_gallery_soft_delete_policy_000001/providers/Microsoft.Compute/galleries/sig_000002/' +
  'images/img_000003/versions/1.1.1';

const VHD_URL = 'https://capibuild01.blob.core.windows.net/vhds/capi-ubuntu-2404-1.31.2.vhd';
const STORAGE_ACCOUNT_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/capi-build/providers/Microsoft.Storage/storageAccounts/capibuild01`;

/** The inputs a CAPZ staging publish passes; every test starts from these. */
const MINIMAL: Readonly<Record<string, string>> = {
  'subscription-id': SUBSCRIPTION,
  'resource-group': 'capi-staging',
  location: 'westeurope',
  gallery: 'capi_staging',
  'image-definition': 'capi-ubuntu-2404',
  'kubernetes-version': 'v1.31.2',
  source: MANAGED_IMAGE_ID,
  publisher: 'kubernetes-sigs',
  offer: 'capi',
  sku: 'ubuntu-2404',
};

const COMMUNITY: Readonly<Record<string, string>> = {
  sharing: 'community',
  'public-name-prefix': 'ClusterAPI',
  'publisher-uri': 'https://github.com/kubernetes-sigs/cluster-api-provider-azure',
  'publisher-contact': 'capz@example.com',
  eula: 'https://www.apache.org/licenses/LICENSE-2.0',
};

/** MINIMAL with `changes` applied; an `undefined` value removes the input. */
function inputs(changes: Record<string, string | undefined> = {}) {
  const merged: Record<string, string> = { ...MINIMAL };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return recordInputReader(merged);
}

describe('getInputs with valid inputs', () => {
  it('fills in every default for a minimal publish', () => {
    // Act
    const settings = getInputs(inputs(), NOW);

    // Assert
    expect(settings).toEqual({
      azure: {
        subscriptionId: SUBSCRIPTION,
        armEndpoint: 'https://management.azure.com',
        authorityHost: 'https://login.microsoftonline.com',
      },
      resourceGroup: 'capi-staging',
      location: 'westeurope',
      pollIntervalSeconds: 15,
      gallery: 'capi_staging',
      imageDefinition: 'capi-ubuntu-2404',
      imageVersion: '1.31.2',
      kubernetesVersion: { major: 1, minor: 31, patch: 2 },
      source: {
        kind: 'managed-image',
        id: MANAGED_IMAGE_ID,
        managedImage: {
          subscriptionId: SUBSCRIPTION,
          resourceGroup: 'cluster-api-images',
          image: 'capi-1234567890',
        },
      },
      definition: {
        osType: 'Linux',
        hyperVGeneration: 'V2',
        securityType: 'TrustedLaunchSupported',
        architecture: 'x64',
        publisher: 'kubernetes-sigs',
        offer: 'capi',
        sku: 'ubuntu-2404',
      },
      replication: {
        targetRegions: [{ name: 'westeurope', replicas: 1, storageAccountType: 'Standard_LRS' }],
        replicaCount: 1,
        storageAccountType: 'Standard_LRS',
        mode: 'Full',
        excludeFromLatest: false,
      },
      tags: {},
      ifExists: 'skip',
      sharing: { kind: 'private' },
      timeoutMinutes: 120,
    });
  });

  it('reads a community promotion from a VHD with every option set', () => {
    // Arrange
    const read = inputs({
      ...COMMUNITY,
      'kubernetes-version': undefined,
      'image-version': '1.31.2',
      source: VHD_URL,
      'source-storage-account-id': STORAGE_ACCOUNT_ID,
      'os-type': 'windows',
      'hyper-v-generation': 'V1',
      'security-type': 'standard',
      'target-regions': 'eastus=3/Standard_ZRS\nwesteurope, southcentralus=2',
      'replica-count': '3',
      'storage-account-type': 'Premium_LRS',
      'replication-mode': 'Shallow',
      'exclude-from-latest': 'true',
      'end-of-life-date': '2025-10-28',
      tags: 'owner=sig-cluster-lifecycle\nkubernetes-version=v1.31.2',
      'if-exists': 'replace',
      'timeout-minutes': '360',
    });

    // Act
    const settings = getInputs(read, NOW);

    // Assert
    expect(settings.imageVersion).toBe('1.31.2');
    expect(settings.kubernetesVersion).toBeUndefined();
    expect(settings.source).toEqual({
      kind: 'vhd',
      uri: VHD_URL,
      storageAccountId: STORAGE_ACCOUNT_ID,
      storageAccount: {
        subscriptionId: SUBSCRIPTION,
        resourceGroup: 'capi-build',
        storageAccount: 'capibuild01',
      },
    });
    expect(settings.definition).toMatchObject({
      osType: 'Windows',
      hyperVGeneration: 'V1',
      securityType: 'Standard',
    });
    expect(settings.replication).toEqual({
      targetRegions: [
        { name: 'eastus', replicas: 3, storageAccountType: 'Standard_ZRS' },
        { name: 'westeurope', replicas: 3, storageAccountType: 'Premium_LRS' },
        { name: 'southcentralus', replicas: 2, storageAccountType: 'Premium_LRS' },
      ],
      replicaCount: 3,
      storageAccountType: 'Premium_LRS',
      mode: 'Shallow',
      excludeFromLatest: true,
    });
    expect(settings.endOfLife).toEqual({ kind: 'date', date: '2025-10-28' });
    expect(settings.tags).toEqual({
      owner: 'sig-cluster-lifecycle',
      'kubernetes-version': 'v1.31.2',
    });
    expect(settings.ifExists).toBe('replace');
    expect(settings.sharing).toEqual({
      kind: 'community',
      publicNamePrefix: 'ClusterAPI',
      publisherUri: 'https://github.com/kubernetes-sigs/cluster-api-provider-azure',
      publisherContact: 'capz@example.com',
      eula: 'https://www.apache.org/licenses/LICENSE-2.0',
    });
    expect(settings.timeoutMinutes).toBe(360);
  });

  it('promotes from a gallery image version', () => {
    const settings = getInputs(inputs({ source: GALLERY_VERSION_ID }), NOW);
    expect(settings.source).toMatchObject({
      kind: 'gallery-image-version',
      galleryImageVersion: {
        gallery: 'sig_000002',
        imageDefinition: 'img_000003',
        version: '1.1.1',
      },
    });
  });

  it("keeps 'kubernetes' as a marker for the minor's end of life", () => {
    const settings = getInputs(inputs({ 'end-of-life-date': 'Kubernetes' }), NOW);
    expect(settings.endOfLife).toEqual({ kind: 'kubernetes', minor: '1.31' });
  });

  it('adds the location to the target regions only when missing', () => {
    // Arrange
    const listed = inputs({ 'target-regions': 'eastus westeurope=2' });
    const unlisted = inputs({ 'target-regions': 'eastus' });

    // Act
    const listedRegions = getInputs(listed, NOW).replication.targetRegions.map((r) => r.name);
    const unlistedRegions = getInputs(unlisted, NOW).replication.targetRegions.map((r) => r.name);

    // Assert
    expect(listedRegions).toEqual(['eastus', 'westeurope']);
    expect(unlistedRegions).toEqual(['westeurope', 'eastus']);
  });

  it('defaults the security type to Standard for V1 and follows an explicit choice', () => {
    const v1 = getInputs(inputs({ 'hyper-v-generation': 'v1' }), NOW).definition;
    const cvm = getInputs(inputs({ 'security-type': 'ConfidentialVMSupported' }), NOW).definition;
    expect(v1.securityType).toBe('Standard');
    expect(cvm.securityType).toBe('ConfidentialVmSupported');
  });

  it('accepts an end-of-life date of today', () => {
    const settings = getInputs(inputs({ 'end-of-life-date': '2024-10-01' }), NOW);
    expect(settings.endOfLife).toEqual({ kind: 'date', date: '2024-10-01' });
  });

  it('reads INPUT_* variables through the default reader', () => {
    // Arrange
    const env = Object.fromEntries(
      Object.entries({ ...MINIMAL, 'if-exists': 'fail' }).map(([name, value]) => [
        `INPUT_${name.toUpperCase()}`,
        value,
      ]),
    );

    // Act
    const settings = getInputs(environmentInputReader(env), NOW);

    // Assert
    expect(settings.imageVersion).toBe('1.31.2');
    expect(settings.ifExists).toBe('fail');
  });

  it('reads exactly the inputs it lists, and defaults only those', () => {
    // Arrange
    const read = new Set<string>();
    const all: Record<string, string> = {
      ...MINIMAL,
      ...COMMUNITY,
      'end-of-life-date': '2025-10-28',
    };
    const spy = (name: string) => {
      read.add(name);
      return all[name];
    };

    // Act
    getInputs(spy, NOW);

    // Assert
    expect([...read].sort()).toEqual([...PUBLISH_TO_GALLERY_INPUTS].sort());
    const defaulted = [
      ...Object.keys(PUBLISH_TO_GALLERY_DEFAULTS),
      ...Object.keys(AZURE_INPUT_DEFAULTS),
    ];
    expect(PUBLISH_TO_GALLERY_INPUTS).toEqual(expect.arrayContaining(defaulted));
  });

  it('exposes its defaults in one place, keyed by input name', () => {
    expect(PUBLISH_TO_GALLERY_DEFAULTS).toEqual({
      'os-type': 'Linux',
      'hyper-v-generation': 'V2',
      architecture: 'x64',
      'replica-count': 1,
      'storage-account-type': 'Standard_LRS',
      'replication-mode': 'Full',
      'exclude-from-latest': false,
      'if-exists': 'skip',
      sharing: 'private',
      'timeout-minutes': 120,
      'poll-interval-seconds': 15,
    });
  });
});

/** [what is wrong, changes to MINIMAL, input the error must name, value it must quote] */
const BAD_INPUTS: [string, Record<string, string | undefined>, string, string][] = [
  ['a gallery name with a dash', { gallery: 'capi-staging' }, 'gallery', 'capi-staging'],
  ['a gallery name of 81 characters', { gallery: 'g'.repeat(81) }, 'gallery', 'g'.repeat(81)],
  [
    'a definition of 81 characters',
    { 'image-definition': 'd'.repeat(81) },
    'image-definition',
    'd'.repeat(81),
  ],
  [
    'a definition starting with a dash',
    { 'image-definition': '-capi' },
    'image-definition',
    '-capi',
  ],
  [
    'a Kubernetes minor instead of a version',
    { 'kubernetes-version': '1.31' },
    'kubernetes-version',
    '1.31',
  ],
  [
    'a Kubernetes release candidate',
    { 'kubernetes-version': 'v1.31.2-rc.1' },
    'kubernetes-version',
    'v1.31.2-rc.1',
  ],
  [
    'a Kubernetes alpha',
    { 'kubernetes-version': '1.32.0-alpha.3' },
    'kubernetes-version',
    '1.32.0-alpha.3',
  ],
  [
    'an image version part over 2^31-1',
    { 'kubernetes-version': undefined, 'image-version': '1.2147483648.0' },
    'image-version',
    '1.2147483648.0',
  ],
  [
    'an image version of two parts',
    { 'kubernetes-version': undefined, 'image-version': '1.31' },
    'image-version',
    '1.31',
  ],
  [
    'both image-version and kubernetes-version',
    { 'image-version': '1.31.2' },
    'kubernetes-version',
    'v1.31.2',
  ],
  [
    'neither image-version nor kubernetes-version',
    { 'kubernetes-version': undefined },
    'image-version',
    '',
  ],
  ['a region with 0 replicas', { 'target-regions': 'eastus=0' }, 'target-regions', 'eastus=0'],
  [
    'a region with 101 replicas',
    { 'target-regions': 'eastus=101' },
    'target-regions',
    'eastus=101',
  ],
  [
    'an unknown storage type in a region',
    { 'target-regions': 'eastus=3/Hot_LRS' },
    'target-regions',
    'eastus=3/Hot_LRS',
  ],
  ['a malformed region entry', { 'target-regions': 'eastus==3' }, 'target-regions', 'eastus==3'],
  [
    'a region name with a dash',
    { 'target-regions': 'west-europe' },
    'target-regions',
    'west-europe',
  ],
  ['a region listed twice', { 'target-regions': 'eastus eastus=2' }, 'target-regions', 'eastus=2'],
  ['replica-count 0', { 'replica-count': '0' }, 'replica-count', '0'],
  ['replica-count 101', { 'replica-count': '101' }, 'replica-count', '101'],
  [
    'an end-of-life date in the past',
    { 'end-of-life-date': '2024-09-30' },
    'end-of-life-date',
    '2024-09-30',
  ],
  [
    'an end-of-life date not in ISO form',
    { 'end-of-life-date': '31.12.2025' },
    'end-of-life-date',
    '31.12.2025',
  ],
  [
    "end-of-life 'kubernetes' without kubernetes-version",
    {
      'kubernetes-version': undefined,
      'image-version': '1.31.2',
      'end-of-life-date': 'kubernetes',
    },
    'end-of-life-date',
    'kubernetes',
  ],
  ['a tag without =', { tags: 'owner=capz\nteam' }, 'tags', 'team'],
  ['a tag given twice', { tags: 'owner=a\nOwner=b' }, 'tags', 'Owner=b'],
  ['a VHD URL without a storage account ID', { source: VHD_URL }, 'source-storage-account-id', ''],
  [
    'a storage account ID for a managed image',
    { 'source-storage-account-id': STORAGE_ACCOUNT_ID },
    'source-storage-account-id',
    STORAGE_ACCOUNT_ID,
  ],
  [
    'a storage account other than the VHD host',
    {
      source: VHD_URL,
      'source-storage-account-id': STORAGE_ACCOUNT_ID.replace('capibuild01', 'other01'),
    },
    'source-storage-account-id',
    STORAGE_ACCOUNT_ID.replace('capibuild01', 'other01'),
  ],
  [
    'a malformed storage account ID',
    { source: VHD_URL, 'source-storage-account-id': 'capibuild01' },
    'source-storage-account-id',
    'capibuild01',
  ],
  [
    'two sources',
    { source: `${MANAGED_IMAGE_ID}\n${GALLERY_VERSION_ID}` },
    'source',
    `${MANAGED_IMAGE_ID}\n${GALLERY_VERSION_ID}`,
  ],
  [
    'a plain http VHD URL',
    { source: VHD_URL.replace('https:', 'http:') },
    'source',
    VHD_URL.replace('https:', 'http:'),
  ],
  [
    'a gallery version named latest',
    { source: GALLERY_VERSION_ID.replace('1.1.1', 'latest') },
    'source',
    GALLERY_VERSION_ID.replace('1.1.1', 'latest'),
  ],
  ['a source that is no kind of ID', { source: 'capi-1234567890' }, 'source', 'capi-1234567890'],
  ['an unknown os-type', { 'os-type': 'Linux2' }, 'os-type', 'Linux2'],
  ['a generation spelled Gen2', { 'hyper-v-generation': 'Gen2' }, 'hyper-v-generation', 'Gen2'],
  [
    'the VM security type TrustedLaunch',
    { 'security-type': 'TrustedLaunch' },
    'security-type',
    'TrustedLaunch',
  ],
  [
    'Trusted Launch on a V1 definition',
    { 'hyper-v-generation': 'V1', 'security-type': 'TrustedLaunchSupported' },
    'security-type',
    'TrustedLaunchSupported',
  ],
  ['an architecture spelled aarch64', { architecture: 'aarch64' }, 'architecture', 'aarch64'],
  [
    'Arm64 on V1',
    { architecture: 'Arm64', 'hyper-v-generation': 'V1' },
    'hyper-v-generation',
    'V1',
  ],
  [
    'an edge-zone-only storage type',
    { 'storage-account-type': 'StandardSSD_LRS' },
    'storage-account-type',
    'StandardSSD_LRS',
  ],
  ['an unknown replication mode', { 'replication-mode': 'Deep' }, 'replication-mode', 'Deep'],
  ['exclude-from-latest yes', { 'exclude-from-latest': 'yes' }, 'exclude-from-latest', 'yes'],
  ['an unknown if-exists', { 'if-exists': 'overwrite' }, 'if-exists', 'overwrite'],
  ['an unknown sharing mode', { sharing: 'public' }, 'sharing', 'public'],
  ['community without a eula', { ...COMMUNITY, eula: undefined }, 'eula', ''],
  [
    'community without a prefix',
    { ...COMMUNITY, 'public-name-prefix': undefined },
    'public-name-prefix',
    '',
  ],
  [
    'a public name prefix of 4 characters',
    { ...COMMUNITY, 'public-name-prefix': 'capi' },
    'public-name-prefix',
    'capi',
  ],
  [
    'a public name prefix with a dash',
    { ...COMMUNITY, 'public-name-prefix': 'Cluster-API' },
    'public-name-prefix',
    'Cluster-API',
  ],
  [
    'a contact that is not an e-mail',
    { ...COMMUNITY, 'publisher-contact': 'sig-cluster-lifecycle' },
    'publisher-contact',
    'sig-cluster-lifecycle',
  ],
  [
    'a publisher URI that is not a web address',
    { ...COMMUNITY, 'publisher-uri': 'ftp://example.com' },
    'publisher-uri',
    'ftp://example.com',
  ],
  [
    'a community input on a private gallery',
    { 'public-name-prefix': 'ClusterAPI' },
    'public-name-prefix',
    'ClusterAPI',
  ],
  ['no publisher', { publisher: undefined }, 'publisher', ''],
  ['an offer of 65 characters', { offer: 'o'.repeat(65) }, 'offer', 'o'.repeat(65)],
  ['a SKU with a space', { sku: 'ubuntu 2404' }, 'sku', 'ubuntu 2404'],
  [
    'a subscription that is not a GUID',
    { 'subscription-id': 'capz-ci' },
    'subscription-id',
    'capz-ci',
  ],
  ['no subscription', { 'subscription-id': undefined }, 'subscription-id', ''],
  [
    'a resource group ending in a period',
    { 'resource-group': 'capi-staging.' },
    'resource-group',
    'capi-staging.',
  ],
  ['a display name as location', { location: 'West Europe' }, 'location', 'West Europe'],
  ['timeout-minutes 0', { 'timeout-minutes': '0' }, 'timeout-minutes', '0'],
  [
    'an http ARM endpoint',
    { 'arm-endpoint': 'http://localhost:8080' },
    'arm-endpoint',
    'http://localhost:8080',
  ],
  ['a client-id without a tenant-id', { 'client-id': SUBSCRIPTION }, 'tenant-id', ''],
];

describe('getInputs with bad inputs', () => {
  it('has at least 30 cases', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(BAD_INPUTS)('rejects %s', (_case, changes, input, value) => {
    // Arrange
    const read = inputs(changes);

    // Act
    let caught: unknown;
    try {
      getInputs(read, NOW);
    } catch (error) {
      caught = error;
    }

    // Assert
    expect(caught).toBeInstanceOf(InputError);
    const error = caught as InputError;
    expect(error.input).toBe(input);
    expect(error.message).toContain(`Invalid input '${input}': '${value}'. `);
    expect(error.message).toMatch(/'\. \S.+\S$/s);
  });

  it('never quotes a SAS token of a VHD URL', () => {
    // Arrange
    const read = inputs({ source: `${VHD_URL}?sv=2024-01-01&sig=SECRETSIGNATURE` });

    // Act & Assert
    expect(() => getInputs(read, NOW)).toThrow(`Invalid input 'source': '${VHD_URL}?<redacted>'.`);
    expect(() => getInputs(read, NOW)).not.toThrow(/SECRETSIGNATURE/);
  });
});
