import { ConfigurationError } from '../common/errors.js';

/** The parts of an Azure SDK RestError we read; other errors pass through untouched. */
export interface AzureErrorLike {
  statusCode?: number;
  code?: string;
  message: string;
}

export function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as AzureErrorLike).statusCode : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/**
 * Wraps an Azure error with what we were doing and to which resource. A 4xx is the caller's
 * to fix (permissions, a name taken, a property Azure refuses), so it becomes a
 * ConfigurationError; anything else stays an Error with the cause attached.
 */
export function azureError(err: unknown, doing: string): Error {
  const e = err as AzureErrorLike & { name?: string; cause?: unknown };
  const status = statusOf(err);
  const message = e?.message ?? String(err);
  // Signing in failed (a wrong secret, an unknown client): not the resource's fault, so the
  // message says sign-in, not whatever step happened to ask for the first token.
  if (e?.name !== undefined && SIGN_IN_ERRORS.has(e.name)) {
    return new ConfigurationError(`Signing in to Azure failed: ${oneLine(message)}`);
  }
  const dropped = connectionError(err);
  if (status === undefined && dropped !== undefined) {
    return new Error(
      `The connection to Azure dropped while ${doing} (${dropped}), and the retries did not get through. Run again; what was done is kept.`,
      { cause: err },
    );
  }
  const code = e?.code ? ` ${e.code}` : '';
  const text = oneLine(`Azure refused ${doing}: ${status ?? ''}${code} ${message}`);
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    return new ConfigurationError(text);
  }
  return new Error(text, { cause: err });
}

/**
 * What @azure/identity throws when no token could be had. A wrong client secret reaches the ARM
 * client as `AuthenticationRequiredError` (MSAL's `invalid_client`, AADSTS7000215).
 */
const SIGN_IN_ERRORS = new Set([
  'AuthenticationError',
  'AuthenticationRequiredError',
  'CredentialUnavailableError',
  'AggregateAuthenticationError',
]);

const CONNECTION_CODES =
  /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT)$/;

/** The system code of a connection that failed or dropped (in the error or its causes). */
function connectionError(err: unknown): string | undefined {
  for (
    let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.code === 'string' && CONNECTION_CODES.test(e.code)) return e.code;
    const text = (e as { message?: unknown }).message;
    const found =
      typeof text === 'string'
        ? /\b(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket hang up)\b/.exec(text)
        : null;
    if (found) return found[1];
    e = e.cause as typeof e;
  }
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
