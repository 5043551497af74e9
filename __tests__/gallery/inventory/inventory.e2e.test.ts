/**
 * The inventory against the stand-in, through the real SDK: a gallery with current, end-of-life,
 * yanked, in-progress and multi-region versions, attested and not; the community route with an
 * identity that may not touch the gallery's resource group; bad input named.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingLogger } from '../../../src/common/logger.js';
import { takeInventory, type InventoryTarget } from '../../../src/gallery/inventory/inventory.js';
import { catalogMarkdown } from '../../../src/gallery/inventory/markdown.js';
import type { CatalogFilters } from '../../../src/gallery/inventory/catalog.js';
import type { Catalog, CatalogVersion } from '../../../src/gallery/inventory/schema.js';
import type { AttestationSource } from '../../../src/provenance/github.js';
import { subjectDigestOf } from '../../../src/provenance/subject.js';
import { standInAttestations, standInTrustedRootText } from '../../helpers/attestations.js';
import { armRequest, startTestEmulator, SUBSCRIPTION } from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { fixtureCalendar } from '../../helpers/publish.js';
import { runBundledAction } from '../../helpers/runner.js';
import { existsSync } from 'node:fs';

const RG = 'rg-inv';
const GALLERY = 'inv_prod';
const PUBLIC = 'ClusterAPI-0b7e9a52-1c7f-4e39-9d55-6a1e7b3c2d10';
const REPO = 'capz-images/compute-gallery-actions';
const TODAY = new Date('2025-03-15T12:00:00Z'); // fits the fixture release calendar
const RG_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`;
const G = `${RG_ID}/providers/Microsoft.Compute/galleries/${GALLERY}`;
const IMAGE = `${RG_ID}/providers/Microsoft.Compute/images/base`;
const UBUNTU = `${G}/images/capi-ubun2-2404`;
const WINDOWS = `${G}/images/capi-win-2022-containerd`;
const DIGEST_1312 = `sha256:${'a1'.repeat(32)}`;
const DIGEST_1311 = `sha256:${'b2'.repeat(32)}`;
const WIN_DIGEST = `source:${IMAGE.toLowerCase()}`;
const RUN = 'https://github.com/capz-images/compute-gallery-actions/actions/runs/42';

let emu: TestEmulator;
let attestations: AttestationSource;
let trustedRootFile: string;

const definition = (os: 'Linux' | 'Windows', sku: string) => ({
  osType: os,
  osState: 'Generalized',
  hyperVGeneration: 'V1',
  architecture: 'x64',
  features: [{ name: 'SecurityType', value: 'Standard' }],
  identifier: { publisher: 'capz', offer: 'capi', sku },
});
const version = (
  regions: { name: string; regionalReplicaCount: number }[],
  extra: Record<string, unknown> = {},
) => ({
  storageProfile: { source: { id: IMAGE } },
  publishingProfile: {
    targetRegions: regions,
    publishedDate: '2025-01-10T08:00:00Z',
    ...extra,
  },
});

async function attest(subjectName: string, contentDigest: string): Promise<string> {
  const made = await emu.admin<{ url: string }>('POST', '/attestations', {
    repository: REPO,
    subjectName,
    subjectDigest: subjectDigestOf(contentDigest),
  });
  return made.url;
}

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 10, replicationMs: 20, pageSize: 2 } });
  attestations = await standInAttestations(emu, REPO);
  trustedRootFile = join(mkdtempSync(join(tmpdir(), 'cga-root-')), 'trusted_root.json');
  writeFileSync(trustedRootFile, await standInTrustedRootText(emu));
  const url1312 = await attest(`${UBUNTU}/versions/1.31.2`, DIGEST_1312);
  // Attested for other bits than the version now carries: a tampered digest.
  const url1311 = await attest(`${UBUNTU}/versions/1.31.1`, `sha256:${'ff'.repeat(32)}`);
  const urlWin = await attest(`${WINDOWS}/versions/1.30.6`, WIN_DIGEST);
  await emu.admin('POST', '/seed', {
    resources: [
      { id: RG_ID, location: 'westus2' },
      {
        id: IMAGE,
        location: 'westus2',
        properties: { storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized' } } },
      },
      {
        id: G,
        location: 'westus2',
        properties: {
          sharingProfile: {
            permissions: 'Community',
            communityGalleryInfo: {
              publisherUri: 'https://github.com/kubernetes-sigs/image-builder',
              publisherContact: 'capz@example.com',
              eula: 'https://www.apache.org/licenses/LICENSE-2.0',
              publicNamePrefix: 'ClusterAPI',
              communityGalleryEnabled: true,
              publicNames: [PUBLIC],
            },
          },
        },
      },
      { id: UBUNTU, location: 'westus2', properties: definition('Linux', 'ubuntu-2404') },
      { id: WINDOWS, location: 'westus2', properties: definition('Windows', 'win-2022') },
      {
        id: `${UBUNTU}/versions/1.31.2`,
        location: 'westus2',
        tags: {
          'kubernetes-version': 'v1.31.2',
          'content-digest': DIGEST_1312,
          attestation: url1312,
          'attestation-digest': subjectDigestOf(DIGEST_1312),
          'published-by': RUN,
          'image-builder-version': 'v0.1.40',
          'image-builder-commit': '4b1d2c3e5f60718293a4b5c6d7e8f90112233445',
        },
        properties: version(
          [
            { name: 'westus2', regionalReplicaCount: 3 },
            { name: 'eastus', regionalReplicaCount: 2 },
          ],
          { endOfLifeDate: '2025-10-28T00:00:00Z' },
        ),
      },
      {
        id: `${UBUNTU}/versions/1.31.1`,
        location: 'westus2',
        tags: {
          'content-digest': DIGEST_1311,
          attestation: url1311,
          yanked: 'CVE-2025-0001 in containerd',
        },
        properties: version([{ name: 'westus2', regionalReplicaCount: 1 }], {
          excludeFromLatest: true,
          endOfLifeDate: '2025-03-01T00:00:00Z',
        }),
      },
      {
        id: `${UBUNTU}/versions/1.29.10`,
        location: 'westus2',
        properties: version([{ name: 'westus2', regionalReplicaCount: 1 }], {
          endOfLifeDate: '2025-02-28T00:00:00Z',
        }),
      },
      {
        id: `${WINDOWS}/versions/1.30.6`,
        location: 'westus2',
        tags: { 'content-digest': WIN_DIGEST, attestation: urlWin },
        properties: version([{ name: 'westus2', regionalReplicaCount: 1 }]),
      },
    ],
  });
  // A version still replicating: created for real, with replication that takes a minute.
  await emu.admin('POST', '/settings', { replicationMs: 60_000 });
  const put = await armRequest(emu, 'PUT', `${UBUNTU}/versions/1.32.0`, {
    location: 'westus2',
    properties: version([
      { name: 'westus2', regionalReplicaCount: 1 },
      { name: 'northeurope', regionalReplicaCount: 1 },
    ]),
  });
  expect(put.status).toBe(201);
});
afterAll(async () => {
  await emu?.dispose();
});

const NONE: CatalogFilters = { definitions: [], minors: [], states: [] };
const PRIVATE: InventoryTarget = {
  kind: 'private',
  subscriptionId: SUBSCRIPTION,
  resourceGroup: RG,
  gallery: GALLERY,
};
const inventory = (target: InventoryTarget, filters: Partial<CatalogFilters> = {}, verify = true) =>
  takeInventory(
    target,
    { ...NONE, ...filters },
    {
      compute: emu.compute(),
      calendar: fixtureCalendar(),
      now: TODAY,
      logger: new RecordingLogger(),
      ...(verify ? { attestations } : {}),
    },
  );
const find = (c: Catalog, def: string, v: string): CatalogVersion =>
  c.definitions.find((d) => d.name === def)!.versions.find((x) => x.version === v)!;

describe('inventory of a private gallery', () => {
  it('lists every version with its state, regions, end of life, yank and provenance', async () => {
    const { catalog } = await inventory(PRIVATE);
    expect(catalog.schemaVersion).toBe(1);
    expect(catalog.gallery).toMatchObject({
      kind: 'private',
      name: GALLERY,
      publicNames: [PUBLIC],
    });
    const ubuntu = catalog.definitions.find((d) => d.name === 'capi-ubun2-2404')!;
    expect(ubuntu).toMatchObject({
      osTarget: 'ubuntu-2404',
      osType: 'Linux',
      hyperVGeneration: 'V1',
      securityType: 'Standard',
    });
    expect(ubuntu.versions.map((v) => [v.version, v.state])).toEqual([
      ['1.32.0', 'in-progress'],
      ['1.31.2', 'current'],
      ['1.31.1', 'yanked'],
      ['1.29.10', 'end-of-life'],
    ]);
    expect(find(catalog, 'capi-ubun2-2404', '1.31.2')).toMatchObject({
      kubernetesVersion: '1.31.2',
      kubernetesMinor: '1.31',
      publishedDate: '2025-01-10T08:00:00.000Z',
      endOfLifeDate: '2025-10-28',
      endOfLifeSource: 'version',
      daysLeft: 227,
      excludeFromLatest: false,
      yanked: null,
      replicationState: 'Completed',
      regions: [
        { name: 'West US 2', replicas: 3, storageAccountType: 'Standard_LRS', state: 'Completed' },
        { name: 'East US', replicas: 2, storageAccountType: 'Standard_LRS', state: 'Completed' },
      ],
      provenance: {
        imageBuilderVersion: 'v0.1.40',
        imageBuilderCommit: '4b1d2c3e5f60718293a4b5c6d7e8f90112233445',
        publishedBy: RUN,
        contentDigest: DIGEST_1312,
        attestation: { status: 'verified', subjectDigest: DIGEST_1312 },
      },
    });
    expect(find(catalog, 'capi-ubun2-2404', '1.31.1')).toMatchObject({
      yanked: { reason: 'CVE-2025-0001 in containerd' },
      excludeFromLatest: true,
      daysLeft: -14,
      provenance: { attestation: { status: 'missing' } },
    });
    const inProgress = find(catalog, 'capi-ubun2-2404', '1.32.0');
    expect(inProgress.provisioningState).toBe('Creating');
    expect(inProgress.replicationState).toBe('InProgress');
    expect(inProgress.regions.map((r) => [r.name, r.state])).toEqual([
      ['West US 2', 'Replicating'],
      ['North Europe', 'Replicating'],
    ]);
    expect(find(catalog, 'capi-ubun2-2404', '1.29.10')).toMatchObject({
      daysLeft: -15,
      provenance: { attestation: { status: 'missing' } },
    });
    expect(find(catalog, 'capi-win-2022-containerd', '1.30.6')).toMatchObject({
      state: 'current',
      endOfLifeDate: '2025-07-15', // 1.30's end of life in the fixture calendar
      endOfLifeSource: 'kubernetes',
      provenance: {
        attestation: { status: 'verified', subjectDigest: subjectDigestOf(WIN_DIGEST) },
      },
    });
    expect(catalog.counts).toMatchObject({
      versions: 5,
      definitions: 2,
      current: 2,
      yanked: 1,
      'end-of-life': 1,
      'in-progress': 1,
      failed: 0,
    });
    // Newest current, supported, not excluded: never the one replicating nor the yanked one.
    expect(catalog.latest).toEqual([
      {
        definition: 'capi-ubun2-2404',
        osTarget: 'ubuntu-2404',
        version: '1.31.2',
        kubernetesVersion: '1.31.2',
        imageReference: `computeGallery:\n  gallery: ${PUBLIC}\n  name: capi-ubun2-2404\n  version: "1.31.2"\n`,
      },
      expect.objectContaining({ definition: 'capi-win-2022-containerd', version: '1.30.6' }),
    ]);

    const md = catalogMarkdown(catalog);
    expect(md).toContain('## Image catalog: inv_prod');
    expect(md).toContain('| 1.31.1 | 1.31.1 | yanked: CVE-2025-0001 in containerd |');
    expect(md).toContain('West US 2×3, East US×2');
    expect(md).toContain('in progress (Creating)');
    expect(md).toMatch(
      /\| 1\.31\.2 \| 1\.31\.2 \| current \| 2025-01-10 \| 2025-10-28 \| 227 \| yes \|.*attestation verified, image-builder v0\.1\.40, commit 4b1d2c3e5f60/,
    );
    expect(md).toContain(`    gallery: ${PUBLIC}`);
  });

  it('reads with paged lists and no request per settled version', async () => {
    await emu.admin('DELETE', '/requests');
    await inventory(PRIVATE, {}, false);
    const arm = (
      await emu.admin<{ method: string; path: string; query: string }[]>('GET', '/requests')
    ).filter((r) => !r.path.startsWith('[login]'));
    const versionGets = arm.filter((r) => /\/versions\/[^/]+$/i.test(r.path));
    // Only the version still replicating is read on its own (for its per-region state).
    expect(versionGets.map((r) => r.path.split('/').pop())).toEqual(['1.32.0']);
    // pageSize 2: the four ubuntu versions take two pages.
    expect(arm.filter((r) => /capi-ubun2-2404\/versions$/i.test(r.path))).toHaveLength(2);
  });

  it('filters by definition, minor and state', async () => {
    const { catalog } = await inventory(
      PRIVATE,
      { definitions: ['CAPI-UBUN2-2404'], minors: ['1.31'], states: ['yanked', 'current'] },
      false,
    );
    expect(catalog.definitions.map((d) => [d.name, d.versions.map((v) => v.version)])).toEqual([
      ['capi-ubun2-2404', ['1.31.2', '1.31.1']],
    ]);
    expect(catalog.filters).toEqual({
      definitions: ['CAPI-UBUN2-2404'],
      minors: ['1.31'],
      states: ['yanked', 'current'],
    });
  });

  it('names the input when a gallery, definition, minor or state matches nothing', async () => {
    await expect(inventory({ ...PRIVATE, gallery: 'no_such' })).rejects.toThrow(
      /Input 'gallery': gallery 'no_such' was not found in resource group 'rg-inv'/,
    );
    await expect(inventory(PRIVATE, { definitions: ['capi-nope'] })).rejects.toThrow(
      /Input 'image-definitions': 'capi-nope' is not a definition of 'inv_prod'/,
    );
    await expect(inventory(PRIVATE, { minors: ['1.20'] })).rejects.toThrow(
      /Input 'minor-versions': '1.20' matches no version \(minors present: 1\.32, 1\.31, 1\.30, 1\.29\)/,
    );
    await expect(
      inventory(PRIVATE, { definitions: ['capi-win-2022-containerd'], states: ['yanked'] }),
    ).rejects.toThrow(/Input 'states': 'yanked' matches no version \(states present: current\)/);
  });

  it('fails rather than present part of a gallery when a list fails', async () => {
    await emu.admin('POST', '/faults', {
      path: 'capi-win-2022-containerd/versions$',
      status: 500,
      times: -1,
    });
    try {
      await expect(inventory(PRIVATE, {}, false)).rejects.toThrow(
        /listing the versions of 'inv_prod\/capi-win-2022-containerd'/,
      );
    } finally {
      await emu.admin('DELETE', '/faults');
    }
  });
});

describe('inventory of a community gallery', () => {
  it('reads through the community API with an identity that has no rights on the gallery', async () => {
    // This identity may read nothing under the resource group: every such request is refused.
    await emu.admin('POST', '/faults', {
      path: '/resourceGroups/',
      status: 403,
      code: 'AuthorizationFailed',
      message: 'no rights on the gallery',
      times: -1,
    });
    try {
      await expect(inventory(PRIVATE, {}, false)).rejects.toThrow(/AuthorizationFailed/);
      const { catalog } = await inventory({
        kind: 'community',
        publicName: PUBLIC.toLowerCase(),
        location: 'eastus',
      });
      expect(catalog.gallery).toEqual({
        kind: 'community',
        publicName: PUBLIC,
        location: 'eastus',
        publisherUri: 'https://github.com/kubernetes-sigs/image-builder',
      });
      // Only 1.31.2 replicated to East US.
      expect(catalog.definitions.map((d) => [d.name, d.versions.map((v) => v.version)])).toEqual([
        ['capi-ubun2-2404', ['1.31.2']],
        ['capi-win-2022-containerd', []],
      ]);
      const west = (await inventory({ kind: 'community', publicName: PUBLIC, location: 'westus2' }))
        .catalog;
      expect(
        west.definitions[0]!.versions.map((v) => [v.version, v.state, v.excludeFromLatest]),
      ).toEqual([
        ['1.31.2', 'current', false],
        // The community API shows no tags: a yank shows as its end of life and exclusion.
        ['1.31.1', 'end-of-life', true],
        ['1.29.10', 'end-of-life', false],
      ]);
      expect(find(west, 'capi-ubun2-2404', '1.31.2').provenance.attestation.status).toBe(
        'not-checked',
      );
      expect(west.latest[0]!.imageReference).toContain(`gallery: ${PUBLIC}`);
      await expect(
        inventory({ kind: 'community', publicName: 'ClusterAPI-nope', location: 'westus2' }),
      ).rejects.toThrow(/Input 'public-name': community gallery 'ClusterAPI-nope' was not found/);
      await expect(
        inventory({ kind: 'community', publicName: PUBLIC, location: 'japaneast' }),
      ).rejects.toThrow(
        /Input 'location': community gallery '.*' has no image version in 'japaneast'/,
      );
    } finally {
      await emu.admin('DELETE', '/faults');
    }
  });
});

describe('the bundled inventory action', () => {
  const bundled = existsSync('dist/inventory/index.js') ? it : it.skip;
  bundled(
    'writes catalog.json, catalog.md and the summary, and fails naming a bad input',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'cga-inventory-'));
      const env = {
        NODE_EXTRA_CA_CERTS: emu.caCertPath,
        AZURE_CLIENT_SECRET: 'local-secret',
      };
      const common = {
        'subscription-id': SUBSCRIPTION,
        'tenant-id': '11111111-1111-1111-1111-111111111111',
        'client-id': '22222222-2222-2222-2222-222222222222',
        'arm-endpoint': emu.endpoint,
        'authority-host': emu.authorityHost,
        'github-api-url': emu.githubApiUrl,
        // A path, as `gh attestation trusted-root > trusted_root.json` leaves one.
        'trusted-root': trustedRootFile,
        'output-dir': out,
      };
      const run = await runBundledAction(
        'inventory',
        {
          ...common,
          'resource-group': RG,
          gallery: GALLERY,
          'image-definitions': 'capi-ubun2-2404',
          'minor-versions': '1.31',
        },
        env,
      );
      expect(run.stdout).not.toMatch(/::error::/);
      expect(run.code).toBe(0);
      const json = JSON.parse(readFileSync(run.outputs.json!, 'utf8')) as Catalog;
      // The action runs today: 1.31.2's own end of life (2025-10-28) is behind us.
      expect(json.counts).toMatchObject({ versions: 2, yanked: 1, 'end-of-life': 1 });
      expect(readFileSync(run.outputs.markdown!, 'utf8')).toContain('attestation verified');
      expect(JSON.parse(run.outputs.latest!)).toEqual([]);
      expect(run.summary).toContain('## Image catalog: inv_prod');
      const bad = await runBundledAction(
        'inventory',
        { ...common, 'public-name': PUBLIC, location: 'japaneast' },
        env,
      );
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/::error::Input 'location'/);
    },
  );
});
