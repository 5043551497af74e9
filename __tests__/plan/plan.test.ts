import { describe, expect, it } from '@jest/globals';
import { RecordingLogger } from '../../src/common/logger.js';
import { capzImageTarget } from '../../src/gallery/names.js';
import { makePlan } from '../../src/plan/plan.js';
import type { PlanContext } from '../../src/plan/plan.js';
import { versionSource } from '../../src/plan/triggers.js';
import { stableReleases } from '../fixtures/kubernetes/release-calendar.js';
import { fixtureCalendar } from '../helpers/publish.js';

const TODAY = new Date('2024-10-20');
/** kubernetes/kubernetes releases in the GitHub API's shape, newest first. */
function releases(): { tag_name: string; draft: boolean; prerelease: boolean }[] {
  const stable = stableReleases();
  // Older minors nobody wants any more, to make the list span several pages.
  const old = Array.from({ length: 240 }, (_, i) => `1.${20 - Math.floor(i / 20)}.${i % 20}`);
  return [
    { tag_name: 'v1.32.0-rc.1', draft: false, prerelease: true },
    { tag_name: 'v1.32.0-alpha.3', draft: false, prerelease: true },
    { tag_name: 'v1.31.99', draft: true, prerelease: false },
    ...stable.map((r) => ({ tag_name: `v${r}`, draft: false, prerelease: false })),
    ...old.map((r) => ({ tag_name: `v${r}`, draft: false, prerelease: false })),
  ];
}

function context(published: string[] = []): PlanContext & { pages: number[] } {
  const all = releases();
  const pages: number[] = [];
  return {
    calendar: fixtureCalendar(),
    today: TODAY,
    logger: new RecordingLogger(),
    pages,
    listReleases: async (page) => (pages.push(page), all.slice((page - 1) * 100, page * 100)),
    isPublished: async (definition, version) => published.includes(`${definition}/${version}`),
  };
}

const targets = ['ubuntu-2404', 'windows-2022-containerd'].map((os) => capzImageTarget(os));
const legs = (entries: { 'kubernetes-version': string; os: string }[]) =>
  entries.map((e) => `${e['kubernetes-version']} ${e.os}`);
const noTrigger = { eventName: 'schedule', ref: 'refs/heads/main', payload: {} };

describe('makePlan from the GitHub releases', () => {
  it('builds the newest patch of the newest supported minors on every OS target, reading only the pages it needs', async () => {
    const ctx = context();
    const plan = await makePlan(
      {
        source: versionSource(undefined, noTrigger),
        minorVersions: 3,
        includePrereleases: false,
        targets,
      },
      ctx,
    );
    expect(legs(plan.entries)).toEqual([
      'v1.31.2 ubuntu-2404',
      'v1.31.2 windows-2022-containerd',
      'v1.30.6 ubuntu-2404',
      'v1.30.6 windows-2022-containerd',
      'v1.29.10 ubuntu-2404',
      'v1.29.10 windows-2022-containerd',
    ]);
    expect(plan.entries[0]).toEqual({
      'kubernetes-version': 'v1.31.2',
      'image-version': '1.31.2',
      os: 'ubuntu-2404',
      'staging-definition': 'capi-ubuntu-2404',
      'production-definition': 'capi-ubun2-2404',
      'os-type': 'Linux',
      'hyper-v-generation': 'V1',
      'security-type': 'Standard',
      prerelease: false,
    });
    expect(plan.skipped).toEqual(
      expect.arrayContaining([
        { what: 'v1.32.0-rc.1', reason: 'pre-release (include-prereleases is false)' },
        { what: 'v1.31.1', reason: 'superseded by v1.31.2' },
      ]),
    );
    expect(plan.skipped.some((s) => s.what === 'v1.31.99')).toBe(false); // drafts are not releases
    expect(ctx.pages).toEqual([1, 2]);
  });

  it('skips minors past end of life and legs already published', async () => {
    const ctx = { ...context(['capi-ubun2-2404/1.31.2']), today: new Date('2025-03-15') };
    const plan = await makePlan(
      { source: { kind: 'releases' }, minorVersions: 3, includePrereleases: false, targets },
      ctx,
    );
    expect(legs(plan.entries)).toEqual([
      'v1.31.2 windows-2022-containerd',
      'v1.30.6 ubuntu-2404',
      'v1.30.6 windows-2022-containerd',
    ]);
    // eol.yaml: 1.29 ended 2025-02-28, so only two supported minors are left.
    expect(plan.skipped).toContainEqual({
      what: 'v1.29.10',
      reason: 'Kubernetes 1.29 is not supported (end-of-life)',
    });
    expect(plan.skipped).toContainEqual({
      what: 'v1.31.2 ubuntu-2404',
      reason: 'already published as capi-ubun2-2404/1.31.2',
    });
    expect(plan.skipped).toContainEqual({
      what: 'v1.28.15',
      reason: 'Kubernetes 1.28 is not supported (end-of-life)',
    });
  });

  it('takes a newer minor than the calendar knows as supported, and pre-releases when asked', async () => {
    const plan = await makePlan(
      {
        source: { kind: 'releases' },
        minorVersions: 1,
        includePrereleases: true,
        targets: [targets[0]!],
      },
      context(),
    );
    expect(
      plan.entries.map((e) => [e['kubernetes-version'], e['image-version'], e.prerelease]),
    ).toEqual([['v1.32.0-rc.1', '1.32.0', true]]);
  });
});

describe('versionSource', () => {
  it('prefers the input, then a pushed tag, then a dispatch payload, else the releases', () => {
    expect(versionSource('v1.31.2, 1.30.6', noTrigger)).toEqual({
      kind: 'explicit',
      tags: ['v1.31.2', '1.30.6'],
      from: "input 'kubernetes-versions'",
    });
    expect(
      versionSource(undefined, { eventName: 'push', ref: 'refs/tags/v1.31.3', payload: {} }),
    ).toMatchObject({ tags: ['v1.31.3'], from: 'pushed tag v1.31.3' });
    expect(
      versionSource(undefined, { eventName: 'push', ref: 'refs/tags/release-2', payload: {} }),
    ).toEqual({ kind: 'releases' });
    expect(
      versionSource(undefined, {
        eventName: 'repository_dispatch',
        ref: '',
        payload: { client_payload: { 'kubernetes-version': 'v1.31.4' } },
      }),
    ).toMatchObject({ tags: ['v1.31.4'] });
    expect(
      versionSource(undefined, {
        eventName: 'repository_dispatch',
        ref: '',
        payload: { client_payload: { 'kubernetes-versions': ['v1.31.4', 'v1.30.8'] } },
      }),
    ).toMatchObject({ tags: ['v1.31.4', 'v1.30.8'] });
    expect(versionSource(undefined, noTrigger)).toEqual({ kind: 'releases' });
  });

  it('checks explicit versions, refusing a pre-release unless asked', async () => {
    const req = (tags: string[], includePrereleases = false) =>
      makePlan(
        {
          source: { kind: 'explicit', tags, from: 'test' },
          minorVersions: 3,
          includePrereleases,
          targets: [targets[0]!],
        },
        context(),
      );
    expect(legs((await req(['1.31.2'])).entries)).toEqual(['v1.31.2 ubuntu-2404']);
    await expect(req(['v1.32.0-rc.1'])).rejects.toThrow(
      /Invalid input 'kubernetes-versions': 'v1.32.0-rc.1'/,
    );
    await expect(req(['1.31'])).rejects.toThrow(/Invalid input 'kubernetes-versions'/);
  });
});
