import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DEFAULT_SETTINGS, handleAdmin } from './admin.js';
import { isWrite, WriteThrottle } from './throttle.js';
import type { AdminContext } from './admin.js';
import { Arm } from './arm.js';
import type { ArmSettings } from './arm.js';
import { BlobService } from './blob.js';
import { AttestationsApi } from './attestations.js';
import { ensureTlsMaterial } from './certs.js';
import { Faults } from './faults.js';
import { GITHUB_API_PREFIX, GitHubApi } from './github.js';
import { ArmError, parseJsonBody, readBody, send } from './http.js';
import type { Req, Res } from './http.js';
import { Identity } from './identity.js';
import type { IdentitySettings } from './identity.js';
import { loadOrCreateSigningKey } from './jwt.js';
import { Store } from './store.js';
import type { RequestRecord } from './store.js';

export interface EmulatorOptions {
  dataDir: string;
  /** ARM port; 0 picks a free one. */
  port?: number;
  loginPort?: number;
  blobPort?: number;
  settings?: Partial<ArmSettings & IdentitySettings>;
}

/** What `npm run emulator` prints as its ready line, and what tests get back. */
export interface EmulatorInfo {
  endpoint: string;
  authorityHost: string;
  caCertPath: string;
  blobEndpoint: string;
  /** For ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  oidcRequestUrl: string;
  oidcRequestToken: string;
  /** GitHub's REST API (releases), for GITHUB_API_URL: `<authorityHost>/api/v3`. */
  githubApiUrl: string;
  adminEndpoint: string;
  dataDir: string;
  pid: number;
}

export interface Emulator extends EmulatorInfo {
  close(): Promise<void>;
  /** In-process access for tests that need it; clients should prefer the admin API. */
  readonly arm: Arm;
  readonly faults: Faults;
}

/** Starts the stand-in: ARM and admin API, the login host, and Azurite's blob service. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const tls = ensureTlsMaterial(dataDir);
  const store = new Store(dataDir);
  const entraKey = loadOrCreateSigningKey(dataDir, 'entra');
  const oidcKey = loadOrCreateSigningKey(dataDir, 'github-oidc');
  const oidcRequestToken = loadOrCreateSecret(join(dataDir, 'oidc-request-token'));
  const settings: ArmSettings & IdentitySettings = {
    ...DEFAULT_SETTINGS,
    ...loadSettings(dataDir),
    ...options.settings,
  };
  const persistSettings = (): void =>
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify(settings));
  persistSettings();

  const blob = new BlobService(dataDir, tls, entraKey);
  const storageAccounts = store
    .all()
    .filter((r) => r.type === 'Microsoft.Storage/storageAccounts')
    .map((r) => r.name);
  await blob.start(options.blobPort ?? 0, storageAccounts);
  const arm = new Arm(store, blob, settings);
  const identity = new Identity(entraKey, oidcKey, store, settings, oidcRequestToken);
  const faults = new Faults();
  const github = new GitHubApi(dataDir);
  const attestations = new AttestationsApi(dataDir);
  const throttle = new WriteThrottle(() => settings.writesPerSecond);
  const requests: RequestRecord[] = [];
  let seq = 0;

  const adminContext: AdminContext = {
    settings,
    persistSettings,
    store,
    arm,
    faults,
    github,
    requests,
  };

  const handler =
    (host: 'arm' | 'login') =>
    async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const requestId = randomUUID();
      // Concatenate rather than resolve: a path starting with `//` must not be read as a host
      // (clients that expand `/{+resourceId}` templates send them), and ARM folds repeated slashes.
      const url = new URL('https://placeholder' + (req.url ?? '/').replace(/^\/{2,}/, '/'));
      const path = url.pathname.replace(/\/+$/, '') || '/';
      const origin = `https://${req.headers.host ?? '127.0.0.1'}`;
      const record: RequestRecord = {
        seq: ++seq,
        time: new Date().toISOString(),
        method: req.method ?? 'GET',
        path: `${host === 'login' ? '[login]' : ''}${path}`,
        query: url.search,
        status: 0,
      };
      const isAdmin = path.toLowerCase().startsWith('/_emulator/');
      if (!isAdmin) requests.push(record);
      let out: Res;
      try {
        const rawBody = await readBody(req);
        let effect = isAdmin
          ? { kind: 'none' as const }
          : await faults.apply(host, record.method, path);
        const wait =
          host === 'arm' && !isAdmin && effect.kind === 'none' && isWrite(record.method)
            ? throttle.take()
            : 0;
        if (wait > 0) {
          effect = {
            kind: 'respond',
            status: 429,
            headers: { 'retry-after': String(wait) },
            body: {
              error: {
                code: 'TooManyRequests',
                message: `Write throttled; retry after ${wait} s.`,
              },
            },
            label: 'throttled',
          };
        }
        if (effect.kind === 'drop') {
          record.fault = effect.label;
          req.socket.destroy();
          return;
        }
        // Another stand-in on the same data dir may have written since: see its world.
        store.reloadIfChanged();
        let failOperation: string | undefined;
        if (effect.kind === 'failOperation') {
          record.fault = effect.label;
          failOperation = effect.message;
        }
        if (effect.kind === 'respond') {
          record.fault = effect.label;
          out = { status: effect.status, headers: effect.headers, body: effect.body };
        } else {
          const parsed: Req = {
            method: record.method,
            path,
            query: url.searchParams,
            headers: req.headers,
            rawBody,
            body:
              host === 'arm' && /json/i.test(String(req.headers['content-type'] ?? 'json'))
                ? parseJsonBody(rawBody)
                : undefined,
            origin,
            failOperation,
          };
          if (host === 'login') {
            out = attestations.handle(parsed) ??
              github.handle(parsed) ??
              identity.handle(parsed) ?? {
                status: 404,
                body: { error: 'not_found', error_description: `No route for ${path}` },
              };
          } else if (isAdmin) {
            out = attestations.admin(parsed) ??
              handleAdmin(adminContext, parsed) ?? {
                status: 404,
                body: { error: { code: 'NotFound', message: `No admin route ${path}` } },
              };
          } else {
            identity.authorizeArm(parsed);
            out = await arm.handle(parsed);
          }
        }
      } catch (err) {
        out =
          err instanceof ArmError
            ? { status: err.status, headers: err.headers, body: err.body() }
            : {
                status: 500,
                body: {
                  error: {
                    code: 'InternalServerError',
                    message: `stand-in bug: ${(err as Error).stack ?? String(err)}`,
                  },
                },
              };
      }
      record.status = out.status;
      send(res, out, requestId);
    };

  const armServer = createServer({ cert: tls.certPem, key: tls.keyPem }, handler('arm'));
  const loginServer = createServer({ cert: tls.certPem, key: tls.keyPem }, handler('login'));
  const armPort = await listen(armServer, options.port ?? 0);
  const loginPort = await listen(loginServer, options.loginPort ?? 0);
  const endpoint = `https://127.0.0.1:${armPort}`;
  const authorityHost = `https://127.0.0.1:${loginPort}`;

  const info: EmulatorInfo = {
    endpoint,
    authorityHost,
    caCertPath: tls.caCertPath,
    blobEndpoint: blob.origin,
    oidcRequestUrl: `${authorityHost}/_actions/idtoken?api-version=2.0`,
    oidcRequestToken,
    githubApiUrl: `${authorityHost}${GITHUB_API_PREFIX}`,
    adminEndpoint: `${endpoint}/_emulator`,
    dataDir,
    pid: process.pid,
  };
  writeFileSync(join(dataDir, 'endpoints.json'), JSON.stringify(info, null, 2));

  return {
    ...info,
    arm,
    faults,
    async close() {
      await Promise.all([close(armServer), close(loginServer)]);
      store.flush();
      await blob.close();
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.closeAllConnections();
    server.close(() => resolveClose());
  });
}

function loadOrCreateSecret(path: string): string {
  if (!existsSync(path)) writeFileSync(path, randomBytes(24).toString('hex'), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

function loadSettings(dataDir: string): Partial<ArmSettings & IdentitySettings> {
  const path = join(dataDir, 'settings.json');
  return existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Partial<ArmSettings & IdentitySettings>)
    : {};
}
