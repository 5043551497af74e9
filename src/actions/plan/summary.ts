import type { Plan } from '../../plan/plan.js';

export function planSummary(plan: Plan): string {
  const lines = [
    `### plan: ${plan.entries.length} image${plan.entries.length === 1 ? '' : 's'} to build`,
    '',
    `Versions from ${plan.from}.`,
    '',
  ];
  if (plan.entries.length > 0) {
    lines.push(
      '| Kubernetes | Image version | OS | Staging definition | Production definition | Generation | Security |',
      '|---|---|---|---|---|---|---|',
    );
    for (const e of plan.entries) {
      lines.push(
        `| ${e['kubernetes-version']}${e.prerelease ? ' (pre-release)' : ''} | ${e['image-version']} | ${e.os} | ${e['staging-definition']} | ${e['production-definition']} | ${e['hyper-v-generation']} | ${e['security-type']} |`,
      );
    }
  } else {
    lines.push('Nothing to build.');
  }
  if (plan.skipped.length > 0) {
    lines.push('', '<details><summary>Left out</summary>', '', '| What | Why |', '|---|---|');
    for (const s of plan.skipped) lines.push(`| ${s.what} | ${s.reason} |`);
    lines.push('', '</details>');
  }
  return lines.join('\n') + '\n';
}
