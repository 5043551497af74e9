/**
 * What promote finds in the production gallery before it writes anything (docs/design.md,
 * "names CAPZ depends on" and "contracts of the real tools"): the gallery must exist unless the caller asked for a new one, its public name must be
 * the one CAPZ looks up when the caller pins it, and an existing definition is taken as it is.
 */
import type { ComputeManagementClient, Gallery, GalleryImage } from '@azure/arm-compute';
import { InputError } from '../common/errors.js';
import { azureError, isNotFound } from '../azure/errors.js';

export type ProductionApi = Pick<ComputeManagementClient, 'galleries' | 'galleryImages'>;

/** Where promote writes, and what the caller said about that gallery. */
export interface ProductionTarget {
  readonly resourceGroup: string;
  readonly gallery: string;
  /** `create-gallery`: a missing gallery is created rather than refused. */
  readonly createGallery: boolean;
  /** `community-gallery-public-name`: the public name the existing gallery must have. */
  readonly publicName?: string;
}

/** The production gallery as found: absent (to be created), or present with its public name. */
export interface ProductionGallery {
  readonly exists: boolean;
  readonly publicName?: string;
}

/**
 * Reads the production gallery and refuses, before anything is written, a gallery that does not
 * exist (a mistyped name would otherwise become a new public gallery with a new public name,
 * which CAPZ never looks up) or one whose public name is not the pinned one.
 * @throws InputError naming `gallery`, or `community-gallery-public-name`.
 */
export async function checkProductionGallery(
  api: ProductionApi,
  target: ProductionTarget,
): Promise<ProductionGallery> {
  let gallery: Gallery | undefined;
  try {
    gallery = await api.galleries.get(target.resourceGroup, target.gallery);
  } catch (err) {
    if (!isNotFound(err)) throw azureError(err, `reading gallery '${target.gallery}'`);
  }
  if (!gallery) {
    if (!target.createGallery) {
      throw new InputError(
        'gallery',
        target.gallery,
        `No such gallery in resource group '${target.resourceGroup}'. Check the name; to create ` +
          'a new production gallery, set create-gallery: true.',
      );
    }
    if (target.publicName) {
      throw new InputError(
        'community-gallery-public-name',
        target.publicName,
        `Gallery '${target.gallery}' does not exist yet, and a new gallery gets a new public ` +
          'name (the prefix, a dash and a new GUID). Remove this input to create it.',
      );
    }
    return { exists: false };
  }
  const publicName = gallery.sharingProfile?.communityGalleryInfo?.publicNames?.[0];
  if (target.publicName && publicName?.toLowerCase() !== target.publicName.toLowerCase()) {
    throw new InputError(
      'community-gallery-public-name',
      target.publicName,
      `Gallery '${target.gallery}' in resource group '${target.resourceGroup}' has public name ` +
        `'${publicName ?? '(none: not shared with the community)'}'. Check input 'gallery'.`,
    );
  }
  return { exists: true, ...(publicName ? { publicName } : {}) };
}

/** The production definition, or undefined when it (or its gallery) does not exist yet. */
export async function findDefinition(
  api: ProductionApi,
  resourceGroup: string,
  gallery: string,
  name: string,
): Promise<GalleryImage | undefined> {
  try {
    return await api.galleryImages.get(resourceGroup, gallery, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw azureError(err, `reading image definition '${gallery}/${name}'`);
  }
}
