import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ClientSecretCredential } from '@azure/identity';
import { startEmulator } from '../../emulator/server.js';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';

export const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const TENANT = '11111111-1111-1111-1111-111111111111';
export const CLIENT = '22222222-2222-2222-2222-222222222222';
export const ARM_SCOPE = 'https://management.azure.com/.default';
/** The `sub` of the stand-in's ID tokens when the job says nothing else about itself. */
export const DEFAULT_SUBJECT = 'repo:local/compute-gallery-actions:ref:refs/heads/main';

const trustedCas = new Set<string>();

/**
 * Makes every TLS client in this process trust a stand-in's CA (the in-process
 * NODE_EXTRA_CA_CERTS). Each data dir has its own CA, so several can be trusted at once.
 */
export function trust(caPem: string): void {
  if (trustedCas.has(caPem)) return;
  trustedCas.add(caPem);
  setDefaultCACertificates([...getCACertificates('default'), ...trustedCas]);
}

export interface TestEmulator extends Emulator {
  /** Calls the admin API: `admin('POST', '/faults', {...})`. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  credential(): ClientSecretCredential;
  compute(): ComputeManagementClient;
  /** Makes a data dir of its own, removed by `dispose`. */
  dispose(): Promise<void>;
}

export async function startTestEmulator(
  options: Partial<EmulatorOptions> = {},
): Promise<TestEmulator> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cga-emulator-'));
  const emulator = await startEmulator({
    ...options,
    dataDir,
    settings: { operationMs: 50, replicationMs: 200, ...options.settings },
  });
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
  // Entra takes CLIENT's GitHub assertions only through a federated credential, as the real one
  // does: the one a default job (main branch of the stand-in's repository) presents.
  await admin('POST', '/clients', {
    clientId: CLIENT,
    federatedCredentials: [
      { name: 'main', issuer: `${emulator.authorityHost}/_actions`, subject: DEFAULT_SUBJECT },
    ],
  });
  const credential = (): ClientSecretCredential =>
    new ClientSecretCredential(TENANT, CLIENT, 'local-secret', {
      authorityHost: emulator.authorityHost,
      disableInstanceDiscovery: true,
    });
  return Object.assign(emulator, {
    admin,
    credential,
    compute: () =>
      new ComputeManagementClient(credential(), SUBSCRIPTION, { endpoint: emulator.endpoint }),
    async dispose() {
      await emulator.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** One credential per stand-in for raw calls, so MSAL's token cache spares the login host. */
const rawCredentials = new WeakMap<TestEmulator, ClientSecretCredential>();

export interface ArmResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A raw ARM call to an absolute URL (an async-operation URL, a nextLink) with a real token. */
export async function armFetch<T = Record<string, unknown>>(
  emu: TestEmulator,
  method: string,
  url: string,
  body?: unknown,
): Promise<ArmResponse<T>> {
  let credential = rawCredentials.get(emu);
  if (!credential) rawCredentials.set(emu, (credential = emu.credential()));
  const token = await credential.getToken(ARM_SCOPE);
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/** A raw ARM call with a real token, for set-up the SDK under test does not cover. */
export async function armRequest<T = Record<string, unknown>>(
  emu: TestEmulator,
  method: string,
  path: string,
  body?: unknown,
  apiVersion = '2025-12-03',
): Promise<ArmResponse<T>> {
  const sep = path.includes('?') ? '&' : '?';
  return armFetch<T>(emu, method, `${emu.endpoint}${path}${sep}api-version=${apiVersion}`, body);
}

/** Polls an `Azure-AsyncOperation` URL until the operation leaves InProgress; returns the status body. */
export async function waitForOperation(
  emu: TestEmulator,
  url: string,
  timeoutMs = 20_000,
): Promise<
  { status: string; error?: { code: string; message: string } } & Record<string, unknown>
> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await armFetch<{ status: string }>(emu, 'GET', url);
    if (res.status !== 200)
      throw new Error(`status URL ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.body.status !== 'InProgress') return res.body;
    if (Date.now() > deadline) throw new Error(`operation ${url} still InProgress`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A PUT that must succeed, waited out through its `Azure-AsyncOperation` URL when it has one. */
export async function armPut<T = Record<string, unknown>>(
  emu: TestEmulator,
  path: string,
  body: unknown,
  apiVersion = '2025-12-03',
): Promise<ArmResponse<T>> {
  const res = await armRequest<T>(emu, 'PUT', path, body, apiVersion);
  if (res.status >= 300) throw new Error(`PUT ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  const url = res.headers.get('azure-asyncoperation');
  if (url) {
    const done = await waitForOperation(emu, url);
    if (done.status !== 'Succeeded') throw new Error(`PUT ${path} ended ${JSON.stringify(done)}`);
  }
  return res;
}

/** Creates a resource group and a storage account; returns the account's resource ID. */
export async function seedStorage(
  emu: TestEmulator,
  rg: string,
  account: string,
  location = 'westus2',
): Promise<string> {
  await armRequest(
    emu,
    'PUT',
    `/subscriptions/${SUBSCRIPTION}/resourcegroups/${rg}`,
    { location },
    '2024-11-01',
  );
  const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${account}`;
  const res = await armRequest(
    emu,
    'PUT',
    id,
    { location, sku: { name: 'Standard_LRS' }, kind: 'StorageV2' },
    '2023-05-01',
  );
  if (res.status >= 300)
    throw new Error(`storage account: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}
