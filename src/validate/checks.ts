/**
 * The checks a booted node image must pass, run in one Azure Run Command: each check is a
 * command whose output and exit code the script frames between marker lines, so one script
 * gives one structured result per check. The script is plain bash (`RunShellScript`) or
 * PowerShell (`RunPowerShellScript`) that a real VM runs as it is; every check's output is cut
 * to its last lines because Run Command keeps only the last 4,096 bytes of output.
 */
import type { OsType } from '../gallery/names.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

/** One row of the `checks` output, the job summary and the report. */
export interface CheckResult {
  /** Stable kebab-case name, e.g. `kubelet-version`. */
  readonly name: string;
  /** What is checked, for people. */
  readonly title: string;
  readonly status: CheckStatus;
  /** What passing looks like, e.g. `v1.31.2`. */
  readonly expected: string;
  /** What the node reported (a version, `enabled`, `exit code 1`…). */
  readonly actual: string;
  /** The command's last output lines, when there were any. */
  readonly output?: string;
}

/** What the checks need to know about the image under test. */
export interface CheckOptions {
  readonly osType: OsType;
  /** With the `v`: `v1.31.2`. */
  readonly kubernetesVersion: string;
  /** Without the `v`; checked only when given. */
  readonly containerdVersion?: string;
  /** Absolute path of the image-builder provenance file on the node. */
  readonly provenanceFile: string;
}

/**
 * Where the provenance file is looked for unless `provenance-file` says otherwise. These paths
 * are this project's convention, not one image-builder is known to follow: point
 * `provenance-file` at what your build writes.
 */
export const DEFAULT_PROVENANCE_FILES = {
  Linux: '/etc/image-builder/provenance.json',
  Windows: 'C:\\image-builder\\provenance.json',
} as const;

/** How a check's output and exit code become a result. */
interface CheckSpec {
  readonly name: string;
  readonly title: string;
  /** The command, in the script's language; undefined: not checked on this OS. */
  readonly command?: string;
  readonly expected: string;
  readonly judge: (output: string, code: number) => { ok: boolean; actual: string };
  /** Why the check is skipped, when it has no command. */
  readonly skipReason?: string;
}

/** Runs `kubeadm init` preflight without changing the node. */
const CONTAINERD_SOCKET = 'unix:///run/containerd/containerd.sock';

/** The checks of docs/design.md, "contracts", for one image, in the order the script runs them. */
export function checkSpecs(o: CheckOptions): CheckSpec[] {
  const linux = o.osType === 'Linux';
  const v = o.kubernetesVersion;
  const tool = (name: string, args: string): string =>
    linux ? `${name} ${args}` : `& ${name}.exe ${args}`;
  const version = (name: string, command: string): CheckSpec => ({
    name: `${name}-version`,
    title: `${name} reports ${v}`,
    command,
    expected: v,
    judge: (out, code) => {
      const found = /\bv\d+\.\d+\.\d+[\w.+-]*/.exec(out)?.[0];
      return {
        ok: code === 0 && new RegExp(`(^|[^\\w.])${escapeRegExp(v)}(?![\\w.+-])`).test(out),
        actual: found ?? describeFailure(out, code),
      };
    },
  });
  const enabled = (service: string): CheckSpec => ({
    name: `${service}-enabled`,
    title: `${service} starts at boot`,
    command: linux ? `systemctl is-enabled ${service}` : `& sc.exe qc ${service}`,
    expected: linux ? 'enabled' : 'AUTO_START',
    judge: (out, code) => {
      const state = linux
        ? out.trim().split('\n').pop()?.trim()
        : /START_TYPE\s*:\s*\d+\s+(\w+)/.exec(out)?.[1];
      return {
        ok: code === 0 && state === (linux ? 'enabled' : 'AUTO_START'),
        actual: state || describeFailure(out, code),
      };
    },
  });
  return [
    version('kubelet', tool('kubelet', '--version')),
    version('kubeadm', tool('kubeadm', 'version -o short')),
    version('kubectl', tool('kubectl', 'version --client')),
    {
      name: 'containerd-version',
      title: o.containerdVersion
        ? `containerd is ${o.containerdVersion}`
        : 'containerd is installed',
      command: tool('containerd', '--version'),
      expected: o.containerdVersion ?? 'any version',
      judge: (out, code) => {
        const found = /\bv?(\d+\.\d+\.\d+[\w.+-]*)/.exec(
          out.replace(/^\S*containerd\S*\s+\S+\s+/, ''),
        );
        const actual = found?.[1];
        return {
          ok: code === 0 && !!actual && (!o.containerdVersion || actual === o.containerdVersion),
          actual: actual ?? describeFailure(out, code),
        };
      },
    },
    {
      name: 'crictl',
      title: 'crictl reaches containerd',
      command: linux
        ? `crictl --runtime-endpoint ${CONTAINERD_SOCKET} version`
        : tool('crictl', 'version'),
      expected: 'RuntimeName: containerd',
      judge: (out, code) => {
        const runtime = /RuntimeVersion:\s*(\S+)/.exec(out)?.[1];
        return {
          ok: code === 0 && /RuntimeName:\s*containerd/.test(out),
          actual: runtime ? `containerd ${runtime}` : describeFailure(out, code),
        };
      },
    },
    enabled('kubelet'),
    enabled('containerd'),
    {
      name: 'cloud-init',
      title: 'cloud-init finished',
      // `--wait` returns when cloud-init is done; Run Command's own limit ends a hang.
      command: linux ? 'timeout 900 cloud-init status --wait' : undefined,
      skipReason: 'not checked on Windows (cloudbase-init)',
      expected: 'status: done',
      judge: (out, code) => {
        const status = /status:\s*(\w+)/.exec(out)?.[1];
        return {
          ok: status === 'done' && (code === 0 || code === 2),
          actual: status ? `status: ${status}` : describeFailure(out, code),
        };
      },
    },
    {
      name: 'kubeadm-dry-run',
      title: `kubeadm init --dry-run --kubernetes-version ${v} passes`,
      command: linux ? `kubeadm init --dry-run --kubernetes-version ${v}` : undefined,
      skipReason: 'Linux only',
      expected: 'exit code 0',
      judge: (out, code) => ({ ok: code === 0, actual: `exit code ${code}` }),
    },
    {
      name: 'provenance-file',
      title: `${o.provenanceFile} is present`,
      command: linux
        ? `head -n 3 ${shellQuote(o.provenanceFile)}`
        : `& cmd.exe /c type ${powershellQuote(o.provenanceFile)}`,
      expected: 'present',
      judge: (out, code) => ({
        ok: code === 0,
        actual: code === 0 ? 'present' : describeFailure(out, code),
      }),
    },
  ];
}

/** Lines kept per check (the dry run prints hundreds; Run Command keeps 4,096 bytes in all). */
const KEEP_LINES = 4;

/** Marker lines framing each check's output in the script's stdout. */
const START = '<<<cga-check';
const END = '>>>cga-check';

/** The Run Command script: one framed block per check, ending with `exit 0`. */
export function checkScript(o: CheckOptions): { commandId: string; script: string[] } {
  const linux = o.osType === 'Linux';
  const lines = linux
    ? ['#!/bin/bash', '# compute-gallery-actions validate-cluster node checks', 'set -o pipefail']
    : ["$ErrorActionPreference = 'Continue'"];
  for (const spec of checkSpecs(o)) {
    if (!spec.command) continue;
    if (linux) {
      lines.push(
        `echo '${START} ${spec.name}'`,
        `${spec.command} 2>&1 | tail -n ${KEEP_LINES}`,
        `echo "${END} $?"`,
      );
    } else {
      lines.push(
        `Write-Output '${START} ${spec.name}'`,
        '$global:LASTEXITCODE = 127',
        `${spec.command} 2>&1 | Select-Object -Last ${KEEP_LINES}`,
        `Write-Output "${END} $LASTEXITCODE"`,
      );
    }
  }
  lines.push('exit 0');
  return { commandId: linux ? 'RunShellScript' : 'RunPowerShellScript', script: lines };
}

/** Each check's output and exit code, from the script's stdout. Checks cut off are missing. */
export function parseCheckOutput(stdout: string): Map<string, { output: string; code: number }> {
  const found = new Map<string, { output: string; code: number }>();
  let current: { name: string; lines: string[] } | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const start = line.startsWith(`${START} `) ? line.slice(START.length + 1).trim() : undefined;
    const end = new RegExp(`^${END} (-?\\d+)\\s*$`).exec(line);
    if (start) current = { name: start, lines: [] };
    else if (end && current) {
      found.set(current.name, { output: current.lines.join('\n').trim(), code: Number(end[1]) });
      current = undefined;
    } else current?.lines.push(line);
  }
  return found;
}

/** Judges every check from the script's stdout. */
export function evaluateChecks(o: CheckOptions, stdout: string): CheckResult[] {
  const outputs = parseCheckOutput(stdout);
  return checkSpecs(o).map((spec): CheckResult => {
    const base = { name: spec.name, title: spec.title, expected: spec.expected };
    if (!spec.command) return { ...base, status: 'skipped', actual: spec.skipReason ?? 'skipped' };
    const got = outputs.get(spec.name);
    if (!got) {
      return {
        ...base,
        status: 'failed',
        actual: 'no result (the script did not reach this check, or its output was cut off)',
      };
    }
    const { ok, actual } = spec.judge(got.output, got.code);
    return {
      ...base,
      status: ok ? 'passed' : 'failed',
      actual,
      ...(got.output ? { output: got.output } : {}),
    };
  });
}

/**
 * The script's stdout from a Run Command result: Linux puts both streams in one message
 * (`…[stdout]\n…\n[stderr]\n…`), Windows answers one status per stream.
 */
export function runCommandStreams(value: readonly { code?: string; message?: string }[]): {
  stdout: string;
  stderr: string;
} {
  const byStream = (stream: string): string | undefined =>
    value.find((s) => s.code?.includes(`/${stream}/`))?.message;
  const out = byStream('StdOut');
  if (out !== undefined) return { stdout: out, stderr: byStream('StdErr') ?? '' };
  const message = value.map((s) => s.message ?? '').join('\n');
  const match = /\[stdout\]\n([\s\S]*?)\n?\[stderr\]\n?([\s\S]*)$/.exec(message);
  return match
    ? { stdout: match[1] ?? '', stderr: match[2] ?? '' }
    : { stdout: message, stderr: '' };
}

function describeFailure(out: string, code: number): string {
  const last = out.trim().split('\n').pop()?.trim();
  return last ? `exit code ${code}: ${last.slice(0, 160)}` : `exit code ${code}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function powershellQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
