import { describe, expect, it } from '@jest/globals';
import { getInputs, loadClusterInputs } from '../../../src/actions/validate-cluster/inputs.js';
import { InputError } from '../../../src/common/errors.js';
import { recordInputReader } from '../../../src/common/inputs.js';

const ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-staging/providers/Microsoft.Compute/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2';
const base = { 'subscription-id': '00000000-0000-0000-0000-000000000000', 'image-version-id': ID };
const read = (inputs: Record<string, string>) =>
  getInputs(recordInputReader({ ...base, ...inputs }));

function failure(inputs: Record<string, string>): InputError {
  try {
    read(inputs);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error(`no error for ${JSON.stringify(inputs)}`);
}

describe('validate-cluster inputs', () => {
  it('defaults to a VM test of the version name’s Kubernetes version', () => {
    expect(read({})).toMatchObject({
      imageVersionId: ID,
      imageVersion: {
        gallery: 'staging_gallery',
        imageDefinition: 'capi-ubuntu-2404',
        version: '1.31.2',
      },
      kubernetesVersion: 'v1.31.2',
      mode: 'vm',
      timeoutMinutes: 45,
      pollIntervalSeconds: 15,
    });
    expect(read({})).not.toHaveProperty('location');
  });

  it('reads the optional inputs', () => {
    expect(
      read({
        'kubernetes-version': '1.31.3',
        location: 'EastUS',
        'vm-size': 'Standard_E4-2s_v3',
        'containerd-version': 'v2.0.0',
        'provenance-file': 'C:\\k\\provenance.json',
      }),
    ).toMatchObject({
      kubernetesVersion: 'v1.31.3',
      location: 'eastus',
      vmSize: 'Standard_E4-2s_v3',
      containerdVersion: '2.0.0',
      provenanceFile: 'C:\\k\\provenance.json',
    });
  });

  it.each([
    [{ 'image-version-id': '' }, 'image-version-id', /required/],
    [
      { 'image-version-id': ID.replace('/versions/1.31.2', '') },
      'image-version-id',
      /gallery image version ID/,
    ],
    [
      { 'image-version-id': ID.replace('1.31.2', 'latest') },
      'image-version-id',
      /gallery image version ID/,
    ],
    [
      { 'image-version-id': ID.replace('1.31.2', '2024.1.7') },
      'kubernetes-version',
      /not a Kubernetes version/,
    ],
    [{ 'kubernetes-version': '1.31' }, 'kubernetes-version', /Kubernetes version/],
    [{ mode: 'cluster-api' }, 'mode', /vm, cluster/],
    [{ location: 'West US 2' }, 'location', /region/],
    [{ location: 'atlantis' }, 'location', /Azure region/],
    [{ 'vm-size': 'D2s_v5' }, 'vm-size', /Standard_D2s_v5/],
    [{ 'vm-size': 'Standard D2s v5' }, 'vm-size', /Standard_D2s_v5/],
    [{ 'containerd-version': 'latest' }, 'containerd-version', /1\.7\.22/],
    [{ 'provenance-file': 'provenance.json' }, 'provenance-file', /absolute path/],
    [{ 'timeout-minutes': '0' }, 'timeout-minutes', /1 to 720/],
    [{ 'poll-interval-seconds': 'fast' }, 'poll-interval-seconds', /whole number/],
  ])('refuses %j naming %s', (inputs, input, message) => {
    const err = failure(inputs);
    expect(err.input).toBe(input);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`Invalid input '${input}'`);
  });
});

describe('validate-cluster cluster-mode inputs', () => {
  const KUBECONFIG =
    'apiVersion: v1\nkind: Config\nclusters:\n- name: m\n  cluster: {server: "https://m.invalid"}\ncontexts:\n- name: c\n  context: {cluster: m, user: u}\nusers:\n- name: u\n  user: {}\n';
  const cluster = (more: Record<string, string> = {}) => ({
    mode: 'cluster',
    kubeconfig: KUBECONFIG,
    ...more,
  });

  it('reads them only in cluster mode, with their defaults', () => {
    expect(read({ kubeconfig: KUBECONFIG })).not.toHaveProperty('cluster');
    expect(read(cluster()).cluster).toEqual({
      kubeconfig: { kind: 'content', value: KUBECONFIG.trim() },
      namespace: 'default',
      controlPlaneCount: 1,
      workerCount: 1,
      keepOnFailure: false,
    });
  });

  it.each([
    [{ mode: 'cluster' }, 'kubeconfig', /required/],
    [cluster({ 'control-plane-count': '2' }), 'control-plane-count', /odd number/],
    [cluster({ 'worker-count': '-1' }), 'worker-count', /0 to 20/],
    [cluster({ 'cluster-namespace': 'Capz_Validate' }), 'cluster-namespace', /namespace name/],
    [cluster({ 'keep-on-failure': 'yes' }), 'keep-on-failure', /true or false/],
  ])('refuses %j naming %s', (inputs, input, message) => {
    const err = failure(inputs);
    expect(err.input).toBe(input);
    expect(err.message).toMatch(message);
  });

  it('reads the files before any Azure call, naming the input at fault', async () => {
    const files: Record<string, string> = {
      '/t/ok.yaml':
        'apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: AzureMachineTemplate\nmetadata: {name: x}\n',
      '/t/none.yaml': 'apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {name: x}\n',
      '/t/cni.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: calico-system}\n',
      '/t/kubeconfig': KUBECONFIG,
    };
    const readText = async (path: string) => {
      if (files[path] === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
      return files[path]!;
    };
    const load = (more: Record<string, string>) =>
      loadClusterInputs(read(cluster(more)).cluster!, readText);
    await expect(
      load({
        'cluster-template': '/t/ok.yaml',
        'cni-manifest': '/t/cni.yaml',
        kubeconfig: '/t/kubeconfig',
      }),
    ).resolves.toEqual({
      kubeconfig: KUBECONFIG,
      template: { text: files['/t/ok.yaml'], shown: '/t/ok.yaml' },
      cniManifest: files['/t/cni.yaml'],
    });
    await expect(load({ 'cluster-template': '/t/none.yaml' })).rejects.toThrow(
      "Invalid input 'cluster-template': '/t/none.yaml'. It has no AzureMachineTemplate",
    );
    await expect(load({ 'cluster-template': '/t/missing.yaml' })).rejects.toThrow(
      "Invalid input 'cluster-template': '/t/missing.yaml'. Cannot read it",
    );
    await expect(load({ 'cni-manifest': '/t/missing.yaml' })).rejects.toThrow(
      "Invalid input 'cni-manifest'",
    );
    await expect(load({ kubeconfig: '/t/ok.yaml' })).rejects.toThrow(
      "Invalid input 'kubeconfig': '/t/ok.yaml'. Not a kubeconfig (its kind is 'AzureMachineTemplate', not Config)",
    );
  });
});
