/**
 * The Azure CLI pointed at the stand-in the way emulator/README.md tells a user to ("Pointing
 * `az` at it"): a cloud registered from the ARM metadata endpoint (which names an ADFS login
 * host, so MSAL skips instance discovery at login.microsoftonline.com), a service-principal login
 * that lists the subscriptions, and `az sig image-version update`, which sends the version back
 * without its source (issue 12, items 1, 9, 11 and 12). Runs where `az` is installed (Debian's
 * `azure-cli` package, 2.45); elsewhere it says in one line that it was skipped.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  armPut,
  armRequest,
  CLIENT,
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
} from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { uploadVhd } from '../helpers/vhd.js';

const run = promisify(execFile);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function azOnPath(): Promise<boolean> {
  try {
    await run('az', ['version', '-o', 'none'], { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

const available = await azOnPath();
if (!available) process.stderr.write('skipped: the Azure CLI (az) is not installed here\n');
const describeAz = available ? describe : describe.skip;

const RG = 'rg-az';
let emu: TestEmulator;
let configDir: string;

async function az(...args: string[]): Promise<string> {
  const { stdout } = await run('az', [...args, '--only-show-errors'], {
    timeout: 60_000,
    env: { ...process.env, AZURE_CONFIG_DIR: configDir, REQUESTS_CA_BUNDLE: emu.caCertPath },
  });
  return stdout;
}

describeAz('the Azure CLI against the stand-in', () => {
  beforeAll(async () => {
    emu = await startTestEmulator({ settings: { operationMs: 20, replicationMs: 60 } });
    configDir = mkdtempSync(join(tmpdir(), 'cga-az-'));
    const storageAccountId = await seedStorage(emu, RG, 'azclivhds', 'westus2');
    const vhd = await uploadVhd(emu.blobEndpoint, 'azclivhds', emu.credential(), 'os.vhd');
    const gallery = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/gal_az`;
    await armPut(emu, gallery, { location: 'westus2' });
    await armPut(emu, `${gallery}/images/node`, {
      location: 'westus2',
      properties: {
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V2',
        identifier: { publisher: 'capi', offer: 'ubuntu', sku: '2404' },
      },
    });
    await armPut(emu, `${gallery}/images/node/versions/1.0.0`, {
      location: 'westus2',
      properties: {
        publishingProfile: { targetRegions: [{ name: 'westus2' }] },
        storageProfile: { osDiskImage: { source: { uri: vhd, storageAccountId } } },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await emu?.dispose();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it('registers the cloud from /metadata/endpoints, logs in, lists subscriptions', async () => {
    await az('cloud', 'register', '-n', 'StandIn', '--endpoint-resource-manager', emu.endpoint);
    await az('cloud', 'set', '-n', 'StandIn');
    const accounts = JSON.parse(
      await az(
        'login',
        '--service-principal',
        '-u',
        CLIENT,
        '-p',
        'local-secret',
        '--tenant',
        TENANT,
        '-o',
        'json',
      ),
    ) as { id: string; tenantId: string; state: string }[];
    expect(accounts).toEqual([
      expect.objectContaining({ id: SUBSCRIPTION, tenantId: TENANT, state: 'Enabled' }),
    ]);
  }, 120_000);

  it('az sig image-version update changes a version and keeps its source', async () => {
    const before = await armRequest<Json>(
      emu,
      'GET',
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/gal_az/images/node/versions/1.0.0`,
    );
    const updated = JSON.parse(
      await az(
        'sig',
        'image-version',
        'update',
        '-g',
        RG,
        '-r',
        'gal_az',
        '-i',
        'node',
        '-e',
        '1.0.0',
        '--set',
        'publishingProfile.excludeFromLatest=true',
        '-o',
        'json',
      ),
    ) as { publishingProfile: { excludeFromLatest: boolean }; provisioningState: string };
    expect(updated.publishingProfile.excludeFromLatest).toBe(true);
    expect(updated.provisioningState).toBe('Succeeded');
    const after = await armRequest<Json>(
      emu,
      'GET',
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/gal_az/images/node/versions/1.0.0`,
    );
    expect(after.body.properties.storageProfile.osDiskImage.source).toEqual(
      before.body.properties.storageProfile.osDiskImage.source,
    );
  }, 120_000);
});
