/** What retention works on and decides: the versions, the policy, the plan. */

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
