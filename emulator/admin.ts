import type { ArmSettings } from './arm-core.js';
import type { Arm } from './arm.js';
import { serialLogFor } from './arm-vms.js';
import type { Faults, FaultRule } from './faults.js';
import { handleGuestAdmin } from './guest.js';
import type { GitHubApi } from './github.js';
import type { GitRepositories } from './github-git.js';
import type { Req, Res } from './http.js';
import { registerClient } from './identity.js';
import type { IdentitySettings } from './identity.js';
import { seed } from './seed.js';
import type { SeedResource } from './seed.js';
import type { RequestRecord, Store } from './store.js';

export type Settings = ArmSettings & IdentitySettings;

export const DEFAULT_SETTINGS: Settings = {
  operationMs: 300,
  replicationMs: 1500,
  failRegions: [],
  pageSize: 100,
  writesPerSecond: 0,
  accessTokenSeconds: 3600,
  idTokenSeconds: 300,
};

export interface AdminContext {
  settings: Settings;
  persistSettings(): void;
  store: Store;
  arm: Arm;
  faults: Faults;
  github: GitHubApi;
  git: GitRepositories;
  requests: RequestRecord[];
}

const bad = (message: string): Res => ({
  status: 400,
  body: { error: { code: 'BadRequest', message } },
});

/** Checks a settings update: known keys, whole non-negative numbers, a list of region names. */
export function settingsProblem(body: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(body)) {
    if (!(k in DEFAULT_SETTINGS)) {
      return `unknown setting '${k}'; known: ${Object.keys(DEFAULT_SETTINGS).join(', ')}`;
    }
    if (k === 'failRegions') {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
        return "'failRegions' must be a list of region names";
      }
    } else if (
      typeof v !== 'number' ||
      !Number.isInteger(v) ||
      v < 0 ||
      (k === 'pageSize' && v < 1)
    ) {
      return `'${k}' must be a whole number${k === 'pageSize' ? ' of at least 1' : ' (0 or more)'}`;
    }
  }
  return undefined;
}

/**
 * The admin API under `/_emulator/` (on the ARM port, no token needed): health, settings, fault
 * rules, the log of served requests, a dump of the resources, and a reset. emulator/README.md
 * lists every route with an example.
 */
export function handleAdmin(ctx: AdminContext, req: Req): Res | undefined {
  const p = req.path.toLowerCase().replace(/^\/_emulator/, '');
  const body = (req.body ?? {}) as Record<string, unknown>;
  const route = `${req.method} ${p}`;
  const guest = handleGuestAdmin(ctx.store, req, (vmId) => serialLogFor(ctx.store, vmId));
  if (guest) return guest;
  switch (route) {
    case 'GET /health':
      return { status: 200, body: { ok: true } };
    case 'GET /settings':
      return { status: 200, body: ctx.settings };
    case 'POST /settings': {
      const problem = settingsProblem(body);
      if (problem) return bad(problem);
      Object.assign(ctx.settings, body);
      ctx.persistSettings();
      return { status: 200, body: ctx.settings };
    }
    case 'GET /faults':
      return { status: 200, body: ctx.faults.list() };
    case 'POST /faults':
      try {
        return { status: 201, body: ctx.faults.add(body as Partial<FaultRule>) };
      } catch (err) {
        return bad((err as Error).message);
      }
    case 'DELETE /faults':
      ctx.faults.clear();
      return { status: 204 };
    case 'GET /requests': {
      const since = Number(req.query.get('since') ?? 0);
      return { status: 200, body: ctx.requests.filter((r) => r.seq > since) };
    }
    case 'DELETE /requests':
      ctx.requests.length = 0;
      return { status: 204 };
    case 'GET /resources':
      return { status: 200, body: ctx.arm.dump() };
    case 'POST /reset':
      ctx.store.reset();
      ctx.faults.clear();
      ctx.github.reset();
      ctx.git.reset();
      ctx.requests.length = 0;
      return { status: 204 };
    case 'POST /seed': {
      if (!Array.isArray(body.resources) && !Array.isArray(body.clients)) {
        return bad(
          "a seed needs 'resources': [{ id, location, properties?, tags? }] and/or 'clients': [{ clientId, secret?, federatedCredentials? }]",
        );
      }
      const problem =
        (Array.isArray(body.resources)
          ? seed(ctx.store, body.resources as SeedResource[])
          : undefined) ??
        ((body.clients ?? []) as Record<string, unknown>[])
          .map((c, i) => {
            const p = registerClient(ctx.store, c ?? {});
            return p && `clients[${i}]: ${p}`;
          })
          .find(Boolean);
      return problem ? bad(problem) : { status: 204 };
    }
    case 'GET /github/releases':
      return { status: 200, body: ctx.github.dump() };
    case 'POST /github/releases': {
      const problem = ctx.github.seed(body);
      return problem ? bad(problem) : { status: 204 };
    }
    case 'POST /github/assets': {
      const problem = ctx.github.seedAsset(body);
      return problem ? bad(problem) : { status: 204 };
    }
    case 'POST /clients': {
      const problem = registerClient(ctx.store, body);
      return problem ? bad(problem) : { status: 204 };
    }
    case 'GET /clients': {
      const { clients, federatedCredentials } = ctx.store.world;
      const ids = [...new Set([...Object.keys(clients), ...Object.keys(federatedCredentials)])];
      return {
        status: 200,
        body: ids.sort().map((clientId) => ({
          clientId,
          hasSecret: clients[clientId] !== undefined,
          federatedCredentials: federatedCredentials[clientId] ?? [],
        })),
      };
    }
  }
  const one = p.match(/^\/faults\/([^/]+)$/);
  if (one && req.method === 'DELETE') {
    return ctx.faults.remove(one[1]!)
      ? { status: 204 }
      : {
          status: 404,
          body: { error: { code: 'NotFound', message: `No fault rule '${one[1]}'.` } },
        };
  }
  return undefined;
}
