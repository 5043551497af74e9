/**
 * Loads the live Kubernetes release calendar from kubernetes/website. A run must not fail
 * because GitHub's raw file host is slow or down: end-of-life dates are informational in Azure,
 * so on any failure we warn and fall back to the release date + 14 months rule.
 */
import type { Logger } from '../common/logger.js';
import { SupportCalendar } from './support.js';

const RAW_BASE = 'https://raw.githubusercontent.com/kubernetes/website/main/data/releases';

/** Where the two files live on the default branch of kubernetes/website. */
export const RELEASE_DATA_URLS = {
  schedule: `${RAW_BASE}/schedule.yaml`,
  endOfLife: `${RAW_BASE}/eol.yaml`,
} as const;

/** Long enough for a slow runner, short enough that a hung host does not hold up a publish. */
export const DEFAULT_RELEASE_DATA_TIMEOUT_MS = 10_000;

/** The part of the WHATWG `fetch` this module uses, so tests can pass a fake. */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface FetchSupportCalendarOptions {
  logger: Logger;
  /** Defaults to the global `fetch` of Node. */
  fetch?: FetchLike;
  /** Covers both downloads together. */
  timeoutMs?: number;
  urls?: { schedule: string; endOfLife: string };
}

/**
 * Downloads and parses `schedule.yaml` and `eol.yaml`. All or nothing: if either file cannot be
 * fetched or parsed, the result is {@link SupportCalendar.empty}, because half a calendar would
 * silently answer "unknown" for the minors the missing half holds.
 */
export async function fetchSupportCalendar(
  options: FetchSupportCalendarOptions,
): Promise<SupportCalendar> {
  const { logger, urls = RELEASE_DATA_URLS } = options;
  const fetchText = textFetcher(options.fetch ?? globalThis.fetch, options.timeoutMs);
  try {
    const [schedule, endOfLife] = await Promise.all([
      fetchText(urls.schedule),
      fetchText(urls.endOfLife),
    ]);
    const calendar = SupportCalendar.fromYaml(schedule, endOfLife);
    logger.info(`Loaded the Kubernetes release calendar: minors ${calendar.minors.join(', ')}`);
    return calendar;
  } catch (error) {
    logger.warning(
      `Could not load the Kubernetes release calendar (${describe(error)}); ` +
        `end-of-life dates fall back to the release date + 14 months.`,
    );
    return SupportCalendar.empty();
  }
}

function textFetcher(fetch: FetchLike, timeoutMs = DEFAULT_RELEASE_DATA_TIMEOUT_MS) {
  const signal = AbortSignal.timeout(timeoutMs);
  return async (url: string): Promise<string> => {
    const response = await fetch(url, { signal });
    if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
    return response.text();
  };
}

/** Duck-typed: an abort reason is a DOMException, which may come from another realm. */
function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (name === 'TimeoutError') return 'timed out';
  return typeof message === 'string' ? message : String(error);
}
