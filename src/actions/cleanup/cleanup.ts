import type { Logger } from '../../common/logger.js';
import { deleteEmptyDefinitions, executePlan, loadInventory } from '../../gallery/cleanup.js';
import type { CleanupApi, ExecuteResult } from '../../gallery/cleanup.js';
import { planRetention } from '../../gallery/retention.js';
import type { PlanEntry } from '../../gallery/retention.js';
import type { SupportCalendar } from '../../kubernetes/support.js';
import type { CleanupSettings } from './inputs.js';

export interface CleanupOutcome {
  plan: PlanEntry[];
  /** Absent on a dry run. */
  result?: ExecuteResult;
  emptiedDefinitions: string[];
}

/** Inventory → plan → (unless a dry run) deletes and yanks → empty definitions. */
export async function runCleanup(
  settings: CleanupSettings,
  ctx: { compute: CleanupApi; calendar: SupportCalendar; logger: Logger; now: Date },
): Promise<CleanupOutcome> {
  const inventory = await loadInventory(
    ctx.compute,
    settings.resourceGroup,
    settings.gallery,
    settings.definitions,
  );
  const plan = planRetention(inventory.versions, settings.policy, ctx.calendar, ctx.now);
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
  const result = await executePlan(ctx.compute, plan, options);
  const emptiedDefinitions = settings.deleteEmptyDefinitions
    ? await deleteEmptyDefinitions(ctx.compute, options, inventory.definitions)
    : [];
  return { plan, result, emptiedDefinitions };
}
