/**
 * Which Kubernetes minors are supported on a given day, and when each one reaches end of life.
 * Cleanup retires images whose minor is out of support, and publish can stamp a version with its
 * minor's end-of-life date, so both ask this calendar. "Today" is always a parameter: the
 * calendar never reads the clock, which keeps tests pinned to the data they were written for.
 */
import { addMonths, type IsoDate, toIsoDate } from './dates.js';
import {
  type EndOfLifeEntry,
  parseEndOfLifeYaml,
  parseScheduleYaml,
  type ScheduleEntry,
} from './release-data.js';
import { compareMinorKeys } from './version.js';

/**
 * How long a minor is supported when the release data says nothing about it: Kubernetes
 * supports each minor for about 14 months (12 of full support, 2 of maintenance).
 */
export const FALLBACK_SUPPORT_MONTHS = 14;

/** Where an end-of-life date came from, most authoritative first. */
export type EndOfLifeSource = 'eol.yaml' | 'schedule.yaml' | 'release date + 14 months';

/** A minor's support window, as far as it is known. */
export interface MinorSupport {
  readonly minor: string;
  /** The day `<minor>.0` was released; unknown for minors only `eol.yaml` lists. */
  readonly releaseDate?: IsoDate;
  /** The last day of support: the minor is supported on this day, not the day after. */
  readonly endOfLifeDate: IsoDate;
  readonly source: EndOfLifeSource;
}

/** `unknown`: the data has no entry and no release date was supplied to fall back on. */
export type SupportStatus = 'supported' | 'not-yet-released' | 'end-of-life' | 'unknown';

interface KnownMinor {
  releaseDate?: IsoDate;
  endOfLife?: { date: IsoDate; source: 'eol.yaml' | 'schedule.yaml' };
}

export class SupportCalendar {
  private readonly known: ReadonlyMap<string, KnownMinor>;

  /**
   * When a minor appears in both files (they are edited at different times, and the fixture
   * copies come from different commits), `eol.yaml` wins: it records the day support actually
   * ended, while the schedule holds the date that was planned.
   */
  constructor(schedule: readonly ScheduleEntry[], endOfLife: readonly EndOfLifeEntry[]) {
    const known = new Map<string, KnownMinor>();
    for (const entry of schedule) {
      const eol = entry.endOfLifeDate;
      known.set(entry.minor, {
        ...(entry.releaseDate !== undefined && { releaseDate: entry.releaseDate }),
        ...(eol !== undefined && { endOfLife: { date: eol, source: 'schedule.yaml' as const } }),
      });
    }
    for (const entry of endOfLife) {
      const previous = known.get(entry.minor) ?? {};
      known.set(entry.minor, {
        ...previous,
        endOfLife: { date: entry.endOfLifeDate, source: 'eol.yaml' },
      });
    }
    this.known = known;
  }

  /** Reads the two files' text; throws as the parsers do when either is malformed. */
  static fromYaml(scheduleYaml: string, endOfLifeYaml: string): SupportCalendar {
    return new SupportCalendar(parseScheduleYaml(scheduleYaml), parseEndOfLifeYaml(endOfLifeYaml));
  }

  /** A calendar with no data: every answer comes from the release date + 14 months rule. */
  static empty(): SupportCalendar {
    return new SupportCalendar([], []);
  }

  /** Every minor the data mentions, newest first. */
  get minors(): string[] {
    return [...this.known.keys()].sort((a, b) => compareMinorKeys(b, a));
  }

  /**
   * The support window of `minor` (`1.31`). `releaseDate`, when the caller knows it (from the
   * `<minor>.0` release, say), is used only if the data has no end-of-life date for the minor.
   */
  endOfLifeFor(minor: string, releaseDate?: IsoDate): MinorSupport | undefined {
    const entry = this.known.get(minor);
    const released = entry?.releaseDate ?? releaseDate;
    const releaseField = released === undefined ? {} : { releaseDate: released };
    if (entry?.endOfLife) {
      const { date, source } = entry.endOfLife;
      return { minor, ...releaseField, endOfLifeDate: date, source };
    }
    if (released === undefined) return undefined;
    return {
      minor,
      releaseDate: released,
      endOfLifeDate: addMonths(released, FALLBACK_SUPPORT_MONTHS),
      source: 'release date + 14 months',
    };
  }

  /** Where `minor` stands on the UTC day of `today`. */
  supportStatus(minor: string, today: Date, releaseDate?: IsoDate): SupportStatus {
    const support = this.endOfLifeFor(minor, releaseDate);
    if (!support) return 'unknown';
    const day = toIsoDate(today);
    if (support.releaseDate !== undefined && day < support.releaseDate) return 'not-yet-released';
    return day <= support.endOfLifeDate ? 'supported' : 'end-of-life';
  }

  isSupported(minor: string, today: Date, releaseDate?: IsoDate): boolean {
    return this.supportStatus(minor, today, releaseDate) === 'supported';
  }

  /** The minors the data knows that are supported on `today`, newest first. */
  supportedMinors(today: Date): string[] {
    return this.minors.filter((minor) => this.isSupported(minor, today));
  }
}
