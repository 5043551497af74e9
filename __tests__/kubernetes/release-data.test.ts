import { describe, expect, it } from '@jest/globals';
import { parseEndOfLifeYaml, parseScheduleYaml } from '../../src/kubernetes/release-data.js';
import { readFileSync } from 'node:fs';
import { describeUpstream, upstreamFixture } from '../helpers/upstream.js';
import { endOfLifeYaml, scheduleYaml } from './release-fixtures.js';

describe('parseScheduleYaml', () => {
  it('reads every maintained minor of the fixture with its dates', () => {
    // Act
    const entries = parseScheduleYaml(scheduleYaml);

    // Assert
    expect(entries.map((e) => e.minor)).toEqual(['1.31', '1.30', '1.29', '1.28']);
    expect(entries[0]).toEqual({
      minor: '1.31',
      releaseDate: '2024-08-13',
      endOfLifeDate: '2025-10-28',
      maintenanceModeStartDate: '2025-08-28',
    });
  });

  it('keeps an unquoted minor such as 1.30 a string instead of the number 1.3', () => {
    // Arrange
    const text = 'schedules:\n- release: 1.30\n  releaseDate: 2024-04-17\n';

    // Act
    const entries = parseScheduleYaml(text);

    // Assert
    expect(entries).toEqual([{ minor: '1.30', releaseDate: '2024-04-17' }]);
  });

  it('treats a date that is not yyyy-mm-dd as unknown', () => {
    const entries = parseScheduleYaml('schedules:\n- release: "1.33"\n  releaseDate: TBD\n');
    expect(entries).toEqual([{ minor: '1.33' }]);
  });

  it.each([
    ['no schedules list', 'upcoming_releases: []\n', /no 'schedules' list/],
    ['a scalar item', 'schedules:\n- 1.31\n', /schedules\[0\] is not a mapping/],
    ['a missing release', 'schedules:\n- releaseDate: "2024-08-13"\n', /release ''/],
    ['a patch as release', 'schedules:\n- release: 1.31.2\n', /release '1.31.2'/],
    ['an empty file', '', /no 'schedules' list/],
  ])('rejects %s', (_case, text, message) => {
    expect(() => parseScheduleYaml(text)).toThrow(message);
  });
});

describe('parseEndOfLifeYaml', () => {
  it('reads every minor from 1.31 back to 1.2', () => {
    // Act
    const entries = parseEndOfLifeYaml(endOfLifeYaml);

    // Assert
    expect(entries).toHaveLength(30);
    expect(entries[0]).toEqual({
      minor: '1.31',
      endOfLifeDate: '2025-11-11',
      finalPatchRelease: '1.31.14',
    });
    expect(entries.at(-1)).toEqual({
      minor: '1.2',
      endOfLifeDate: '2016-10-23',
      finalPatchRelease: '1.2.7',
    });
  });

  it('rejects an entry without a usable end-of-life date', () => {
    const text = 'branches:\n- release: "1.31"\n  endOfLifeDate: soon\n';
    expect(() => parseEndOfLifeYaml(text)).toThrow(/branches\[0\] has no valid endOfLifeDate/);
  });

  it('rejects a file without a branches list', () => {
    expect(() => parseEndOfLifeYaml('schedules: []\n')).toThrow(/no 'branches' list/);
  });
});

describeUpstream('kubernetes-website/schedule.yaml')('the upstream release data', () => {
  const upstream = (name: string): string =>
    readFileSync(upstreamFixture(`kubernetes-website/${name}`)!, 'utf8');

  it('says what our own calendar fixture restates', () => {
    expect(parseScheduleYaml(upstream('schedule.yaml'))).toEqual(parseScheduleYaml(scheduleYaml));
    expect(parseEndOfLifeYaml(upstream('eol.yaml'))).toEqual(parseEndOfLifeYaml(endOfLifeYaml));
  });
});
