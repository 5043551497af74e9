/**
 * Community galleries through the real SDK: a gallery with `permissions: Community` gets a
 * public name `prefix-GUID`, `share` with EnableCommunity publishes it, and the community read
 * API shows its images, and a version in a region once the version has replicated there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { seedStorage, startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { uploadVhd } from '../helpers/vhd.js';

const FAST = { updateIntervalInMs: 20 };
const RG = 'rg-community';
const GALLERY = 'capi_community';
const DEFINITION = 'capi-ubun2-2404';
let emu: TestEmulator;
let compute: ComputeManagementClient;
let storageAccountId: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  compute = emu.compute();
  storageAccountId = await seedStorage(emu, RG, 'communitystore');
});
afterAll(async () => {
  await emu?.dispose();
});

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('community galleries', () => {
  it('publishes a gallery under prefix-GUID and serves the community read API per region', async () => {
    const created = await compute.galleries.createOrUpdate(
      RG,
      GALLERY,
      {
        location: 'westus2',
        sharingProfile: {
          permissions: 'Community',
          communityGalleryInfo: {
            publisherUri: 'https://github.com/kubernetes-sigs/image-builder',
            publisherContact: 'capz@example.com',
            eula: 'https://www.apache.org/licenses/LICENSE-2.0',
            publicNamePrefix: 'ClusterAPI',
          },
        },
      },
      FAST,
    );
    const info = created.sharingProfile?.communityGalleryInfo;
    const publicName = info?.publicNames?.[0] ?? '';
    expect(publicName).toMatch(
      /^ClusterAPI-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(info?.communityGalleryEnabled).toBe(false);
    // Not public until shared.
    await expect(compute.communityGalleries.get('westus2', publicName)).rejects.toMatchObject({
      statusCode: 404,
    });

    const shared = await compute.gallerySharingProfile.update(
      RG,
      GALLERY,
      { operationType: 'EnableCommunity' },
      FAST,
    );
    expect(shared.operationType).toBe('EnableCommunity');
    const gallery = await compute.galleries.get(RG, GALLERY);
    expect(gallery.sharingProfile?.communityGalleryInfo?.communityGalleryEnabled).toBe(true);
    expect(gallery.sharingProfile?.communityGalleryInfo?.publicNames).toEqual([publicName]);
    expect(gallery.sharingStatus?.aggregatedState).toBe('Succeeded');

    const community = await compute.communityGalleries.get('westus2', publicName);
    expect(community.uniqueId).toBe(`/CommunityGalleries/${publicName}`);
    expect(community.communityMetadata).toMatchObject({
      publisherContact: 'capz@example.com',
      publicNames: [publicName],
    });
    // Public names match case-insensitively, as ARM paths do.
    expect((await compute.communityGalleries.get('westus2', publicName.toLowerCase())).name).toBe(
      publicName,
    );

    await compute.galleryImages.createOrUpdate(
      RG,
      GALLERY,
      DEFINITION,
      {
        location: 'westus2',
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V2',
        architecture: 'x64',
        identifier: { publisher: 'cncf-upstream', offer: 'capi', sku: 'ubuntu-2404-gen1' },
        features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
      },
      FAST,
    );
    const images = await all(compute.communityGalleryImages.list('westus2', publicName));
    // Azure blanks a community image's identifier (issue 12, item 5).
    expect(images.map((i) => [i.name, i.uniqueId, i.identifier?.publisher])).toEqual([
      [DEFINITION, `/CommunityGalleries/${publicName}/Images/${DEFINITION}`, ''],
    ]);
    expect(
      (await compute.communityGalleryImages.get('westus2', publicName, DEFINITION)).osType,
    ).toBe('Linux');

    // A version in West US 2 only.
    const uri = await uploadVhd(
      emu.blobEndpoint,
      'communitystore',
      emu.credential(),
      'capi-1.31.2.vhd',
    );
    const version = (regions: string[]) => ({
      location: 'westus2',
      publishingProfile: {
        targetRegions: regions.map((name) => ({ name, regionalReplicaCount: 1 })),
        endOfLifeDate: new Date('2025-10-28T00:00:00Z'),
      },
      storageProfile: { osDiskImage: { source: { uri, storageAccountId } } },
    });
    await compute.galleryImageVersions.createOrUpdate(
      RG,
      GALLERY,
      DEFINITION,
      '1.31.2',
      version(['westus2']),
      FAST,
    );
    const inWest = await compute.communityGalleryImageVersions.get(
      'westus2',
      publicName,
      DEFINITION,
      '1.31.2',
    );
    expect(inWest.uniqueId).toBe(
      `/CommunityGalleries/${publicName}/Images/${DEFINITION}/Versions/1.31.2`,
    );
    expect(inWest.endOfLifeDate?.toISOString()).toBe('2025-10-28T00:00:00.000Z');
    await expect(
      compute.communityGalleryImageVersions.get('eastus', publicName, DEFINITION, '1.31.2'),
    ).rejects.toMatchObject({ statusCode: 404 });

    // Add East US with a slow replication: visible there only once it has replicated.
    await emu.admin('POST', '/settings', { replicationMs: 1500 });
    try {
      const poller = compute.galleryImageVersions.createOrUpdate(
        RG,
        GALLERY,
        DEFINITION,
        '1.31.2',
        version(['westus2', 'eastus']),
        FAST,
      );
      await poller.submitted();
      expect(
        (
          await compute.communityGalleryImageVersions.get(
            'westus2',
            publicName,
            DEFINITION,
            '1.31.2',
          )
        ).name,
      ).toBe('1.31.2');
      await expect(
        compute.communityGalleryImageVersions.get('eastus', publicName, DEFINITION, '1.31.2'),
      ).rejects.toMatchObject({ statusCode: 404 });
      expect(
        await all(compute.communityGalleryImageVersions.list('eastus', publicName, DEFINITION)),
      ).toEqual([]);
      expect((await poller).provisioningState).toBe('Succeeded');
    } finally {
      await emu.admin('POST', '/settings', { replicationMs: 200 });
    }
    const east = await all(
      compute.communityGalleryImageVersions.list('eastus', publicName, DEFINITION),
    );
    expect(east.map((v) => v.name)).toEqual(['1.31.2']);
    expect(east[0]?.storageProfile?.osDiskImage?.diskSizeGB).toBe(1);
  });

  it('refuses EnableCommunity on a private gallery, and a public name prefix Azure would refuse', async () => {
    await compute.galleries.createOrUpdate(RG, 'private_gallery', { location: 'westus2' }, FAST);
    await expect(
      compute.gallerySharingProfile.update(
        RG,
        'private_gallery',
        { operationType: 'EnableCommunity' },
        FAST,
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
    await expect(
      compute.galleries.createOrUpdate(
        RG,
        'bad_prefix_gallery',
        {
          location: 'westus2',
          sharingProfile: {
            permissions: 'Community',
            communityGalleryInfo: {
              publisherUri: 'https://x',
              publisherContact: 'a@b.c',
              eula: 'e',
              publicNamePrefix: 'no-dashes!',
            },
          },
        },
        FAST,
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
  });
});
