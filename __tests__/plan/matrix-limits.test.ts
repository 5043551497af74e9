/** Issue 11 item 7: plan emits each leg once and never more legs than a GitHub matrix holds. */
import { describe, expect, it } from '@jest/globals';
import { RecordingLogger } from '../../src/common/logger.js';
import { capzImageTarget } from '../../src/gallery/names.js';
import { MAX_MATRIX_LEGS } from '../../src/plan/matrix-limits.js';
import { makePlan } from '../../src/plan/plan.js';

const plan = (tags: string[], oses: string[]) =>
  makePlan(
    {
      source: { kind: 'explicit', tags, from: 'test' },
      minorVersions: 3,
      includePrereleases: false,
      targets: oses.map((os) => capzImageTarget(os)),
    },
    { calendar: {} as never, today: new Date('2026-11-01'), logger: new RecordingLogger() },
  );

describe('plan legs', () => {
  it('are unique however the versions and OS targets were spelled', async () => {
    const { entries } = await plan(
      ['v1.34.2', '1.34.2', 'v1.33.6'],
      ['ubuntu-2404', 'ubuntu-2404'],
    );
    expect(entries.map((e) => `${e['kubernetes-version']} ${e.os}`)).toEqual([
      'v1.34.2 ubuntu-2404',
      'v1.33.6 ubuntu-2404',
    ]);
  });

  it(`are at most ${MAX_MATRIX_LEGS}, with an error naming the inputs`, async () => {
    const tags = Array.from({ length: 129 }, (_, i) => `v1.${i}.0`);
    await expect(plan(tags, ['ubuntu-2404', 'ubuntu-2204'])).rejects.toThrow(
      /Invalid input 'kubernetes-versions' × 'operating-systems': '129 version\(s\) × 2 OS target\(s\)'. That is 258 legs; a GitHub matrix holds at most 256/,
    );
    await expect(plan(tags.slice(0, 128), ['ubuntu-2404', 'ubuntu-2204'])).resolves.toBeDefined();
  });
});
