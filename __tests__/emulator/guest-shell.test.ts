/** The stand-in guest's bash and PowerShell subsets, without a server. */
import { describe, expect, it } from '@jest/globals';
import { defaultProfile } from '../../emulator/guest.js';
import { runScript } from '../../emulator/guest-shell.js';

const VERSION =
  '/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/d/versions/1.30.5';
const RELEASE = 'IMAGE_BUILDER_VERSION=v0.1.50\nIMAGE_BUILDER_COMMIT=0123abcd\n';
/** Guests of images whose build wrote image-builder's provenance file. */
const linux = {
  ...defaultProfile(VERSION, 'Linux'),
  computerName: 'node0',
  files: { '/etc/image-builder-release': RELEASE },
};
const windows = {
  ...defaultProfile(VERSION, 'Windows'),
  files: { 'C:\\image-builder-release.txt': RELEASE },
};

describe('the bash subset', () => {
  it('expands $? after each command, merges and drops streams, filters through tail and head', () => {
    const run = runScript(
      [
        'kubeadm version -o short',
        'echo "rc=$?"',
        'crictl --runtime-endpoint unix:///run/containerd/containerd.sock version | tail -n 2',
        'systemctl is-enabled nosuch 2>/dev/null',
        'echo "rc=$?"',
        'cat /etc/image-builder-release | head -n 1 >/dev/null',
        'hostname',
        'exit 0',
        'echo never',
      ],
      'Linux',
      linux,
    );
    expect(run).toEqual({
      stdout: 'v1.30.5\nrc=0\nRuntimeVersion:  v1.7.22\nRuntimeApiVersion:  v1\nrc=1\nnode0\n',
      stderr: '',
      exitCode: 0,
    });
  });

  it('ends with the last command status, and knows when a tool is not installed', () => {
    const guest = { ...linux, versions: { ...linux.versions, crictl: null } };
    expect(runScript(['crictl --version'], 'Linux', guest)).toEqual({
      stdout: '',
      stderr: 'bash: line 1: crictl: command not found\n',
      exitCode: 127,
    });
  });

  it.each([
    ['a redirection to a file', 'kubelet --version > /tmp/out', /redirection '>'/],
    ['a command list', 'true && echo yes', /lists, subshells/],
    ['another variable', 'echo "$HOME"', /variables other than/],
    ['a pipe into grep', 'kubelet --version | grep v1', /pipe into 'grep v1'/],
  ])('refuses %s', (_what, line, message) => {
    const run = runScript([line], 'Linux', linux);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('the PowerShell subset', () => {
  it('keeps $LASTEXITCODE when a program cannot be found, as PowerShell does', () => {
    const guest = { ...windows, versions: { ...windows.versions, kubeadm: null } };
    const run = runScript(
      [
        '$ErrorActionPreference = "Continue"',
        '$LASTEXITCODE = 127',
        '& kubeadm.exe version -o short 2>&1',
        'Write-Output "rc=$LASTEXITCODE"',
        '& sc.exe qc nosuch',
        'Write-Output \'rc=\' "$LASTEXITCODE"',
        '& cmd.exe /c type C:\\image-builder-release.txt',
      ],
      'Windows',
      guest,
    );
    expect(run.stdout).toMatch(/^& : The term 'kubeadm\.exe' is not recognized.*\nrc=127\n/);
    expect(run.stdout).toContain('[SC] OpenService FAILED 1060');
    expect(run.stdout).toContain('rc= 1060\nIMAGE_BUILDER_VERSION=v0.1.50');
    expect(run.exitCode).toBe(0);
  });
});
