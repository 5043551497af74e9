/**
 * mode: vm against the stand-in, in process: the real @azure/arm-compute and arm-resources
 * clients boot a VM from a gallery version whose guest profile decides what the node reports.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createClients } from '../../../src/azure/clients.js';
import { createCredential } from '../../../src/azure/credentials.js';
import { ConfigurationError, InputError } from '../../../src/common/errors.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { parseGalleryImageVersionId } from '../../../src/gallery/identifiers.js';
import { DEFAULT_PROVENANCE_FILES } from '../../../src/validate/checks.js';
import { readImage } from '../../../src/validate/image.js';
import type { VmDiagnostics } from '../../../src/validate/report.js';
import { validateVm } from '../../../src/validate/vm/vm.js';
import type { VmValidationContext, VmValidationSettings } from '../../../src/validate/vm/vm.js';
import {
  armRequest,
  CLIENT,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
} from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { seedImageVersion } from '../../helpers/gallery-seed.js';

let emu: TestEmulator;
let clients: ReturnType<typeof createClients>;
let version: string;
let run = 0;

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 30 } });
  const azure = {
    subscriptionId: SUBSCRIPTION,
    tenantId: TENANT,
    clientId: CLIENT,
    armEndpoint: emu.endpoint,
    authorityHost: emu.authorityHost,
  };
  const signedIn = createCredential(azure, {
    env: { AZURE_CLIENT_SECRET: 'local-secret' },
    getIdToken: () => Promise.reject(new Error('no OIDC here')),
    maskSecret: () => undefined,
    logger: new RecordingLogger(),
  });
  clients = createClients(azure, signedIn.credential, 'test');
  version = await seedImageVersion(emu, { securityType: 'TrustedLaunchSupported' });
});
afterAll(async () => {
  await emu?.dispose();
});
beforeEach(async () => {
  await emu.admin('DELETE', '/guest-profiles');
});

interface Harness {
  logger: RecordingLogger;
  state: Record<string, string>;
  ctx: VmValidationContext;
}

function harness(): Harness {
  const logger = new RecordingLogger();
  const state: Record<string, string> = {};
  return {
    logger,
    state,
    ctx: {
      compute: clients.compute,
      resources: clients.resources,
      logger,
      run: { runId: `9${++run}`, attempt: '1', discriminator: 'validate' },
      saveState: (name, value) => (state[name] = value),
      maskSecret: () => undefined,
      fetchText: async (url) => (await fetch(url)).text(),
      credentials: async (os) =>
        os === 'Windows'
          ? { adminPassword: 'Local-Passw0rd!x' }
          : { sshPublicKey: `ssh-rsa ${Buffer.from('test key').toString('base64')}` },
    },
  };
}

async function settingsFor(
  id = version,
  overrides: Partial<VmValidationSettings> = {},
  location?: string,
): Promise<VmValidationSettings> {
  const image = await readImage(
    clients.compute,
    id,
    parseGalleryImageVersionId(id)!,
    location,
    new RecordingLogger(),
  );
  return {
    subscriptionId: SUBSCRIPTION,
    image,
    kubernetesVersion: 'v1.31.2',
    provenanceFile: DEFAULT_PROVENANCE_FILES[image.osType],
    timeoutMs: 60_000,
    pollIntervalMs: 20,
    cleanupTimeoutMs: 30_000,
    ...overrides,
  };
}

/** Every resource the stand-in holds under the validation's resource group, and the group. */
async function leftovers(rg: string): Promise<string[]> {
  const all = await emu.admin<{ id: string }[]>('GET', '/resources');
  return all
    .map((r) => r.id)
    .filter((id) => id.toLowerCase().includes(`/resourcegroups/${rg.toLowerCase()}`));
}

describe('validate-cluster mode vm on the stand-in', () => {
  it('passes an image whose node reports the right versions, and deletes everything', async () => {
    const { ctx, state } = harness();
    const started = performance.now();
    const report = await validateVm(await settingsFor(), ctx);
    const ms = Math.round(performance.now() - started);
    console.log(
      `vm-mode validation on the stand-in, in process (operationMs 30, polls every 20 ms): ${ms} ms`,
    );
    expect(report).toMatchObject({
      result: 'passed',
      mode: 'vm',
      kubeletVersion: 'v1.31.2',
      location: 'westus2',
      vm: { size: 'Standard_D2s_v5', securityType: 'TrustedLaunch', diskControllerType: 'SCSI' },
      cleanup: { deleted: true },
    });
    expect(report.checks).toHaveLength(11);
    expect(report.checks.every((c) => c.status === 'passed')).toBe(true);
    expect(report).not.toHaveProperty('diagnostics');
    const rg = report.vm!.resourceGroup;
    expect(state).toEqual({ 'resource-group': rg, 'cleanup-done': 'true' });
    expect(await leftovers(rg)).toEqual([]);
  });

  it('fails kubelet-version for a v1.31.1 kubelet on a 1.31.2 image, with diagnostics', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { versions: { kubelet: '1.31.1' } },
    });
    const { ctx } = harness();
    const report = await validateVm(await settingsFor(), ctx);
    expect(report.result).toBe('failed');
    expect(report.checks.filter((c) => c.status === 'failed')).toEqual([
      expect.objectContaining({ name: 'kubelet-version', expected: 'v1.31.2', actual: 'v1.31.1' }),
    ]);
    expect(report.kubeletVersion).toBe('v1.31.1');
    const diagnostics = report.diagnostics as VmDiagnostics;
    expect(diagnostics.runCommand?.stdout).toContain('Kubernetes v1.31.1');
    expect(diagnostics.instanceView?.statuses.map((s) => s.code)).toContain('PowerState/running');
    expect(diagnostics.serialLog).toContain('cloud-init');
    expect(await leftovers(report.vm!.resourceGroup)).toEqual([]);
  });

  it('fails a guest that does not boot, with the instance view and serial log', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { boot: { fails: true } },
    });
    const { ctx } = harness();
    const report = await validateVm(await settingsFor(), ctx);
    expect(report.result).toBe('failed');
    expect(report.error).toMatch(/^The VM did not boot: OSProvisioningTimedOut/);
    expect(report.checks).toEqual([
      expect.objectContaining({
        name: 'vm-boots',
        status: 'failed',
        actual: expect.stringMatching(/OSProvisioningTimedOut/),
      }),
    ]);
    const diagnostics = report.diagnostics as VmDiagnostics;
    expect(diagnostics.instanceView?.statuses[0]?.code).toBe(
      'ProvisioningState/failed/OSProvisioningTimedOut',
    );
    expect(diagnostics.instanceView?.vmAgent?.statuses[0]?.displayStatus).toBe('Not Ready');
    expect(diagnostics.serialLog).toContain('Kernel panic - not syncing');
    expect(diagnostics.problems).toEqual([]);
    expect(await leftovers(report.vm!.resourceGroup)).toEqual([]);
  });

  it('fails on its timeout, and still cleans up', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { boot: { durationMs: 5000 } },
    });
    const { ctx } = harness();
    const report = await validateVm(await settingsFor(version, { timeoutMs: 600 }), ctx);
    expect(report.result).toBe('failed');
    expect(report.error).toMatch(/^Timed out after \d+ min while booting a Standard_D2s_v5 VM/);
    expect(report.cleanup?.deleted).toBe(true);
    expect(await leftovers(report.vm!.resourceGroup)).toEqual([]);
  });

  it('validates a Windows image through PowerShell', async () => {
    const id = await seedImageVersion(emu, {
      definition: 'capi-win-2022-containerd',
      osType: 'Windows',
      securityType: 'TrustedLaunchSupported',
    });
    const { ctx } = harness();
    const report = await validateVm(await settingsFor(id), ctx);
    expect(report.result).toBe('passed');
    expect(report.checks.filter((c) => c.status === 'skipped').map((c) => c.name)).toEqual([
      'cloud-init',
      'kubeadm-dry-run',
    ]);
  });

  it('boots a confidential image as a confidential VM', async () => {
    const id = await seedImageVersion(emu, {
      definition: 'capi-ubuntu-2404-cvm',
      securityType: 'ConfidentialVmSupported',
    });
    const { ctx } = harness();
    const report = await validateVm(await settingsFor(id), ctx);
    expect(report).toMatchObject({
      result: 'passed',
      vm: { size: 'Standard_DC2as_v5', securityType: 'ConfidentialVM' },
    });
  });

  it('reports what Azure refused when a given VM size cannot boot the image', async () => {
    const { ctx } = harness();
    const report = await validateVm(await settingsFor(version, { vmSize: 'Standard_A2_v2' }), ctx);
    expect(report.result).toBe('failed');
    expect(report.error).toMatch(/cannot boot Hypervisor Generation '2'/);
    expect(await leftovers(report.vm!.resourceGroup)).toEqual([]);
  });

  it('leaves a resource group it did not make alone', async () => {
    const { ctx, state } = harness();
    const settings = await settingsFor();
    const first = await validateVm(settings, { ...ctx });
    const rg = first.vm!.resourceGroup;
    await clients.resources.resourceGroups.createOrUpdate(rg, {
      location: 'westus2',
      tags: { owner: 'someone' },
    });
    delete state['resource-group'];
    await expect(validateVm(settings, ctx)).rejects.toThrow(ConfigurationError);
    expect(state).toEqual({ 'cleanup-done': 'true' });
    expect((await clients.resources.resourceGroups.get(rg)).tags).toEqual({ owner: 'someone' });
  });
});

describe('checks before anything is created', () => {
  async function refused(id: string, location?: string): Promise<InputError> {
    const since = (await emu.admin<{ seq: number }[]>('GET', '/requests')).at(-1)?.seq ?? 0;
    const err = await readImage(
      clients.compute,
      id,
      parseGalleryImageVersionId(id)!,
      location,
      new RecordingLogger(),
    ).catch((e: unknown) => e);
    const writes = (
      await emu.admin<{ method: string; path: string }[]>('GET', `/requests?since=${since}`)
    ).filter((r) => r.method !== 'GET' && !r.path.startsWith('[login]'));
    expect(writes).toEqual([]);
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }

  it('refuses a version that does not exist', async () => {
    const err = await refused(version.replace('1.31.2', '1.31.9'));
    expect(err.input).toBe('image-version-id');
    expect(err.message).toMatch(/No such image version/);
  });

  it('refuses a region the version is not replicated to, naming location', async () => {
    const err = await refused(version, 'eastus');
    expect(err.input).toBe('location');
    expect(err.message).toMatch(/not finished replicating to eastus; it is available in: westus2/);
  });

  it('refuses a version that is not Succeeded', async () => {
    await emu.admin('POST', '/settings', { replicationMs: 60_000 });
    try {
      const id = version.replace('1.31.2', '1.31.3');
      // Started, not waited for: the version stays Creating for a minute.
      const put = await armRequest(emu, 'PUT', id, {
        location: 'westus2',
        properties: { storageProfile: { source: { id: version } } },
      });
      expect(put.status).toBe(201);
      const err = await refused(id);
      expect(err.input).toBe('image-version-id');
      expect(err.message).toMatch(/The version is Creating, not Succeeded/);
    } finally {
      await emu.admin('POST', '/settings', { replicationMs: 200 });
    }
  });
});
