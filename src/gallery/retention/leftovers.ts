import type { ComputeManagementClient } from '@azure/arm-compute';
import type { ContainerClient } from '@azure/storage-blob';
import { azureError, isNotFound } from '../../azure/errors.js';
import type { PlanEntry } from './policy.js';

/** The tag on managed images that marks what our builds left behind. */
export const MANAGED_BY = { key: 'managed-by', value: 'compute-gallery-actions' } as const;
/** The same mark on blobs: metadata names must be C# identifiers, so no dash. */
export const BLOB_MANAGED_BY_KEY = 'managedby';
/** When it was made (ISO 8601), on managed images, whose ARM body carries no creation time. */
export const CREATED_AT_TAG = 'created-at';

const DAY = 24 * 3600_000;

/**
 * The youngest a managed image may be to count as a leftover, whatever `older-than-days` says.
 * image-builder's `build_timestamp` is taken when Packer starts (packer.json l. 192), hours
 * before the image is captured, and the build deletes the image itself only after the staging
 * version has replicated; a GitHub-hosted job runs at most 6 hours (image.yml's build job 300
 * minutes). A day leaves every running build its image.
 */
export const LEFTOVER_MIN_AGE_HOURS = 24;

/**
 * When image-builder built a managed image, or undefined when it is not one of image-builder's:
 * its Packer template names the image `<image_name>-<build_timestamp>` (packer.json l. 24) and
 * tags it with `build_timestamp`, `image_builder_version` and `image_builder_commit` (l. 4-13;
 * kubernetes-sigs/image-builder ae63061), the last two present even when empty.
 */
export function imageBuilderBuildTime(image: {
  name?: string;
  tags?: Record<string, string>;
}): number | undefined {
  const tags = image.tags ?? {};
  const stamp = tags.build_timestamp ?? '';
  if (
    !/^\d{9,11}$/.test(stamp) ||
    !('image_builder_version' in tags) ||
    !('image_builder_commit' in tags) ||
    !image.name?.endsWith(`-${stamp}`)
  ) {
    return undefined;
  }
  return Number(stamp) * 1000;
}

export interface LeftoverScope {
  compute: Pick<ComputeManagementClient, 'images'>;
  resourceGroup: string;
  /** The staging VHD container, when blobs are to be cleaned too. */
  container?: ContainerClient;
  olderThanDays: number;
  now: Date;
}

/**
 * Build leftovers older than `olderThanDays`: managed images in the resource group and VHD blobs
 * in the container, but only those marked as ours or made by image-builder's Packer template
 * (which a failed or killed run leaves in the staging resource group), so nothing a person made
 * is ever touched. No image younger than LEFTOVER_MIN_AGE_HOURS is, either: a running build may
 * still need it.
 */
export async function findLeftovers(scope: LeftoverScope): Promise<PlanEntry[]> {
  const cutoff = Math.min(
    scope.now.getTime() - scope.olderThanDays * DAY,
    scope.now.getTime() - LEFTOVER_MIN_AGE_HOURS * 3600_000,
  );
  const entries: PlanEntry[] = [];
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  try {
    for await (const image of scope.compute.images.listByResourceGroup(scope.resourceGroup)) {
      const ours =
        image.tags?.[MANAGED_BY.key] === MANAGED_BY.value
          ? Date.parse(image.tags[CREATED_AT_TAG] ?? '')
          : NaN;
      const built = Number.isNaN(ours) ? imageBuilderBuildTime(image) : undefined;
      const created = Number.isNaN(ours) ? built : ours;
      if (created === undefined || created >= cutoff) continue;
      const ib = image.tags?.image_builder_version;
      entries.push({
        id: image.id!,
        kind: 'managed-image',
        definition: '(managed image)',
        version: image.name!,
        action: 'delete',
        rule: 'leftover',
        reason:
          built !== undefined
            ? `image-builder build leftover${ib ? ` (${ib})` : ''} built ${day(built)}, more than ${scope.olderThanDays} days ago`
            : `build leftover made ${day(created)}, more than ${scope.olderThanDays} days ago`,
      });
    }
  } catch (err) {
    throw azureError(err, `listing managed images in '${scope.resourceGroup}'`);
  }
  if (scope.container) {
    for await (const blob of scope.container.listBlobsFlat({ includeMetadata: true })) {
      const modified = blob.properties.lastModified.getTime();
      if (blob.metadata?.[BLOB_MANAGED_BY_KEY] !== MANAGED_BY.value || modified >= cutoff) continue;
      entries.push({
        id: scope.container.getBlobClient(blob.name).url,
        kind: 'blob',
        definition: '(VHD blob)',
        version: blob.name,
        action: 'delete',
        rule: 'leftover',
        reason: `staging VHD last written ${blob.properties.lastModified.toISOString().slice(0, 10)}, more than ${scope.olderThanDays} days ago`,
      });
    }
  }
  return entries;
}

/** Deletes one leftover; gone already counts as deleted. */
export async function deleteLeftover(
  scope: Pick<LeftoverScope, 'compute' | 'resourceGroup' | 'container'>,
  entry: PlanEntry,
  pollIntervalMs: number,
): Promise<void> {
  if (entry.kind === 'managed-image') {
    await scope.compute.images
      .delete(scope.resourceGroup, entry.version, { updateIntervalInMs: pollIntervalMs })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw azureError(err, `deleting managed image ${entry.version}`);
      });
  } else if (entry.kind === 'blob' && scope.container) {
    await scope.container
      .getBlobClient(entry.version)
      .deleteIfExists({ deleteSnapshots: 'include' });
  }
}
