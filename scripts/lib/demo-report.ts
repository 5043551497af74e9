/** How the demo prints a step: its outcome, what it was given instead (notes), warnings and outputs. */
import type { Masks } from './demo-process.js';
import type { StepResult } from './demo-steps.js';

export function reportStep(
  print: (line: string) => void,
  masks: Masks,
  step: {
    label: string;
    title: string;
    target?: string;
    lines?: string[];
    result: StepResult;
    logFile?: string;
  },
): void {
  const { label, title, target, lines, result, logFile } = step;
  const pad = `${indent(label)}    `;
  const mark = result.outcome === 'success' ? '✓' : '✗';
  const took = result.durationMs > 0 ? ` ${result.durationMs} ms` : '';
  print(`${indent(label)}  ${mark} ${title}${target ? ` [${target}]` : ''}${took}`);
  if (result.note) print(`${pad}${result.note}`);
  for (const line of lines ?? []) {
    if (/^(Warning|Error|Notice): /.test(line)) print(`${pad}${shorten(line, 160)}`);
  }
  for (const [key, value] of Object.entries(result.outputs)) {
    print(`${pad}→ ${key} = ${shorten(masks.apply(value), 110)}`);
  }
  if (result.outcome === 'failure' && lines && lines.length > 0) {
    print(`${pad}last lines of the log (${logFile}):`);
    for (const line of lines.slice(-15)) print(`${pad}| ${line}`);
  }
}

/** Two spaces per level of workflow nesting in a job label (`node-images/images/build`). */
export function indent(label: string): string {
  return '  '.repeat(Math.max(0, label.split('/').length - 2));
}

function shorten(text: string, max: number): string {
  const one = text.replace(/\s*\n\s*/g, ' ⏎ ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
