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
 * in the container, but only those marked as ours, so nothing a person made is ever touched.
 */
export async function findLeftovers(scope: LeftoverScope): Promise<PlanEntry[]> {
  const cutoff = scope.now.getTime() - scope.olderThanDays * DAY;
  const entries: PlanEntry[] = [];
  try {
    for await (const image of scope.compute.images.listByResourceGroup(scope.resourceGroup)) {
      const created = Date.parse(image.tags?.[CREATED_AT_TAG] ?? '');
      if (
        image.tags?.[MANAGED_BY.key] !== MANAGED_BY.value ||
        Number.isNaN(created) ||
        created >= cutoff
      )
        continue;
      entries.push({
        id: image.id!,
        kind: 'managed-image',
        definition: '(managed image)',
        version: image.name!,
        action: 'delete',
        rule: 'leftover',
        reason: `build leftover made ${new Date(created).toISOString().slice(0, 10)}, more than ${scope.olderThanDays} days ago`,
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
