/**
 * What a value may look like when we show it back to the user: credentials taken out, one line,
 * and no longer than a reader can take in. Every message that quotes an input goes through
 * {@link quoteValue}, so no parser has to remember it.
 */

/** The longest quoted value; a 100 KB value is shown as its first characters and its size. */
export const MAX_QUOTED_LENGTH = 400;

/** Query parameters that carry a signature or a token (SAS `sig`, OAuth and API keys). */
const SECRET_NAMES =
  'sig|signature|token|access_token|code|key|password|pwd|secret|client_secret|x-amz-signature';
const SECRET_PARAMETER = new RegExp(String.raw`([?&#;](?:${SECRET_NAMES})=)[^&#\s'"]*`, 'gi');
const HOLDS_SECRET_PARAMETER = new RegExp(String.raw`[?&#;](?:${SECRET_NAMES})=`, 'i');

/**
 * `scheme://user:password@` and `scheme://token@`. The look-behind lets a scheme start only where
 * a run of scheme characters starts: without it, a 100 KB run of letters is re-scanned from each
 * of its characters (quadratic, seconds per value). One greedy run, so `x1+https://` counts as
 * the scheme whole: it is kept as it is, only what follows `://` is redacted.
 */
const USERINFO = /(?<![a-z0-9+.-])([a-z0-9+.-]+:\/\/)[^/?#@\s'"]*@/gi;

/** A run of characters that may form one URL: every check below looks at one run at a time. */
const TOKEN = /[^\s'"]+/g;

/**
 * The text with every URL credential it holds replaced by `<redacted>`: user info, and the whole
 * query of a signed URL (a SAS is secret as a whole: `sv`, `se` and `sp` say what it grants).
 * Linear in the text's length: every value a user gives goes through it, whatever its size.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(USERINFO, '$1<redacted>@')
    .replace(TOKEN, redactSignedQuery)
    .replace(SECRET_PARAMETER, '$1<redacted>');
}

/**
 * One token with everything after its URL's first `?` or `#` replaced when that part carries a
 * secret parameter: `//host/path?sv=…&sig=…` becomes `//host/path?<redacted>`.
 */
function redactSignedQuery(token: string): string {
  const slashes = token.indexOf('//');
  if (slashes < 0) return token;
  const query = token.slice(slashes + 2).search(/[?#]/);
  if (query < 0) return token;
  const at = slashes + 2 + query;
  return HOLDS_SECRET_PARAMETER.test(token.slice(at)) ? `${token.slice(0, at)}?<redacted>` : token;
}

/** Whether {@link redactCredentials} would change `text`: it holds a URL credential. */
export function holdsCredentials(text: string): boolean {
  return redactCredentials(text) !== text;
}

/** Control characters (newlines included) shown as escapes, so a value stays on one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this escapes
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/**
 * A value as an error message may quote it: credentials redacted, on one line, and at most
 * {@link MAX_QUOTED_LENGTH} characters followed by how much was left out.
 */
export function quoteValue(value: string): string {
  const safe = oneLine(redactCredentials(value));
  if (safe.length <= MAX_QUOTED_LENGTH) return safe;
  return `${safe.slice(0, MAX_QUOTED_LENGTH)}… (${value.length} characters in all)`;
}
