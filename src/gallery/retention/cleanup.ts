import type { Logger } from '../../common/logger.js';
import { deleteEmptyDefinitions, executePlan, loadInventory } from './execute.js';
import type { CleanupApi, ExecuteResult } from './execute.js';
import { deleteLeftover, findLeftovers } from './leftovers.js';
import type { ContainerClient } from '@azure/storage-blob';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { planRetention } from './policy.js';
import type { PlanEntry, RetentionPolicy } from './policy.js';
import type { SupportCalendar } from '../../kubernetes/support.js';

/** What a cleanup asks for: cleanup's inputs, read and checked. */
export interface CleanupRequest {
  readonly resourceGroup: string;
  readonly gallery: string;
  /** `image-definitions`; empty: every definition in the gallery. */
  readonly definitions: string[];
  readonly policy: RetentionPolicy;
  /** `blob-container-url`: the staging VHD container, whose old blobs of ours are leftovers. */
  readonly blobContainerUrl?: string;
  /** `yank-reason`, recorded in the `yanked` tag. */
  readonly yankReason: string;
  readonly dryRun: boolean;
  readonly deleteEmptyDefinitions: boolean;
  readonly maxConcurrency: number;
  readonly pollIntervalSeconds: number;
}

export interface CleanupOutcome {
  plan: PlanEntry[];
  /** Absent on a dry run. */
  result?: ExecuteResult;
  emptiedDefinitions: string[];
}

/** Inventory → plan → (unless a dry run) deletes and yanks → empty definitions. */
export async function runCleanup(
  settings: CleanupRequest,
  ctx: {
    compute: CleanupApi & Pick<ComputeManagementClient, 'images'>;
    calendar: SupportCalendar;
    logger: Logger;
    now: Date;
    /** The staging VHD container (`blob-container-url`), for leftover blobs. */
    container?: ContainerClient;
  },
): Promise<CleanupOutcome> {
  const inventory = await loadInventory(
    ctx.compute,
    settings.resourceGroup,
    settings.gallery,
    settings.definitions,
  );
  if (inventory.missing) {
    ctx.logger.warning(
      `Gallery '${settings.gallery}' in '${settings.resourceGroup}' does not exist: nothing to clean up.`,
    );
  }
  const leftovers = {
    compute: ctx.compute,
    resourceGroup: settings.resourceGroup,
    ...(ctx.container ? { container: ctx.container } : {}),
  };
  const plan = planRetention(inventory.versions, settings.policy, ctx.calendar, ctx.now);
  if (settings.policy.olderThanDays !== undefined) {
    plan.push(
      ...(await findLeftovers({
        ...leftovers,
        olderThanDays: settings.policy.olderThanDays,
        now: ctx.now,
      })),
    );
  }
  for (const e of plan.filter((x) => x.action === 'skip')) {
    ctx.logger.warning(`Skipping ${e.definition}/${e.version}: ${e.reason}.`);
  }
  if (settings.dryRun) return { plan, emptiedDefinitions: [] };
  const options = {
    resourceGroup: settings.resourceGroup,
    gallery: settings.gallery,
    maxConcurrency: settings.maxConcurrency,
    pollIntervalMs: settings.pollIntervalSeconds * 1000,
    yankReason: settings.yankReason,
    now: ctx.now,
    logger: ctx.logger,
  };
  const result = await executePlan(ctx.compute, plan, options, (entry) =>
    deleteLeftover(leftovers, entry, options.pollIntervalMs),
  );
  const emptiedDefinitions = settings.deleteEmptyDefinitions
    ? await deleteEmptyDefinitions(ctx.compute, options, inventory.definitions)
    : [];
  return { plan, result, emptiedDefinitions };
}
