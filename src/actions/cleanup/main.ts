import { ContainerClient } from '@azure/storage-blob';
import {
  actionsLogger,
  azureForAction,
  releaseCalendarLoader,
  runAction,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { CLEANUP } from './spec.js';
import { SupportCalendar } from '../../kubernetes/support.js';
import { runCleanup } from '../../gallery/retention/cleanup.js';
import { getCleanupInputs } from './inputs.js';
import { cleanupSummary } from './summary.js';

/** cleanup: plan which versions go by policy, print the plan, carry it out unless a dry run. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = getCleanupInputs(declaredInputs(CLEANUP));
    const loadCalendar = releaseCalendarLoader();
    const { compute, credential } = azureForAction(settings.azure, 'cleanup');
    const calendar =
      settings.policy.graceDays !== undefined ? await loadCalendar() : SupportCalendar.empty();
    const container = settings.blobContainerUrl
      ? new ContainerClient(settings.blobContainerUrl, credential)
      : undefined;
    const outcome = await runCleanup(settings, {
      compute,
      calendar,
      logger: actionsLogger,
      now: new Date(),
      ...(container ? { container } : {}),
    });
    const ids = (action: string): string[] =>
      outcome.plan.filter((e) => e.action === action).map((e) => e.id);
    setOutputs(CLEANUP, {
      planned: JSON.stringify(outcome.plan),
      deleted: JSON.stringify(outcome.result?.deleted ?? []),
      yanked: JSON.stringify(outcome.result?.yanked ?? []),
      kept: JSON.stringify(ids('keep')),
    });
    await writeSummary(
      cleanupSummary(settings, outcome.plan, outcome.result, outcome.emptiedDefinitions),
    );
    const failed = outcome.result?.failed.length ?? 0;
    if (failed > 0)
      throw new Error(
        `${failed} of the planned changes failed; run cleanup again to finish the plan.`,
      );
  });
}
