/** The kubernetes/website release data copied into ../shared/fixtures (see SOURCES.md there). */
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../../../shared/fixtures/kubernetes-website/', import.meta.url);

export const scheduleYaml = readFileSync(new URL('schedule.yaml', FIXTURES), 'utf8');
export const endOfLifeYaml = readFileSync(new URL('eol.yaml', FIXTURES), 'utf8');

/**
 * A day the 2024 snapshot describes correctly: the schedule's next patches are due 2024-10-15,
 * so on 2024-10-01 1.28 to 1.31 are maintained and 1.27 has ended (2024-07-16).
 */
export const SNAPSHOT_DAY = new Date('2024-10-01T12:00:00Z');
