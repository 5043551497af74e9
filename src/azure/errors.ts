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
  const e = err as AzureErrorLike;
  const status = statusOf(err);
  const code = e?.code ? ` ${e.code}` : '';
  const text =
    `Azure refused ${doing}: ${status ?? ''}${code} ${e?.message ?? String(err)}`.replace(
      /\s+/g,
      ' ',
    );
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    return new ConfigurationError(text);
  }
  return new Error(text, { cause: err });
}
