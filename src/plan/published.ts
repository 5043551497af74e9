import type { ComputeManagementClient } from '@azure/arm-compute';
import { azureError, isNotFound } from '../azure/errors.js';

/** Whether `definition/version` already exists in the gallery, so plan can skip it. */
export function publishedIn(
  compute: Pick<ComputeManagementClient, 'galleryImageVersions'>,
  where: { readonly resourceGroup: string; readonly gallery: string },
): (definition: string, version: string) => Promise<boolean> {
  return async (definition, version) => {
    try {
      await compute.galleryImageVersions.get(
        where.resourceGroup,
        where.gallery,
        definition,
        version,
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw azureError(err, `reading ${where.gallery}/${definition}/${version}`);
    }
  };
}
