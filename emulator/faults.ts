import { randomUUID } from 'node:crypto';

/** Which server a rule watches: ARM, the login host (Entra + OIDC), or both. */
export type FaultHost = 'arm' | 'login' | 'any';

/**
 * One fault-injection rule, set through `POST /_emulator/faults`. A request matching `method`
 * and `path` (a case-insensitive regular expression over the path) gets the fault, `times`
 * times (-1: always).
 */
export interface FaultRule {
  id: string;
  host: FaultHost;
  method?: string;
  path: string;
  times: number;
  /** Answer with this status instead of handling the request (429, 500, 503…). */
  status?: number;
  /** Seconds for the Retry-After header (429 and 503). */
  retryAfter?: number;
  /** Close the connection without answering. */
  drop?: boolean;
  /** Wait this long, then handle the request normally (or apply the other effects). */
  delayMs?: number;
  /** Handle the request, but make the long-running operation it starts end Failed. */
  failOperation?: string;
  code?: string;
  message?: string;
}

export type FaultEffect =
  | { kind: 'none' }
  | {
      kind: 'respond';
      status: number;
      headers: Record<string, string>;
      body: unknown;
      label: string;
    }
  | { kind: 'drop'; label: string }
  | { kind: 'failOperation'; message: string; label: string };

const DEFAULT_CODES: Record<number, { code: string; message: string }> = {
  429: {
    code: 'TooManyRequests',
    message:
      'The request is being throttled as the limit has been reached for operation type. Please retry after the time in the Retry-After header.',
  },
  500: {
    code: 'InternalServerError',
    message: 'The server encountered an internal error. Please retry the request.',
  },
  502: { code: 'BadGateway', message: 'The gateway did not receive a response in time.' },
  503: {
    code: 'ServiceUnavailable',
    message: 'The service is temporarily unavailable. Please retry the request.',
  },
};

export class Faults {
  private rules: FaultRule[] = [];

  add(input: Partial<FaultRule>): FaultRule {
    if (typeof input.path !== 'string')
      throw new Error("a fault needs 'path' (a regular expression)");
    new RegExp(input.path, 'i'); // throws on a bad pattern before we keep it
    const rule: FaultRule = { id: randomUUID(), host: 'arm', times: 1, ...input, path: input.path };
    this.rules.push(rule);
    return rule;
  }

  clear(): void {
    this.rules = [];
  }

  /** Removes one rule; false when there is no rule with that id. */
  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  list(): FaultRule[] {
    return [...this.rules];
  }

  /** Finds the first live rule for this request, uses up one of its `times`, waits its delay. */
  async apply(host: 'arm' | 'login', method: string, path: string): Promise<FaultEffect> {
    const rule = this.rules.find(
      (r) =>
        r.times !== 0 &&
        (r.host === 'any' || r.host === host) &&
        (!r.method || r.method.toUpperCase() === method) &&
        new RegExp(r.path, 'i').test(path),
    );
    if (!rule) return { kind: 'none' };
    if (rule.times > 0) rule.times -= 1;
    if (rule.delayMs) await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
    if (rule.drop) return { kind: 'drop', label: 'dropped' };
    if (rule.failOperation !== undefined) {
      return {
        kind: 'failOperation',
        message: rule.failOperation || 'The operation failed (injected).',
        label: 'fail-operation',
      };
    }
    if (rule.status) {
      const known = DEFAULT_CODES[rule.status] ?? {
        code: 'InjectedFault',
        message: 'Injected fault.',
      };
      const headers: Record<string, string> = {};
      if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
      return {
        kind: 'respond',
        status: rule.status,
        headers,
        body: { error: { code: rule.code ?? known.code, message: rule.message ?? known.message } },
        label: `status-${rule.status}`,
      };
    }
    return rule.delayMs ? { kind: 'none' } : { kind: 'none' };
  }
}
