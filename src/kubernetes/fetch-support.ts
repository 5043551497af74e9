/**
 * Loads the live Kubernetes release calendar from kubernetes/website. A run must not fail
 * because GitHub's raw file host is slow or down: end-of-life dates are informational in Azure,
 * so on any failure we warn and fall back to the release date + 14 months rule.
 */
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { quoteValue } from '../common/redact.js';
import { SupportCalendar } from './support.js';

const RAW_BASE = 'https://raw.githubusercontent.com/kubernetes/website/main/data/releases';

/** Where the two files live on the default branch of kubernetes/website. */
export const RELEASE_DATA_URLS = {
  schedule: `${RAW_BASE}/schedule.yaml`,
  endOfLife: `${RAW_BASE}/eol.yaml`,
} as const;

/**
 * A runner that cannot reach raw.githubusercontent.com (a closed network, GitHub Enterprise
 * Server, the demo) names a copy of kubernetes/website's `data/releases` folder here: the URL of
 * a folder holding `schedule.yaml` and `eol.yaml` in kubernetes/website's shape. It is a property
 * of the runner's network, like HTTPS_PROXY, so it is read from the runner's environment rather
 * than being an input of each action.
 */
export const RELEASE_DATA_URL_VARIABLE = 'KUBERNETES_RELEASE_DATA_URL';

/**
 * The two files' URLs: under the folder {@link RELEASE_DATA_URL_VARIABLE} names, else
 * kubernetes/website's.
 * @throws ConfigurationError when the variable is set but is not an https:// URL without
 * credentials, query or fragment.
 */
export function releaseDataUrls(
  env: Readonly<Record<string, string | undefined>>,
): ReleaseDataUrls {
  const value = env[RELEASE_DATA_URL_VARIABLE]?.trim();
  if (!value) return RELEASE_DATA_URLS;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
    throw new ConfigurationError(
      `${RELEASE_DATA_URL_VARIABLE}: '${quoteValue(value)}'. Expected the https:// URL of a folder holding schedule.yaml and eol.yaml (a copy of kubernetes/website's data/releases), without credentials or query.`,
    );
  }
  const base = url.href.replace(/\/+$/, '');
  return { schedule: `${base}/schedule.yaml`, endOfLife: `${base}/eol.yaml` };
}

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
  urls?: ReleaseDataUrls;
}

export interface ReleaseDataUrls {
  schedule: string;
  endOfLife: string;
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
