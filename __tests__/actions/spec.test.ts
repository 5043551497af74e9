/**
 * Each action is declared once (src/actions/<name>/spec.ts): action.yml declares exactly the
 * inputs its code reads, with the same defaults, and exactly the outputs it sets. What the code
 * reads is recorded here by running each action's typed reader over a few valid input sets;
 * what it sets is held by setOutputs, which takes a record of exactly the declared outputs.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { discoverActions, metadataPathOf, repositoryRoot } from '../../scripts/lib/actions.js';
import { getInputs as getBuildImageInputs } from '../../src/actions/build-image/inputs.js';
import { BUILD_IMAGE } from '../../src/actions/build-image/spec.js';
import { getCleanupInputs } from '../../src/actions/cleanup/inputs.js';
import { CLEANUP } from '../../src/actions/cleanup/spec.js';
import { INVENTORY } from '../../src/actions/inventory/spec.js';
import { getInventoryInputs } from '../../src/actions/inventory/inputs.js';
import { getPlanInputs } from '../../src/actions/plan/inputs.js';
import { PLAN } from '../../src/actions/plan/spec.js';
import { getPreflightInputs } from '../../src/actions/preflight/inputs.js';
import { PREFLIGHT } from '../../src/actions/preflight/spec.js';
import { getPromoteInputs } from '../../src/actions/promote/inputs.js';
import { getPublishCatalogInputs } from '../../src/actions/publish-catalog/inputs.js';
import { PUBLISH_CATALOG } from '../../src/actions/publish-catalog/spec.js';
import { PROMOTE } from '../../src/actions/promote/spec.js';
import { getInputs as getPublishInputs } from '../../src/actions/publish-to-gallery/inputs.js';
import { PUBLISH_TO_GALLERY } from '../../src/actions/publish-to-gallery/spec.js';
import { getInputs as getValidateInputs } from '../../src/actions/validate-cluster/inputs.js';
import { VALIDATE_CLUSTER } from '../../src/actions/validate-cluster/spec.js';
import { getRecordLegInputs } from '../../src/actions/record-leg/inputs.js';
import { RECORD_LEG } from '../../src/actions/record-leg/spec.js';
import { getRecordAttestationInputs } from '../../src/actions/record-attestation/inputs.js';
import { RECORD_ATTESTATION } from '../../src/actions/record-attestation/spec.js';
import { SUMMARIZE_RUN } from '../../src/actions/summarize-run/spec.js';
import { getRequiredInput, type InputReader, recordInputReader } from '../../src/common/inputs.js';
import { type ActionSpec, declaredInputs, declaredOutputs } from '../../src/runner/spec.js';

const NOW = new Date('2024-10-01T09:00:00Z');
const SUB = '00000000-0000-0000-0000-000000000000';
const AZURE = {
  'subscription-id': SUB,
  'tenant-id': '11111111-1111-1111-1111-111111111111',
  'client-id': '22222222-2222-2222-2222-222222222222',
  'arm-endpoint': 'https://management.azure.com',
  'authority-host': 'https://login.microsoftonline.com',
};
const VERSION_ID = `/subscriptions/${SUB}/resourceGroups/rg-staging/providers/Microsoft.Compute/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2`;
const CONTAINER = 'https://buildstore.blob.core.windows.net/vhds';
const COMMUNITY = {
  sharing: 'community',
  'public-name-prefix': 'ClusterAPI',
  'publisher-uri': 'https://capz.sigs.k8s.io',
  'publisher-contact': 'capz@example.com',
  eula: 'https://www.apache.org/licenses/LICENSE-2.0',
};

interface Case {
  spec: ActionSpec;
  /** The action's typed reader. */
  read: (read: InputReader) => unknown;
  /** Valid input sets that, together, take the reader down every path. */
  inputs: Record<string, string>[];
}

const CASES: Case[] = [
  {
    spec: PLAN,
    read: getPlanInputs,
    inputs: [
      { 'kubernetes-versions': 'v1.31.2', 'github-token': 'token' },
      {
        ...AZURE,
        'minor-versions': '2',
        'include-prereleases': 'true',
        'operating-systems': 'ubuntu-2404',
        gallery: 'staging_gallery',
        'resource-group': 'rg-staging',
      },
    ],
  },
  {
    spec: BUILD_IMAGE,
    read: getBuildImageInputs,
    inputs: [
      {
        ...AZURE,
        builder: 'disk',
        os: 'ubuntu-2404-gen2',
        'kubernetes-version': 'v1.31.2',
        'source-disk': '/images/node.qcow2',
        'blob-container-url': CONTAINER,
        'resource-group': 'rg-images',
      },
      {
        'subscription-id': SUB,
        os: 'windows-2022-containerd',
        'kubernetes-version': '1.31.2',
        'image-builder-path': 'image-builder',
        location: 'westus2',
        'resource-group': 'cluster-api-gallery',
        gallery: 'staging_gallery',
      },
      {
        'subscription-id': SUB,
        builder: 'packer',
        'packer-template': 'node.pkr.hcl',
        'hyper-v-generation': 'V2',
        'packer-vars': 'vm_size=Standard_D4s_v5',
      },
    ],
  },
  {
    spec: PUBLISH_TO_GALLERY,
    read: (read) => getPublishInputs(read, NOW),
    inputs: [
      {
        ...AZURE,
        'resource-group': 'capi-staging',
        location: 'westeurope',
        gallery: 'capi_staging',
        'image-definition': 'capi-ubuntu-2404',
        'kubernetes-version': 'v1.31.2',
        source: `${CONTAINER}/capi-ubuntu-2404-1.31.2.vhd`,
        'source-storage-account-id': `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/buildstore`,
        publisher: 'kubernetes-sigs',
        offer: 'capi',
        sku: 'ubuntu-2404',
        ...COMMUNITY,
      },
    ],
  },
  {
    spec: PROMOTE,
    read: (read) => getPromoteInputs(read, NOW),
    inputs: [
      {
        ...AZURE,
        'source-image-version-id': VERSION_ID,
        'resource-group': 'rg-production',
        location: 'westus2',
        gallery: 'production_gallery',
        ...COMMUNITY,
      },
    ],
  },
  {
    spec: INVENTORY,
    read: (read) => getInventoryInputs(read, {}),
    inputs: [
      { ...AZURE, 'resource-group': 'rg-production', gallery: 'production_gallery' },
      {
        ...AZURE,
        'public-name': 'ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019',
        location: 'westus2',
      },
    ],
  },
  {
    spec: RECORD_ATTESTATION,
    read: getRecordAttestationInputs,
    inputs: [
      {
        ...AZURE,
        'image-version-id': VERSION_ID,
        'attestation-url': 'https://github.com/example/capz-images/attestations/1000001',
        'subject-digest': `sha256:${'a'.repeat(64)}`,
        'poll-interval-seconds': '2',
      },
    ],
  },
  {
    spec: PREFLIGHT,
    read: getPreflightInputs,
    inputs: [
      {
        ...AZURE,
        'resource-group': 'rg-production',
        gallery: 'production_gallery',
        'community-gallery-public-name': 'ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019',
        ...COMMUNITY,
      },
    ],
  },
  {
    spec: CLEANUP,
    read: getCleanupInputs,
    inputs: [{ ...AZURE, 'resource-group': 'rg-staging', gallery: 'staging_gallery' }],
  },
  {
    spec: VALIDATE_CLUSTER,
    read: getValidateInputs,
    inputs: [
      { ...AZURE, 'image-version-id': VERSION_ID },
      {
        ...AZURE,
        'image-version-id': VERSION_ID,
        mode: 'cluster',
        kubeconfig: '/tmp/management.kubeconfig',
      },
    ],
  },
  {
    spec: RECORD_LEG,
    read: getRecordLegInputs,
    inputs: [
      { mode: 'write', directory: 'records', leg: '{"os":"ubuntu-2404"}', jobs: '{}' },
      { mode: 'promotion', directory: 'records', leg: '{"os":"ubuntu-2404"}', step: '{}' },
      { mode: 'read', directory: 'records', 'skip-validation': 'true' },
    ],
  },
  {
    spec: PUBLISH_CATALOG,
    read: getPublishCatalogInputs,
    inputs: [
      {
        catalog: `${repositoryRoot}/__tests__/fixtures`,
        repository: 'example/capz-images',
        branch: 'gh-pages',
        path: 'catalog',
        'github-token': 'token',
        'github-api-url': 'https://api.github.com',
      },
    ],
  },
  {
    spec: SUMMARIZE_RUN,
    read: (read) => getRequiredInput(read, 'records'),
    inputs: [{ records: 'records' }],
  },
];

interface ActionYml {
  inputs: Record<string, { default?: string }>;
  outputs?: Record<string, unknown>;
}
const actionYml = (name: string): ActionYml =>
  parse(readFileSync(`${repositoryRoot}/${metadataPathOf(name)}`, 'utf8')) as ActionYml;

describe('each action, declared once', () => {
  it('has a spec for every action the bundler finds', async () => {
    const found = (await discoverActions(repositoryRoot)).map((a) => a.name);
    expect(CASES.map((c) => c.spec.name).sort()).toEqual(found);
  });

  describe.each(CASES)('$spec.name', ({ spec, read, inputs }) => {
    const yml = actionYml(spec.name);

    it('action.yml declares exactly the spec’s inputs, defaults and outputs', () => {
      expect(Object.keys(yml.inputs).sort()).toEqual([...spec.inputs].sort());
      const stated = Object.fromEntries(
        Object.entries(yml.inputs)
          .filter(([, i]) => i.default !== undefined && !i.default.startsWith('${{'))
          .map(([name, i]) => [name, i.default]),
      );
      const coded = Object.fromEntries(
        Object.entries(spec.defaults).map(([name, value]) => [name, String(value)]),
      );
      expect(stated).toEqual(coded);
      expect(Object.keys(yml.outputs ?? {}).sort()).toEqual([...spec.outputs].sort());
    });

    it('reads exactly the inputs action.yml declares', () => {
      const asked = new Set<string>();
      for (const given of inputs) {
        const record = recordInputReader(given);
        read(declaredInputs(spec, (name) => (asked.add(name), record(name))));
      }
      expect([...asked].sort()).toEqual([...spec.inputs].sort());
    });
  });
});

describe('the typed reader and setOutputs', () => {
  it('refuse an input the spec does not declare', () => {
    const read = declaredInputs(CLEANUP, recordInputReader({}));
    expect(() => read('keep-everything')).toThrow(
      "cleanup reads input 'keep-everything', which its action.yml does not declare.",
    );
    expect(read('gallery')).toBeUndefined();
  });

  it('refuse outputs other than the declared ones', () => {
    const outputs = { planned: '[]', deleted: '[]', yanked: '[]', kept: '[]' };
    expect(declaredOutputs(CLEANUP, outputs)).toBe(outputs);
    expect(() => declaredOutputs(CLEANUP, { ...outputs, extra: 'x' } as typeof outputs)).toThrow(
      /cleanup sets outputs deleted, extra, kept, planned, yanked; its action.yml declares deleted, kept, planned, yanked/,
    );
    const { kept: _kept, ...fewer } = outputs;
    expect(() => declaredOutputs(CLEANUP, fewer as typeof outputs)).toThrow(/declares/);
  });
});
