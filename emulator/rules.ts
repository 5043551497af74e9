import { randomUUID } from 'node:crypto';
import { ArmError } from './http.js';
import { displayRegion, isKnownRegion, normalizeRegion } from './regions.js';
import type { StoredResource } from './store.js';

/** Validation rules as the Compute and Storage resource providers state them in their errors. */
export const GALLERY = /^[^_\W][\w.]{0,78}[^_\W]$|^[^_\W]$/;
export const IMAGE_DEFINITION = /^[^_\W][\w\-._]{0,78}[^_\W\-.]$|^[^_\W]$/;
export const MANAGED_IMAGE = /^[^_\W][\w\-._]{0,78}\w$|^[^_\W]$/;
export const RESOURCE_GROUP = /^[-\w._()]{0,89}[-\w_()]$/u;
export const STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
const INT32_MAX = 2 ** 31 - 1;

export function checkName(param: string, name: string, rule: RegExp): void {
  if (!rule.test(name)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The entity name '${param}' is invalid according to its validation rule: ${rule.source}.`,
      param,
    );
  }
}

export function checkVersionName(name: string): void {
  const m = name.match(VERSION);
  if (!m || m.slice(1).some((part) => Number(part) > INT32_MAX)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The entity name 'galleryImageVersionName' is invalid according to its validation rule: ^[0-9]+\\.[0-9]+\\.[0-9]+$ with each part a 32-bit integer.`,
      'galleryImageVersionName',
    );
  }
}

export function sameLocation(existing: StoredResource, location: string): void {
  if (normalizeRegion(existing.location) !== normalizeRegion(location)) {
    throw new ArmError(
      409,
      'InvalidResourceLocation',
      `The resource '${existing.name}' already exists in location '${existing.location}' in resource group. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`,
    );
  }
}

const changeNotAllowed = (property: string): ArmError =>
  new ArmError(
    409,
    'PropertyChangeNotAllowed',
    `Changing property '${property}' is not allowed.`,
    property,
  );

/** Validates a gallery's sharing profile and gives a community gallery its public name. */
export function gallerySharing(
  requested: unknown,
  existing: unknown,
): Record<string, unknown> | undefined {
  if (requested === undefined) return undefined;
  const req = requested as Record<string, unknown>;
  const permissions = String(req.permissions ?? 'Private');
  if (!['Private', 'Groups', 'Community'].includes(permissions)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value '${permissions}' of parameter 'sharingProfile.permissions' is not valid. Allowed values are 'Private', 'Groups', 'Community'.`,
      'sharingProfile.permissions',
    );
  }
  if (permissions !== 'Community') return { permissions };
  const info = (req.communityGalleryInfo ?? {}) as Record<string, unknown>;
  for (const field of ['publisherUri', 'publisherContact', 'eula', 'publicNamePrefix']) {
    if (typeof info[field] !== 'string' || info[field] === '') {
      throw new ArmError(
        400,
        'InvalidParameter',
        `Required parameter 'sharingProfile.communityGalleryInfo.${field}' is missing (null).`,
        `sharingProfile.communityGalleryInfo.${field}`,
      );
    }
  }
  const prefix = String(info.publicNamePrefix);
  if (!/^[A-Za-z0-9]{5,16}$/.test(prefix)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The public name prefix '${prefix}' is invalid: use 5 to 16 letters or digits.`,
      'sharingProfile.communityGalleryInfo.publicNamePrefix',
    );
  }
  const before = ((existing as Record<string, Record<string, unknown>> | undefined)
    ?.communityGalleryInfo ?? {}) as Record<string, unknown>;
  if (before.publicNamePrefix !== undefined && before.publicNamePrefix !== prefix)
    throw changeNotAllowed('sharingProfile.communityGalleryInfo.publicNamePrefix');
  return {
    permissions,
    communityGalleryInfo: {
      publisherUri: info.publisherUri,
      publisherContact: info.publisherContact,
      eula: info.eula,
      publicNamePrefix: prefix,
      // Azure assigns the public name once, as prefix-GUID, and keeps it.
      publicNames: (before.publicNames as string[] | undefined) ?? [`${prefix}-${randomUUID()}`],
      communityGalleryEnabled: before.communityGalleryEnabled === true,
    },
  };
}

const FEATURE_NAMES = [
  'SecurityType',
  'IsAcceleratedNetworkSupported',
  'DiskControllerTypes',
  'IsHibernateSupported',
];

/** Required and enumerated properties of a gallery image definition, with Azure's defaults. */
export function imageDefinitionProperties(raw: unknown): Record<string, unknown> {
  const p = { ...((raw ?? {}) as Record<string, unknown>) };
  const need = (field: string, allowed?: string[]): void => {
    const v = p[field];
    if (v === undefined || v === null || v === '') {
      throw new ArmError(
        400,
        'InvalidParameter',
        `Required parameter '${field}' is missing (null).`,
        field,
      );
    }
    if (allowed && !allowed.includes(String(v))) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The value '${String(v)}' of parameter '${field}' is not valid. Allowed values are ${allowed.map((a) => `'${a}'`).join(', ')}.`,
        field,
      );
    }
  };
  need('osType', ['Linux', 'Windows']);
  need('osState', ['Generalized', 'Specialized']);
  const id = (p.identifier ?? {}) as Record<string, unknown>;
  for (const f of ['publisher', 'offer', 'sku']) {
    if (typeof id[f] !== 'string' || id[f] === '') {
      throw new ArmError(
        400,
        'InvalidParameter',
        `Required parameter 'identifier.${f}' is missing (null).`,
        `identifier.${f}`,
      );
    }
  }
  // From api 2025-03-03 Azure defaults a new definition to V2 and Trusted Launch support.
  p.hyperVGeneration ??= 'V2';
  need('hyperVGeneration', ['V1', 'V2']);
  p.architecture ??= 'x64';
  need('architecture', ['x64', 'Arm64']);
  const features = (p.features ?? []) as { name?: string; value?: string }[];
  if (!Array.isArray(features))
    throw new ArmError(
      400,
      'InvalidParameter',
      "The parameter 'features' must be an array.",
      'features',
    );
  for (const f of features) {
    if (!FEATURE_NAMES.includes(String(f.name))) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The feature '${String(f.name)}' is not supported. Supported features are ${FEATURE_NAMES.join(', ')}.`,
        'features',
      );
    }
  }
  if (!features.some((f) => f.name === 'SecurityType') && p.hyperVGeneration === 'V2') {
    features.push({ name: 'SecurityType', value: 'TrustedLaunchSupported' });
  }
  const security = features.find((f) => f.name === 'SecurityType')?.value;
  if (security && security !== 'Standard' && p.hyperVGeneration !== 'V2') {
    throw new ArmError(
      400,
      'InvalidParameter',
      `SecurityType '${security}' requires hyperVGeneration 'V2'.`,
      'features',
    );
  }
  if (features.length > 0) p.features = features;
  else delete p.features;
  // Azure does not echo an empty `disallowed` (recorded traffic), nor the read-only state.
  if (isEmptyObject(p.disallowed)) delete p.disallowed;
  delete p.provisioningState;
  return p;
}

function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

function featureMap(p: Record<string, unknown>): string {
  const fs = (p.features ?? []) as { name: string; value: string }[];
  return fs
    .map((f) => `${f.name}=${f.value}`)
    .sort()
    .join(',');
}

/** `osType`, `osState`, `hyperVGeneration`, `architecture`, identifier and features are fixed. */
export function immutableImageDefinition(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): void {
  for (const field of ['osType', 'osState', 'hyperVGeneration', 'architecture']) {
    if (after[field] !== undefined && before[field] !== after[field])
      throw changeNotAllowed(`galleryImage.properties.${field}`);
  }
  const a = (before.identifier ?? {}) as Record<string, string>;
  const b = (after.identifier ?? {}) as Record<string, string>;
  for (const f of ['publisher', 'offer', 'sku']) {
    if (b[f] !== undefined && a[f] !== b[f])
      throw changeNotAllowed(`galleryImage.properties.identifier.${f}`);
  }
  if (after.allowUpdateImage !== true && featureMap(before) !== featureMap(after)) {
    throw changeNotAllowed('galleryImage.properties.features');
  }
}

/** Publisher/offer/SKU triples are unique within a gallery. */
export function uniqueIdentifier(
  siblings: StoredResource[],
  selfId: string,
  identifier: Record<string, string>,
): void {
  const same = siblings.find((s) => {
    const other = (s.properties.identifier ?? {}) as Record<string, string>;
    return (
      s.id.toLowerCase() !== selfId.toLowerCase() &&
      ['publisher', 'offer', 'sku'].every(
        (f) => String(other[f]).toLowerCase() === String(identifier[f]).toLowerCase(),
      )
    );
  });
  if (same) {
    throw new ArmError(
      409,
      'Conflict',
      `Gallery image '${same.name}' already uses publisher '${identifier.publisher}', offer '${identifier.offer}' and SKU '${identifier.sku}'. The identifier must be unique within the gallery.`,
      'identifier',
    );
  }
}

const STORAGE_TYPES = ['Standard_LRS', 'Standard_ZRS', 'Premium_LRS', 'PremiumV2_LRS'];

/** Validates and normalises a version's publishing profile (region names become display names). */
export function publishingProfile(
  raw: unknown,
  location: string,
  existing?: Record<string, unknown>,
): Record<string, unknown> {
  const p = { ...((raw ?? existing ?? {}) as Record<string, unknown>) };
  const defaultStorage = String(p.storageAccountType ?? 'Standard_LRS');
  if (!STORAGE_TYPES.includes(defaultStorage)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value '${defaultStorage}' of parameter 'publishingProfile.storageAccountType' is not valid.`,
      'publishingProfile.storageAccountType',
    );
  }
  const replicaCount = Number(p.replicaCount ?? 1);
  if (!Number.isInteger(replicaCount) || replicaCount < 1 || replicaCount > 100) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The replica count ${String(p.replicaCount)} is out of range: it must be between 1 and 100.`,
      'publishingProfile.replicaCount',
    );
  }
  const targets = (
    Array.isArray(p.targetRegions) && p.targetRegions.length > 0
      ? p.targetRegions
      : [{ name: location }]
  ) as Record<string, unknown>[];
  const seen = new Set<string>();
  const targetRegions = targets.map((t) => {
    const name = String(t.name ?? '');
    if (!isKnownRegion(name)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The region '${name}' in 'publishingProfile.targetRegions' is not a valid Azure region.`,
        'publishingProfile.targetRegions',
      );
    }
    if (seen.has(normalizeRegion(name))) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The region '${name}' is listed more than once in 'publishingProfile.targetRegions'.`,
        'publishingProfile.targetRegions',
      );
    }
    seen.add(normalizeRegion(name));
    const replicas = Number(t.regionalReplicaCount ?? replicaCount);
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 100) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The regional replica count ${String(t.regionalReplicaCount)} for region '${name}' is out of range: it must be between 1 and 100.`,
        'publishingProfile.targetRegions.regionalReplicaCount',
      );
    }
    const storage = String(t.storageAccountType ?? defaultStorage);
    if (!STORAGE_TYPES.includes(storage)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The value '${storage}' of parameter 'targetRegions.storageAccountType' is not valid.`,
        'publishingProfile.targetRegions.storageAccountType',
      );
    }
    return {
      ...t,
      name: displayRegion(name),
      regionalReplicaCount: replicas,
      storageAccountType: storage,
      excludeFromLatest: t.excludeFromLatest ?? false,
    };
  });
  if (!seen.has(normalizeRegion(location))) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The source region '${location}' of the gallery image version must be one of its target regions.`,
      'publishingProfile.targetRegions',
    );
  }
  if (p.replicationMode !== undefined && !['Full', 'Shallow'].includes(String(p.replicationMode))) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value '${String(p.replicationMode)}' of parameter 'publishingProfile.replicationMode' is not valid. Allowed values are 'Full', 'Shallow'.`,
      'publishingProfile.replicationMode',
    );
  }
  if (p.endOfLifeDate !== undefined && Number.isNaN(Date.parse(String(p.endOfLifeDate)))) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value '${String(p.endOfLifeDate)}' of parameter 'publishingProfile.endOfLifeDate' is not a valid date.`,
      'publishingProfile.endOfLifeDate',
    );
  }
  return {
    ...p,
    targetRegions,
    replicaCount,
    storageAccountType: defaultStorage,
    excludeFromLatest: p.excludeFromLatest ?? false,
    ...(existing?.publishedDate ? { publishedDate: existing.publishedDate } : {}),
  };
}

export type VersionSource =
  | { kind: 'id'; id: string; raw: Record<string, unknown> }
  | {
      kind: 'vhd';
      uri: string;
      storageAccountId: string;
      raw: Record<string, unknown>;
      sizeInGB?: number;
    };

/** Exactly one source: `source.id` (managed image or gallery version) or a VHD `{uri, storageAccountId}`. */
export function versionSource(raw: unknown): VersionSource {
  const sp = (raw ?? {}) as Record<string, Record<string, unknown>>;
  const id = (sp.source?.id ?? sp.source?.virtualMachineId) as string | undefined;
  const vhd = (sp.osDiskImage?.source ?? undefined) as Record<string, string> | undefined;
  if (id && vhd) {
    throw new ArmError(
      400,
      'InvalidParameter',
      'Only one of storageProfile.source.id and storageProfile.osDiskImage.source can be specified.',
      'storageProfile',
    );
  }
  if (id) return { kind: 'id', id, raw: sp };
  if (vhd) {
    if (!vhd.uri)
      throw new ArmError(
        400,
        'InvalidParameter',
        "Required parameter 'storageProfile.osDiskImage.source.uri' is missing (null).",
        'storageProfile.osDiskImage.source.uri',
      );
    if (!vhd.storageAccountId) {
      throw new ArmError(
        400,
        'InvalidParameter',
        "Required parameter 'storageProfile.osDiskImage.source.storageAccountId' is missing (null).",
        'storageProfile.osDiskImage.source.storageAccountId',
      );
    }
    return { kind: 'vhd', uri: vhd.uri, storageAccountId: vhd.storageAccountId, raw: sp };
  }
  throw new ArmError(
    400,
    'InvalidParameter',
    'A source is required: storageProfile.source.id or storageProfile.osDiskImage.source.',
    'storageProfile',
  );
}

/** A version's (or managed image's) source can never change. */
export function sameSource(
  before: unknown,
  after: unknown,
  property = 'galleryImageVersion.properties.storageProfile.source',
): void {
  const pick = (sp: unknown): string => {
    const s = (sp ?? {}) as Record<string, Record<string, unknown>>;
    const id = s.source?.id ?? s.source?.virtualMachineId;
    const vhd = (s.osDiskImage?.source ?? s.osDisk?.blobUri ?? undefined) as
      Record<string, string> | string | undefined;
    return JSON.stringify([
      String(id ?? '').toLowerCase(),
      typeof vhd === 'string' ? vhd : (vhd?.uri ?? ''),
    ]);
  };
  if (pick(before) !== pick(after)) throw changeNotAllowed(property);
}

/** A version copied from another gallery's version must land in a matching definition. */
export function compatibleDefinitions(source: StoredResource, target: StoredResource): void {
  for (const field of ['osType', 'osState', 'hyperVGeneration', 'architecture']) {
    if (source.properties[field] !== target.properties[field]) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The ${field} '${String(target.properties[field])}' of gallery image '${target.name}' does not match the ${field} '${String(source.properties[field])}' of the source image '${source.name}'.`,
        'storageProfile.source.id',
      );
    }
  }
  const sec = (p: Record<string, unknown>): string =>
    ((p.features ?? []) as { name: string; value: string }[]).find((f) => f.name === 'SecurityType')
      ?.value ?? 'Standard';
  if (sec(source.properties) !== sec(target.properties)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The security type '${sec(target.properties)}' of gallery image '${target.name}' does not match the security type '${sec(source.properties)}' of the source image '${source.name}'.`,
      'storageProfile.source.id',
    );
  }
}
