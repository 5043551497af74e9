import { describe, expect, it } from '@jest/globals';
import { addMonths, parseIsoDate, startOfIsoDate, toIsoDate } from '../../src/kubernetes/dates.js';

describe('parseIsoDate', () => {
  it.each(['2024-02-29', '2025-12-31', '2000-01-01'])('accepts %s', (text) => {
    expect(parseIsoDate(text)).toBe(text);
  });

  it.each(['2025-02-29', '2025-13-01', '2025-00-10', '2025-04-31', '2025-1-1', '25-01-01', ''])(
    'rejects %j',
    (text) => {
      expect(parseIsoDate(text)).toBeUndefined();
    },
  );

  it('rejects a timestamp, which is not a calendar day', () => {
    expect(parseIsoDate('2025-01-01T00:00:00Z')).toBeUndefined();
  });
});

describe('toIsoDate and startOfIsoDate', () => {
  it('takes the UTC day, whatever the local zone', () => {
    expect(toIsoDate(new Date('2024-10-01T23:59:59.999Z'))).toBe('2024-10-01');
    expect(startOfIsoDate('2024-10-01').toISOString()).toBe('2024-10-01T00:00:00.000Z');
  });
});

describe('addMonths', () => {
  it.each([
    ['2024-08-13', 14, '2025-10-13'],
    ['2023-12-13', 14, '2025-02-13'],
    ['2023-12-31', 2, '2024-02-29'],
    ['2024-12-31', 14, '2026-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2024-03-15', -3, '2023-12-15'],
  ])('%s + %i months = %s', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });
});
