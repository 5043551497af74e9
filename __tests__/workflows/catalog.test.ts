/**
 * images.yml's catalog: after every run (build, yank or `list`), and alone with `list`; and the
 * `attest` switch, on unless a caller or CGA_ATTEST turns it off. The jobs' own `if:` texts,
 * evaluated by GitHub's expression evaluator as the runner simulation does.
 */
import { describe, expect, it } from '@jest/globals';
import { evaluateCondition, evaluateString } from '../../scripts/lib/demo-expressions.js';
import { loadWorkflow } from '../../scripts/lib/demo-workflow.js';

const images = loadWorkflow('.github/workflows/images.yml');
const OK = { failed: false, cancelled: false };
const skipped = { result: 'skipped', outputs: {} };

function runs(job: string, over: { event?: string; inputs?: object; needs?: object }): boolean {
  return evaluateCondition(
    images.jobs[job]!.if,
    {
      github: { event_name: over.event ?? 'workflow_dispatch' },
      inputs: over.inputs ?? {},
      vars: { CGA_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000' },
      needs: over.needs ?? {},
    },
    OK,
  );
}

describe('images.yml with list', () => {
  const needs = { plan: skipped, images: skipped, promote: skipped, cleanup: skipped };
  it('runs only the catalog', () => {
    expect(runs('plan', { inputs: { list: true } })).toBe(false);
    for (const job of ['cleanup', 'staging-cleanup', 'summary'])
      expect([job, runs(job, { inputs: { list: true }, needs })]).toEqual([job, false]);
    expect(runs('catalog', { inputs: { list: true }, needs })).toBe(true);
  });

  it('and after a build or a yank the catalog runs too; an unconfigured schedule runs nothing', () => {
    expect(runs('plan', { inputs: { list: false } })).toBe(true);
    const built = {
      plan: { result: 'success', outputs: {} },
      images: { result: 'success', outputs: {} },
      promote: { result: 'failure', outputs: {} },
      cleanup: { result: 'success', outputs: {} },
    };
    expect(runs('catalog', { needs: built })).toBe(true);
    const unconfigured = evaluateCondition(
      images.jobs.catalog!.if,
      { github: { event_name: 'schedule' }, inputs: {}, vars: {}, needs },
      OK,
    );
    expect(unconfigured).toBe(false);
  });

  it('keeps catalog.md and catalog.json as the artifact catalog', () => {
    const upload = images.jobs.catalog!.steps!.find((s) =>
      s.uses?.startsWith('actions/upload-artifact@'),
    )!;
    expect(upload.with).toMatchObject({ name: 'catalog', 'if-no-files-found': 'error' });
    expect(String(upload.with!.path)).toContain('steps.inventory.outputs.markdown');
    expect(String(upload.with!.path)).toContain('steps.inventory.outputs.json');
  });
});

describe('images.yml attest', () => {
  const attest = images.jobs.images!.with!.attest;
  it.each([
    [undefined, {}, 'true'],
    [true, {}, 'true'],
    [false, {}, 'false'],
    [undefined, { CGA_ATTEST: 'false' }, 'false'],
  ])('inputs.attest %s with vars %j → %s', (value, vars, expected) => {
    const inputs = value === undefined ? {} : { attest: value };
    expect(evaluateString(attest, { inputs, vars })).toBe(expected);
  });
});
