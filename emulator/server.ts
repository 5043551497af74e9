import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DEFAULT_SETTINGS, handleAdmin } from './admin.js';
import type { AdminContext } from './admin.js';
import { Arm } from './arm.js';
import type { ArmSettings } from './arm.js';
import { AttestationsApi } from './attestations.js';
import { BlobService } from './blob.js';
import { ensureTlsMaterial } from './certs.js';
import type { TlsMaterial } from './certs.js';
import { Faults } from './faults.js';
import type { FaultEffect } from './faults.js';
import { GITHUB_API_PREFIX, GitHubApi } from './github.js';
import { GitRepositories } from './github-git.js';
import { ArmError, parseJsonBody, readBody, send } from './http.js';
import type { Req, Res } from './http.js';
import { Identity } from './identity.js';
import type { IdentitySettings } from './identity.js';
import { loadOrCreateSigningKey } from './jwt.js';
import type { SigningKey } from './jwt.js';
import { cloudMetadata } from './metadata.js';
import { Store } from './store.js';
import type { RequestRecord } from './store.js';
import { isWrite, WriteThrottle } from './throttle.js';

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
  /** The `iss` of those ID tokens: what a verifier of the stand-in's attestations expects. */
  oidcIssuer: string;
  /** GitHub's REST API (releases, Git database), for GITHUB_API_URL: `<authorityHost>/api/v3`. */
  githubApiUrl: string;
  /** Raw files of the stand-in's repositories: `<authorityHost>/raw/{owner}/{repo}/{ref}/{path}`. */
  githubRawUrl: string;
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

type Settings = ArmSettings & IdentitySettings;
type Host = 'arm' | 'login';

/** What lives in the data dir: TLS material, signing keys, the job token, settings. */
interface Material {
  dataDir: string;
  tls: TlsMaterial;
  entraKey: SigningKey;
  oidcKey: SigningKey;
  oidcRequestToken: string;
  settings: Settings;
  persistSettings(): void;
}

/** Everything that answers requests, wired together. */
interface Services {
  store: Store;
  blob: BlobService;
  arm: Arm;
  identity: Identity;
  faults: Faults;
  github: GitHubApi;
  git: GitRepositories;
  attestations: AttestationsApi;
  throttle: WriteThrottle;
  admin: AdminContext;
  requests: RequestRecord[];
  /** The login host's origin, for the cloud metadata ARM serves; set once it listens. */
  authorityHost: string;
}

/** Starts the stand-in: ARM and admin API, the login host, and Azurite's blob service. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const material = loadMaterial(resolve(options.dataDir), options.settings);
  const services = await startServices(material, options.blobPort ?? 0);
  const tlsOptions = { cert: material.tls.certPem, key: material.tls.keyPem };
  const armServer = createServer(tlsOptions, requestHandler(services, 'arm'));
  const loginServer = createServer(tlsOptions, requestHandler(services, 'login'));
  const [armPort, loginPort] = await Promise.all([
    listen(armServer, options.port ?? 0),
    listen(loginServer, options.loginPort ?? 0),
  ]);
  const info = readyInfo(material, services, armPort, loginPort);
  services.authorityHost = info.authorityHost;
  writeFileSync(join(material.dataDir, 'endpoints.json'), JSON.stringify(info, null, 2));
  // Azurite loads once the stand-in is ready; blob requests wait for it (see BlobService).
  services.blob.launch();
  return {
    ...info,
    arm: services.arm,
    faults: services.faults,
    async close() {
      await Promise.all([close(armServer), close(loginServer)]);
      services.store.flush();
      await services.blob.close();
    },
  };
}

/** Reads (or on first start makes) the data dir's keys, certificates and settings. */
function loadMaterial(dataDir: string, overrides: Partial<Settings> = {}): Material {
  mkdirSync(dataDir, { recursive: true });
  const settings: Settings = { ...DEFAULT_SETTINGS, ...loadSettings(dataDir), ...overrides };
  const persistSettings = (): void =>
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify(settings));
  persistSettings();
  return {
    dataDir,
    tls: ensureTlsMaterial(dataDir),
    entraKey: loadOrCreateSigningKey(dataDir, 'entra'),
    oidcKey: loadOrCreateSigningKey(dataDir, 'github-oidc'),
    oidcRequestToken: loadOrCreateSecret(join(dataDir, 'oidc-request-token')),
    settings,
    persistSettings,
  };
}

async function startServices(m: Material, blobPort: number): Promise<Services> {
  const store = new Store(m.dataDir);
  const blob = new BlobService(m.dataDir, m.tls, m.entraKey);
  const accounts = store
    .all()
    .filter((r) => r.type === 'Microsoft.Storage/storageAccounts')
    .map((r) => r.name);
  await blob.start(blobPort, accounts);
  const arm = new Arm(store, blob, m.settings);
  const faults = new Faults();
  const github = new GitHubApi(m.dataDir);
  const git = new GitRepositories(m.dataDir);
  const requests: RequestRecord[] = [];
  return {
    store,
    blob,
    arm,
    identity: new Identity(m.entraKey, m.oidcKey, store, m.settings, m.oidcRequestToken),
    faults,
    github,
    git,
    attestations: new AttestationsApi(m.dataDir, m.oidcKey),
    throttle: new WriteThrottle(() => m.settings.writesPerSecond),
    admin: {
      settings: m.settings,
      persistSettings: m.persistSettings,
      store,
      arm,
      faults,
      github,
      git,
      requests,
    },
    requests,
    authorityHost: '',
  };
}

function readyInfo(m: Material, s: Services, armPort: number, loginPort: number): EmulatorInfo {
  const endpoint = `https://127.0.0.1:${armPort}`;
  const authorityHost = `https://127.0.0.1:${loginPort}`;
  return {
    endpoint,
    authorityHost,
    caCertPath: m.tls.caCertPath,
    blobEndpoint: s.blob.origin,
    oidcRequestUrl: `${authorityHost}/_actions/idtoken?api-version=2.0`,
    oidcRequestToken: m.oidcRequestToken,
    oidcIssuer: s.identity.oidcIssuer(authorityHost),
    githubApiUrl: `${authorityHost}${GITHUB_API_PREFIX}`,
    githubRawUrl: `${authorityHost}/raw`,
    adminEndpoint: `${endpoint}/_emulator`,
    dataDir: m.dataDir,
    pid: process.pid,
  };
}

// ---- one request --------------------------------------------------------------------------

let seq = 0;

/** The request listener of one host: log, faults and throttling, routing, errors. */
function requestHandler(s: Services, host: Host) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    // Concatenate rather than resolve: a path starting with `//` must not be read as a host
    // (clients that expand `/{+resourceId}` templates send them), and ARM folds repeated slashes.
    const url = new URL('https://placeholder' + (req.url ?? '/').replace(/^\/{2,}/, '/'));
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const isAdmin = path.toLowerCase().startsWith('/_emulator/');
    const record: RequestRecord = {
      seq: ++seq,
      time: new Date().toISOString(),
      method: req.method ?? 'GET',
      path: `${host === 'login' ? '[login]' : ''}${path}`,
      query: url.search,
      status: 0,
    };
    if (!isAdmin) s.requests.push(record);
    let out: Res;
    try {
      const rawBody = await readBody(req);
      const effect = isAdmin ? { kind: 'none' as const } : await faultOrThrottle(s, host, record);
      if (effect.kind === 'drop') {
        record.fault = effect.label;
        req.socket.destroy();
        return;
      }
      // Another stand-in on the same data dir may have written since: see its world.
      s.store.reloadIfChanged();
      if (effect.kind !== 'none') record.fault = effect.label;
      if (effect.kind === 'respond') {
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
          origin: `https://${req.headers.host ?? '127.0.0.1'}`,
          failOperation: effect.kind === 'failOperation' ? effect.message : undefined,
        };
        out = await route(s, host, isAdmin, parsed);
      }
    } catch (err) {
      out = errorResponse(err);
    }
    record.status = out.status;
    send(res, out, requestId);
  };
}

/** The fault rule that applies to this request, or ARM's write throttling, or nothing. */
async function faultOrThrottle(s: Services, host: Host, record: RequestRecord) {
  const path = record.path.replace(/^\[login\]/, '');
  const effect = await s.faults.apply(host, record.method, path);
  if (effect.kind !== 'none' || host !== 'arm' || !isWrite(record.method)) return effect;
  const wait = s.throttle.take();
  if (wait === 0) return effect;
  const throttled: FaultEffect = {
    kind: 'respond',
    status: 429,
    headers: { 'retry-after': String(wait) },
    body: {
      error: { code: 'TooManyRequests', message: `Write throttled; retry after ${wait} s.` },
    },
    label: 'throttled',
  };
  return throttled;
}

async function route(s: Services, host: Host, isAdmin: boolean, req: Req): Promise<Res> {
  if (host === 'login') {
    return (
      s.attestations.handle(req) ??
      s.git.handle(req) ??
      s.github.handle(req) ??
      s.identity.handle(req) ?? {
        status: 404,
        body: { error: 'not_found', error_description: `No route for ${req.path}` },
      }
    );
  }
  if (isAdmin) {
    return (
      s.attestations.admin(req) ??
      s.git.admin(req) ??
      handleAdmin(s.admin, req) ?? {
        status: 404,
        body: { error: { code: 'NotFound', message: `No admin route ${req.path}` } },
      }
    );
  }
  // The cloud's endpoints are public: `az cloud register` asks before anyone signs in.
  if (req.method === 'GET' && /^\/metadata\/endpoints$/i.test(req.path)) {
    return cloudMetadata(req, s.authorityHost);
  }
  req.tenant = String(s.identity.authorizeArm(req).tid ?? '');
  return s.arm.handle(req);
}

function errorResponse(err: unknown): Res {
  if (err instanceof ArmError)
    return { status: err.status, headers: err.headers, body: err.body() };
  return {
    status: 500,
    body: {
      error: {
        code: 'InternalServerError',
        message: `stand-in bug: ${(err as Error).stack ?? String(err)}`,
      },
    },
  };
}

// ---- plumbing -----------------------------------------------------------------------------

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

function loadSettings(dataDir: string): Partial<Settings> {
  const path = join(dataDir, 'settings.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Partial<Settings>) : {};
}
