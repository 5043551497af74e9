/**
 * Azure resource IDs of the things publishing reads and writes: managed images, galleries,
 * image definitions and versions, storage accounts, and community gallery image versions.
 * ARM treats the keywords and names in an ID case-insensitively, and so do these parsers; the
 * names inside are checked against the same rules as the inputs, so `versions/latest` is not a
 * gallery image version ID.
 */
import { InputError } from '../common/errors.js';
import { maskCredentialsIn, parseUrlInput } from '../common/url-input.js';
import {
  galleryNameRule,
  imageDefinitionNameRule,
  imageVersionNameRule,
  isValidName,
  managedImageNameRule,
  type NameRule,
  resourceGroupNameRule,
  storageAccountNameRule,
  subscriptionIdRule,
} from './names.js';

/** The subscription and resource group every resource ID starts with. */
export interface ResourceGroupScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

export interface ManagedImageId extends ResourceGroupScope {
  readonly image: string;
}

export interface GalleryId extends ResourceGroupScope {
  readonly gallery: string;
}

export interface ImageDefinitionId extends GalleryId {
  readonly imageDefinition: string;
}

export interface GalleryImageVersionId extends ImageDefinitionId {
  readonly version: string;
}

export interface StorageAccountId extends ResourceGroupScope {
  readonly storageAccount: string;
}

/** A version in a community gallery, addressed by the gallery's public name. */
export interface CommunityImageVersionId {
  readonly publicGalleryName: string;
  readonly imageDefinition: string;
  readonly version: string;
}

/** The shapes, for error messages. */
export const RESOURCE_ID_FORMS = {
  managedImage:
    '/subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.Compute/images/<name>',
  galleryImageVersion:
    '/subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.Compute/galleries/<gallery>' +
    '/images/<definition>/versions/<Major.Minor.Patch>',
  storageAccount:
    '/subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>',
  communityImageVersion:
    '/CommunityGalleries/<public name>/Images/<definition>/Versions/<Major.Minor.Patch>',
} as const;

/**
 * Splits `/subscriptions/S/resourceGroups/G/providers/<provider>/<type>/<name>/…` and returns the
 * names of the typed segments when provider and types match (case-insensitively) and every name
 * follows its rule.
 */
function matchResourceId(
  id: string,
  provider: string,
  typed: readonly (readonly [type: string, rule: NameRule])[],
): (ResourceGroupScope & { names: string[] }) | undefined {
  const segments = id.split('/');
  const expectedLength = 7 + 2 * typed.length;
  if (segments.length !== expectedLength || segments[0] !== '') return undefined;
  const keywords: [number, string][] = [
    [1, 'subscriptions'],
    [3, 'resourceGroups'],
    [5, 'providers'],
    [6, provider],
    ...typed.map(([type], i): [number, string] => [7 + 2 * i, type]),
  ];
  if (!keywords.every(([at, word]) => sameText(segments[at]!, word))) return undefined;
  const [subscriptionId, resourceGroup] = [segments[2]!, segments[4]!];
  const names = typed.map((_, i) => segments[8 + 2 * i]!);
  const valid =
    isValidName(subscriptionIdRule, subscriptionId) &&
    isValidName(resourceGroupNameRule, resourceGroup) &&
    typed.every(([, rule], i) => isValidName(rule, names[i]!));
  return valid ? { subscriptionId, resourceGroup, names } : undefined;
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function parseManagedImageId(id: string): ManagedImageId | undefined {
  const match = matchResourceId(id, 'Microsoft.Compute', [['images', managedImageNameRule]]);
  if (!match) return undefined;
  const { subscriptionId, resourceGroup, names } = match;
  return { subscriptionId, resourceGroup, image: names[0]! };
}

export function parseGalleryId(id: string): GalleryId | undefined {
  const match = matchResourceId(id, 'Microsoft.Compute', [['galleries', galleryNameRule]]);
  if (!match) return undefined;
  const { subscriptionId, resourceGroup, names } = match;
  return { subscriptionId, resourceGroup, gallery: names[0]! };
}

export function parseImageDefinitionId(id: string): ImageDefinitionId | undefined {
  const match = matchResourceId(id, 'Microsoft.Compute', [
    ['galleries', galleryNameRule],
    ['images', imageDefinitionNameRule],
  ]);
  if (!match) return undefined;
  const { subscriptionId, resourceGroup, names } = match;
  return { subscriptionId, resourceGroup, gallery: names[0]!, imageDefinition: names[1]! };
}

export function parseGalleryImageVersionId(id: string): GalleryImageVersionId | undefined {
  const match = matchResourceId(id, 'Microsoft.Compute', [
    ['galleries', galleryNameRule],
    ['images', imageDefinitionNameRule],
    ['versions', imageVersionNameRule],
  ]);
  if (!match) return undefined;
  const { subscriptionId, resourceGroup, names } = match;
  const [gallery, imageDefinition, version] = names as [string, string, string];
  return { subscriptionId, resourceGroup, gallery, imageDefinition, version };
}

export function parseStorageAccountId(id: string): StorageAccountId | undefined {
  const match = matchResourceId(id, 'Microsoft.Storage', [
    ['storageAccounts', storageAccountNameRule],
  ]);
  if (!match) return undefined;
  const { subscriptionId, resourceGroup, names } = match;
  return { subscriptionId, resourceGroup, storageAccount: names[0]! };
}

/** `/CommunityGalleries/<public name>/Images/<definition>/Versions/<version>`, any case. */
export function parseCommunityImageVersionId(id: string): CommunityImageVersionId | undefined {
  const segments = id.split('/');
  if (segments.length !== 7 || segments[0] !== '') return undefined;
  const [, galleries, publicGalleryName, images, imageDefinition, versions, version] = segments as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const shaped =
    sameText(galleries, 'CommunityGalleries') &&
    sameText(images, 'Images') &&
    sameText(versions, 'Versions') &&
    /^[A-Za-z0-9]+-[0-9a-f-]{36}$/i.test(publicGalleryName) &&
    isValidName(imageDefinitionNameRule, imageDefinition) &&
    isValidName(imageVersionNameRule, version);
  return shaped ? { publicGalleryName, imageDefinition, version } : undefined;
}

function scopePath({ subscriptionId, resourceGroup }: ResourceGroupScope): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers`;
}

export function formatManagedImageId(id: ManagedImageId): string {
  return `${scopePath(id)}/Microsoft.Compute/images/${id.image}`;
}

export function formatGalleryId(id: GalleryId): string {
  return `${scopePath(id)}/Microsoft.Compute/galleries/${id.gallery}`;
}

export function formatImageDefinitionId(id: ImageDefinitionId): string {
  return `${formatGalleryId(id)}/images/${id.imageDefinition}`;
}

export function formatGalleryImageVersionId(id: GalleryImageVersionId): string {
  return `${formatImageDefinitionId(id)}/versions/${id.version}`;
}

export function formatStorageAccountId(id: StorageAccountId): string {
  return `${scopePath(id)}/Microsoft.Storage/storageAccounts/${id.storageAccount}`;
}

/** The form VMs and CAPZ use to reference a community gallery image version. */
export function formatCommunityImageVersionId(id: CommunityImageVersionId): string {
  const { publicGalleryName, imageDefinition, version } = id;
  return `/CommunityGalleries/${publicGalleryName}/Images/${imageDefinition}/Versions/${version}`;
}

/** Whether two IDs name the same resource: ARM compares IDs without regard to case. */
export function sameResourceId(a: string, b: string): boolean {
  return sameText(a, b);
}

// ---------------------------------------------------------------------------------------------
// Image version sources: what build-image hands to publish-to-gallery, and promote to itself.

/** What a new image version is created from. */
export type ImageSource =
  | {
      /** A managed image (`Microsoft.Compute/images`), as Packer leaves behind. */
      readonly kind: 'managed-image';
      /** The resource ID as given. */
      readonly id: string;
      readonly managedImage: ManagedImageId;
    }
  | {
      /** A version in a gallery: promotion copies exactly the bits that were tested. */
      readonly kind: 'gallery-image-version';
      /** The resource ID as given. */
      readonly id: string;
      readonly galleryImageVersion: GalleryImageVersionId;
    }
  | {
      /** A page blob holding a fixed VHD. */
      readonly kind: 'vhd';
      /** The blob URL. */
      readonly uri: string;
      /** The account holding the blob; the gallery reads the blob through it. */
      readonly storageAccountId: string;
      readonly storageAccount: StorageAccountId;
    };

/** The names of the two inputs a source comes from, for error messages. */
export interface ImageSourceInputs {
  readonly source: string;
  readonly storageAccountId: string;
}

const SOURCE_FORMS =
  `a managed image ID (${RESOURCE_ID_FORMS.managedImage}), ` +
  `a gallery image version ID (${RESOURCE_ID_FORMS.galleryImageVersion}), ` +
  'or the https:// URL of a VHD page blob';

/**
 * Tells the kind of source from its text: a managed image ID, a gallery image version ID, or
 * an https blob URL. Only a VHD takes a storage account ID, and it must have one.
 * @throws InputError naming the input at fault.
 */
export function parseImageSource(
  source: string,
  storageAccountId: string | undefined,
  inputs: ImageSourceInputs = { source: 'source', storageAccountId: 'source-storage-account-id' },
): ImageSource {
  maskCredentialsIn(source);
  if (/[\s,]/.test(source)) {
    throw new InputError(inputs.source, source, `Expected exactly one source: ${SOURCE_FORMS}.`);
  }
  if (!source.startsWith('/')) return parseVhdSource(source, storageAccountId, inputs);
  if (storageAccountId !== undefined) {
    throw new InputError(
      inputs.storageAccountId,
      storageAccountId,
      `Only a VHD source takes a storage account ID; ${inputs.source} is a resource ID. Remove it.`,
    );
  }
  const managedImage = parseManagedImageId(source);
  if (managedImage) return { kind: 'managed-image', id: source, managedImage };
  const galleryImageVersion = parseGalleryImageVersionId(source);
  if (galleryImageVersion)
    return { kind: 'gallery-image-version', id: source, galleryImageVersion };
  throw new InputError(inputs.source, source, `Expected ${SOURCE_FORMS}.`);
}

/**
 * A blob URL: https, with a container and a blob in its path (`https://<account>.blob.<suffix>/
 * <container>/<blob>`, or path-style `https://<host>/<account>/<container>/<blob>` as Azurite
 * serves). A query is refused: the gallery reads through the storage account ID, and a SAS token
 * would be a secret quoted in logs, so the error shows the URL without it.
 */
function parseVhdSource(
  source: string,
  storageAccountId: string | undefined,
  inputs: ImageSourceInputs,
): ImageSource {
  const expected = `Expected ${SOURCE_FORMS}, without a query.`;
  const url = new URL(parseUrlInput(inputs.source, source, { query: 'none', expected }).href);
  const path = url.pathname.split('/').filter((part) => part !== '');
  if (path.length < 2) throw new InputError(inputs.source, source, expected);
  if (storageAccountId === undefined) {
    throw new InputError(
      inputs.storageAccountId,
      '',
      `Required for a VHD source (${inputs.source} is a blob URL). Expected ${RESOURCE_ID_FORMS.storageAccount}.`,
    );
  }
  const storageAccount = parseStorageAccountId(storageAccountId);
  if (!storageAccount) {
    throw new InputError(
      inputs.storageAccountId,
      storageAccountId,
      `Expected ${RESOURCE_ID_FORMS.storageAccount}.`,
    );
  }
  const hostAccount = /^([a-z0-9]{3,24})\.blob\./.exec(url.hostname)?.[1];
  if (hostAccount !== undefined && hostAccount !== storageAccount.storageAccount.toLowerCase()) {
    throw new InputError(
      inputs.storageAccountId,
      storageAccountId,
      `It names account '${storageAccount.storageAccount}', but the VHD is in account '${hostAccount}'.`,
    );
  }
  return { kind: 'vhd', uri: url.href, storageAccountId, storageAccount };
}
