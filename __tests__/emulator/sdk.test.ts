import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { GalleryImageVersion } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import { armRequest, seedStorage, startTestEmulator, SUBSCRIPTION } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { uploadVhd } from '../helpers/vhd.js';

const FAST = { updateIntervalInMs: 20 };
const RG = 'rg-images';
const LOCATION = 'westus2';
let emu: TestEmulator;
let storageAccountId: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  storageAccountId = await seedStorage(emu, RG, 'imagesstore');
});
afterAll(async () => {
  await emu.dispose();
});
beforeEach(async () => {
  await emu.admin('DELETE', '/faults');
});

const definition = (sku: string) => ({
  location: LOCATION,
  osType: 'Linux' as const,
  osState: 'Generalized' as const,
  hyperVGeneration: 'V2' as const,
  architecture: 'x64' as const,
  identifier: { publisher: 'capi', offer: 'capi-ubuntu', sku },
  features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
});

async function versionFromVhd(
  gallery: string,
  image: string,
  version: string,
  uri: string,
): Promise<GalleryImageVersion> {
  return emu.compute().galleryImageVersions.createOrUpdate(
    RG,
    gallery,
    image,
    version,
    {
      location: LOCATION,
      publishingProfile: {
        targetRegions: [
          { name: LOCATION, regionalReplicaCount: 1 },
          { name: 'eastus', regionalReplicaCount: 2, storageAccountType: 'Standard_ZRS' },
        ],
      },
      storageProfile: { osDiskImage: { source: { uri, storageAccountId } } },
    },
    FAST,
  );
}

describe('the real Azure SDKs against the stand-in', () => {
  it('signs in with a client secret and manages a resource group with @azure/arm-resources', async () => {
    const resources = new ResourceManagementClient(emu.credential(), SUBSCRIPTION, {
      endpoint: emu.endpoint,
    });
    const rg = await resources.resourceGroups.createOrUpdate('rg-sdk', {
      location: 'eastus',
      tags: { purpose: 'test' },
    });
    expect(rg.properties?.provisioningState).toBe('Succeeded');
    expect((await resources.resourceGroups.get('RG-SDK')).name).toBe('rg-sdk');
  });

  it('creates a gallery, a definition and a version from a VHD in Azurite, lists and deletes them', async () => {
    const compute = emu.compute();
    const gallery = await compute.galleries.createOrUpdate(
      RG,
      'gallery_life',
      { location: LOCATION },
      FAST,
    );
    expect(gallery.provisioningState).toBe('Succeeded');
    expect(gallery.identifier?.uniqueName).toBe(`${SUBSCRIPTION}-GALLERY_LIFE`);

    const image = await compute.galleryImages.createOrUpdate(
      RG,
      'gallery_life',
      'capi-ubuntu-2404',
      definition('2404'),
      FAST,
    );
    expect(image.provisioningState).toBe('Succeeded');

    const uri = await uploadVhd(emu.blobEndpoint, 'imagesstore', emu.credential(), 'good.vhd');
    const version = await versionFromVhd('gallery_life', 'capi-ubuntu-2404', '1.31.2', uri);
    expect(version.provisioningState).toBe('Succeeded');
    expect(version.publishingProfile?.targetRegions?.map((r) => r.name)).toEqual([
      'West US 2',
      'East US',
    ]);
    expect(version.storageProfile?.osDiskImage?.source?.uri).toBe(uri);

    const withStatus = await compute.galleryImageVersions.get(
      RG,
      'gallery_life',
      'capi-ubuntu-2404',
      '1.31.2',
      { expand: 'ReplicationStatus' },
    );
    expect(withStatus.replicationStatus?.aggregatedState).toBe('Completed');
    expect(withStatus.replicationStatus?.summary?.map((s) => s.progress)).toEqual([100, 100]);

    const listed = [];
    for await (const v of compute.galleryImageVersions.listByGalleryImage(
      RG,
      'gallery_life',
      'capi-ubuntu-2404',
    ))
      listed.push(v.name);
    expect(listed).toEqual(['1.31.2']);

    await expect(
      compute.galleryImages.delete(RG, 'gallery_life', 'capi-ubuntu-2404', FAST),
    ).rejects.toMatchObject({ statusCode: 409, code: 'CannotDeleteResource' });
    await compute.galleryImageVersions.delete(
      RG,
      'gallery_life',
      'capi-ubuntu-2404',
      '1.31.2',
      FAST,
    );
    await compute.galleryImages.delete(RG, 'gallery_life', 'capi-ubuntu-2404', FAST);
    await compute.galleries.delete(RG, 'gallery_life', FAST);
    await expect(compute.galleries.get(RG, 'gallery_life')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
  });

  it('rides out 429s with Retry-After, 503s and a dropped connection', async () => {
    const compute = emu.compute();
    await emu.admin('POST', '/faults', {
      method: 'PUT',
      path: '/galleries/gallery_faults$',
      status: 429,
      retryAfter: 1,
      times: 2,
    });
    await emu.admin('POST', '/faults', {
      method: 'GET',
      path: '/capsoperations/',
      status: 503,
      times: 1,
    });
    await emu.admin('POST', '/faults', {
      method: 'PUT',
      path: '/images/capi-faults$',
      drop: true,
      times: 1,
    });
    const seq = (await emu.admin<{ seq: number }[]>('GET', '/requests')).at(-1)?.seq ?? 0;

    await compute.galleries.createOrUpdate(RG, 'gallery_faults', { location: LOCATION }, FAST);
    const image = await compute.galleryImages.createOrUpdate(
      RG,
      'gallery_faults',
      'capi-faults',
      definition('faults'),
      FAST,
    );
    expect(image.provisioningState).toBe('Succeeded');

    const seen = await emu.admin<{ fault?: string; method: string; path: string }[]>(
      'GET',
      `/requests?since=${seq}`,
    );
    expect(seen.filter((r) => r.fault === 'status-429')).toHaveLength(2);
    expect(seen.filter((r) => r.fault === 'status-503')).toHaveLength(1);
    expect(seen.filter((r) => r.fault === 'dropped')).toHaveLength(1);
    // Exactly one of each resource despite the retries.
    const galleries = [];
    for await (const g of compute.galleries.listByResourceGroup(RG)) galleries.push(g.name);
    expect(galleries.filter((n) => n === 'gallery_faults')).toHaveLength(1);
  });

  it.each([
    ['a dynamic VHD', { diskType: 3 }, 'InvalidVhd', /dynamic VHD/],
    [
      'a size that is not a whole number of MiB',
      { virtualSize: 2 * 1024 * 1024 + 512 },
      'InvalidVhd',
      /whole number \(in MBs\)/,
    ],
    ['a footer without the conectix cookie', { cookie: 'notavhd!' }, 'InvalidVhd', /conectix/],
    ['a block blob', { blockBlob: true }, 'InvalidParameter', /page blobs/],
  ])('fails a version made from %s the way Azure does', async (_label, options, code, message) => {
    const compute = emu.compute();
    await compute.galleries.createOrUpdate(RG, 'gallery_bad', { location: LOCATION }, FAST);
    await compute.galleryImages.createOrUpdate(
      RG,
      'gallery_bad',
      'capi-bad',
      definition('bad'),
      FAST,
    );
    const uri = await uploadVhd(
      emu.blobEndpoint,
      'imagesstore',
      emu.credential(),
      `bad-${code}-${Math.random()}.vhd`,
      options,
    );
    const failure = await versionFromVhd(
      'gallery_bad',
      'capi-bad',
      `1.0.${Math.floor(Math.random() * 1e6)}`,
      uri,
    ).catch((e: unknown) => e);
    // core-lro reports a failed operation as "The long-running operation has failed. <code>. <message>".
    expect((failure as Error).message).toContain(`failed. ${code}.`);
    expect((failure as Error).message).toMatch(message);
  });

  it('answers a missing token, a foreign audience and a forged token with ARM 401s', async () => {
    const path = `${emu.endpoint}/subscriptions/${SUBSCRIPTION}/resourcegroups/${RG}?api-version=2024-11-01`;
    const none = await fetch(path);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe(
      'AuthenticationFailed',
    );

    const storageToken = await emu.credential().getToken('https://storage.azure.com/.default');
    const foreign = await fetch(path, {
      headers: { authorization: `Bearer ${storageToken.token}` },
    });
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe(
      'InvalidAuthenticationTokenAudience',
    );

    const armToken = (await emu.credential().getToken('https://management.azure.com/.default'))
      .token;
    const [h, p] = armToken.split('.');
    const forged = await fetch(path, { headers: { authorization: `Bearer ${h}.${p}.AAAA` } });
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe(
      'InvalidAuthenticationToken',
    );
    const unsigned = await fetch(path, {
      headers: {
        authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`,
      },
    });
    expect(unsigned.status).toBe(401);
  });

  it('refuses to change a version source and reports PropertyChangeNotAllowed', async () => {
    const compute = emu.compute();
    await compute.galleries.createOrUpdate(RG, 'gallery_imm', { location: LOCATION }, FAST);
    await compute.galleryImages.createOrUpdate(
      RG,
      'gallery_imm',
      'capi-imm',
      definition('imm'),
      FAST,
    );
    const a = await uploadVhd(emu.blobEndpoint, 'imagesstore', emu.credential(), 'imm-a.vhd');
    const b = await uploadVhd(emu.blobEndpoint, 'imagesstore', emu.credential(), 'imm-b.vhd');
    await versionFromVhd('gallery_imm', 'capi-imm', '1.0.0', a);
    await expect(versionFromVhd('gallery_imm', 'capi-imm', '1.0.0', b)).rejects.toMatchObject({
      statusCode: 409,
      code: 'PropertyChangeNotAllowed',
    });
    const changed = await armRequest(
      emu,
      'PUT',
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/gallery_imm/images/capi-imm`,
      {
        location: LOCATION,
        properties: { ...definition('imm'), location: undefined, osType: 'Windows' },
      },
    );
    expect(changed.status).toBe(409);
    expect(changed.body).toMatchObject({ error: { code: 'PropertyChangeNotAllowed' } });
  });
});
