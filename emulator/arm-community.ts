import { LOC, seg, T } from './arm-core.js';
import type { ArmCore, Params, Route } from './arm-core.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import { replicatedTo } from './replication.js';
import type { StoredResource } from './store.js';

type Json = Record<string, unknown>;
const TAGS = { 'ShareTag-CommunityGallery': 'CommunityGallery' };
/**
 * What Azure puts in every community gallery, image and version read as `disclaimer`, whatever
 * the gallery's EULA (issue 12, item 5, from Azure's answers at api 2023-07-03).
 */
export const COMMUNITY_DISCLAIMER = 'https://aka.ms/community-gallery-disclaimer';
/** Azure blanked community images' identifier at api 2023-07-03 (issue 12, item 5). */
const BLANK_IDENTIFIER = { publisher: '', offer: '', sku: '' };

/**
 * The community gallery read API (`locations/{loc}/communityGalleries/{publicName}/...`): what
 * anyone sees of a gallery shared with `EnableCommunity`, per region. A version shows in a region
 * once it has replicated there.
 */
export function communityRoutes(core: ArmCore, r: Route): void {
  const CG = `${LOC}/communitygalleries/${seg('publicName')}`;
  r('GET', CG, (_q, m) => ({ status: 200, body: renderGallery(find(core, m), m.location) }));
  r('GET', `${CG}/images`, (q, m) => {
    const found = find(core, m);
    const images = core.store
      .children(found.gallery.id, T.image)
      .filter(
        (i) =>
          i.properties.provisioningState !== 'Creating' &&
          i.properties.provisioningState !== 'Failed',
      )
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((i) => renderImage(found, m.location, i));
    return core.page(q, images);
  });
  r('GET', `${CG}/images/${seg('image')}`, (_q, m) => {
    const found = find(core, m);
    return { status: 200, body: renderImage(found, m.location, findImage(core, found, m.image)) };
  });
  r('GET', `${CG}/images/${seg('image')}/versions`, (q, m) => communityVersions(core, q, m));
  r('GET', `${CG}/images/${seg('image')}/versions/${seg('version')}`, (_q, m) => {
    const found = find(core, m);
    const image = findImage(core, found, m.image);
    const v = core.store.get(`${image.id}/versions/${m.version}`);
    if (!v || !visibleIn(v, m.location)) {
      throw new ArmError(
        404,
        'ResourceNotFound',
        `The community gallery image version '${m.version}' was not found in region '${m.location}'.`,
      );
    }
    return { status: 200, body: renderVersion(found, m.location, image, v) };
  });
}

interface Found {
  gallery: StoredResource;
  publicName: string;
  info: Json;
}

/** The gallery that published `publicName` with EnableCommunity. */
function find(core: ArmCore, m: Params): Found {
  const publicName = m.publicName;
  for (const gallery of core.store.all()) {
    if (gallery.type !== T.gallery) continue;
    const info = ((gallery.properties.sharingProfile ?? {}) as Record<string, Json>)
      .communityGalleryInfo;
    // Matched case-insensitively, answered with the gallery's own spelling.
    const names = (info?.publicNames ?? []) as string[];
    const name = names.find((n) => n.toLowerCase() === publicName.toLowerCase());
    if (info?.communityGalleryEnabled === true && name) return { gallery, publicName: name, info };
  }
  throw new ArmError(
    404,
    'GalleryNotFound',
    `The community gallery '${publicName}' was not found.`,
  );
}

function findImage(core: ArmCore, found: Found, name: string): StoredResource {
  const image = core.store.get(`${found.gallery.id}/images/${name}`);
  if (!image || image.properties.provisioningState === 'Creating') {
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The community gallery image '${name}' was not found in gallery '${found.publicName}'.`,
    );
  }
  return image;
}

/** A version is visible in a region once it replicated there (and was not a failed create). */
function visibleIn(v: StoredResource, location: string): boolean {
  const state = v.properties.provisioningState;
  return state !== 'Creating' && state !== 'Failed' && replicatedTo(v, location);
}

function communityVersions(core: ArmCore, req: Req, m: Params): Res {
  const found = find(core, m);
  const image = findImage(core, found, m.image);
  const items = core.store
    .children(image.id, T.version)
    .filter((v) => visibleIn(v, m.location))
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((v) => renderVersion(found, m.location, image, v));
  return core.page(req, items);
}

function renderGallery(found: Found, location: string): Json {
  const { info, publicName } = found;
  return {
    location,
    name: publicName,
    type: 'Microsoft.Compute/locations/communityGallery',
    identifier: { uniqueId: `/CommunityGalleries/${publicName}` },
    properties: {
      artifactTags: TAGS,
      disclaimer: COMMUNITY_DISCLAIMER,
      communityMetadata: {
        publisherUri: info.publisherUri,
        publisherContact: info.publisherContact,
        eula: info.eula,
        publicNames: info.publicNames,
      },
    },
  };
}

function renderImage(found: Found, location: string, img: StoredResource): Json {
  const p = img.properties;
  const pick = (keys: string[]): Json =>
    Object.fromEntries(keys.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
  return {
    location,
    name: img.name,
    type: 'Microsoft.Compute/locations/communityGalleryImage',
    identifier: { uniqueId: `/CommunityGalleries/${found.publicName}/Images/${img.name}` },
    properties: {
      ...pick(['osType', 'osState', 'hyperVGeneration', 'architecture', 'features']),
      identifier: BLANK_IDENTIFIER,
      ...pick(['endOfLifeDate', 'disallowed', 'purchasePlan', 'privacyStatementUri']),
      recommended: p.recommended ?? {},
      eula: p.eula ?? found.info.eula,
      disclaimer: COMMUNITY_DISCLAIMER,
      artifactTags: TAGS,
    },
  };
}

function renderVersion(
  found: Found,
  location: string,
  image: StoredResource,
  v: StoredResource,
): Json {
  const pp = (v.properties.publishingProfile ?? {}) as Json;
  const sp = (v.properties.storageProfile ?? {}) as Record<string, Json>;
  const disk = (d: Json): Json => ({
    ...(d.lun !== undefined ? { lun: d.lun } : {}),
    diskSizeGB: d.sizeInGB,
    hostCaching: d.hostCaching ?? 'None',
  });
  const dataDisks = (sp.dataDiskImages ?? []) as unknown as Json[];
  return {
    location,
    name: v.name,
    type: 'Microsoft.Compute/locations/communityGalleryImageVersion',
    identifier: {
      uniqueId: `/CommunityGalleries/${found.publicName}/Images/${image.name}/Versions/${v.name}`,
    },
    properties: {
      publishedDate: pp.publishedDate,
      ...(pp.endOfLifeDate !== undefined ? { endOfLifeDate: pp.endOfLifeDate } : {}),
      excludeFromLatest: pp.excludeFromLatest ?? false,
      storageProfile: {
        osDiskImage: disk(sp.osDiskImage ?? {}),
        ...(dataDisks.length ? { dataDiskImages: dataDisks.map(disk) } : {}),
      },
      disclaimer: COMMUNITY_DISCLAIMER,
      artifactTags: TAGS,
    },
  };
}
