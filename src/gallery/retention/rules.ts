/**
 * The retention rules, in the order they are tried: the first that decides a version wins, and
 * a version no rule decides is kept. Each is one small function of the version, its minor and
 * {@link RuleContext}; the table says what each needs.
 */
import type { IsoDate } from '../../kubernetes/dates.js';
import { toIsoDate } from '../../kubernetes/dates.js';
import type { SupportCalendar } from '../../kubernetes/support.js';
import { type InventoryVersion, matches, type PlanAction, type RetentionPolicy } from './types.js';

/** What the rules may look at besides the version itself. */
export interface RuleContext {
  readonly policy: RetentionPolicy;
  /** The Kubernetes release calendar: when each minor reaches its end of life. */
  readonly calendar: SupportCalendar;
  readonly today: Date;
  readonly day: IsoDate;
  /** The newest `keep-minors` minors of the inventory; unset when the rule is off. */
  readonly keptMinors?: ReadonlySet<string>;
  /** Each version's rank among the patches of its definition and minor (0 = newest). */
  readonly patchRank: ReadonlyMap<string, number>;
}

/** What a rule decided, and why in a sentence; undefined: the rule has nothing to say. */
type Decision = readonly [action: PlanAction, reason: string] | undefined;
type Rule = (v: InventoryVersion, minor: string, ctx: RuleContext) => Decision;

const DAY = 24 * 3600_000;

const protect: Rule = (v, _minor, { policy }) =>
  matches(policy.protect, v) ? ['keep', 'protected by input protect'] : undefined;

const inProgress: Rule = (v) =>
  ['Succeeded', 'Failed'].includes(v.provisioningState)
    ? undefined
    : ['skip', `${v.provisioningState}: not in a terminal state`];

const yank: Rule = (v, _minor, { policy }) => {
  if (!matches(policy.yank, v)) return undefined;
  if (policy.deleteYanked) return ['delete', 'yanked and deletion asked for'];
  return v.tags.yanked !== undefined && v.excludeFromLatest
    ? ['keep', 'already yanked']
    : ['yank', 'listed in input yank'];
};

const endOfLife: Rule = (_v, minor, { policy, calendar, day }) => {
  if (policy.graceDays === undefined) return undefined;
  const eol = calendar.endOfLifeFor(minor)?.endOfLifeDate;
  return eol && Date.parse(eol) + policy.graceDays * DAY < Date.parse(day)
    ? [
        'delete',
        `Kubernetes ${minor} reached end of life on ${eol}, more than ${policy.graceDays} days ago`,
      ]
    : undefined;
};

const keepMinors: Rule = (_v, minor, { policy, keptMinors }) =>
  keptMinors && !keptMinors.has(minor)
    ? ['delete', `${minor} is not among the newest ${policy.keepMinors} minors`]
    : undefined;

const keepPatches: Rule = (v, minor, { policy, patchRank }) => {
  const rank = patchRank.get(v.id)!;
  return policy.keepPatches !== undefined && rank >= policy.keepPatches
    ? [
        'delete',
        `${rank + 1}th newest patch of ${v.definition} ${minor}; keeping ${policy.keepPatches}`,
      ]
    : undefined;
};

const olderThan: Rule = (v, _minor, { policy, today }) =>
  policy.olderThanDays !== undefined &&
  v.publishedDate &&
  today.getTime() - v.publishedDate.getTime() > policy.olderThanDays * DAY
    ? [
        'delete',
        `published ${toIsoDate(v.publishedDate)}, more than ${policy.olderThanDays} days ago`,
      ]
    : undefined;

/** The rules in order; `name` is the plan entry's `rule`, `needs` what it reads. */
export const RULES: readonly { name: string; needs: string; decide: Rule }[] = [
  { name: 'protect', needs: 'input protect', decide: protect },
  { name: 'in-progress', needs: 'the provisioning state', decide: inProgress },
  { name: 'yank', needs: 'inputs yank and delete-yanked, the yanked tag', decide: yank },
  {
    name: 'end-of-life',
    needs: 'input grace-days, the release calendar, today',
    decide: endOfLife,
  },
  {
    name: 'keep-minors',
    needs: 'input keep-minors, the minors in the gallery',
    decide: keepMinors,
  },
  {
    name: 'keep-patches',
    needs: 'input keep-patches, the patches of each minor',
    decide: keepPatches,
  },
  {
    name: 'older-than',
    needs: 'input older-than-days, the published date, today',
    decide: olderThan,
  },
];
