/**
 * What a Packer-based build (image-builder, packer) does about a staging version that already
 * exists, decided *before* the build: image-builder's goal has no `-force`, so Packer refuses an
 * existing version, but only at the very end of a build that may have run for two hours. And
 * what it leaves behind: image-builder's Packer template captures a managed image
 * (`managed_image_name`, packer.json l. 24) that it never deletes; once the staging version
 * holds the bits and has replicated, the image is only a cost (image-builder's own workflow
 * deletes it in its clean job, .github/workflows/build-azure-sig.yaml l. 854-856).
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import { ConfigurationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { azureError, isNotFound } from '../../azure/errors.js';

export const IF_EXISTS = ['skip', 'replace', 'fail'] as const;
export type IfExists = (typeof IF_EXISTS)[number];

export type StagingApi = Pick<ComputeManagementClient, 'galleryImageVersions' | 'images'>;

export interface StagingTarget {
  readonly resourceGroup: string;
  readonly gallery: string;
  readonly definition: string;
  readonly version: string;
}

/** `build`: go on; `skip`: the existing version is the result. */
export type StagingDecision =
  { readonly kind: 'build' } | { readonly kind: 'skip'; readonly imageVersionId: string };

export async function decideStagingVersion(
  api: StagingApi,
  target: StagingTarget,
  ifExists: IfExists,
  logger: Logger,
): Promise<StagingDecision> {
  const { resourceGroup, gallery, definition, version } = target;
  const name = `${gallery}/${definition}/${version}`;
  let existing;
  try {
    existing = await api.galleryImageVersions.get(resourceGroup, gallery, definition, version);
  } catch (err) {
    if (isNotFound(err)) return { kind: 'build' };
    throw azureError(err, `reading staging version ${name}`);
  }
  const state = existing.provisioningState ?? 'Unknown';
  if (ifExists === 'skip' && state === 'Succeeded') {
    logger.info(
      `Staging version ${name} exists (Succeeded); not building it again (if-exists: skip).`,
    );
    return { kind: 'skip', imageVersionId: existing.id! };
  }
  if (ifExists === 'fail' || (ifExists === 'skip' && state !== 'Succeeded')) {
    throw new ConfigurationError(
      `Staging version ${name} already exists (${state}), and Packer refuses to publish over it ` +
        `after the whole build. Set if-exists: replace to delete it and build again` +
        (ifExists === 'fail' ? ', or skip to keep it.' : '.'),
    );
  }
  logger.info(
    `Deleting staging version ${name} (${state}) before building it again (if-exists: replace).`,
  );
  await api.galleryImageVersions
    .beginDeleteAndWait(resourceGroup, gallery, definition, version)
    .catch((err: unknown) => {
      throw azureError(err, `deleting staging version ${name}`);
    });
  return { kind: 'build' };
}

/**
 * Deletes the managed image Packer captured once the staging version made from it has
 * Succeeded (its replicas hold the bits). A version that is not there yet keeps its image, and
 * cleanup finds it later.
 */
export async function removeManagedImage(
  api: StagingApi,
  managedImageId: string,
  target: StagingTarget,
  logger: Logger,
): Promise<boolean> {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/images\/([^/]+)$/i.exec(
    managedImageId,
  );
  if (!m) return false;
  const version = await api.galleryImageVersions
    .get(target.resourceGroup, target.gallery, target.definition, target.version)
    .catch(() => undefined);
  if (version?.provisioningState !== 'Succeeded') {
    logger.warning(
      `Keeping managed image ${m[2]}: staging version ${target.definition}/${target.version} is not Succeeded; cleanup removes it later.`,
    );
    return false;
  }
  logger.info(`Deleting managed image ${m[2]}: staging version ${target.version} holds its bits.`);
  await api.images.beginDeleteAndWait(m[1]!, m[2]!).catch((err: unknown) => {
    throw azureError(err, `deleting managed image ${m[2]}`);
  });
  return true;
}
