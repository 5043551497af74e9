/**
 * Readers for the Kubernetes release calendar that kubernetes/website keeps in
 * `data/releases/schedule.yaml` (minors still maintained) and `data/releases/eol.yaml` (minors
 * that reached end of life). The release team's schedule-builder moves a minor from the first
 * file to the second when its support ends.
 */
import { parse } from 'yaml';
import { type IsoDate, parseIsoDate } from './dates.js';
import { tryParseMinorKey } from './version.js';

/** One minor in `schedule.yaml`. */
export interface ScheduleEntry {
  /** The minor, as the file names it: `1.31`. */
  readonly minor: string;
  /** The day `<minor>.0` was (or is planned to be) released. */
  readonly releaseDate?: IsoDate;
  /** The planned end of support; `eol.yaml` later records the actual day. */
  readonly endOfLifeDate?: IsoDate;
  /** From this day on only critical fixes are backported. */
  readonly maintenanceModeStartDate?: IsoDate;
}

/** One minor in `eol.yaml`. */
export interface EndOfLifeEntry {
  readonly minor: string;
  readonly endOfLifeDate: IsoDate;
  /** The last patch published for the minor, e.g. `1.31.14`. */
  readonly finalPatchRelease?: string;
}

/**
 * Parses `schedule.yaml`. Dates that are not `yyyy-mm-dd` (a planned release may say "TBD") are
 * treated as unknown rather than failing the whole file.
 * @throws Error when the file does not have the shape schedule-builder writes.
 */
export function parseScheduleYaml(text: string): ScheduleEntry[] {
  return listUnder(text, 'schedules', 'schedule.yaml').map((item, index) => {
    const where = `schedule.yaml schedules[${index}]`;
    return {
      minor: minorOf(item, where),
      ...optionalDate(item, 'releaseDate'),
      ...optionalDate(item, 'endOfLifeDate'),
      ...optionalDate(item, 'maintenanceModeStartDate'),
    };
  });
}

/**
 * Parses `eol.yaml`. Unlike the schedule, an entry here exists only to carry its date, so an
 * entry without a valid `endOfLifeDate` makes the file unusable.
 * @throws Error when the file does not have the shape schedule-builder writes.
 */
export function parseEndOfLifeYaml(text: string): EndOfLifeEntry[] {
  return listUnder(text, 'branches', 'eol.yaml').map((item, index) => {
    const where = `eol.yaml branches[${index}]`;
    const endOfLifeDate = parseIsoDate(stringField(item, 'endOfLifeDate') ?? '');
    if (endOfLifeDate === undefined) throw new Error(`${where} has no valid endOfLifeDate`);
    const finalPatchRelease = stringField(item, 'finalPatchRelease');
    return {
      minor: minorOf(item, where),
      endOfLifeDate,
      ...(finalPatchRelease !== undefined && { finalPatchRelease }),
    };
  });
}

type YamlMap = Record<string, unknown>;

/**
 * The list under `key` in the document. The failsafe schema keeps every scalar a string, so an
 * unquoted `release: 1.30` stays "1.30" instead of becoming the number 1.3.
 */
function listUnder(text: string, key: string, file: string): YamlMap[] {
  const document: unknown = parse(text, { schema: 'failsafe' });
  const list = isMap(document) ? document[key] : undefined;
  if (!Array.isArray(list)) throw new Error(`${file} has no '${key}' list`);
  return list.map((item: unknown, index) => {
    if (!isMap(item)) throw new Error(`${file} ${key}[${index}] is not a mapping`);
    return item;
  });
}

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(item: YamlMap, key: string): string | undefined {
  const value = item[key];
  return typeof value === 'string' ? value : undefined;
}

function minorOf(item: YamlMap, where: string): string {
  const release = stringField(item, 'release') ?? '';
  const minor = tryParseMinorKey(release);
  if (!minor || release.startsWith('v')) {
    throw new Error(`${where} has release '${release}', expected a minor such as 1.31`);
  }
  return release;
}

function optionalDate<K extends string>(item: YamlMap, key: K): { [P in K]?: IsoDate } {
  const date = parseIsoDate(stringField(item, key) ?? '');
  return (date === undefined ? {} : { [key]: date }) as { [P in K]?: IsoDate };
}
