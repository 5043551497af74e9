/**
 * The examples in docs/ are workflows users copy: each YAML block that calls our workflows or
 * actions is held to what they declare, and docs/README.md lists every input of images.yml.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repositoryRoot } from '../../scripts/lib/actions.js';
import {
  loadOwnAction,
  loadWorkflow,
  ownRepository,
  resolveUses,
  type Workflow,
} from '../../scripts/lib/demo-workflow.js';
import { checkWorkflow } from '../../scripts/lib/workflow-rules.js';

const docs = path.join(repositoryRoot, 'docs');
const pages = [
  'README.md',
  ...readdirSync(path.join(docs, 'examples')).map((f) => `examples/${f}`),
];
const own = ownRepository();

/** The fenced ```yaml blocks of a page that are whole workflows (they have `jobs:`). */
function workflowBlocks(page: string): { page: string; index: number; text: string }[] {
  const text = readFileSync(path.join(docs, page), 'utf8');
  return [...text.matchAll(/```ya?ml\n([\s\S]*?)```/g)]
    .map((m, index) => ({ page, index, text: m[1]! }))
    .filter((b) => /^jobs:/m.test(b.text));
}

const blocks = pages.flatMap(workflowBlocks);

describe('docs/', () => {
  it('has the four examples, linked from docs/README.md and the README', () => {
    const index = readFileSync(path.join(docs, 'README.md'), 'utf8');
    const readme = readFileSync(path.join(repositoryRoot, 'README.md'), 'utf8');
    for (const example of ['capz.md', 'custom-packer.md', 'disk-import.md', 'retire-an-image.md']) {
      expect(index).toContain(`](examples/${example})`);
      expect(readme).toContain(`](docs/examples/${example})`);
    }
    expect(readme).toContain('](docs/README.md)');
  });

  it('lists every input of images.yml', () => {
    const index = readFileSync(path.join(docs, 'README.md'), 'utf8');
    const inputs = Object.keys(
      loadWorkflow('.github/workflows/images.yml').on.workflow_call!.inputs!,
    );
    expect(inputs.filter((name) => !index.includes(`\`${name}\``))).toEqual([]);
  });

  it('has workflow examples to check', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it.each(blocks.map((b) => [`${b.page} block ${b.index + 1}`, b] as const))(
    '%s follows the rules and gives only declared inputs',
    (_label, block) => {
      // Examples leave settings out ("# …"), so only the parts they show are checked.
      const workflow = { ...(parse(block.text) as Workflow), file: block.page };
      expect(checkWorkflow(block.text, block.page, { ownRepository: own })).toEqual([]);
      for (const [id, job] of Object.entries(workflow.jobs)) {
        if (job.uses) {
          const target = resolveUses(job.uses, own);
          expect(target.kind).toBe('own-workflow');
          const specs = loadWorkflow((target as { file: string }).file).on.workflow_call!.inputs!;
          expect([id, Object.keys(job.with ?? {}).filter((k) => !(k in specs))]).toEqual([id, []]);
        }
        for (const step of job.steps ?? []) {
          if (!step.uses) continue;
          const target = resolveUses(step.uses, own);
          if (target.kind !== 'own-action') continue;
          const declared = Object.keys(loadOwnAction(target.action)?.inputs ?? {});
          expect(Object.keys(step.with ?? {}).filter((k) => !declared.includes(k))).toEqual([]);
        }
      }
    },
  );
});
