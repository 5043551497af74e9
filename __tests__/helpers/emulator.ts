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
