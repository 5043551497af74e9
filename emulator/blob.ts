import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { signJwt } from './jwt.js';
import type { SigningKey } from './jwt.js';

const require = createRequire(import.meta.url);

/** Azurite's well-known development account, always kept alongside the ones we add. */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
  accountDataStore: { refresh(): void };
}

/** What the stand-in needs to know about a blob to check it the way Azure checks a VHD source. */
export interface BlobFacts {
  exists: boolean;
  blobType?: string;
  length?: number;
  /** The last 512 bytes (the VHD footer of a fixed VHD). */
  tail?: Buffer;
}

/**
 * Blob storage for the stand-in: Azurite's blob service in this process, over HTTPS with our
 * certificate and with Entra (OAuth) sign-in enabled, so clients upload with the same
 * bearer-token credential they use for ARM. Storage accounts created through ARM become Azurite
 * accounts (Azurite reads accounts from AZURITE_ACCOUNTS; we set it and ask it to re-read).
 */
/** The Azurite launches of this process, in order (see `BlobService.launch`). */
let launches: Promise<void> = Promise.resolve();

export class BlobService {
  private server?: AzuriteServer;
  private readonly accounts = new Map<string, string>([[DEV_ACCOUNT, DEV_KEY]]);
  /** The public blob port: a TCP relay to Azurite, listening before Azurite is loaded. */
  private front?: Server;
  private readonly sockets = new Set<Socket>();
  /** Azurite's own port, once it listens. */
  private backend?: Promise<number>;
  origin = '';

  constructor(
    private readonly dataDir: string,
    private readonly tls: { certPath: string; keyPath: string; caCertPem: string },
    private readonly tokenKey: SigningKey,
  ) {}

  /**
   * Opens the blob port. Loading Azurite takes a third of a second or more (its require is most
   * of the stand-in's start-up), so the port is a relay that holds each connection until
   * Azurite listens behind it: the stand-in is ready at once and the first blob request waits.
   * TLS passes through untouched (Azurite serves it with our certificate).
   */
  async start(port: number, accounts: Iterable<string>): Promise<void> {
    for (const name of accounts) this.accounts.set(name, randomBytes(32).toString('base64'));
    this.publishAccounts();
    const front = createServer((socket) => this.relay(socket));
    this.front = front;
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.listen(port, '127.0.0.1', () => resolve());
    });
    const address = front.address() as { port: number };
    this.origin = `https://127.0.0.1:${address.port}`;
  }

  /**
   * Loads and starts Azurite on the next turn of the event loop (after the ready line). Launches
   * in one process run one after another, as they did when start-up waited for Azurite: two
   * Azurites initialising one data dir at the same moment race on its database file.
   */
  launch(): Promise<number> {
    if (!this.backend) {
      const turn = launches.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
      this.backend = turn.then(() => this.startAzurite());
      launches = this.backend.then(
        () => undefined,
        () => undefined,
      );
    }
    return this.backend;
  }

  private relay(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pause();
    this.launch().then(
      (backendPort) => {
        if (socket.destroyed) return;
        const upstream = connect(backendPort, '127.0.0.1');
        this.sockets.add(upstream);
        upstream.once('close', () => {
          this.sockets.delete(upstream);
          socket.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        socket.once('close', () => upstream.destroy());
        socket.pipe(upstream).pipe(socket);
        socket.resume();
      },
      () => socket.destroy(),
    );
  }

  private async startAzurite(): Promise<number> {
    const dir = join(this.dataDir, 'azurite');
    mkdirSync(dir, { recursive: true });
    const BlobConfiguration = require('azurite/dist/src/blob/BlobConfiguration.js').default;
    const BlobServer = require('azurite/dist/src/blob/BlobServer.js').default;
    const config = new BlobConfiguration(
      '127.0.0.1',
      0,
      undefined,
      join(dir, '__azurite_db_blob__.json'),
      join(dir, '__azurite_db_blob_extent__.json'),
      [{ locationId: 'Default', locationPath: join(dir, 'blobstorage'), maxConcurrency: 10 }],
      false, // access log
      undefined,
      false, // debug log
      undefined,
      true, // loose: ignore headers Azurite does not support
      true, // skipApiVersionCheck: newer SDKs send newer x-ms-version values
      this.tls.certPath,
      this.tls.keyPath,
      '',
      'basic', // accept Entra bearer tokens (signature not checked by Azurite; we issue them)
      false,
      false,
    );
    this.publishAccounts();
    const server = new BlobServer(config) as AzuriteServer;
    await server.start();
    this.server = server;
    // Accounts registered while Azurite was starting: have it read the list again.
    this.publishAccounts();
    server.accountDataStore.refresh();
    return Number(new URL(server.getHttpServerAddress()).port);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.front ? this.front.close(() => resolve()) : resolve(),
    );
    if (this.backend) {
      await this.backend.catch(() => undefined);
      await this.server?.close();
    }
  }

  /** Makes `name` a blob account; returns its blob endpoint (path-style, as Azurite serves it). */
  registerAccount(name: string): string {
    if (!this.accounts.has(name)) {
      this.accounts.set(name, randomBytes(32).toString('base64'));
      this.publishAccounts();
      this.server?.accountDataStore.refresh();
    }
    return this.endpointFor(name);
  }

  endpointFor(name: string): string {
    return `${this.origin}/${name}/`;
  }

  private publishAccounts(): void {
    process.env.AZURITE_ACCOUNTS = [...this.accounts].map(([n, k]) => `${n}:${k}`).join(';');
  }

  /** Splits a path-style blob URL of ours into account, container and blob name. */
  parseBlobUrl(uri: string): { account: string; container: string; blob: string } | undefined {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return undefined;
    }
    if (url.origin !== this.origin) return undefined;
    const [, account, container, ...rest] = url.pathname.split('/');
    if (!account || !container || rest.length === 0) return undefined;
    return { account, container, blob: rest.map(decodeURIComponent).join('/') };
  }

  /** Reads the blob's type, length and last 512 bytes, as the compute service would. */
  async inspect(uri: string): Promise<BlobFacts> {
    const head = await this.call('HEAD', uri);
    if (head.status === 404) return { exists: false };
    if (head.status >= 300) throw new Error(`blob HEAD ${uri} answered ${head.status}`);
    const length = Number(head.headers['content-length'] ?? 0);
    const blobType = String(head.headers['x-ms-blob-type'] ?? '');
    if (length < 512) return { exists: true, blobType, length, tail: Buffer.alloc(0) };
    const tail = await this.call('GET', uri, {
      'x-ms-range': `bytes=${length - 512}-${length - 1}`,
    });
    return { exists: true, blobType, length, tail: tail.body };
  }

  private call(
    method: string,
    uri: string,
    extra: Record<string, string> = {},
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }> {
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(this.tokenKey, {
      aud: 'https://storage.azure.com',
      iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/',
      iat: now,
      nbf: now - 5,
      exp: now + 600,
      oid: 'compute-resource-provider',
      tid: '00000000-0000-0000-0000-000000000000',
    });
    return new Promise((resolve, reject) => {
      const req = request(
        uri,
        {
          method,
          ca: this.tls.caCertPem,
          headers: { authorization: `Bearer ${token}`, 'x-ms-version': '2025-01-05', ...extra },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}
