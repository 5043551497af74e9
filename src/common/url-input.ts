/**
 * The one parser for every input that holds a URL (endpoints, container and source URLs,
 * publisher-uri). Credentials never pass: user info and fragments are refused everywhere; a
 * query is refused, or accepted as a SAS where one is expected, and every secret part is masked
 * before anything could log it. Error messages quote the value with its credentials redacted.
 */
import { InputError } from './errors.js';
import { redactCredentials } from './redact.js';
import { maskSecret } from './secrets.js';

export interface UrlInputOptions {
  /**
   * `none`: no query at all (endpoints, and URLs read with Entra credentials); `sas`: a SAS
   * token is expected and kept, masked; `public`: a query without secret parameters (a web
   * page shown to everyone).
   */
  readonly query: 'none' | 'sas' | 'public';
  /** Accepted schemes; https only unless said. */
  readonly schemes?: readonly ('https:' | 'http:')[];
  /** What the input expects, for the error message. */
  readonly expected: string;
}

export interface UrlInput {
  /** The URL as given (normalised by WHATWG URL parsing). */
  readonly href: string;
  /** The URL as logs and summaries may show it: a SAS query replaced by `?<redacted>`. */
  readonly display: string;
}

/** Query parameters that are secrets wherever they appear. */
const SECRET_PARAMETERS =
  /^(sig|signature|token|access_token|code|key|password|pwd|secret|client_secret|x-amz-signature)$/i;

/**
 * Parses input `name` as one absolute URL under `options`.
 * @example parseUrlInput('source-disk', 'https://a.blob.core.windows.net/c/d.vhd?sv=…&sig=…', { query: 'sas', expected: '…' })
 */
export function parseUrlInput(name: string, value: string, options: UrlInputOptions): UrlInput {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  maskCredentialsIn(value);
  const schemes = options.schemes ?? ['https:'];
  const fail = (why: string): never => {
    throw new InputError(name, value, `${why} ${options.expected}`);
  };
  // One URL, not two run together ("https://a?sig=x https://b"), nor a URL with a line break.
  // eslint-disable-next-line no-control-regex -- a control character is what is refused
  if (/[\s\u0000-\u001f\u007f]/.test(value)) fail('A URL has no spaces or line breaks.');
  if (!url || !schemes.includes(url.protocol as 'https:')) {
    throw new InputError(name, value, options.expected);
  }
  const parsed = url!;
  if (parsed.username || parsed.password || /^[a-z]+:\/\/[^/?#]*@/i.test(value)) {
    fail(
      'Credentials do not belong in a URL (they would be logged and stored); remove user:password@.',
    );
  }
  if (parsed.hash || value.includes('#')) fail('Expected no #fragment.');
  const secretNames = [...parsed.searchParams.keys()].filter((k) => SECRET_PARAMETERS.test(k));
  if (parsed.search && options.query === 'none') {
    fail('Expected no ?query: a SAS token or key is not needed here (sign-in is through Azure).');
  }
  if (options.query === 'public' && secretNames.length > 0) {
    fail(`Expected no secret in the query (${secretNames.join(', ')}): everyone sees this URL.`);
  }
  const display =
    options.query === 'sas' && parsed.search
      ? `${parsed.origin}${parsed.pathname}?<redacted>`
      : redactCredentials(parsed.href);
  return { href: parsed.href, display };
}

/**
 * A URL inside free text. The scheme starts where a run of scheme characters starts (the
 * look-behind), so a long run of letters is scanned once, not once from each of its characters.
 */
const URL_IN_TEXT = /(?<![a-z0-9+.-])[a-z0-9+.-]+:\/\/[^\s'"<>]+/gi;

/** Masks the credentials of every URL inside free text (a licence, a reason, a list of URLs). */
export function maskCredentialsIn(text: string): void {
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const url = match[0].replace(/^[^a-z]+/i, '');
    if (URL.canParse(url)) maskParts(new URL(url));
  }
}

/** Masks user info and the query's secrets (the whole query when it carries a signature). */
function maskParts(url: URL): void {
  if (url.password) maskSecret(url.password);
  if (url.username && url.password === '') maskSecret(url.username);
  let signed = false;
  for (const pair of url.search.slice(1).split('&')) {
    const at = pair.indexOf('=');
    if (at > 0 && SECRET_PARAMETERS.test(safeDecode(pair.slice(0, at)))) {
      signed = true;
      maskSecret(pair.slice(at + 1));
    }
  }
  if (signed) maskSecret(url.search.slice(1));
  const fragment = url.hash.slice(1);
  if (fragment && redactCredentials(`?${fragment}`) !== `?${fragment}`) maskSecret(fragment);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
