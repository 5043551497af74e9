import type { ComputeManagementClient, Gallery } from '@azure/arm-compute';
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { azureError, isNotFound } from '../azure/errors.js';

export type GalleryApi = Pick<ComputeManagementClient, 'galleries' | 'gallerySharingProfile'>;

/** A community gallery's public face (docs/design.md, "facts to honour"): who publishes, and the public name prefix. */
export interface CommunitySharing {
  publisherUri: string;
  publisherContact: string;
  eula: string;
  publicNamePrefix: string;
}

export interface GallerySpec {
  resourceGroup: string;
  name: string;
  location: string;
  description?: string;
  /** Absent for a private gallery. */
  community?: CommunitySharing;
}

export interface EnsuredGallery {
  id: string;
  name: string;
  /** `prefix-GUID`, for a community gallery once sharing is enabled. */
  publicName?: string;
  created: boolean;
}

export interface WaitOptions {
  /** How often long-running operations are polled. */
  pollIntervalMs: number;
}

/**
 * Makes sure the gallery exists with the sharing asked for. A community gallery is created with
 * its sharing profile and then published with the `EnableCommunity` share operation; an existing
 * one is checked, never silently made private or public.
 */
export async function ensureGallery(
  api: GalleryApi,
  spec: GallerySpec,
  logger: Logger,
  wait: WaitOptions,
): Promise<EnsuredGallery> {
  const lro = { updateIntervalInMs: wait.pollIntervalMs };
  let gallery = await getGallery(api, spec);
  let created = false;
  if (!gallery) {
    logger.info(
      `Creating ${spec.community ? 'community' : 'private'} gallery '${spec.name}' in ${spec.location}.`,
    );
    gallery = await api.galleries
      .createOrUpdate(spec.resourceGroup, spec.name, galleryBody(spec), lro)
      .catch((err: unknown) => {
        throw azureError(err, `creating gallery '${spec.name}'`);
      });
    created = true;
  } else {
    checkSharing(gallery, spec);
    logger.info(`Gallery '${spec.name}' exists.`);
  }
  const info = gallery.sharingProfile?.communityGalleryInfo;
  if (spec.community && info?.communityGalleryEnabled !== true) {
    logger.info(`Enabling community sharing of gallery '${spec.name}'.`);
    await api.gallerySharingProfile
      .update(spec.resourceGroup, spec.name, { operationType: 'EnableCommunity' }, lro)
      .catch((err: unknown) => {
        throw azureError(err, `enabling community sharing of gallery '${spec.name}'`);
      });
    gallery = (await getGallery(api, spec)) ?? gallery;
  }
  const publicName = gallery.sharingProfile?.communityGalleryInfo?.publicNames?.[0];
  return {
    id: gallery.id!,
    name: gallery.name ?? spec.name,
    ...(spec.community ? { publicName } : {}),
    created,
  };
}

async function getGallery(api: GalleryApi, spec: GallerySpec): Promise<Gallery | undefined> {
  try {
    return await api.galleries.get(spec.resourceGroup, spec.name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw azureError(err, `reading gallery '${spec.name}'`);
  }
}

function galleryBody(spec: GallerySpec): Gallery {
  const body: Gallery = {
    location: spec.location,
    ...(spec.description ? { description: spec.description } : {}),
  };
  if (spec.community) {
    body.sharingProfile = {
      permissions: 'Community',
      communityGalleryInfo: {
        publisherUri: spec.community.publisherUri,
        publisherContact: spec.community.publisherContact,
        eula: spec.community.eula,
        publicNamePrefix: spec.community.publicNamePrefix,
      },
    };
  }
  return body;
}

/** Sharing is a decision about who can see images: refuse to change it behind the user's back. */
function checkSharing(gallery: Gallery, spec: GallerySpec): void {
  const permissions = gallery.sharingProfile?.permissions ?? 'Private';
  const wanted = spec.community ? 'Community' : 'Private';
  if (permissions !== wanted) {
    throw new ConfigurationError(
      `Gallery '${spec.name}' exists with sharing '${permissions}', but input 'sharing' asks for '${wanted.toLowerCase()}'. ` +
        'Change the input or use another gallery; this action does not change who can see an existing gallery.',
    );
  }
  const prefix = gallery.sharingProfile?.communityGalleryInfo?.publicNamePrefix;
  if (
    spec.community &&
    prefix &&
    prefix.toLowerCase() !== spec.community.publicNamePrefix.toLowerCase()
  ) {
    throw new ConfigurationError(
      `Gallery '${spec.name}' has public name prefix '${prefix}', but input 'public-name-prefix' is '${spec.community.publicNamePrefix}'. A public name never changes.`,
    );
  }
}
