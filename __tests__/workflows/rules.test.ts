/**
 * The workflow rules of docs/design.md §10 (scripts/lib/workflow-rules.ts, whose own tests feed it small made-up
 * documents) held against the real workflow files: they pass, and breaking any one job or step
 * of them in the ways the rules forbid is caught, naming that job or step.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { repositoryRoot } from '../../scripts/lib/actions.js';
import { ownRepository } from '../../scripts/lib/demo-workflow.js';
import { checkWorkflow, selfPathsOf } from '../../scripts/lib/workflow-rules.js';

const dir = path.join(repositoryRoot, '.github', 'workflows');
const files = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => `.github/workflows/${f}`);
const ours = files.filter((f) => !f.endsWith('/ci.yml'));
const options = { ownRepository: ownRepository(), selfPaths: selfPathsOf(repositoryRoot) };
const text = (file: string): string => readFileSync(path.join(repositoryRoot, file), 'utf8');

/** Edits one node of a workflow and returns the new text. */
function edit(file: string, change: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(text(file));
  change(doc);
  return doc.toString({ lineWidth: 0 });
}

function jobsOf(file: string): string[] {
  const jobs = parseDocument(text(file)).get('jobs') as YAMLMap;
  return jobs.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));
}

/** [file, job, step number (from 1, as the rules count)] of every step matching `pick`. */
function stepsWhere(pick: (step: YAMLMap) => boolean): [string, string, number][] {
  return ours.flatMap((file) =>
    jobsOf(file).flatMap((job) => {
      const steps = parseDocument(text(file)).getIn(['jobs', job, 'steps']);
      if (!isSeq(steps)) return [];
      return steps.items.flatMap((step, i) =>
        isMap(step) && pick(step) ? [[file, job, i + 1] as [string, string, number]] : [],
      );
    }),
  );
}

describe('the workflow files', () => {
  it('include the reusable workflows and the Kubernetes release trigger', () => {
    expect(ours).toEqual(
      expect.arrayContaining([
        '.github/workflows/image.yml',
        '.github/workflows/images.yml',
        '.github/workflows/kubernetes-release.yml',
      ]),
    );
  });

  it.each(files)('%s follows the rules', (file) => {
    expect(checkWorkflow(text(file), file, options)).toEqual([]);
  });
});

describe('a job without its own permissions is caught', () => {
  const cases = ours.flatMap((file) => jobsOf(file).map((job) => [file, job] as const));

  it.each(cases)('%s job %s', (file, job) => {
    const broken = edit(file, (doc) => doc.deleteIn(['jobs', job, 'permissions']));
    const findings = checkWorkflow(broken, file, options);
    expect(findings).toEqual([
      expect.objectContaining({
        where: `job '${job}'`,
        message: expect.stringMatching(/no permissions/),
      }),
    ]);
  });
});

describe('a third-party action not pinned by SHA is caught', () => {
  const cases = stepsWhere((step) => {
    const uses = step.get('uses');
    return typeof uses === 'string' && !uses.startsWith('$/');
  });

  it('there are some to check', () => {
    expect(cases.length).toBeGreaterThan(5);
  });

  it.each(cases)('%s job %s step #%d', (file, job, number) => {
    const index = number - 1;
    const broken = edit(file, (doc) => {
      const uses = String(doc.getIn(['jobs', job, 'steps', index, 'uses']));
      doc.setIn(['jobs', job, 'steps', index, 'uses'], uses.replace(/@[0-9a-f]{40}$/, '@v6'));
    });
    const findings = checkWorkflow(broken, file, options);
    expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/is not pinned/)]);
    expect(findings[0]!.where).toMatch(new RegExp(`^job '${job}' step .*\\(#${number}\\)$`));
  });

  it('and so is one of our own actions called through a look-alike repository', () => {
    const file = '.github/workflows/image.yml';
    const broken = text(file).replace(
      '$/actions/promote',
      'placeholder-owner/compute-gallery-actions/actions/promote@v1',
    );
    expect(checkWorkflow(broken, file, options).map((f) => f.message)).toEqual([
      expect.stringMatching(/names owner 'placeholder-owner', but this repository is/),
    ]);
  });

  it('and our own by <owner>/<repo>@ref, resolved at run creation: $/ is required', () => {
    const file = '.github/workflows/image.yml';
    const broken = text(file).replace(
      '$/actions/promote',
      `${options.ownRepository}/actions/promote@v1`,
    );
    expect(checkWorkflow(broken, file, options).map((f) => f.message)).toEqual([
      expect.stringMatching(/call this repository's own action as '\$\/actions\/promote'/),
    ]);
  });

  it('and a $/ path that is not in this repository, or one with a ref', () => {
    const file = '.github/workflows/image.yml';
    const messages = (from: string, to: string) =>
      checkWorkflow(text(file).replace(from, to), file, options).map((f) => f.message);
    expect(messages('$/actions/promote', '$/actions/promot')).toEqual([
      expect.stringMatching(/names 'actions\/promot', which is neither an action nor a workflow/),
    ]);
    expect(messages('$/actions/promote', '$/actions/promote@v1')).toEqual([
      expect.stringMatching(/has a ref/),
    ]);
  });
});

describe('${{ }} inside a run: script is caught', () => {
  const cases = stepsWhere((step) => step.has('run'));

  it('there are some to check', () => {
    expect(cases.length).toBeGreaterThan(2);
  });

  it.each(cases)('%s job %s step #%d', (file, job, number) => {
    const index = number - 1;
    for (const expression of [
      '${{ inputs.kubernetes-version }}',
      '${{ github.event.client_payload.kubernetes-version }}',
      '${{ needs.plan.outputs.matrix }}',
      '${{ steps.settings.outputs.yank }}',
    ]) {
      const broken = edit(file, (doc) => {
        const script = String(doc.getIn(['jobs', job, 'steps', index, 'run']));
        doc.setIn(['jobs', job, 'steps', index, 'run'], `echo "${expression}"\n${script}`);
      });
      const findings = checkWorkflow(broken, file, options);
      expect(findings.map((f) => f.message)).toEqual([
        expect.stringContaining(`interpolates '${expression}'`),
      ]);
    }
  });
});
