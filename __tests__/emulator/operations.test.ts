/**
 * Long-running behaviour of the stand-in: replication progress over time, a region that fails,
 * injected failed operations and slow requests, concurrent writes, delete order and resource
 * group deletion.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ComputeManagementClient, GalleryImageVersion } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import {
  armRequest,
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
  waitForOperation,
} from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { uploadVhd } from '../helpers/vhd.js';

const FAST = { updateIntervalInMs: 20 };
const RG = 'rg-ops';
let emu: TestEmulator;
let compute: ComputeManagementClient;
let storageAccountId: string;
let vhd: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  compute = emu.compute();
  storageAccountId = await seedStorage(emu, RG, 'opsstore');
  vhd = await uploadVhd(emu.blobEndpoint, 'opsstore', emu.credential(), 'ops.vhd');
});
afterAll(async () => {
  await emu?.dispose();
});
afterEach(async () => {
  await emu.admin('DELETE', '/faults');
  await emu.admin('POST', '/settings', { replicationMs: 200, failRegions: [] });
});

/** A gallery and a definition in `rg`, waited out. */
async function galleryWithDefinition(gallery: string, rg = RG): Promise<void> {
  await compute.galleries.createOrUpdate(rg, gallery, { location: 'westus2' }, FAST);
  await compute.galleryImages.createOrUpdate(
    rg,
    gallery,
    'capi-ubuntu-2404',
    {
      location: 'westus2',
      osType: 'Linux',
      osState: 'Generalized',
      hyperVGeneration: 'V2',
      identifier: { publisher: 'capi', offer: 'capi-ubuntu', sku: `2404-${gallery}` },
      features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
    },
    FAST,
  );
}

const versionBody = (regions = ['westus2', 'eastus']): GalleryImageVersion => ({
  location: 'westus2',
  publishingProfile: { targetRegions: regions.map((name) => ({ name, regionalReplicaCount: 1 })) },
  storageProfile: { osDiskImage: { source: { uri: vhd, storageAccountId } } },
});

/** The same on the wire (ARM nests what the SDK model flattens under `properties`). */
const wireVersion = (regions?: string[]): Record<string, unknown> => {
  const { location, ...properties } = versionBody(regions);
  return { location, properties };
};

const versionPath = (gallery: string, version: string, rg = RG): string =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${gallery}/images/capi-ubuntu-2404/versions/${version}`;

describe('replication', () => {
  it('shows progress per region under $expand=ReplicationStatus, 0 → 100', async () => {
    await galleryWithDefinition('gallery_progress');
    await emu.admin('POST', '/settings', { replicationMs: 1500 });
    const poller = compute.galleryImageVersions.createOrUpdate(
      RG,
      'gallery_progress',
      'capi-ubuntu-2404',
      '1.0.0',
      versionBody(),
      FAST,
    );
    await poller.submitted();
    const seen: { state?: string; aggregated?: string; progress: number[] }[] = [];
    for (;;) {
      const v = await compute.galleryImageVersions.get(
        RG,
        'gallery_progress',
        'capi-ubuntu-2404',
        '1.0.0',
        { expand: 'ReplicationStatus' },
      );
      const summary = v.replicationStatus?.summary ?? [];
      seen.push({
        aggregated: v.replicationStatus?.aggregatedState,
        progress: summary.map((s) => s.progress ?? -1),
      });
      if (v.replicationStatus?.aggregatedState === 'Completed') {
        expect(summary.map((s) => [s.region, s.state, s.progress])).toEqual([
          ['West US 2', 'Completed', 100],
          ['East US', 'Completed', 100],
        ]);
        break;
      }
      expect(v.provisioningState).toBe('Creating');
      expect(summary.every((s) => s.state === 'Replicating')).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await poller).provisioningState).toBe('Succeeded');
    expect(seen[0]!.aggregated).toBe('InProgress');
    expect(seen[0]!.progress.every((p) => p < 100)).toBe(true);
    for (let i = 1; i < seen.length; i++) {
      seen[i]!.progress.forEach((p, region) =>
        expect(p).toBeGreaterThanOrEqual(seen[i - 1]!.progress[region]!),
      );
    }
    // It moved: several distinct values on the way to 100.
    expect(new Set(seen.map((x) => x.progress[0])).size).toBeGreaterThanOrEqual(3);
  });

  it('ends the version Failed when a target region fails, naming the region', async () => {
    await galleryWithDefinition('gallery_failregion');
    await emu.admin('POST', '/settings', { failRegions: ['eastus'] });
    const failure = await compute.galleryImageVersions
      .createOrUpdate(RG, 'gallery_failregion', 'capi-ubuntu-2404', '1.0.0', versionBody(), FAST)
      .catch((e: unknown) => e as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/ReplicationFailed.*'East US'/);
    const v = await compute.galleryImageVersions.get(
      RG,
      'gallery_failregion',
      'capi-ubuntu-2404',
      '1.0.0',
      { expand: 'ReplicationStatus' },
    );
    expect(v.provisioningState).toBe('Failed');
    expect(v.replicationStatus?.aggregatedState).toBe('Failed');
    expect(v.replicationStatus?.summary?.map((s) => [s.region, s.state])).toEqual([
      ['West US 2', 'Completed'],
      ['East US', 'Failed'],
    ]);
  });
});

describe('fault injection', () => {
  it('ends an operation Failed on a failOperation fault', async () => {
    await emu.admin('POST', '/faults', {
      method: 'PUT',
      path: '/galleries/gallery_failop$',
      failOperation: 'Injected: the platform gave up.',
    });
    const failure = await compute.galleries
      .createOrUpdate(RG, 'gallery_failop', { location: 'westus2' }, FAST)
      .catch((e: unknown) => e as Error);
    expect((failure as Error).message).toMatch(
      /InternalOperationError.*Injected: the platform gave up\./,
    );
    expect((await compute.galleries.get(RG, 'gallery_failop')).provisioningState).toBe('Failed');
    const log = await emu.admin<{ method: string; path: string; fault?: string }[]>(
      'GET',
      '/requests',
    );
    expect(log.filter((r) => r.fault === 'fail-operation').map((r) => r.method)).toEqual(['PUT']);
  });

  it('slows a request down on a delayMs fault, once', async () => {
    await compute.galleries.createOrUpdate(RG, 'gallery_slow', { location: 'westus2' }, FAST);
    const rule = await emu.admin<{ id: string }>('POST', '/faults', {
      method: 'GET',
      path: '/galleries/gallery_slow$',
      delayMs: 700,
    });
    const started = Date.now();
    await compute.galleries.get(RG, 'gallery_slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    const rules = await emu.admin<{ id: string; times: number }[]>('GET', '/faults');
    expect(rules.find((r) => r.id === rule.id)?.times).toBe(0);
  });

  it('answers a bad fault rule with a 400', async () => {
    await expect(emu.admin('POST', '/faults', { path: '([' })).rejects.toThrow(/400/);
    await expect(emu.admin('POST', '/settings', { replicationMs: -1 })).rejects.toThrow(/400/);
  });
});

describe('concurrency and delete order', () => {
  it('refuses a second PUT of a version while the first is Creating (409 Conflict)', async () => {
    await galleryWithDefinition('gallery_race');
    await emu.admin('POST', '/settings', { replicationMs: 1000 });
    const first = await armRequest(emu, 'PUT', versionPath('gallery_race', '1.0.0'), wireVersion());
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ properties: { provisioningState: 'Creating' } });
    const second = await armRequest(
      emu,
      'PUT',
      versionPath('gallery_race', '1.0.0'),
      wireVersion(),
    );
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: { code: 'Conflict' } });
    const done = await waitForOperation(emu, first.headers.get('azure-asyncoperation')!);
    expect(done.status).toBe('Succeeded');
    // Once done, the same PUT is an update.
    expect(
      (await armRequest(emu, 'PUT', versionPath('gallery_race', '1.0.0'), wireVersion())).status,
    ).toBe(200);
  });

  it('deletes versions, then the definition, then the gallery; not a parent with children', async () => {
    await galleryWithDefinition('gallery_order');
    await compute.galleryImageVersions.createOrUpdate(
      RG,
      'gallery_order',
      'capi-ubuntu-2404',
      '1.0.0',
      versionBody(['westus2']),
      FAST,
    );
    const image = versionPath('gallery_order', '1.0.0').replace(/\/versions\/.*$/, '');
    const gallery = image.replace(/\/images\/.*$/, '');
    for (const path of [image, gallery]) {
      const refused = await armRequest(emu, 'DELETE', path);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: { code: 'CannotDeleteResource' } });
    }
    await compute.galleryImageVersions.delete(
      RG,
      'gallery_order',
      'capi-ubuntu-2404',
      '1.0.0',
      FAST,
    );
    await compute.galleryImages.delete(RG, 'gallery_order', 'capi-ubuntu-2404', FAST);
    await compute.galleries.delete(RG, 'gallery_order', FAST);
    await expect(compute.galleries.get(RG, 'gallery_order')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
  });

  it('takes everything in a resource group with it when the group is deleted', async () => {
    const resources = new ResourceManagementClient(emu.credential(), SUBSCRIPTION, {
      endpoint: emu.endpoint,
    });
    await resources.resourceGroups.createOrUpdate('rg-doomed', { location: 'westus2' });
    await galleryWithDefinition('gallery_doomed', 'rg-doomed');
    await compute.galleryImageVersions.createOrUpdate(
      'rg-doomed',
      'gallery_doomed',
      'capi-ubuntu-2404',
      '1.0.0',
      versionBody(['westus2']),
      FAST,
    );

    await resources.resourceGroups.delete('rg-doomed', FAST);
    await expect(resources.resourceGroups.get('rg-doomed')).rejects.toMatchObject({
      statusCode: 404,
    });
    await expect(compute.galleries.get('rg-doomed', 'gallery_doomed')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceGroupNotFound',
    });
    const left = await emu.admin<{ id: string }[]>('GET', '/resources');
    expect(left.filter((r) => /\/resourceGroups\/rg-doomed\b/i.test(r.id))).toEqual([]);
    // The storage account in another group is untouched.
    expect(left.some((r) => r.id === storageAccountId)).toBe(true);
  });
});
