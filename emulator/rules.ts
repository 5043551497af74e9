import { randomUUID } from 'node:crypto';
import { ArmError, changeNotAllowed } from './http.js';
import { normalizeRegion } from './regions.js';
import type { StoredResource } from './store.js';

export * from './version-rules.js';

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
    f.value = featureValue(f.value);
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

/**
 * Azure reads boolean feature values back capitalised: `IsAcceleratedNetworkSupported: "true"`
 * is `"True"` (issue 12, item 6; the recorded soft-delete traffic shows `"True"`/`"False"`).
 */
function featureValue<T>(value: T): T | string {
  return typeof value === 'string' && /^(true|false)$/i.test(value)
    ? value[0]!.toUpperCase() + value.slice(1).toLowerCase()
    : value;
}

function featureMap(p: Record<string, unknown>): string {
  const fs = (p.features ?? []) as { name: string; value: string }[];
  return fs
    .map((f) => `${f.name}=${String(featureValue(f.value))}`)
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
