import { ArmError, changeNotAllowed } from './http.js';
import { displayRegion, isKnownRegion, normalizeRegion } from './regions.js';
import type { StoredResource } from './store.js';

/** Validation of gallery image versions: publishing profile, source, and source compatibility. */
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
      ...withSecurityProfile(t.encryption),
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

/**
 * A region's `encryption` as Azure echoes it: an OS disk encrypted with a disk encryption set
 * comes back with an empty `securityProfile` (issue 12, item 8).
 */
function withSecurityProfile(encryption: unknown): Record<string, unknown> {
  const e = encryption as Record<string, Record<string, unknown>> | undefined;
  const os = e?.osDiskImage;
  if (!os?.diskEncryptionSetId || os.securityProfile !== undefined) return {};
  return { encryption: { ...e, osDiskImage: { ...os, securityProfile: {} } } };
}

/**
 * Whether a storage profile names a source at all. `az sig image-version update` sends the
 * stored profile without its source (`{}` or `{"osDiskImage":{"hostCaching":…,"source":{}}}`),
 * which Azure reads as "keep the source".
 */
export function hasSource(raw: unknown): boolean {
  const sp = (raw ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const src = sp.source ?? {};
  const vhd = (sp.osDiskImage?.source ?? {}) as Record<string, unknown>;
  return Boolean(src.id ?? src.virtualMachineId ?? vhd.uri ?? vhd.storageAccountId ?? vhd.id);
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
    // Azure also takes the account as `id` (issue 12, item 2: 201 at api 2023-07-03, echoed as
    // sent); the 2025-12-03 spec lists both `storageAccountId` and `id` on the VHD source.
    const accountId = vhd.storageAccountId ?? vhd.id;
    if (!accountId) {
      throw new ArmError(
        400,
        'InvalidParameter',
        "Required parameter 'storageProfile.osDiskImage.source.storageAccountId' is missing (null).",
        'storageProfile.osDiskImage.source.storageAccountId',
      );
    }
    return { kind: 'vhd', uri: vhd.uri, storageAccountId: accountId, raw: sp };
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
