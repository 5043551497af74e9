/**
 * The stand-in's world lives in its data dir: it survives a restart, two stand-ins on one dir
 * see each other's writes, and the CLI (`npm run emulator`) prints one JSON ready line.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  armRequest,
  CLIENT,
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
  trust,
  waitForOperation,
} from '../helpers/emulator.js';
import { uploadVhd } from '../helpers/vhd.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAST = { updateIntervalInMs: 20 };
const dirs: string[] = [];
const newDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'cga-persist-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const definition = {
  location: 'westus2',
  osType: 'Linux' as const,
  osState: 'Generalized' as const,
  hyperVGeneration: 'V2' as const,
  identifier: { publisher: 'capi', offer: 'capi-ubuntu', sku: '2404' },
  features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
};

describe('state in the data dir', () => {
  it('survives a restart, and an operation started before it finishes after it', async () => {
    const dataDir = newDir();
    const a = await startTestEmulator({ dataDir });
    const storageAccountId = await seedStorage(a, 'rg-persist', 'persiststore');
    const uri = await uploadVhd(a.blobEndpoint, 'persiststore', a.credential(), 'persist.vhd');
    await a
      .compute()
      .galleries.createOrUpdate('rg-persist', 'gallery_persist', { location: 'westus2' }, FAST);
    await a
      .compute()
      .galleryImages.createOrUpdate(
        'rg-persist',
        'gallery_persist',
        'capi-ubuntu-2404',
        definition,
        FAST,
      );
    const versionBody = {
      location: 'westus2',
      properties: { storageProfile: { osDiskImage: { source: { uri, storageAccountId } } } },
    };
    const images = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-persist/providers/Microsoft.Compute/galleries/gallery_persist/images`;
    const v1 = await armRequest(
      a,
      'PUT',
      `${images}/capi-ubuntu-2404/versions/1.31.2`,
      versionBody,
    );
    await waitForOperation(a, v1.headers.get('azure-asyncoperation')!);
    // A slow replication, cut off by the restart.
    await a.admin('POST', '/settings', { replicationMs: 800 });
    const v2 = await armRequest(
      a,
      'PUT',
      `${images}/capi-ubuntu-2404/versions/1.31.3`,
      versionBody,
    );
    expect(v2.status).toBe(201);
    await a.dispose();

    const b = await startTestEmulator({ dataDir });
    try {
      expect(b.endpoint).not.toBe(a.endpoint);
      const compute = b.compute();
      expect((await compute.galleries.get('rg-persist', 'gallery_persist')).provisioningState).toBe(
        'Succeeded',
      );
      const version = await compute.galleryImageVersions.get(
        'rg-persist',
        'gallery_persist',
        'capi-ubuntu-2404',
        '1.31.2',
      );
      expect(version.storageProfile?.osDiskImage?.source?.uri).toBe(uri);
      const blob = new BlobServiceClient(`${b.blobEndpoint}/persiststore`, b.credential())
        .getContainerClient('vhds')
        .getBlobClient('persist.vhd');
      expect((await blob.getProperties()).blobType).toBe('PageBlob');

      const statusUrl = v2.headers.get('azure-asyncoperation')!.replace(a.endpoint, b.endpoint);
      expect((await waitForOperation(b, statusUrl)).status).toBe('Succeeded');
      const v2After = await compute.galleryImageVersions.get(
        'rg-persist',
        'gallery_persist',
        'capi-ubuntu-2404',
        '1.31.3',
      );
      expect(v2After.provisioningState).toBe('Succeeded');
    } finally {
      await b.dispose();
    }
  });

  it('lets two stand-ins on one data dir see each other’s writes', async () => {
    const dataDir = newDir();
    const a = await startTestEmulator({ dataDir });
    const b = await startTestEmulator({ dataDir });
    try {
      const rg = `/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-shared`;
      expect((await armRequest(a, 'PUT', rg, { location: 'eastus' }, '2024-11-01')).status).toBe(
        201,
      );
      expect((await armRequest(b, 'GET', rg, undefined, '2024-11-01')).status).toBe(200);

      await b
        .compute()
        .galleries.createOrUpdate('rg-shared', 'gallery_from_b', { location: 'eastus' }, FAST);
      const seen = [];
      for await (const g of a.compute().galleries.listByResourceGroup('rg-shared'))
        seen.push(g.name);
      expect(seen).toEqual(['gallery_from_b']);

      await a.compute().galleries.delete('rg-shared', 'gallery_from_b', FAST);
      await expect(b.compute().galleries.get('rg-shared', 'gallery_from_b')).rejects.toMatchObject({
        statusCode: 404,
      });
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

/** The command `npm run emulator` runs, started with this Node (the `node` devDependency). */
function emulatorCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [bin, ...args] = pkg.scripts.emulator!.split(/\s+/);
  if (bin === 'node') return args;
  if (bin === 'tsx') return [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), ...args];
  throw new Error(`unexpected emulator script: ${pkg.scripts.emulator}`);
}

interface Cli {
  child: ChildProcess;
  ready: Record<string, unknown>;
  ms: number;
  stdout: string[];
}

/** Starts the CLI and resolves at its first stdout line, with the time it took. */
function startCli(dataDir: string): Promise<Cli> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...emulatorCommand(), '--port', '0', '--data-dir', dataDir],
    {
      cwd: ROOT,
      detached: true, // its own process group, so stopping it stops tsx's child too
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stdout: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready line in 30 s; stderr: ${stderr}`)),
      30_000,
    );
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      stdout.push(...lines);
      if (stdout.length === 1 && lines.length > 0) {
        clearTimeout(timer);
        resolve({
          child,
          ready: JSON.parse(stdout[0]!) as Record<string, unknown>,
          ms: performance.now() - started,
          stdout,
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the stand-in exited with ${code}; stderr: ${stderr}`));
    });
  });
}

function stopCli(cli: Cli): Promise<number | null> {
  return new Promise((resolve) => {
    cli.child.removeAllListeners('exit');
    cli.child.once('exit', (code) => resolve(code));
    process.kill(-cli.child.pid!, 'SIGTERM');
  });
}

describe('the CLI', () => {
  it('prints one JSON ready line, keeps its world across runs, and stops on SIGTERM', async () => {
    const dataDir = newDir();
    const cold = await startCli(dataDir);
    const ready = cold.ready;
    for (const key of ['endpoint', 'authorityHost', 'caCertPath', 'blobEndpoint']) {
      expect(typeof ready[key]).toBe('string');
    }
    expect(String(ready.endpoint)).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(String(ready.authorityHost)).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(String(ready.blobEndpoint)).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.caCertPath).toBe(join(dataDir, 'ca.pem'));
    trust(readFileSync(String(ready.caCertPath), 'utf8'));
    expect((await fetch(`${String(ready.endpoint)}/_emulator/health`)).status).toBe(200);

    // Sign in against it the way an action would, and leave something behind.
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      client_secret: 'cli-secret',
      scope: 'https://management.azure.com/.default',
    });
    const login = await fetch(`${String(ready.authorityHost)}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      body: form,
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    const rgUrl = (endpoint: unknown): string =>
      `${String(endpoint)}/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-cli?api-version=2024-11-01`;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const put = await fetch(rgUrl(ready.endpoint), {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ location: 'westus2' }),
    });
    expect(put.status).toBe(201);

    await new Promise((r) => setTimeout(r, 300));
    expect(cold.stdout).toHaveLength(1);
    expect(await stopCli(cold)).toBe(0);

    const warm = await startCli(dataDir);
    try {
      expect(warm.ready.caCertPath).toBe(ready.caCertPath);
      expect((await fetch(rgUrl(warm.ready.endpoint), { headers: auth })).status).toBe(200);
    } finally {
      expect(await stopCli(warm)).toBe(0);
    }
    console.log(
      `stand-in start, spawn to ready line: ${Math.round(cold.ms)} ms on a new data dir (CA, keys), ${Math.round(warm.ms)} ms on an existing one`,
    );
    expect(existsSync(join(dataDir, 'state.json'))).toBe(true);
  });
});
