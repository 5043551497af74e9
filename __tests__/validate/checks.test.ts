import { describe, expect, it } from '@jest/globals';
import { defaultProfile } from '../../emulator/guest.js';
import type { GuestProfile } from '../../emulator/guest.js';
import { runScript } from '../../emulator/guest-shell.js';
import {
  checkScript,
  DEFAULT_PROVENANCE_FILES,
  evaluateChecks,
  parseCheckOutput,
  provenanceOf,
  runCommandStreams,
} from '../../src/validate/checks.js';
import type { CheckOptions } from '../../src/validate/checks.js';

const VERSION =
  '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/d/versions/1.31.2';
const linux: CheckOptions = {
  osType: 'Linux',
  kubernetesVersion: 'v1.31.2',
  provenanceFile: DEFAULT_PROVENANCE_FILES.Linux,
};
const windows: CheckOptions = {
  ...linux,
  osType: 'Windows',
  provenanceFile: DEFAULT_PROVENANCE_FILES.Windows,
};

/** What image-builder's node role writes when IB_VERSION and IB_COMMIT reach the build. */
const RELEASE =
  'IMAGE_BUILDER_VERSION=v0.1.50\nIMAGE_BUILDER_COMMIT=0123abcd\nKUBERNETES_VERSION=v1.31.2\n';

/** An image-builder image: the default guest with the provenance file its build wrote. */
function built(g: GuestProfile): GuestProfile {
  return { ...g, files: { ...g.files, [DEFAULT_PROVENANCE_FILES[g.osType]]: RELEASE } };
}

/** Runs the real check script in the stand-in's guest shell and judges its output. */
function judge(o: CheckOptions, change: (g: GuestProfile) => GuestProfile = (g) => g) {
  const { script } = checkScript(o);
  const guest = change(built(defaultProfile(VERSION, o.osType)));
  const run = runScript(script, o.osType, guest);
  expect(run.stderr).toBe('');
  return evaluateChecks(o, run.stdout);
}

const statusOf = (results: ReturnType<typeof judge>) =>
  Object.fromEntries(results.map((r) => [r.name, r.status]));

describe('the provenance check (issue 10, item 2)', () => {
  it('looked for a file image-builder never writes; now reads /etc/image-builder-release', () => {
    expect(DEFAULT_PROVENANCE_FILES).toEqual({
      Linux: '/etc/image-builder-release',
      Windows: 'C:\\image-builder-release.txt',
    });
    const madeUp = judge(linux, (g) => ({
      ...g,
      files: { '/etc/image-builder/provenance.json': '{"builder":"image-builder"}' },
    }));
    expect(madeUp.find((r) => r.name === 'provenance-file')?.status).toBe('failed');
  });

  it.each([linux, windows])('names the version and commit the image states ($osType)', (o) => {
    const row = judge(o).find((r) => r.name === 'provenance-file');
    expect(row).toMatchObject({ status: 'passed', actual: 'version v0.1.50, commit 0123abcd' });
    expect(provenanceOf(judge(o))).toEqual({ version: 'v0.1.50', commit: '0123abcd' });
  });

  it('fails when the build wrote none (IB_VERSION and IB_COMMIT never reached it)', () => {
    const row = judge(linux, (g) => ({ ...g, files: {} })).find(
      (r) => r.name === 'provenance-file',
    );
    expect(row?.status).toBe('failed');
    expect(provenanceOf(judge(linux, (g) => ({ ...g, files: {} })))).toBeUndefined();
  });
});

describe('the node checks', () => {
  it('pass on a healthy Linux node, one row per check', () => {
    const results = judge(linux);
    expect(statusOf(results)).toEqual({
      'kubelet-version': 'passed',
      'kubeadm-version': 'passed',
      'kubectl-version': 'passed',
      'containerd-version': 'passed',
      crictl: 'passed',
      'kubelet-enabled': 'passed',
      'containerd-enabled': 'passed',
      'cloud-init': 'passed',
      'kubeadm-dry-run': 'passed',
      'provenance-file': 'passed',
    });
    expect(results.find((r) => r.name === 'kubelet-version')).toMatchObject({
      expected: 'v1.31.2',
      actual: 'v1.31.2',
    });
  });

  it('fail kubelet-version, naming what was found, for v1.31.1 on a 1.31.2 image', () => {
    const results = judge(linux, (g) => ({ ...g, versions: { ...g.versions, kubelet: '1.31.1' } }));
    expect(results.filter((r) => r.status === 'failed')).toEqual([
      expect.objectContaining({
        name: 'kubelet-version',
        expected: 'v1.31.2',
        actual: 'v1.31.1',
        output: 'Kubernetes v1.31.1',
      }),
    ]);
  });

  it('do not take v1.31.20 or v1.31.2-rc.0 for v1.31.2', () => {
    for (const kubelet of ['1.31.20', '1.31.2-rc.0']) {
      const results = judge(linux, (g) => ({ ...g, versions: { ...g.versions, kubelet } }));
      expect(statusOf(results)['kubelet-version']).toBe('failed');
    }
  });

  it('check containerd only against a version when one is given', () => {
    expect(statusOf(judge({ ...linux, containerdVersion: '1.7.22' }))['containerd-version']).toBe(
      'passed',
    );
    const wrong = judge({ ...linux, containerdVersion: '2.0.0' }).find(
      (r) => r.name === 'containerd-version',
    );
    expect(wrong).toMatchObject({ status: 'failed', expected: '2.0.0', actual: '1.7.22' });
  });

  it.each([
    [
      'kubelet disabled',
      (g: GuestProfile) => ({ ...g, services: { ...g.services, kubelet: 'disabled' as const } }),
      'kubelet-enabled',
      'disabled',
    ],
    [
      'cloud-init error',
      (g: GuestProfile) => ({ ...g, cloudInit: 'error' as const }),
      'cloud-init',
      'status: error',
    ],
    [
      'a failing dry run',
      (g: GuestProfile) => ({ ...g, kubeadmDryRun: { ok: false } }),
      'kubeadm-dry-run',
      'exit code 1',
    ],
    [
      'no provenance file',
      (g: GuestProfile) => ({ ...g, files: {} }),
      'provenance-file',
      'exit code 1: head: /etc/image-builder-release: No such file or directory',
    ],
    [
      'containerd not answering',
      (g: GuestProfile) => ({ ...g, runtimeReady: false }),
      'crictl',
      /^exit code 1: /,
    ],
    [
      'no kubectl',
      (g: GuestProfile) => ({ ...g, versions: { ...g.versions, kubectl: null } }),
      'kubectl-version',
      'exit code 127: bash: line 1: kubectl: command not found',
    ],
  ])('fail on %s', (_what, change, name, actual) => {
    const row = judge(linux, change).find((r) => r.name === name)!;
    expect(row.status).toBe('failed');
    expect(row.actual).toEqual(typeof actual === 'string' ? actual : expect.stringMatching(actual));
  });

  it('run on Windows through PowerShell, skipping the Linux-only checks', () => {
    const { commandId } = checkScript(windows);
    expect(commandId).toBe('RunPowerShellScript');
    const results = judge(windows);
    expect(statusOf(results)).toMatchObject({
      'kubelet-version': 'passed',
      'kubelet-enabled': 'passed',
      'cloud-init': 'skipped',
      'kubeadm-dry-run': 'skipped',
      'provenance-file': 'passed',
    });
    const missing = judge(windows, (g) => ({ ...g, versions: { ...g.versions, kubeadm: null } }));
    expect(missing.find((r) => r.name === 'kubeadm-version')).toMatchObject({
      status: 'failed',
      actual: expect.stringMatching(/^exit code 127: & : The term 'kubeadm.exe' is not recognized/),
    });
  });

  it('report a check whose output was cut off as failed with no result', () => {
    const { script } = checkScript(linux);
    const out = runScript(script, 'Linux', defaultProfile(VERSION, 'Linux')).stdout;
    const cut = out.slice(out.indexOf('<<<cga-check kubeadm-version'));
    expect(parseCheckOutput(cut).has('kubelet-version')).toBe(false);
    expect(evaluateChecks(linux, cut).find((r) => r.name === 'kubelet-version')).toMatchObject({
      status: 'failed',
      actual: expect.stringContaining('no result'),
    });
  });

  it('keep each check short enough for Run Command’s 4,096 bytes', () => {
    const { script } = checkScript(linux);
    const noisy = (g: GuestProfile) => ({
      ...g,
      kubeadmDryRun: { ok: true, output: `${'x'.repeat(100)}\n`.repeat(500) },
    });
    const run = runScript(script, 'Linux', noisy(defaultProfile(VERSION, 'Linux')));
    expect(Buffer.byteLength(run.stdout)).toBeLessThan(4096);
  });
});

describe('runCommandStreams', () => {
  it('splits the Linux message and picks the Windows stream statuses', () => {
    expect(
      runCommandStreams([
        {
          code: 'ProvisioningState/succeeded',
          message: 'Enable succeeded: \n[stdout]\na\nb\n\n[stderr]\noops\n',
        },
      ]),
    ).toEqual({ stdout: 'a\nb\n', stderr: 'oops\n' });
    expect(
      runCommandStreams([
        { code: 'ComponentStatus/StdOut/succeeded', message: 'out' },
        { code: 'ComponentStatus/StdErr/succeeded', message: 'err' },
      ]),
    ).toEqual({ stdout: 'out', stderr: 'err' });
  });
});
