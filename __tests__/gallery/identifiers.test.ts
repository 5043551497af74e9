import { describe, expect, it } from '@jest/globals';
import {
  formatCommunityImageVersionId,
  formatGalleryId,
  formatGalleryImageVersionId,
  formatImageDefinitionId,
  formatManagedImageId,
  formatStorageAccountId,
  parseCommunityImageVersionId,
  parseGalleryId,
  parseGalleryImageVersionId,
  parseImageDefinitionId,
  parseImageSource,
  parseManagedImageId,
  parseStorageAccountId,
  sameResourceId,
} from '../../src/gallery/identifiers.js';

/** IDs in the forms Azure reports them, restated here from Azure CLI recordings. */
const RECORDED_SCOPE =
  '/subscriptions/00000000-0000-0000-0000-000000000000' +
  '/resourceGroups/cli_test_gallery_soft_delete_policy_000001/providers';
const RECORDED_VERSION_ID = `${RECORDED_SCOPE}/Microsoft.Compute/galleries/sig_000002/images/img_000003/versions/1.1.1`;

/** The managed image ID Packer prints, from the CAPZ custom images guide (seed document). */
const PACKER_IMAGE_ID =
  '/subscriptions/01234567-89ab-cdef-0123-4567890abcde/resourceGroups/cluster-api-images' +
  '/providers/Microsoft.Compute/images/capi-1234567890';

const CAPZ_COMMUNITY_VERSION =
  '/CommunityGalleries/ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019/Images/capi-ubun2-2404/Versions/1.31.2';

describe('parseGalleryImageVersionId', () => {
  it('reads a recorded ID', () => {
    // Act
    const id = parseGalleryImageVersionId(RECORDED_VERSION_ID);

    // Assert
    expect(id).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'cli_test_gallery_soft_delete_policy_000001',
      gallery: 'sig_000002',
      imageDefinition: 'img_000003',
      version: '1.1.1',
    });
  });

  it('matches keywords without regard to case, keeping the names as written', () => {
    // Arrange
    const shouting = RECORDED_VERSION_ID.replace('/resourceGroups/', '/RESOURCEGROUPS/')
      .replace('Microsoft.Compute', 'microsoft.compute')
      .replace('/versions/', '/Versions/');

    // Act
    const id = parseGalleryImageVersionId(shouting);

    // Assert
    expect(id?.resourceGroup).toBe('cli_test_gallery_soft_delete_policy_000001');
    expect(id?.version).toBe('1.1.1');
  });

  it.each([
    ['a version that is not Major.Minor.Patch', RECORDED_VERSION_ID.replace('1.1.1', 'latest')],
    ['a gallery name with a dash', RECORDED_VERSION_ID.replace('sig_000002', 'sig-000002')],
    ['a trailing slash', `${RECORDED_VERSION_ID}/`],
    ['no leading slash', RECORDED_VERSION_ID.slice(1)],
    ['a definition ID', RECORDED_VERSION_ID.replace('/versions/1.1.1', '')],
    ['the wrong provider', RECORDED_VERSION_ID.replace('Microsoft.Compute', 'Microsoft.Storage')],
    [
      'a placeholder subscription',
      RECORDED_VERSION_ID.replace('00000000-0000-0000-0000-000000000000', '{subscriptionId}'),
    ],
    ['a managed image ID', PACKER_IMAGE_ID],
    ['a blob URL', 'https://account.blob.core.windows.net/vhds/image.vhd'],
  ])('rejects %s', (_case, text) => {
    expect(parseGalleryImageVersionId(text)).toBeUndefined();
  });
});

describe('parseManagedImageId', () => {
  it('reads the ID Packer prints', () => {
    expect(parseManagedImageId(PACKER_IMAGE_ID)).toEqual({
      subscriptionId: '01234567-89ab-cdef-0123-4567890abcde',
      resourceGroup: 'cluster-api-images',
      image: 'capi-1234567890',
    });
  });

  it('does not take a gallery image version ID for one', () => {
    expect(parseManagedImageId(RECORDED_VERSION_ID)).toBeUndefined();
  });
});

describe('parseStorageAccountId', () => {
  it('reads a storage account ID', () => {
    // Arrange
    const text = `${RECORDED_SCOPE}/Microsoft.Storage/storageAccounts/capibuild01`;

    // Act & Assert
    expect(parseStorageAccountId(text)).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'cli_test_gallery_soft_delete_policy_000001',
      storageAccount: 'capibuild01',
    });
  });

  it('rejects an invalid account name', () => {
    const text = `${RECORDED_SCOPE}/Microsoft.Storage/storageAccounts/Capi-Build`;
    expect(parseStorageAccountId(text)).toBeUndefined();
  });
});

describe('gallery and definition IDs', () => {
  it('parse the parents of a version ID', () => {
    const definition = RECORDED_VERSION_ID.replace('/versions/1.1.1', '');
    expect(parseImageDefinitionId(definition)?.imageDefinition).toBe('img_000003');
    expect(parseGalleryId(definition.replace('/images/img_000003', ''))?.gallery).toBe(
      'sig_000002',
    );
  });
});

describe('formatting', () => {
  it('round-trips every kind', () => {
    // Arrange
    const version = parseGalleryImageVersionId(RECORDED_VERSION_ID)!;
    const storage = { ...version, storageAccount: 'capibuild01' };

    // Act & Assert
    expect(formatGalleryImageVersionId(version)).toBe(RECORDED_VERSION_ID);
    expect(formatImageDefinitionId(version)).toBe(
      RECORDED_VERSION_ID.replace('/versions/1.1.1', ''),
    );
    expect(formatGalleryId(version)).toMatch(/\/galleries\/sig_000002$/);
    expect(formatManagedImageId(parseManagedImageId(PACKER_IMAGE_ID)!)).toBe(PACKER_IMAGE_ID);
    expect(parseStorageAccountId(formatStorageAccountId(storage))?.storageAccount).toBe(
      'capibuild01',
    );
  });
});

describe('community gallery image version IDs', () => {
  it('round-trip the form CAPZ references', () => {
    // Act
    const id = parseCommunityImageVersionId(CAPZ_COMMUNITY_VERSION);

    // Assert
    expect(id).toEqual({
      publicGalleryName: 'ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019',
      imageDefinition: 'capi-ubun2-2404',
      version: '1.31.2',
    });
    expect(formatCommunityImageVersionId(id!)).toBe(CAPZ_COMMUNITY_VERSION);
  });

  it('accepts the lower-case keywords the REST API returns', () => {
    const lower = CAPZ_COMMUNITY_VERSION.replace('/CommunityGalleries/', '/communityGalleries/')
      .replace('/Images/', '/images/')
      .replace('/Versions/', '/versions/');
    expect(parseCommunityImageVersionId(lower)?.version).toBe('1.31.2');
  });

  it('rejects a placeholder public name', () => {
    const text = '/CommunityGalleries/publicGalleryName/Images/myImage/Versions/1.0.0';
    expect(parseCommunityImageVersionId(text)).toBeUndefined();
  });
});

describe('sameResourceId', () => {
  it('ignores case, as ARM does', () => {
    expect(sameResourceId(RECORDED_VERSION_ID, RECORDED_VERSION_ID.toUpperCase())).toBe(true);
    expect(sameResourceId(RECORDED_VERSION_ID, PACKER_IMAGE_ID)).toBe(false);
  });
});

describe('parseImageSource', () => {
  const STORAGE_ID = `${RECORDED_SCOPE}/Microsoft.Storage/storageAccounts/devstoreaccount1`;

  it('tells a managed image from a gallery image version', () => {
    expect(parseImageSource(PACKER_IMAGE_ID, undefined).kind).toBe('managed-image');
    expect(parseImageSource(RECORDED_VERSION_ID, undefined).kind).toBe('gallery-image-version');
  });

  it('accepts the path-style blob URL that Azurite serves', () => {
    // Arrange
    const url = 'https://127.0.0.1:10000/devstoreaccount1/vhds/capi-ubuntu-2404.vhd';

    // Act
    const source = parseImageSource(url, STORAGE_ID);

    // Assert
    expect(source).toMatchObject({ kind: 'vhd', uri: url, storageAccountId: STORAGE_ID });
  });

  it('rejects a blob URL without a container', () => {
    const act = () => parseImageSource('https://a01.blob.core.windows.net/image.vhd', STORAGE_ID);
    expect(act).toThrow(
      /^Invalid input 'source': 'https:\/\/a01\.blob\.core\.windows\.net\/image\.vhd'/,
    );
  });

  it('names the inputs the caller uses', () => {
    // Arrange
    const inputs = { source: 'source-image-version-id', storageAccountId: 'storage-account-id' };

    // Act
    const act = () => parseImageSource('capi-1234567890', undefined, inputs);

    // Assert
    expect(act).toThrow(
      /^Invalid input 'source-image-version-id': 'capi-1234567890'\. Expected a managed image ID/,
    );
  });
});
