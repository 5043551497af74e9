/**
 * Reads a gallery as it is, for the inventory and for cleanup's plan: one GET of the gallery,
 * the paged list of its definitions, and the paged list of each definition's versions. No request
 * per version, except for the few that are still replicating or failed, whose per-region state
 * only a GET with `$expand=ReplicationStatus` shows (the list operation takes no `$expand`; a
 * Succeeded version has replicated everywhere).
 *
 * A list that fails part-way fails the read: a partial gallery is never presented as whole.
 */
import type {
  CommunityGalleryImageVersion,
  ComputeManagementClient,
  GalleryImage,
  GalleryImageVersion,
} from '@azure/arm-compute';
import { azureError, isNotFound } from '../../azure/errors.js';
import { ConfigurationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

export type InventoryApi = Pick<
  ComputeManagementClient,
  'galleries' | 'galleryImages' | 'galleryImageVersions'
>;
export type CommunityApi = Pick<
  ComputeManagementClient,
  'communityGalleries' | 'communityGalleryImages' | 'communityGalleryImageVersions'
>;

export interface RawRegion {
  name: string;
  replicas: number | null;
  storageAccountType: string | null;
  state: string;
  progress?: number;
}

export interface RawVersion {
  id: string;
  definition: string;
  version: string;
  provisioningState: string | null;
  publishedDate?: Date;
  endOfLifeDate?: Date;
  excludeFromLatest: boolean;
  tags: Record<string, string>;
  regions: RawRegion[];
}

export interface RawDefinition {
  name: string;
  osType?: string;
  osState?: string;
  hyperVGeneration?: string;
  securityType?: string;
  architecture?: string;
  identifier?: { publisher: string; offer: string; sku: string };
}

export interface RawGallery {
  gallery:
    | {
        kind: 'private';
        id: string;
        subscriptionId: string;
        resourceGroup: string;
        name: string;
        location: string | null;
        publicNames: string[];
      }
    | { kind: 'community'; publicName: string; location: string; publisherUri: string | null };
  /** Every definition of the gallery, whether chosen or not (for error messages). */
  allDefinitions: string[];
  definitions: RawDefinition[];
  versions: RawVersion[];
}

export interface ReadOptions {
  /** Definition names to read (case-insensitive); empty: all. Unknown names are an error. */
  definitions: string[];
  /** The input that named them, for errors. */
  definitionsInput?: string;
  /** Lists read at once. */
  concurrency?: number;
  logger?: Logger;
}

/** A private gallery by resource group and name. */
export async function readGallery(
  api: InventoryApi,
  subscriptionId: string,
  resourceGroup: string,
  gallery: string,
  options: ReadOptions,
): Promise<RawGallery> {
  let g;
  try {
    g = await api.galleries.get(resourceGroup, gallery);
  } catch (err) {
    if (isNotFound(err)) {
      throw new ConfigurationError(
        `Input 'gallery': gallery '${gallery}' was not found in resource group '${resourceGroup}' (subscription ${subscriptionId}).`,
      );
    }
    throw azureError(err, `reading gallery '${gallery}'`);
  }
  const all: GalleryImage[] = [];
  try {
    for await (const d of api.galleryImages.listByGallery(resourceGroup, gallery)) all.push(d);
  } catch (err) {
    throw azureError(err, `listing the image definitions of gallery '${gallery}'`);
  }
  const chosen = choose(
    all.map((d) => d.name!),
    options,
    gallery,
  );
  const definitions = all.filter((d) => chosen.has(d.name!));
  const versions = await listVersions(
    api,
    resourceGroup,
    gallery,
    definitions.map((d) => d.name!),
    options.concurrency,
  );
  // Per-region state of the versions not yet done (or failed): a GET each, few by nature.
  const unsettled = versions.filter((v) => v.provisioningState !== 'Succeeded');
  await mapLimited(unsettled, options.concurrency ?? 8, async (v) => {
    try {
      const full = await api.galleryImageVersions.get(
        resourceGroup,
        gallery,
        v.definition,
        v.version,
        { expand: 'ReplicationStatus' },
      );
      applyReplicationStatus(v, full);
    } catch (err) {
      // Gone between the list and the GET (a delete finishing): its listed state stands.
      if (!isNotFound(err)) throw azureError(err, `reading ${v.definition}/${v.version}`);
    }
  });
  const info = g.sharingProfile?.communityGalleryInfo;
  return {
    gallery: {
      kind: 'private',
      id: g.id!,
      subscriptionId,
      resourceGroup,
      name: g.name ?? gallery,
      location: g.location ?? null,
      publicNames: info?.communityGalleryEnabled ? (info.publicNames ?? []) : [],
    },
    allDefinitions: all.map((d) => d.name!),
    definitions: definitions.map(privateDefinition),
    versions,
  };
}

/**
 * A community gallery by public name, in one location, through the community read API: what any
 * Azure identity can read without rights on the gallery. That API shows neither tags nor
 * provisioning state nor replica counts, and a version only in the regions it replicated to.
 */
export async function readCommunityGallery(
  api: CommunityApi,
  location: string,
  publicName: string,
  options: ReadOptions,
): Promise<RawGallery> {
  let g;
  try {
    g = await api.communityGalleries.get(location, publicName);
  } catch (err) {
    if (isNotFound(err)) {
      throw new ConfigurationError(
        `Input 'public-name': community gallery '${publicName}' was not found in location '${location}'. Check the public name (az sig list-community --location ${location}).`,
      );
    }
    throw azureError(err, `reading community gallery '${publicName}' in '${location}'`);
  }
  const all: { name: string; raw: RawDefinition }[] = [];
  try {
    for await (const d of api.communityGalleryImages.list(location, publicName)) {
      all.push({
        name: d.name!,
        raw: {
          name: d.name!,
          ...opt('osType', d.osType),
          ...opt('osState', d.osState),
          ...opt('hyperVGeneration', d.hyperVGeneration),
          ...opt('architecture', d.architecture),
          ...opt('securityType', d.features?.find((f) => f.name === 'SecurityType')?.value),
          ...(d.identifier
            ? {
                identifier: {
                  publisher: d.identifier.publisher ?? '',
                  offer: d.identifier.offer ?? '',
                  sku: d.identifier.sku ?? '',
                },
              }
            : {}),
        },
      });
    }
  } catch (err) {
    throw azureError(err, `listing the images of community gallery '${publicName}'`);
  }
  const chosen = choose(
    all.map((d) => d.name),
    options,
    publicName,
  );
  const definitions = all.filter((d) => chosen.has(d.name));
  const lists = await mapLimited(definitions, options.concurrency ?? 8, async (d) => {
    const out: RawVersion[] = [];
    try {
      for await (const v of api.communityGalleryImageVersions.list(location, publicName, d.name))
        out.push(communityVersion(d.name, location, v));
    } catch (err) {
      throw azureError(err, `listing the versions of '${publicName}/${d.name}' in '${location}'`);
    }
    return out;
  });
  const versions = lists.flat();
  if (all.length > 0 && versions.length === 0 && options.definitions.length === 0) {
    throw new ConfigurationError(
      `Input 'location': community gallery '${publicName}' has no image version in '${location}': none was replicated there. Give a location its versions are replicated to.`,
    );
  }
  return {
    gallery: {
      kind: 'community',
      publicName: g.name ?? publicName,
      location,
      publisherUri: g.communityMetadata?.publisherUri ?? null,
    },
    allDefinitions: all.map((d) => d.name),
    definitions: definitions.map((d) => d.raw),
    versions,
  };
}

/**
 * The versions of the given definitions of a private gallery, with paged lists read at most
 * `concurrency` at once: what cleanup plans from. A list failing part-way fails the read.
 */
export async function listVersions(
  api: Pick<InventoryApi, 'galleryImageVersions'>,
  resourceGroup: string,
  gallery: string,
  definitions: string[],
  concurrency = 8,
): Promise<RawVersion[]> {
  const lists = await mapLimited(definitions, concurrency, async (definition) => {
    const out: RawVersion[] = [];
    try {
      for await (const v of api.galleryImageVersions.listByGalleryImage(
        resourceGroup,
        gallery,
        definition,
      ))
        out.push(privateVersion(definition, v));
    } catch (err) {
      throw azureError(err, `listing the versions of '${gallery}/${definition}'`);
    }
    return out;
  });
  return lists.flat();
}

/** The definitions chosen by name; a name the gallery does not have is an error naming it. */
function choose(names: string[], options: ReadOptions, gallery: string): Set<string> {
  if (options.definitions.length === 0) return new Set(names);
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const unknown = options.definitions.filter((d) => !byLower.has(d.toLowerCase()));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `Input '${options.definitionsInput ?? 'image-definitions'}': ${unknown.map((u) => `'${u}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a definition of '${gallery}' (it has: ${names.join(', ') || 'none'}).`,
    );
  }
  return new Set(options.definitions.map((d) => byLower.get(d.toLowerCase())!));
}

function privateDefinition(d: GalleryImage): RawDefinition {
  return {
    name: d.name!,
    ...opt('osType', d.osType),
    ...opt('osState', d.osState),
    ...opt('hyperVGeneration', d.hyperVGeneration),
    ...opt('architecture', d.architecture),
    ...opt('securityType', d.features?.find((f) => f.name === 'SecurityType')?.value),
    ...(d.identifier ? { identifier: { ...d.identifier } } : {}),
  };
}

function privateVersion(definition: string, v: GalleryImageVersion): RawVersion {
  const p = v.publishingProfile;
  const state = v.provisioningState ?? null;
  const regionState =
    state === 'Succeeded' ? 'Completed' : state === 'Failed' ? 'Unknown' : 'Replicating';
  return {
    id: v.id!,
    definition,
    version: v.name!,
    provisioningState: state,
    ...(p?.publishedDate ? { publishedDate: p.publishedDate } : {}),
    ...(p?.endOfLifeDate ? { endOfLifeDate: p.endOfLifeDate } : {}),
    excludeFromLatest: p?.excludeFromLatest ?? false,
    tags: v.tags ?? {},
    regions: (p?.targetRegions ?? []).map((r) => ({
      name: r.name,
      replicas: r.regionalReplicaCount ?? p?.replicaCount ?? 1,
      storageAccountType: r.storageAccountType ?? p?.storageAccountType ?? null,
      state: regionState,
    })),
  };
}

function applyReplicationStatus(v: RawVersion, full: GalleryImageVersion): void {
  const summary = full.replicationStatus?.summary ?? [];
  const norm = (s: string): string => s.replace(/\s+/g, '').toLowerCase();
  for (const region of v.regions) {
    const s = summary.find((x) => x.region && norm(x.region) === norm(region.name));
    if (s?.state) {
      region.state = s.state;
      if (s.progress !== undefined) region.progress = s.progress;
    }
  }
  if (full.provisioningState) v.provisioningState = full.provisioningState;
}

function communityVersion(
  definition: string,
  location: string,
  v: CommunityGalleryImageVersion,
): RawVersion {
  return {
    id: v.uniqueId ?? `${definition}/${v.name}`,
    definition,
    version: v.name!,
    provisioningState: null,
    ...(v.publishedDate ? { publishedDate: v.publishedDate } : {}),
    ...(v.endOfLifeDate ? { endOfLifeDate: v.endOfLifeDate } : {}),
    excludeFromLatest: v.excludeFromLatest ?? false,
    tags: {},
    // Listed in a location only once replicated there.
    regions: [{ name: location, replicas: null, storageAccountType: null, state: 'Completed' }],
  };
}

function opt<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** `fn` over `items`, at most `limit` at once, results in order; the first failure rejects. */
export async function mapLimited<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
