import type { IncomingMessage, ServerResponse } from 'node:http';

/** An ARM error: status plus the `{"error":{"code","message"}}` body every ARM client parses. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string; target?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target ? { target: this.target } : {}),
      },
    };
  }
}

/** 409 PropertyChangeNotAllowed: `property` is fixed once the resource exists. */
export const changeNotAllowed = (property: string): ArmError =>
  new ArmError(
    409,
    'PropertyChangeNotAllowed',
    `Changing property '${property}' is not allowed.`,
    property,
  );

/** A parsed request handed to route handlers. */
export interface Req {
  method: string;
  /** Path with any trailing slash removed, original case. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  rawBody: string;
  /** The origin clients used to reach us (for absolute async-operation URLs). */
  origin: string;
  /** Set by a `failOperation` fault: the long-running operation this request starts ends Failed. */
  failOperation?: string;
  /** The tenant (`tid`) of the caller's access token, once ARM has checked it. */
  tenant?: string;
}

export interface Res {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function send(res: ServerResponse, out: Res, requestId: string): void {
  const headers: Record<string, string> = {
    'cache-control': 'no-cache',
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id': requestId,
    ...out.headers,
  };
  if (out.body === undefined) {
    res.writeHead(out.status, { ...headers, 'content-length': '0' });
    res.end();
    return;
  }
  const text = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
  res.writeHead(out.status, {
    'content-type': headers['content-type'] ?? 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Parses a JSON request body, answering ARM's `InvalidRequestContent` when it is not JSON. */
export function parseJsonBody(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${(err as Error).message}'.`,
    );
  }
}
