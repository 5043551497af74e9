import type { ExecuteResult } from '../../gallery/retention/execute.js';
import type { PlanEntry } from '../../gallery/retention/policy.js';
import type { CleanupSettings } from './inputs.js';

/** The plan as a table, and what was done with it. */
export function cleanupSummary(
  settings: CleanupSettings,
  plan: PlanEntry[],
  result?: ExecuteResult,
  emptied: string[] = [],
): string {
  const count = (a: string): number => plan.filter((e) => e.action === a).length;
  const lines = [
    `### cleanup: ${settings.gallery}${settings.dryRun ? ' (dry run: nothing changed)' : ''}`,
    '',
    `${plan.length} versions: ${count('delete')} to delete, ${count('yank')} to yank, ${count('keep')} kept, ${count('skip')} skipped.`,
  ];
  if (result) {
    lines.push(
      '',
      `Deleted ${result.deleted.length}, yanked ${result.yanked.length}, failed ${result.failed.length}.`,
    );
    if (emptied.length) lines.push(`Deleted empty definitions: ${emptied.join(', ')}.`);
    for (const f of result.failed) lines.push(`- failed: \`${f.id}\`: ${f.error}`);
  }
  lines.push('', '| Version | Definition | Rule | Action | Why |', '|---|---|---|---|---|');
  for (const e of plan)
    lines.push(`| ${e.version} | ${e.definition} | ${e.rule} | ${e.action} | ${e.reason} |`);
  if (settings.dryRun) lines.push('', 'Set `dry-run: false` to carry out this plan.');
  return lines.join('\n') + '\n';
}
