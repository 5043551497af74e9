/**
 * The validation report: one JSON file per run with the result, every check, what was created
 * and deleted, and on failure the diagnostics. The job summary and the action outputs are drawn
 * from it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type CheckResult, provenanceOf } from './checks.js';
import type { CleanupOutcome } from './cleanup.js';

export const REPORT_SCHEMA = 'compute-gallery-actions/validation-report@1';

/** What the VM showed when something failed. */
export interface VmDiagnostics {
  /** Provisioning and power states, and the VM agent's, from the instance view. */
  readonly instanceView?: {
    readonly statuses: readonly { code?: string; displayStatus?: string; message?: string }[];
    readonly vmAgent?: {
      readonly version?: string;
      readonly statuses: readonly { code?: string; displayStatus?: string; message?: string }[];
    };
  };
  /** The end of the serial console log (boot diagnostics). */
  readonly serialLog?: string;
  /** What the check script printed. */
  readonly runCommand?: { readonly stdout: string; readonly stderr: string };
  /** What could not be collected, and why. */
  readonly problems: readonly string[];
}

/** What the management cluster showed when something failed. */
export interface ClusterDiagnostics {
  readonly cluster?: string;
  readonly machines?: string;
  readonly nodes?: string;
  readonly events?: string;
  readonly problems: readonly string[];
}

export interface ValidationReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly result: 'passed' | 'failed';
  readonly mode: 'vm' | 'cluster';
  readonly imageVersionId: string;
  readonly kubernetesVersion: string;
  readonly location: string;
  readonly image: {
    readonly osType: string;
    readonly hyperVGeneration: string;
    readonly architecture: string;
    readonly securityType: string;
    readonly diskControllerTypes: readonly string[];
  };
  /** VM mode: the test VM. */
  readonly vm?: {
    readonly resourceGroup: string;
    readonly name: string;
    readonly size: string;
    readonly securityType: string;
    readonly diskControllerType: string;
  };
  /** Cluster mode: the workload cluster. */
  readonly cluster?: {
    readonly name: string;
    readonly namespace: string;
    readonly controlPlaneCount: number;
    readonly workerCount: number;
    readonly nodes: readonly { name: string; ready: boolean; kubeletVersion: string }[];
  };
  readonly checks: readonly CheckResult[];
  /**
   * image-builder's version and commit as the image itself states them (its
   * /etc/image-builder-release), when the provenance check found them; promote tags the
   * production version with them.
   */
  readonly imageBuilder?: { readonly version?: string; readonly commit?: string };
  /** What kubelet reported (`v1.31.2`), when it was reached. */
  readonly kubeletVersion?: string;
  /** What stopped the validation before all checks ran (boot failure, timeout, Azure error). */
  readonly error?: string;
  readonly diagnostics?: VmDiagnostics | ClusterDiagnostics;
  readonly cleanup?: CleanupOutcome;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
}

export async function writeReport(path: string, report: ValidationReport): Promise<void> {
  const imageBuilder = report.imageBuilder ?? provenanceOf(report.checks);
  if (imageBuilder) report = { ...report, imageBuilder };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o644 });
}

/** One line saying why validation failed, for the step's error annotation. */
export function failureMessage(report: ValidationReport): string {
  const failed = report.checks.filter((c) => c.status === 'failed');
  const parts = failed.map((c) => `${c.name} (expected ${c.expected}, got ${c.actual})`);
  const what = `${report.imageVersionId.split('/').slice(-3).join('/')}`;
  if (report.error && parts.length === 0) return `Validation of ${what} failed: ${report.error}`;
  // The error is worth adding only when no failed check already says it.
  const extra =
    report.error && !failed.some((c) => report.error!.includes(c.actual))
      ? `. ${report.error}`
      : '';
  return `Validation of ${what} failed ${failed.length} check(s): ${parts.join('; ')}${extra}`;
}

/** The compact form of the checks for the `checks` output. */
export function checksOutput(checks: readonly CheckResult[]): string {
  return JSON.stringify(
    checks.map(({ name, status, expected, actual }) => ({ name, status, expected, actual })),
  );
}

/** The last `maxBytes` of `text`, cut at a line start, marked when cut. */
export function tailText(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const cut = Buffer.from(text).subarray(-maxBytes).toString('utf8');
  return `…\n${cut.slice(cut.indexOf('\n') + 1)}`;
}
