import { describe, expect, it } from '@jest/globals';
import type { GalleryImageVersion } from '@azure/arm-compute';
import { regionsDiffer, versionBody } from '../../src/gallery/ensure-version.js';
import type { VersionSpec } from '../../src/gallery/ensure-version.js';

const spec = (regions: VersionSpec['targetRegions']): VersionSpec => ({
  resourceGroup: 'rg',
  gallery: 'g',
  definition: 'd',
  version: '1.31.2',
  location: 'westus2',
  source: {
    kind: 'managed-image',
    id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/i',
    managedImage: { subscriptionId: 's', resourceGroup: 'rg', image: 'i' },
  },
  digest: 'source:x',
  targetRegions: regions,
  replicaCount: 1,
  storageAccountType: 'Standard_LRS',
  excludeFromLatest: false,
  tags: { team: 'capz' },
  ifExists: 'skip',
  timeoutMs: 1000,
});

// Azure answers with display names ("West US 2") for regions it was given as "westus2".
const existing = (
  regions: { name: string; regionalReplicaCount?: number; storageAccountType?: string }[],
): GalleryImageVersion =>
  ({ publishingProfile: { targetRegions: regions } }) as GalleryImageVersion;

describe('regionsDiffer', () => {
  it('treats display names and programmatic names as the same region', () => {
    const have = existing([
      { name: 'West US 2', regionalReplicaCount: 2, storageAccountType: 'Standard_LRS' },
      { name: 'East US', regionalReplicaCount: 1, storageAccountType: 'Standard_ZRS' },
    ]);
    expect(
      regionsDiffer(
        have,
        spec([
          { name: 'eastus', replicas: 1, storageAccountType: 'Standard_ZRS' },
          { name: 'westus2', replicas: 2, storageAccountType: 'Standard_LRS' },
        ]),
      ),
    ).toBe(false);
  });

  it.each([
    [
      'a region added',
      [
        { name: 'westus2', replicas: 2, storageAccountType: 'Standard_LRS' as const },
        { name: 'northeurope', replicas: 1, storageAccountType: 'Standard_LRS' as const },
      ],
    ],
    [
      'a replica count changed',
      [{ name: 'westus2', replicas: 3, storageAccountType: 'Standard_LRS' as const }],
    ],
    [
      'a storage type changed',
      [{ name: 'westus2', replicas: 2, storageAccountType: 'Premium_LRS' as const }],
    ],
  ])('notices %s', (_label, regions) => {
    const have = existing([
      { name: 'West US 2', regionalReplicaCount: 2, storageAccountType: 'Standard_LRS' },
    ]);
    expect(regionsDiffer(have, spec(regions))).toBe(true);
  });
});

describe('versionBody', () => {
  it('records the digest as a tag and sets every replication setting explicitly', () => {
    const body = versionBody({
      ...spec([{ name: 'westus2', replicas: 1, storageAccountType: 'Standard_LRS' }]),
      endOfLifeDate: new Date('2025-10-28T00:00:00Z'),
      replicationMode: 'Shallow',
    });
    expect(body.tags).toEqual({ team: 'capz', 'content-digest': 'source:x' });
    expect(body.storageProfile).toEqual({
      source: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/i' },
    });
    expect(body.publishingProfile).toMatchObject({
      replicaCount: 1,
      storageAccountType: 'Standard_LRS',
      replicationMode: 'Shallow',
      excludeFromLatest: false,
      endOfLifeDate: new Date('2025-10-28T00:00:00Z'),
    });
  });
});
