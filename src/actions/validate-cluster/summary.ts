import type { CheckResult } from '../../validate/checks.js';
import type { ClusterDiagnostics, ValidationReport, VmDiagnostics } from '../../validate/report.js';

const ICONS = { passed: '✅', failed: '❌', skipped: '➖' } as const;

/** The job summary: the verdict, what was tested where, every check, cleanup, diagnostics. */
export function validationSummary(report: ValidationReport, reportPath: string): string {
  const name = report.imageVersionId
    .split('/')
    .slice(-5)
    .filter((_, i) => i % 2 === 0)
    .join('/');
  const lines = [
    `### validate-cluster (${report.mode}): ${name}`,
    '',
    report.result === 'passed'
      ? `**Passed**: the image boots and runs Kubernetes ${report.kubernetesVersion}.`
      : `**Failed**${report.error ? `: ${escape(report.error)}` : '.'}`,
    '',
    '| | |',
    '|---|---|',
    `| Image version | \`${report.imageVersionId}\` |`,
    `| Image | ${report.image.osType}, ${report.image.hyperVGeneration}, ${report.image.architecture}, security type ${report.image.securityType} |`,
    `| Region | ${report.location} |`,
  ];
  if (report.vm) {
    lines.push(
      `| VM | ${report.vm.size}, ${report.vm.securityType}, ${report.vm.diskControllerType} disk controller, no public IP |`,
      `| Resource group | \`${report.vm.resourceGroup}\` |`,
    );
  }
  if (report.cluster) {
    const c = report.cluster;
    lines.push(
      `| Cluster | \`${c.namespace}/${c.name}\`: ${c.controlPlaneCount} control plane, ${c.workerCount} worker(s) |`,
    );
  }
  if (report.cleanup) lines.push(`| Cleanup | ${escape(report.cleanup.message)} |`);
  lines.push(
    `| Duration | ${Math.round(report.durationMs / 1000)} s |`,
    `| Report | \`${reportPath}\` |`,
    '',
    checksTable(report.checks),
  );
  if (report.cluster?.nodes.length) {
    lines.push('', '| Node | Ready | kubelet |', '|---|---|---|');
    for (const n of report.cluster.nodes) {
      lines.push(`| ${n.name} | ${n.ready ? 'yes' : 'no'} | ${n.kubeletVersion} |`);
    }
  }
  if (report.diagnostics) lines.push('', diagnosticsBlock(report.diagnostics));
  return `${lines.join('\n')}\n`;
}

function checksTable(checks: readonly CheckResult[]): string {
  const rows = checks.map(
    (c) =>
      `| ${ICONS[c.status]} | \`${c.name}\` | ${escape(c.title)} | ${escape(c.expected)} | ${escape(c.actual)} |`,
  );
  return ['| | Check | What | Expected | Got |', '|---|---|---|---|---|', ...rows].join('\n');
}

function diagnosticsBlock(d: VmDiagnostics | ClusterDiagnostics): string {
  const parts: [string, string | undefined][] =
    'cluster' in d || 'machines' in d || 'events' in d
      ? [
          ['Cluster', (d as ClusterDiagnostics).cluster],
          ['Machines', (d as ClusterDiagnostics).machines],
          ['Nodes', (d as ClusterDiagnostics).nodes],
          ['Events', (d as ClusterDiagnostics).events],
        ]
      : [
          [
            'Instance view',
            (d as VmDiagnostics).instanceView
              ? JSON.stringify((d as VmDiagnostics).instanceView, null, 2)
              : undefined,
          ],
          ['Serial console log (end)', lastLines((d as VmDiagnostics).serialLog, 40)],
          [
            'Check script output',
            (d as VmDiagnostics).runCommand
              ? `${(d as VmDiagnostics).runCommand!.stdout}\n${(d as VmDiagnostics).runCommand!.stderr}`.trim()
              : undefined,
          ],
        ];
  const blocks = parts
    .filter(([, text]) => text)
    .map(
      ([title, text]) =>
        `<details><summary>${title}</summary>\n\n\`\`\`\n${text!.replace(/```/g, "'''")}\n\`\`\`\n</details>`,
    );
  if (d.problems.length) blocks.push(`Not collected: ${d.problems.map(escape).join('; ')}`);
  return ['#### Diagnostics', '', ...blocks].join('\n');
}

function lastLines(text: string | undefined, n: number): string | undefined {
  return text?.trimEnd().split('\n').slice(-n).join('\n');
}

/** Keeps a value inside its table cell. */
function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
