/** The release calendar of our own fixture (__tests__/fixtures/kubernetes/release-calendar.ts). */
export { endOfLifeYaml, scheduleYaml } from '../fixtures/kubernetes/release-calendar.js';

/**
 * A day the 2024 calendar describes correctly: the next patches are due 2024-10-15, so on
 * 2024-10-01 1.28 to 1.31 are maintained and 1.27 has ended (2024-07-16).
 */
export const SNAPSHOT_DAY = new Date('2024-10-01T12:00:00Z');
