/**
 * Calendar dates as `yyyy-mm-dd` strings in UTC. The Kubernetes release calendar and our inputs
 * speak in whole days; strings of this form compare correctly with `<`, and keeping them as
 * strings avoids the time-zone drift a local `Date` brings.
 */

/** A valid calendar date written `yyyy-mm-dd`. */
export type IsoDate = string;

/** Parses `yyyy-mm-dd`, rejecting impossible dates such as `2025-02-30`. */
export function parseIsoDate(text: string): IsoDate | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  const roundTrips =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return roundTrips ? text : undefined;
}

/** The UTC calendar day of an instant. */
export function toIsoDate(instant: Date): IsoDate {
  return instant.toISOString().slice(0, 10);
}

/** Midnight UTC at the start of the day, the form Azure's `endOfLifeDate` takes. */
export function startOfIsoDate(date: IsoDate): Date {
  return new Date(`${date}T00:00:00.000Z`);
}

/**
 * The same day `months` months later; a day the target month lacks becomes its last day
 * (2023-12-31 + 2 months = 2024-02-29), so the result never spills into the month after.
 */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const targetMonthIndex = month - 1 + months;
  const lastDayOfTarget = new Date(Date.UTC(year, targetMonthIndex + 1, 0)).getUTCDate();
  return toIsoDate(new Date(Date.UTC(year, targetMonthIndex, Math.min(day, lastDayOfTarget))));
}
