import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { readFileSync } from 'node:fs';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ClientSecretCredential } from '@azure/identity';
import { startEmulator } from '../../emulator/server.js';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';

export const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const TENANT = '11111111-1111-1111-1111-111111111111';
export const CLIENT = '22222222-2222-2222-2222-222222222222';

let trusted = false;

/** Makes every TLS client in this process trust the stand-in's CA (the in-process NODE_EXTRA_CA_CERTS). */
function trust(caPem: string): void {
  if (trusted) return;
  setDefaultCACertificates([...getCACertificates('default'), caPem]);
  trusted = true;
}

export interface TestEmulator extends Emulator {
  /** Calls the admin API: `admin('POST', '/faults', {...})`. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  credential(): ClientSecretCredential;
  compute(): ComputeManagementClient;
  /** Makes a data dir of its own, removed by `dispose`. */
  dispose(): Promise<void>;
}

export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cga-emulator-'));
  const emulator = await startEmulator({ ...options, dataDir, settings: { operationMs: 50, replicationMs: 200, ...options.settings } });
  trust(readFileSync(emulator.caCertPath, 'utf8'));
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${emulator.adminEndpoint}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const credential = (): ClientSecretCredential =>
    new ClientSecretCredential(TENANT, CLIENT, 'local-secret', { authorityHost: emulator.authorityHost, disableInstanceDiscovery: true });
  return Object.assign(emulator, {
    admin,
    credential,
    compute: () => new ComputeManagementClient(credential(), SUBSCRIPTION, { endpoint: emulator.endpoint }),
    async dispose() {
      await emulator.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** A raw ARM call with a real token, for set-up the SDK under test does not cover. */
export async function armRequest<T = Record<string, unknown>>(
  emu: TestEmulator,
  method: string,
  path: string,
  body?: unknown,
  apiVersion = '2025-12-03',
): Promise<{ status: number; headers: Headers; body: T }> {
  const token = await emu.credential().getToken('https://management.azure.com/.default');
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${emu.endpoint}${path}${sep}api-version=${apiVersion}`, {
    method,
    headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/** Creates a resource group and a storage account; returns the account's resource ID. */
export async function seedStorage(emu: TestEmulator, rg: string, account: string, location = 'westus2'): Promise<string> {
  await armRequest(emu, 'PUT', `/subscriptions/${SUBSCRIPTION}/resourcegroups/${rg}`, { location }, '2024-11-01');
  const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${account}`;
  const res = await armRequest(emu, 'PUT', id, { location, sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }, '2023-05-01');
  if (res.status >= 300) throw new Error(`storage account: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}
