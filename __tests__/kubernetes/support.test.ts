import { describe, expect, it } from '@jest/globals';
import { parseScheduleYaml } from '../../src/kubernetes/release-data.js';
import { SupportCalendar } from '../../src/kubernetes/support.js';
import { endOfLifeYaml, scheduleYaml, SNAPSHOT_DAY } from './release-fixtures.js';

const calendar = SupportCalendar.fromYaml(scheduleYaml, endOfLifeYaml);
const day = (iso: string) => new Date(`${iso}T08:00:00Z`);

describe('SupportCalendar from the 2024 snapshot', () => {
  it('lists the minors it knows, newest first and in numeric order', () => {
    // Act
    const minors = calendar.minors;

    // Assert
    expect(minors.slice(0, 3)).toEqual(['1.31', '1.30', '1.29']);
    expect(minors.indexOf('1.10')).toBe(minors.indexOf('1.11') + 1);
    expect(minors.at(-1)).toBe('1.2');
  });

  it('gives 1.28 to 1.31 as supported on the snapshot day', () => {
    expect(calendar.supportedMinors(SNAPSHOT_DAY)).toEqual(['1.31', '1.30', '1.29', '1.28']);
  });

  it('prefers eol.yaml over the schedule where the two overlap', () => {
    // Act
    const support = calendar.endOfLifeFor('1.28');

    // Assert: schedule.yaml planned 2024-10-28, eol.yaml records 2024-10-22
    expect(support).toEqual({
      minor: '1.28',
      releaseDate: '2023-08-15',
      endOfLifeDate: '2024-10-22',
      source: 'eol.yaml',
    });
  });

  it('counts the end-of-life day itself as supported', () => {
    expect(calendar.isSupported('1.28', day('2024-10-22'))).toBe(true);
    expect(calendar.isSupported('1.28', day('2024-10-23'))).toBe(false);
    expect(calendar.supportedMinors(day('2024-10-25'))).toEqual(['1.31', '1.30', '1.29']);
  });

  it('knows minors that only eol.yaml lists, without a release date', () => {
    expect(calendar.endOfLifeFor('1.27')).toEqual({
      minor: '1.27',
      endOfLifeDate: '2024-07-16',
      source: 'eol.yaml',
    });
    expect(calendar.supportStatus('1.27', SNAPSHOT_DAY)).toBe('end-of-life');
  });

  it('falls back to release date + 14 months for a minor in neither file', () => {
    // Act
    const support = calendar.endOfLifeFor('1.32', '2024-12-11');

    // Assert
    expect(support).toEqual({
      minor: '1.32',
      releaseDate: '2024-12-11',
      endOfLifeDate: '2026-02-11',
      source: 'release date + 14 months',
    });
  });

  it('ignores a caller-supplied release date when the data has the end of life', () => {
    expect(calendar.endOfLifeFor('1.31', '2030-01-01')?.endOfLifeDate).toBe('2025-11-11');
  });

  it('answers unknown, not unsupported, for a minor it cannot place', () => {
    expect(calendar.endOfLifeFor('1.32')).toBeUndefined();
    expect(calendar.supportStatus('1.32', SNAPSHOT_DAY)).toBe('unknown');
    expect(calendar.isSupported('1.32', SNAPSHOT_DAY)).toBe(false);
  });

  it('reports a minor before its release as not yet released', () => {
    expect(calendar.supportStatus('1.32', day('2024-12-01'), '2024-12-11')).toBe(
      'not-yet-released',
    );
    expect(calendar.supportStatus('1.31', day('2024-08-12'))).toBe('not-yet-released');
    expect(calendar.supportStatus('1.31', day('2024-08-13'))).toBe('supported');
  });
});

describe('SupportCalendar from the schedule alone', () => {
  it('uses the planned end of life and says so', () => {
    // Arrange
    const scheduleOnly = new SupportCalendar(parseScheduleYaml(scheduleYaml), []);

    // Act
    const support = scheduleOnly.endOfLifeFor('1.28');

    // Assert
    expect(support?.endOfLifeDate).toBe('2024-10-28');
    expect(support?.source).toBe('schedule.yaml');
  });

  it('falls back to release date + 14 months for a scheduled minor without an end of life', () => {
    // Arrange
    const text = 'schedules:\n- release: "1.32"\n  releaseDate: "2024-12-11"\n';
    const planned = new SupportCalendar(parseScheduleYaml(text), []);

    // Act
    const support = planned.endOfLifeFor('1.32');

    // Assert
    expect(support?.endOfLifeDate).toBe('2026-02-11');
    expect(support?.source).toBe('release date + 14 months');
  });
});

describe('SupportCalendar.empty', () => {
  it('knows nothing and relies on the fallback rule', () => {
    // Arrange
    const empty = SupportCalendar.empty();

    // Act & Assert
    expect(empty.minors).toEqual([]);
    expect(empty.supportedMinors(SNAPSHOT_DAY)).toEqual([]);
    expect(empty.endOfLifeFor('1.31', '2024-08-13')?.endOfLifeDate).toBe('2025-10-13');
    expect(empty.isSupported('1.31', SNAPSHOT_DAY, '2024-08-13')).toBe(true);
  });
});
