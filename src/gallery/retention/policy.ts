/**
 * The retention plan: every version of the inventory, decided by the first rule of
 * {@link RULES} (rules.ts) that has something to say about it.
 */
import type { SupportCalendar } from '../../kubernetes/support.js';
import { toIsoDate } from '../../kubernetes/dates.js';
import { compareVersionNames, minorOfVersionName } from '../../kubernetes/version.js';
import { RULES, type RuleContext } from './rules.js';
import type { InventoryVersion, PlanEntry, RetentionPolicy } from './types.js';

export {
  type InventoryVersion,
  matches,
  type PlanAction,
  type PlanEntry,
  type RetentionPolicy,
} from './types.js';

/**
 * Decides, for every version, whether it is deleted, yanked, kept or skipped. Pure: the same
 * inventory, policy, calendar and day give the same plan, which is what lets an interrupted
 * cleanup be run again to finish the same plan.
 */
export function planRetention(
  versions: InventoryVersion[],
  policy: RetentionPolicy,
  calendar: SupportCalendar,
  today: Date,
): PlanEntry[] {
  const minors = newestFirst([...new Set(versions.map((v) => minorOfVersionName(v.version)))]);
  const ctx: RuleContext = {
    policy,
    calendar,
    today,
    day: toIsoDate(today),
    ...(policy.keepMinors === undefined
      ? {}
      : { keptMinors: new Set(minors.slice(0, policy.keepMinors)) }),
    patchRank: rankPatches(versions),
  };
  return versions
    .map((v): PlanEntry => {
      const minor = minorOfVersionName(v.version);
      for (const rule of RULES) {
        const decision = rule.decide(v, minor, ctx);
        if (decision) {
          const [action, reason] = decision;
          return {
            id: v.id,
            definition: v.definition,
            version: v.version,
            action,
            rule: rule.name,
            reason,
          };
        }
      }
      return {
        id: v.id,
        definition: v.definition,
        version: v.version,
        action: 'keep',
        rule: 'keep',
        reason: 'no rule applies',
      };
    })
    .sort(
      (a, b) =>
        a.definition.localeCompare(b.definition) || compareVersionNames(b.version, a.version),
    );
}

function newestFirst(minors: string[]): string[] {
  return minors.sort((a, b) => compareVersionNames(`${b}.0`, `${a}.0`));
}

/** For each version, its rank among the patches of its definition and minor (0 = newest). */
function rankPatches(versions: InventoryVersion[]): Map<string, number> {
  const groups = new Map<string, InventoryVersion[]>();
  for (const v of versions) {
    const key = `${v.definition}\n${minorOfVersionName(v.version)}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  const ranks = new Map<string, number>();
  for (const group of groups.values()) {
    group
      .sort((a, b) => compareVersionNames(b.version, a.version))
      .forEach((v, i) => ranks.set(v.id, i));
  }
  return ranks;
}
