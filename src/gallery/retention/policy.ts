import type { SupportCalendar } from '../../kubernetes/support.js';
import { toIsoDate } from '../../kubernetes/dates.js';

/** One version as cleanup sees it. */
export interface InventoryVersion {
  id: string;
  definition: string;
  version: string;
  provisioningState: string;
  publishedDate?: Date;
  tags: Record<string, string>;
  excludeFromLatest: boolean;
}

/** Which rules apply; an unset number turns its rule off. */
export interface RetentionPolicy {
  /** Keep versions of only the newest N Kubernetes minors. */
  keepMinors?: number;
  /** Keep only the newest N patches of each minor. */
  keepPatches?: number;
  /** Delete versions whose minor reached end of life more than this many days ago. */
  graceDays?: number;
  /** Delete versions published more than this many days ago (staging galleries). */
  olderThanDays?: number;
  /** `1.31.2`, `capi-ubun2-2404/1.31.2`, or globs such as `1.30.*`: never deleted or yanked. */
  protect: string[];
  /** Versions to yank: same forms as `protect`. */
  yank: string[];
  /** Delete yanked versions instead of only marking them. */
  deleteYanked: boolean;
}

export type PlanAction = 'delete' | 'yank' | 'keep' | 'skip';

export interface PlanEntry {
  id: string;
  /** What the entry is about; absent means an image version. */
  kind?: 'managed-image' | 'blob';
  definition: string;
  version: string;
  action: PlanAction;
  /** The rule that decided: `end-of-life`, `keep-minors`, `keep-patches`, `older-than`, `yank`, `protect`, `in-progress`, or `keep`. */
  rule: string;
  /** Why, in a sentence, for the summary table. */
  reason: string;
}

const DAY = 24 * 3600_000;

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
  const minors = newestFirst([...new Set(versions.map((v) => minorOf(v.version)))]);
  const keptMinors =
    policy.keepMinors === undefined ? undefined : new Set(minors.slice(0, policy.keepMinors));
  const patchRank = rankPatches(versions);
  const day = toIsoDate(today);

  return versions
    .map((v): PlanEntry => {
      const entry = (action: PlanAction, rule: string, reason: string): PlanEntry => ({
        id: v.id,
        definition: v.definition,
        version: v.version,
        action,
        rule,
        reason,
      });
      if (matches(policy.protect, v)) return entry('keep', 'protect', 'protected by input protect');
      if (!['Succeeded', 'Failed'].includes(v.provisioningState)) {
        return entry('skip', 'in-progress', `${v.provisioningState}: not in a terminal state`);
      }
      if (matches(policy.yank, v)) {
        if (policy.deleteYanked) return entry('delete', 'yank', 'yanked and deletion asked for');
        return v.tags.yanked !== undefined && v.excludeFromLatest
          ? entry('keep', 'yank', 'already yanked')
          : entry('yank', 'yank', 'listed in input yank');
      }
      const minor = minorOf(v.version);
      if (policy.graceDays !== undefined) {
        const eol = calendar.endOfLifeFor(minor)?.endOfLifeDate;
        if (eol && Date.parse(eol) + policy.graceDays * DAY < Date.parse(day)) {
          return entry(
            'delete',
            'end-of-life',
            `Kubernetes ${minor} reached end of life on ${eol}, more than ${policy.graceDays} days ago`,
          );
        }
      }
      if (keptMinors && !keptMinors.has(minor)) {
        return entry(
          'delete',
          'keep-minors',
          `${minor} is not among the newest ${policy.keepMinors} minors`,
        );
      }
      const rank = patchRank.get(v.id)!;
      if (policy.keepPatches !== undefined && rank >= policy.keepPatches) {
        return entry(
          'delete',
          'keep-patches',
          `${rank + 1}th newest patch of ${v.definition} ${minor}; keeping ${policy.keepPatches}`,
        );
      }
      if (
        policy.olderThanDays !== undefined &&
        v.publishedDate &&
        today.getTime() - v.publishedDate.getTime() > policy.olderThanDays * DAY
      ) {
        return entry(
          'delete',
          'older-than',
          `published ${toIsoDate(v.publishedDate)}, more than ${policy.olderThanDays} days ago`,
        );
      }
      return entry('keep', 'keep', 'no rule applies');
    })
    .sort(
      (a, b) => a.definition.localeCompare(b.definition) || compareVersions(b.version, a.version),
    );
}

/** `1.31.2` → `1.31`. */
export function minorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function newestFirst(minors: string[]): string[] {
  return minors.sort((a, b) => compareVersions(`${b}.0`, `${a}.0`));
}

/** For each version, its rank among the patches of its definition and minor (0 = newest). */
function rankPatches(versions: InventoryVersion[]): Map<string, number> {
  const groups = new Map<string, InventoryVersion[]>();
  for (const v of versions) {
    const key = `${v.definition}\n${minorOf(v.version)}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  const ranks = new Map<string, number>();
  for (const group of groups.values()) {
    group
      .sort((a, b) => compareVersions(b.version, a.version))
      .forEach((v, i) => ranks.set(v.id, i));
  }
  return ranks;
}

/** `pattern` matches `version` or `definition/version`; `*` and `?` are wildcards. */
export function matches(
  patterns: string[],
  v: Pick<InventoryVersion, 'definition' | 'version'>,
): boolean {
  return patterns.some((p) => {
    const re = new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}$`,
      'i',
    );
    return re.test(v.version) || re.test(`${v.definition}/${v.version}`);
  });
}
