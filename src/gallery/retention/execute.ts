import type { ComputeManagementClient } from '@azure/arm-compute';
import type { Logger } from '../../common/logger.js';
import { azureError, isNotFound } from '../../azure/errors.js';
import type { InventoryVersion, PlanEntry } from './policy.js';

export type CleanupApi = Pick<ComputeManagementClient, 'galleryImages' | 'galleryImageVersions'>;

export interface Inventory {
  definitions: string[];
  versions: InventoryVersion[];
  /** Set when the gallery or its resource group does not exist. */
  missing?: boolean;
}

/** Every version of the chosen definitions (all of them when `only` is empty). */
export async function loadInventory(
  api: CleanupApi,
  resourceGroup: string,
  gallery: string,
  only: string[],
): Promise<Inventory> {
  const definitions: string[] = [];
  try {
    for await (const d of api.galleryImages.listByGallery(resourceGroup, gallery))
      definitions.push(d.name!);
  } catch (err) {
    // A gallery (or resource group) that does not exist yet has nothing to clean up: the first
    // run of a pipeline cleans up before anything was ever promoted.
    if (isNotFound(err)) return { definitions: [], versions: [], missing: true };
    throw azureError(err, `listing the image definitions of gallery '${gallery}'`);
  }
  const chosen =
    only.length === 0
      ? definitions
      : definitions.filter((d) => only.some((o) => o.toLowerCase() === d.toLowerCase()));
  const lists = await Promise.all(
    chosen.map(async (definition) => {
      const out: InventoryVersion[] = [];
      try {
        for await (const v of api.galleryImageVersions.listByGalleryImage(
          resourceGroup,
          gallery,
          definition,
        )) {
          out.push({
            id: v.id!,
            definition,
            version: v.name!,
            provisioningState: v.provisioningState ?? 'Unknown',
            ...(v.publishingProfile?.publishedDate
              ? { publishedDate: v.publishingProfile.publishedDate }
              : {}),
            tags: v.tags ?? {},
            excludeFromLatest: v.publishingProfile?.excludeFromLatest ?? false,
          });
        }
      } catch (err) {
        throw azureError(err, `listing the versions of '${gallery}/${definition}'`);
      }
      return out;
    }),
  );
  return { definitions: chosen, versions: lists.flat() };
}

export interface ExecuteOptions {
  resourceGroup: string;
  gallery: string;
  maxConcurrency: number;
  pollIntervalMs: number;
  yankReason: string;
  now: Date;
  logger: Logger;
}

export interface ExecuteResult {
  deleted: string[];
  yanked: string[];
  failed: { id: string; error: string }[];
}

/**
 * Carries out a plan's deletes and yanks, at most `maxConcurrency` at a time. A version that is
 * already gone counts as deleted (an interrupted run finishing its plan); a failure is recorded
 * and the rest go on.
 */
export async function executePlan(
  api: CleanupApi,
  plan: PlanEntry[],
  o: ExecuteOptions,
  deleteOther: (entry: PlanEntry) => Promise<void> = async () => undefined,
): Promise<ExecuteResult> {
  const result: ExecuteResult = { deleted: [], yanked: [], failed: [] };
  const work = plan.filter((e) => e.action === 'delete' || e.action === 'yank');
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < work.length) {
      const entry = work[next++]!;
      try {
        if (entry.action === 'delete' && entry.kind !== undefined) {
          o.logger.info(`Deleting ${entry.definition} ${entry.version} (${entry.rule}).`);
          await deleteOther(entry);
          result.deleted.push(entry.id);
        } else if (entry.action === 'delete') {
          await deleteVersion(api, o, entry);
          result.deleted.push(entry.id);
        } else {
          await yankVersion(api, o, entry);
          result.yanked.push(entry.id);
        }
      } catch (err) {
        result.failed.push({ id: entry.id, error: (err as Error).message });
        o.logger.warning(
          `Could not ${entry.action} ${entry.definition}/${entry.version}: ${(err as Error).message}`,
        );
      }
      done++;
      if (done % 10 === 0 || done === work.length)
        o.logger.info(`Cleanup: ${done}/${work.length} done.`);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(o.maxConcurrency, work.length)) }, worker),
  );
  return result;
}

async function deleteVersion(api: CleanupApi, o: ExecuteOptions, e: PlanEntry): Promise<void> {
  o.logger.info(`Deleting ${e.definition}/${e.version} (${e.rule}).`);
  try {
    await api.galleryImageVersions.delete(o.resourceGroup, o.gallery, e.definition, e.version, {
      updateIntervalInMs: o.pollIntervalMs,
    });
  } catch (err) {
    if (!isNotFound(err)) throw azureError(err, `deleting ${e.definition}/${e.version}`);
  }
}

/** Yanking keeps the version for VMs that pin it but takes it out of `latest` and marks why. */
async function yankVersion(api: CleanupApi, o: ExecuteOptions, e: PlanEntry): Promise<void> {
  o.logger.info(`Yanking ${e.definition}/${e.version}: ${o.yankReason}`);
  const current = await api.galleryImageVersions.get(
    o.resourceGroup,
    o.gallery,
    e.definition,
    e.version,
  );
  try {
    await api.galleryImageVersions.update(
      o.resourceGroup,
      o.gallery,
      e.definition,
      e.version,
      {
        tags: { ...current.tags, yanked: o.yankReason.slice(0, 256) || 'yanked' },
        publishingProfile: { excludeFromLatest: true, endOfLifeDate: o.now },
      },
      { updateIntervalInMs: o.pollIntervalMs },
    );
  } catch (err) {
    throw azureError(err, `yanking ${e.definition}/${e.version}`);
  }
}

/** Deletes definitions left without versions; a gallery is never deleted. */
export async function deleteEmptyDefinitions(
  api: CleanupApi,
  o: Pick<ExecuteOptions, 'resourceGroup' | 'gallery' | 'pollIntervalMs' | 'logger'>,
  definitions: string[],
): Promise<string[]> {
  const deleted: string[] = [];
  for (const definition of definitions) {
    const first = await api.galleryImageVersions
      .listByGalleryImage(o.resourceGroup, o.gallery, definition)
      .next();
    if (!first.done) continue;
    o.logger.info(`Deleting empty image definition ${definition}.`);
    try {
      await api.galleryImages.delete(o.resourceGroup, o.gallery, definition, {
        updateIntervalInMs: o.pollIntervalMs,
      });
      deleted.push(definition);
    } catch (err) {
      if (!isNotFound(err)) throw azureError(err, `deleting image definition ${definition}`);
    }
  }
  return deleted;
}
