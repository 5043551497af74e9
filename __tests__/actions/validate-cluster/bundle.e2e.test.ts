/**
 * dist/validate-cluster run as the runner runs it (main, then post with main's state), signing in
 * with GitHub OIDC against the stand-in: a passing image, a wrong kubelet, a guest that does not
 * boot, a main step killed while the VM boots, and bad inputs. In every case the resource group
 * is gone afterwards.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { LINUX_TEMPLATE } from '../../fixtures/capz/templates.js';
import { runActionSteps } from '../../helpers/action-steps.js';
import { CLIENT, startTestEmulator, SUBSCRIPTION, TENANT } from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { fakeKubectl } from '../../helpers/fake-kubectl.js';
import type { FakeKubectl } from '../../helpers/fake-kubectl.js';
import { seedImageVersion } from '../../helpers/gallery-seed.js';

/** What seedImageVersion makes by default. */
const VERSION = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-staging/providers/Microsoft.Compute/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2`;
let emu: TestEmulator;
let version: string;

const runnerEnv = (): Record<string, string> => ({
  NODE_EXTRA_CA_CERTS: emu.caCertPath,
  ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidcRequestUrl,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
});

const inputs = (more: Record<string, string> = {}): Record<string, string> => ({
  'subscription-id': SUBSCRIPTION,
  'tenant-id': TENANT,
  'client-id': CLIENT,
  'arm-endpoint': emu.endpoint,
  'authority-host': emu.authorityHost,
  'image-version-id': version,
  'poll-interval-seconds': '1',
  ...more,
});

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 40 } });
  version = await seedImageVersion(emu, { securityType: 'TrustedLaunchSupported' });
  expect(version).toBe(VERSION);
});
afterAll(async () => {
  await emu?.dispose();
});
beforeEach(async () => {
  await emu.admin('DELETE', '/guest-profiles');
});

/** Resource groups the validations made that still exist. */
async function validationGroups(): Promise<string[]> {
  const all = await emu.admin<{ id: string; type: string }[]>('GET', '/resources');
  return all.filter((r) => r.id.includes('/resourceGroups/cga-validate-')).map((r) => r.id);
}

describe('dist/validate-cluster (mode vm)', () => {
  it('passes a healthy image: outputs, report, summary; post finds nothing left', async () => {
    const run = await runActionSteps('validate-cluster', inputs(), runnerEnv());
    try {
      expect(run.main.stderr).toBe('');
      expect(run.main.code).toBe(0);
      console.log(
        `vm-mode validation on the stand-in, dist bundle as the runner runs it (OIDC, poll-interval-seconds 1): main ${run.main.durationMs} ms, post ${run.post!.durationMs} ms`,
      );
      expect(run.main.stdout).toContain(
        'Signing in to Azure with GitHub OIDC federated credential',
      );
      expect(run.outputs).toMatchObject({ result: 'passed', 'kubelet-version': 'v1.31.2' });
      const checks = JSON.parse(run.outputs.checks!) as { name: string; status: string }[];
      expect(checks.map((c) => c.name)).toEqual([
        'vm-boots',
        'kubelet-version',
        'kubeadm-version',
        'kubectl-version',
        'containerd-version',
        'crictl',
        'kubelet-enabled',
        'containerd-enabled',
        'cloud-init',
        'kubeadm-dry-run',
        'provenance-file',
      ]);
      const report = JSON.parse(readFileSync(run.outputs.report!, 'utf8')) as Record<
        string,
        unknown
      >;
      expect(report).toMatchObject({
        schema: 'compute-gallery-actions/validation-report@1',
        result: 'passed',
      });
      expect(run.summary).toContain('**Passed**: the image boots and runs Kubernetes v1.31.2.');
      expect(run.summary).toMatch(/\| ✅ \| `kubeadm-dry-run` \|/);
      expect(run.state['cleanup-done']).toBe('true');
      expect(run.post!.code).toBe(0);
      expect(run.post!.stdout).toContain(
        'Nothing to clean up: the main step already took care of resource group cga-validate-',
      );
      expect(await validationGroups()).toEqual([]);
    } finally {
      await run.dispose();
    }
  });

  it('fails kubelet v1.31.1 on a 1.31.2 image, naming the check', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { versions: { kubelet: '1.31.1' } },
    });
    const run = await runActionSteps('validate-cluster', inputs(), runnerEnv());
    try {
      expect(run.main.code).toBe(1);
      expect(run.main.stdout).toMatch(
        /::error::Validation of capi-ubuntu-2404\/versions\/1\.31\.2 failed 1 check\(s\): kubelet-version \(expected v1\.31\.2, got v1\.31\.1\)/,
      );
      expect(run.outputs).toMatchObject({ result: 'failed', 'kubelet-version': 'v1.31.1' });
      expect(run.summary).toMatch(
        /\| ❌ \| `kubelet-version` \| kubelet reports v1\.31\.2 \| v1\.31\.2 \| v1\.31\.1 \|/,
      );
      expect(run.summary).toContain('#### Diagnostics');
      expect(run.post!.code).toBe(0);
      expect(await validationGroups()).toEqual([]);
    } finally {
      await run.dispose();
    }
  });

  it('fails a guest that does not boot, with the serial log in the summary', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { boot: { fails: true } },
    });
    const run = await runActionSteps('validate-cluster', inputs(), runnerEnv());
    try {
      expect(run.main.code).toBe(1);
      expect(run.main.stdout).toMatch(
        /::error::Validation of .* failed 1 check\(s\): vm-boots .*OSProvisioningTimedOut/,
      );
      expect(run.summary).toContain('Kernel panic - not syncing');
      expect(run.summary).toContain('ProvisioningState/failed/OSProvisioningTimedOut');
      expect(await validationGroups()).toEqual([]);
    } finally {
      await run.dispose();
    }
  });

  it('deletes the resource group from post: when the main step is killed while the VM boots', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { boot: { durationMs: 60_000 } },
    });
    const run = await runActionSteps('validate-cluster', inputs(), runnerEnv(), {
      killMainWhen: /Booting a Standard_D2s_v5 VM/,
    });
    try {
      expect(run.main.signal).toBe('SIGKILL');
      const rg = run.state['resource-group']!;
      expect(rg).toMatch(/^cga-validate-\d+-1-capi-ubuntu-2404-1\.31\.2-[0-9a-f]{6}$/);
      expect(run.state['cleanup-done']).toBeUndefined();
      expect(run.post!.stderr).toBe('');
      expect(run.post!.code).toBe(0);
      expect(run.post!.stdout).toContain(
        `The main step did not finish its cleanup; deleting resource group ${rg}.`,
      );
      expect(run.post!.stdout).toMatch(new RegExp(`Deleted resource group ${rg} in [\\d.]+ s`));
      expect(run.summary).toContain('### validate-cluster (post): cleanup');
      expect(await validationGroups()).toEqual([]);
    } finally {
      await run.dispose();
    }
  });

  it('stops waiting and deletes the resource group itself when the runner cancels the step', async () => {
    await emu.admin('POST', '/guest-profiles', {
      imageVersionId: version,
      profile: { boot: { durationMs: 60_000 } },
    });
    const run = await runActionSteps('validate-cluster', inputs(), runnerEnv(), {
      killMainWhen: /Booting a Standard_D2s_v5 VM/,
      killSignal: 'SIGTERM',
    });
    try {
      expect(run.main.code).toBe(1);
      expect(run.main.stdout).toContain(
        '::warning::Received SIGTERM: stopping the validation and cleaning up.',
      );
      expect(run.main.stdout).toMatch(
        /::error::Validation of .* failed 1 check\(s\): vm-boots \(expected provisioning Succeeded, got Cancelled while booting a Standard_D2s_v5 VM \(TrustedLaunch\)\.\)$/m,
      );
      expect(run.state['cleanup-done']).toBe('true');
      expect(run.outputs.result).toBe('failed');
      expect(run.post!.stdout).toContain('Nothing to clean up');
      expect(await validationGroups()).toEqual([]);
    } finally {
      await run.dispose();
    }
  });

  it.each([
    [
      { 'image-version-id': VERSION.replace('/versions/1.31.2', '') },
      "Invalid input 'image-version-id'",
    ],
    [{ 'vm-size': 'D2s_v5' }, "Invalid input 'vm-size': 'D2s_v5'"],
    [
      { 'image-version-id': VERSION.replace('1.31.2', '1.31.9') },
      "Invalid input 'image-version-id'",
    ],
    [
      { location: 'eastus' },
      "Invalid input 'location': 'eastus'. The version has not finished replicating to eastus",
    ],
  ])('refuses %j before creating anything; post has nothing to do', async (bad, message) => {
    const since = (await emu.admin<{ seq: number }[]>('GET', '/requests')).at(-1)?.seq ?? 0;
    const run = await runActionSteps('validate-cluster', inputs(bad), runnerEnv());
    try {
      expect(run.main.code).toBe(1);
      expect(run.main.stdout).toContain(`::error::${message}`);
      const writes = (
        await emu.admin<{ method: string; path: string }[]>('GET', `/requests?since=${since}`)
      ).filter((r) => r.method !== 'GET' && !r.path.startsWith('[login]'));
      expect(writes).toEqual([]);
      expect(run.state).toEqual({});
      expect(run.post!.code).toBe(0);
      expect(run.post!.stdout).toContain('Nothing to clean up: the main step created nothing.');
    } finally {
      await run.dispose();
    }
  });
});

describe('dist/validate-cluster (mode cluster, stand-in kubectl on PATH)', () => {
  const KUBECONFIG = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: management',
    '  cluster: { server: "https://management.invalid" }',
    'contexts:',
    '- name: admin',
    '  context: { cluster: management, user: admin }',
    'current-context: admin',
    'users:',
    '- name: admin',
    '  user: { token: not-a-real-token }',
    '',
  ].join('\n');
  // The default templates come from a CAPZ release's assets: here the stand-in's, ours.
  const REPO = 'kubernetes-sigs/cluster-api-provider-azure';
  beforeAll(async () => {
    await emu.admin('POST', '/github/assets', {
      repository: REPO,
      tag: 'v1.26.0',
      name: 'cluster-template.yaml',
      content: LINUX_TEMPLATE,
    });
  });
  const clusterInputs = (more: Record<string, string> = {}) =>
    inputs({
      mode: 'cluster',
      kubeconfig: KUBECONFIG,
      'worker-count': '2',
      'capz-releases-url': `${emu.authorityHost}/${REPO}/releases/download`,
      ...more,
    });
  const clusterEnv = (kubectl: FakeKubectl) => ({
    ...runnerEnv(),
    ...kubectl.env,
    CLUSTER_IDENTITY_NAME: 'cluster-identity',
    AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY: '33333333-3333-3333-3333-333333333333',
  });

  it('passes a cluster that comes up on the version, and deletes it', async () => {
    const kubectl = fakeKubectl('ready');
    const run = await runActionSteps('validate-cluster', clusterInputs(), clusterEnv(kubectl));
    try {
      expect(run.main.stderr).toBe('');
      expect(run.main.code).toBe(0);
      console.log(
        `cluster-mode validation, dist bundle with the stand-in kubectl: main ${run.main.durationMs} ms`,
      );
      expect(run.outputs).toMatchObject({ result: 'passed', 'kubelet-version': 'v1.31.2' });
      expect(run.summary).toMatch(/\| ✅ \| `nodes-ready` \|/);
      expect(run.summary).toMatch(
        /\| Cluster \| `default\/cga-\d+-1-[0-9a-f]{6}`: 1 control plane, 2 worker\(s\) \|/,
      );
      expect(run.post!.stdout).toContain(
        'Nothing to clean up: the main step already took care of cluster',
      );
      const deletes = kubectl.calls().filter((c) => c.args[0] === 'delete');
      expect(deletes[0]!.args.slice(0, 2)).toEqual(['delete', 'cluster']);
    } finally {
      await run.dispose();
      kubectl.dispose();
    }
  });

  it('fails a kubelet at the wrong version, naming the check', async () => {
    const kubectl = fakeKubectl('wrong-kubelet');
    const run = await runActionSteps('validate-cluster', clusterInputs(), clusterEnv(kubectl));
    try {
      expect(run.main.code).toBe(1);
      expect(run.main.stdout).toMatch(
        /::error::Validation of .* failed 1 check\(s\): kubelet-version \(expected v1\.31\.2, got v1\.31\.1/,
      );
      expect(run.outputs).toMatchObject({ result: 'failed', 'kubelet-version': 'v1.31.1' });
    } finally {
      await run.dispose();
      kubectl.dispose();
    }
  });

  it('deletes the cluster from post: when the main step is killed after applying it', async () => {
    const kubectl = fakeKubectl('node-not-ready');
    const run = await runActionSteps('validate-cluster', clusterInputs(), clusterEnv(kubectl), {
      killMainWhen: /cluster\.cluster\.x-k8s\.io\/cga-\S+ created/,
    });
    try {
      expect(run.main.signal).toBe('SIGKILL');
      const saved = JSON.parse(run.state.cluster!) as { name: string; namespace: string };
      expect(run.post!.stderr).toBe('');
      expect(run.post!.code).toBe(0);
      expect(run.post!.stdout).toMatch(new RegExp(`Deleted cluster default/${saved.name} in`));
      expect(Object.keys(kubectl.world().deletingAt)).toEqual([saved.name]);
    } finally {
      await run.dispose();
      kubectl.dispose();
    }
  });

  it('refuses a kubeconfig that is not one before anything else', async () => {
    const kubectl = fakeKubectl('ready');
    const run = await runActionSteps(
      'validate-cluster',
      clusterInputs({ kubeconfig: 'apiVersion: v1\nkind: Secret\n' }),
      clusterEnv(kubectl),
    );
    try {
      expect(run.main.code).toBe(1);
      expect(run.main.stdout).toContain(
        "::error::Invalid input 'kubeconfig': '<kubeconfig content>'. Not a kubeconfig",
      );
      expect(kubectl.calls()).toEqual([]);
      expect(run.state).toEqual({});
    } finally {
      await run.dispose();
      kubectl.dispose();
    }
  });
});
