/**
 * mode: cluster with a stand-in kubectl on PATH playing a CAPZ management cluster: a cluster that
 * comes up, a node stuck NotReady, a kubelet at the wrong version, no CAPZ at all.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ConfigurationError, InputError } from '../../../src/common/errors.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { parseGalleryImageVersionId } from '../../../src/gallery/identifiers.js';
import { CAPZ_DEFAULT_TEMPLATES } from '../../../src/validate/cluster/capz-templates.js';
import { validateCluster } from '../../../src/validate/cluster/cluster.js';
import type { ClusterValidationSettings } from '../../../src/validate/cluster/cluster.js';
import type { ImageFacts } from '../../../src/validate/image.js';
import { kubeconfigSource, loadKubeconfig } from '../../../src/validate/cluster/kubectl.js';
import type { ClusterDiagnostics } from '../../../src/validate/report.js';
import { fakeKubectl } from '../../helpers/fake-kubectl.js';
import type { FakeKubectl, KubectlScenario } from '../../helpers/fake-kubectl.js';

const ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-staging/providers/Microsoft.Compute/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2';
const image: ImageFacts & { region: string } = {
  id: ID,
  ref: parseGalleryImageVersionId(ID)!,
  osType: 'Linux',
  hyperVGeneration: 'V2',
  architecture: 'x64',
  securityType: 'TrustedLaunchSupported',
  diskControllerTypes: ['SCSI'],
  replicatedRegions: ['westus2'],
  location: 'westus2',
  region: 'westus2',
};
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: management
  cluster:
    server: https://management.invalid
contexts:
- name: admin@management
  context: { cluster: management, user: admin }
current-context: admin@management
users:
- name: admin
  user: { token: not-a-real-token }
`;
const ENV = {
  CLUSTER_IDENTITY_NAME: 'cluster-identity',
  AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY: '33333333-3333-3333-3333-333333333333',
};

let kubectl: FakeKubectl | undefined;
afterEach(() => kubectl?.dispose());

function settings(overrides: Partial<ClusterValidationSettings> = {}): ClusterValidationSettings {
  return {
    subscriptionId: '00000000-0000-0000-0000-000000000000',
    tenantId: '11111111-1111-1111-1111-111111111111',
    image,
    kubernetesVersion: 'v1.31.2',
    kubeconfig: KUBECONFIG,
    template: { text: CAPZ_DEFAULT_TEMPLATES.Linux, shown: 'CAPZ default' },
    namespace: 'default',
    controlPlaneCount: 1,
    workerCount: 2,
    keepOnFailure: false,
    timeoutMs: 4000,
    pollIntervalMs: 40,
    cleanupTimeoutMs: 4000,
    ...overrides,
  };
}

async function validate(
  scenario: KubectlScenario,
  overrides: Partial<ClusterValidationSettings> = {},
  env: Record<string, string> = ENV,
) {
  kubectl = fakeKubectl(scenario);
  const state: Record<string, string> = {};
  const logger = new RecordingLogger();
  const report = await validateCluster(settings(overrides), {
    run: kubectl.run,
    logger,
    runId: { runId: '42', attempt: '1', discriminator: 'validate' },
    saveState: (k, v) => (state[k] = v),
    env,
  });
  return { report, state, logger, calls: kubectl.calls(), world: kubectl.world() };
}

const status = (report: { checks: readonly { name: string; status: string }[] }) =>
  Object.fromEntries(report.checks.map((c) => [c.name, c.status]));

describe('validate-cluster mode cluster', () => {
  it('passes a cluster that comes up, then deletes it and waits until it is gone', async () => {
    const { report, state, calls, world } = await validate('ready');
    expect(report).toMatchObject({
      result: 'passed',
      mode: 'cluster',
      kubeletVersion: 'v1.31.2',
      cluster: {
        name: 'cga-42-1-' + report.cluster!.name.slice(9),
        namespace: 'default',
        controlPlaneCount: 1,
        workerCount: 2,
      },
      cleanup: { deleted: true },
    });
    expect(status(report)).toEqual({
      'control-plane-initialized': 'passed',
      'machines-running': 'passed',
      'nodes-ready': 'passed',
      'kubelet-version': 'passed',
      'smoke-workload': 'passed',
    });
    expect(report.cluster!.nodes).toHaveLength(3);
    const name = report.cluster!.name;
    expect(state).toEqual({
      cluster: JSON.stringify({ name, namespace: 'default' }),
      'cleanup-done': 'true',
    });
    // After the Cluster went, the objects named after it went too; the shared identity stays.
    expect(world.objects.map((o) => o.kind).sort()).toEqual(['AzureClusterIdentity', 'Cluster']);
    expect(calls.some((c) => c.target === name && c.args[0] === 'apply')).toBe(true);
    expect(
      calls.filter((c) => c.args[0] === 'delete').map((c) => c.args.slice(0, 3).join(' ')),
    ).toEqual([`delete cluster ${name}`, expect.stringMatching(/^delete -f /)]);
  });

  it('fails a node stuck NotReady, naming it, with the Cluster, Machines and events', async () => {
    const { report, world } = await validate('node-not-ready', { timeoutMs: 1500 });
    expect(report.result).toBe('failed');
    expect(report.error).toMatch(/^Timed out after/);
    expect(status(report)).toMatchObject({
      'machines-running': 'passed',
      'nodes-ready': 'failed',
      'smoke-workload': 'skipped',
    });
    const row = report.checks.find((c) => c.name === 'nodes-ready')!;
    expect(row.actual).toMatch(
      /^2\/3 Ready \(NotReady: cga-42-1-\w+-md-0-0: KubeletNotReady container runtime network not ready/,
    );
    const diagnostics = report.diagnostics as ClusterDiagnostics;
    expect(diagnostics.cluster).toContain('ControlPlaneInitialized');
    expect(diagnostics.machines).toContain('Running');
    expect(diagnostics.nodes).toContain('NotReady');
    expect(diagnostics.events).toContain('NodeNotReady');
    expect(report.cleanup?.deleted).toBe(true);
    expect(Object.keys(world.deletingAt)).toEqual([report.cluster!.name]);
  });

  it('fails kubelet v1.31.1 on a 1.31.2 image as soon as the nodes are up', async () => {
    const started = Date.now();
    const { report } = await validate('wrong-kubelet', { timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(report.result).toBe('failed');
    expect(report.error).toBeUndefined();
    expect(report.checks.find((c) => c.name === 'kubelet-version')).toMatchObject({
      status: 'failed',
      expected: 'v1.31.2',
      actual: expect.stringMatching(/^v1\.31\.1 \(/),
    });
    expect(report.kubeletVersion).toBe('v1.31.1');
  });

  it('keeps a failed cluster with keep-on-failure, and says how to delete it', async () => {
    const { report, calls, state } = await validate('wrong-kubelet', { keepOnFailure: true });
    expect(report.cleanup).toMatchObject({
      deleted: false,
      message: expect.stringContaining('kubectl delete cluster'),
    });
    expect(calls.some((c) => c.args[0] === 'delete')).toBe(false);
    expect(state['cleanup-done']).toBe('true');
  });

  it('refuses a management cluster without CAPZ before applying anything', async () => {
    await expect(validate('no-capz')).rejects.toThrow(ConfigurationError);
    expect(kubectl!.calls().some((c) => c.args[0] === 'apply')).toBe(false);
  });

  it('refuses a template whose variables are not set, before applying anything', async () => {
    await expect(validate('ready', {}, { CLUSTER_IDENTITY_NAME: 'x' })).rejects.toThrow(
      /Invalid input 'cluster-template'.*AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY/,
    );
    expect(kubectl!.calls().map((c) => c.args[0])).toEqual(['version', 'get']);
  });
});

describe('the kubeconfig input', () => {
  it('takes a path or the content, and refuses what is not a kubeconfig without quoting it', async () => {
    expect(kubeconfigSource('/home/runner/.kube/config')).toEqual({
      kind: 'path',
      value: '/home/runner/.kube/config',
    });
    expect(kubeconfigSource(KUBECONFIG).kind).toBe('content');
    await expect(loadKubeconfig(kubeconfigSource(KUBECONFIG))).resolves.toBe(KUBECONFIG);
    const secret = 'apiVersion: v1\nkind: Secret\ndata:\n  token: c2VjcmV0\n';
    const err = (await loadKubeconfig(kubeconfigSource(secret)).catch(
      (e: unknown) => e,
    )) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      "Invalid input 'kubeconfig': '<kubeconfig content>'. Not a kubeconfig (its kind is 'Secret', not Config). Expected the path or the content of the management cluster's kubeconfig.",
    );
    await expect(loadKubeconfig(kubeconfigSource('/nonexistent/config'))).rejects.toThrow(
      /Invalid input 'kubeconfig': '\/nonexistent\/config'. Cannot read it/,
    );
  });
});
