/**
 * The inputs and outputs tables of each action's README, generated from its `action.yml` so the
 * documentation cannot drift from the metadata (`npm run docs` writes them, `npm run check:docs`
 * fails when one is stale). The tables sit between two markers; the prose around them is the
 * README's own.
 */
import { parse } from 'yaml';
import { ROOT_ACTION } from './actions.js';

export const BEGIN =
  '<!-- action-docs: generated from action.yml by `npm run docs`; do not edit -->';
export const END = '<!-- /action-docs -->';

interface Metadata {
  name?: string;
  description?: string;
  inputs?: Record<string, { description?: string; required?: boolean; default?: unknown }>;
  outputs?: Record<string, { description?: string }>;
}

/** Repository-relative path of the README holding an action's tables. */
export function readmePathOf(name: string): string {
  return name === ROOT_ACTION ? 'README.md' : `actions/${name}/README.md`;
}

/** One table cell: a single line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
}

function code(text: string): string {
  return text === '' ? '`""`' : `\`${text}\``;
}

/** The generated block, markers included, for the metadata text of one action. */
export function tablesFor(metadataText: string): string {
  const meta = parse(metadataText) as Metadata;
  const inputs = Object.entries(meta.inputs ?? {});
  const outputs = Object.entries(meta.outputs ?? {});
  const lines = [BEGIN, '', '### Inputs', ''];
  lines.push('| input | required | default | description |', '| --- | --- | --- | --- |');
  for (const [name, i] of inputs) {
    const fallback = i.default === undefined ? '' : code(String(i.default));
    lines.push(
      `| \`${name}\` | ${i.required ? 'yes' : 'no'} | ${cell(fallback)} | ${cell(i.description ?? '')} |`,
    );
  }
  lines.push('', '### Outputs', '', '| output | description |', '| --- | --- |');
  for (const [name, o] of outputs) lines.push(`| \`${name}\` | ${cell(o.description ?? '')} |`);
  lines.push('', END);
  return lines.join('\n');
}

/**
 * `readme` with its generated block replaced by `block`; a README without one gets it appended
 * under an `## Inputs and outputs` heading, and a missing README is made from the metadata.
 */
export function withTables(
  readme: string | undefined,
  block: string,
  metadataText: string,
  heading = '## Inputs and outputs',
): string {
  if (readme === undefined) {
    const meta = parse(metadataText) as Metadata;
    readme = `# ${meta.name ?? 'action'}\n\n${(meta.description ?? '').trim()}\n`;
  }
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin >= 0 && end > begin) {
    return readme.slice(0, begin) + block + readme.slice(end + END.length);
  }
  return `${readme.trimEnd()}\n\n${heading}\n\n${block}\n`;
}
