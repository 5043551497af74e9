import { describe, expect, it } from '@jest/globals';
import { matches, planRetention } from '../../../src/gallery/retention/policy.js';
import type { InventoryVersion, RetentionPolicy } from '../../../src/gallery/retention/policy.js';
import { fixtureCalendar } from '../../helpers/publish.js';

const v = (
  definition: string,
  version: string,
  extra: Partial<InventoryVersion> = {},
): InventoryVersion => ({
  id: `/g/images/${definition}/versions/${version}`,
  definition,
  version,
  provisioningState: 'Succeeded',
  publishedDate: new Date('2024-09-01'),
  tags: {},
  excludeFromLatest: false,
  ...extra,
});

const policy = (p: Partial<RetentionPolicy>): RetentionPolicy => ({
  protect: [],
  yank: [],
  deleteYanked: false,
  ...p,
});
const calendar = fixtureCalendar();
const TODAY = new Date('2025-03-15');

const decisions = (plan: ReturnType<typeof planRetention>) =>
  plan.map((e) => `${e.definition}/${e.version} ${e.action} ${e.rule}`);

describe('planRetention', () => {
  const gallery = [
    v('capi-ubun2-2404', '1.31.2'),
    v('capi-ubun2-2404', '1.31.1'),
    v('capi-ubun2-2404', '1.31.0'),
    v('capi-ubun2-2404', '1.30.6'),
    v('capi-ubun2-2404', '1.29.10'),
    v('capi-ubun2-2404', '1.28.15'),
    v('capi-win-2022-containerd', '1.31.2'),
    v('capi-win-2022-containerd', '1.28.14'),
  ];

  it('deletes versions whose minor ended more than grace-days ago, using eol.yaml', () => {
    // eol.yaml: 1.28 ended 2024-10-22 (+30 days is long past), 1.29 ended 2025-02-28 (+30 days
    // is 2025-03-30, still ahead of TODAY).
    const plan = planRetention(gallery, policy({ graceDays: 30 }), calendar, TODAY);
    expect(
      plan.filter((e) => e.action === 'delete').map((e) => `${e.definition}/${e.version}`),
    ).toEqual(['capi-ubun2-2404/1.28.15', 'capi-win-2022-containerd/1.28.14']);
    expect(plan.find((e) => e.version === '1.28.15')?.reason).toBe(
      'Kubernetes 1.28 reached end of life on 2024-10-22, more than 30 days ago',
    );
  });

  it('keeps the newest minors and the newest patches of each minor, per definition', () => {
    const plan = planRetention(gallery, policy({ keepMinors: 2, keepPatches: 2 }), calendar, TODAY);
    expect(decisions(plan)).toEqual([
      'capi-ubun2-2404/1.31.2 keep keep',
      'capi-ubun2-2404/1.31.1 keep keep',
      'capi-ubun2-2404/1.31.0 delete keep-patches',
      'capi-ubun2-2404/1.30.6 keep keep',
      'capi-ubun2-2404/1.29.10 delete keep-minors',
      'capi-ubun2-2404/1.28.15 delete keep-minors',
      'capi-win-2022-containerd/1.31.2 keep keep',
      'capi-win-2022-containerd/1.28.14 delete keep-minors',
    ]);
  });

  it('lets protect beat every rule, with exact names and globs', () => {
    const plan = planRetention(
      gallery,
      policy({
        keepMinors: 1,
        graceDays: 0,
        protect: ['1.29.*', 'capi-win-2022-containerd/1.28.14'],
      }),
      calendar,
      TODAY,
    );
    expect(
      plan.filter((e) => e.rule === 'protect').map((e) => `${e.definition}/${e.version}`),
    ).toEqual(['capi-ubun2-2404/1.29.10', 'capi-win-2022-containerd/1.28.14']);
  });

  it('yanks listed versions, keeps already-yanked ones, and deletes them only when asked', () => {
    const versions = [
      v('d', '1.31.2'),
      v('d', '1.31.1', { tags: { yanked: 'CVE' }, excludeFromLatest: true }),
    ];
    expect(
      decisions(planRetention(versions, policy({ yank: ['1.31.*'] }), calendar, TODAY)),
    ).toEqual(['d/1.31.2 yank yank', 'd/1.31.1 keep yank']);
    expect(
      decisions(
        planRetention(
          versions,
          policy({ yank: ['d/1.31.2'], deleteYanked: true }),
          calendar,
          TODAY,
        ),
      ),
    ).toEqual(['d/1.31.2 delete yank', 'd/1.31.1 keep keep']);
  });

  it('skips versions not in a terminal state, and deletes old staging versions by age', () => {
    const versions = [
      v('d', '1.31.2', { provisioningState: 'Creating' }),
      v('d', '1.31.1', { publishedDate: new Date('2025-03-01') }),
      v('d', '1.31.0', { publishedDate: new Date('2025-01-01') }),
    ];
    expect(
      decisions(planRetention(versions, policy({ olderThanDays: 30 }), calendar, TODAY)),
    ).toEqual(['d/1.31.2 skip in-progress', 'd/1.31.1 keep keep', 'd/1.31.0 delete older-than']);
  });

  it('gives the same plan for the same inputs (an interrupted run can finish it)', () => {
    const p = policy({ keepMinors: 2, keepPatches: 1, graceDays: 10 });
    expect(planRetention([...gallery].reverse(), p, calendar, TODAY)).toEqual(
      planRetention(gallery, p, calendar, TODAY),
    );
  });
});

describe('matches', () => {
  it.each([
    ['1.31.2', true],
    ['1.31.*', true],
    ['1.3?.2', true],
    ['capi-*/1.31.2', true],
    ['1.31', false],
    ['1.31.20', false],
  ])('%s → %s', (pattern, expected) => {
    expect(matches([pattern], { definition: 'capi-ubun2-2404', version: '1.31.2' })).toBe(expected);
  });
});
