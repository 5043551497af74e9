/**
 * Azure resource IDs of the things publishing reads and writes: managed images, galleries,
 * image definitions and versions, storage accounts, and community gallery image versions.
 * ARM treats the keywords and names in an ID case-insensitively, and so do these parsers; the
 * names inside are checked against the same rules as the inputs, so `versions/latest` is not a
 * gallery image version ID.
 */
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
