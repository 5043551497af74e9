/**
 * What runs, and how jobs and runs end, as GitHub decides it (scripts/lib/demo-status.ts): small
 * workflows that lean on each rule, run through the runner simulation, then this repository's
 * own workflows under the same rules.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repositoryRoot } from '../../scripts/lib/actions.js';
import { evaluateCondition, type Status } from '../../scripts/lib/demo-expressions.js';
import { ConcurrencyGroups } from '../../scripts/lib/demo-github.js';
import { DemoRunner, type RunnerOptions, type RunTrace } from '../../scripts/lib/demo-runner.js';
import { jobStatus, type Result } from '../../scripts/lib/demo-status.js';
import { loadWorkflow, parseWorkflowText, type Workflow } from '../../scripts/lib/demo-workflow.js';
import { promotionRecord } from '../../src/records/leg-record.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  result: Result;
  trace: RunTrace;
  printed: string[];
  /** The OIDC subject each job with `id-token: write` was given. */
  oidc: { job: string; sub: string }[];
}

/** Runs a workflow's text (run: steps only) through the simulation, as a push to main. */
async function run(yaml: string, options: Partial<RunnerOptions> = {}): Promise<Ran> {
  const dir = mkdtempSync(path.join(tmpdir(), 'status-'));
  dirs.push(dir);
  const printed: string[] = [];
  const runner = new DemoRunner({
    runDir: dir,
    github: {
      event_name: 'push',
      event: {},
      repository: 'octo/app',
      repository_owner: 'octo',
      ref: 'refs/heads/main',
      sha: '0123456789abcdef0123456789abcdef01234567',
      run_id: '7',
    },
    vars: {},
    env: {},
    oidc: { requestUrl: 'http://127.0.0.1:9/idtoken?x=1', requestToken: 'oidc-request-token' },
    world: { repositories: [{ name: 'octo/app', refs: ['main'] }] },
    hostPath: true,
    stepTimeoutMs: 30_000,
    print: (line) => printed.push(line),
    ...options,
  });
  const workflow = parseWorkflowText(yaml, '.github/workflows/fixture.yml', 'octo/app');
  const { result } = await runner.runWorkflow(workflow, {});
  return { result, trace: runner.trace, printed, oidc: runner.oidcSubjects };
}

const job = (r: Ran, id: string) => r.trace.jobs.find((j) => j.job === `fixture/${id}`);
const jobResults = (r: Ran): Record<string, string> =>
  Object.fromEntries(r.trace.jobs.map((j) => [j.job.replace(/^fixture\//, ''), j.result]));
const stepOutcomes = (r: Ran, id: string): Record<string, string> =>
  Object.fromEntries(
    r.trace.steps.filter((s) => s.job === `fixture/${id}`).map((s) => [s.step, s.outcome]),
  );

describe('job status functions as GitHub computes them', () => {
  // gate is skipped; build runs anyway; the others lean on what a skipped need means.
  const skippedNeed = `
on: push
jobs:
  gate:
    if: false
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
  build:
    needs: gate
    if: \${{ !cancelled() }}
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
  after-build:
    needs: build
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
  not-failed:
    needs: gate
    if: \${{ !failure() && !cancelled() }}
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
  on-failure:
    needs: gate
    if: failure()
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
`;

  it('a skipped need is no failure, and success() looks at the whole chain', async () => {
    const r = await run(skippedNeed);
    expect(jobResults(r)).toEqual({
      gate: 'skipped',
      build: 'success',
      // Its need succeeded, but gate, up the chain, was skipped (actions/runner#2205).
      'after-build': 'skipped',
      // `!failure() && !cancelled()` runs after a skipped need (actions/runner#491) …
      'not-failed': 'success',
      // … and `failure()` does not: nothing failed.
      'on-failure': 'skipped',
    });
    expect(r.result).toBe('success');
  });

  it('failure() is true below a failed job however far down, and needs holds direct needs only', async () => {
    const r = await run(`
on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps: [{ run: 'exit 1' }]
  b:
    needs: a
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
  c:
    needs: b
    if: failure()
    runs-on: ubuntu-24.04
    outputs:
      seen: \${{ steps.s.outputs.seen }}
    steps:
      - id: s
        env:
          SEEN: b:\${{ needs.b.result }} a:\${{ needs.a.result }}
        run: echo "seen=$SEEN" >> "$GITHUB_OUTPUT"
  d:
    needs: b
    if: \${{ !failure() }}
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
`);
    expect(jobResults(r)).toMatchObject({ a: 'failure', b: 'skipped', c: 'success', d: 'skipped' });
    expect(job(r, 'c')?.outputs.seen).toBe('b:skipped a:');
    expect(r.result).toBe('failure');
  });

  it('jobStatus: success() needs every ancestor to succeed, failure() one to fail', () => {
    const status = (ancestors: Result[], cancelled = false): Status =>
      jobStatus(ancestors, cancelled);
    const is = (f: string, s: Status): boolean => evaluateCondition(`${f}()`, {}, s);
    expect(['success', 'failure', 'cancelled', 'always'].map((f) => is(f, status([])))).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect(is('success', status(['success', 'skipped']))).toBe(false);
    expect(is('failure', status(['success', 'skipped']))).toBe(false);
    expect(is('failure', status(['cancelled']))).toBe(false);
    expect(is('failure', status(['skipped', 'failure']))).toBe(true);
    expect(is('cancelled', status(['success'], true))).toBe(true);
    expect(is('success', status(['success'], true))).toBe(false);
  });
});

describe('a run cancelled part-way', () => {
  const workflow = `
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - { name: one, run: 'true' }
      - { name: two, run: 'true' }
      - { name: three, run: 'true' }
      - { name: logs, if: always(), run: 'true' }
      - { name: on-cancel, if: cancelled(), run: 'true' }
      - { name: on-failure, if: failure(), run: 'true' }
      - { name: not-cancelled, if: '\${{ !cancelled() }}', run: 'true' }
  after:
    needs: build
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
  report:
    needs: build
    if: \${{ !cancelled() }}
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
  cleanup:
    needs: build
    if: always()
    runs-on: ubuntu-24.04
    outputs:
      seen: \${{ steps.s.outputs.seen }}
    steps:
      - id: s
        env:
          SEEN: \${{ needs.build.result }}
        run: echo "seen=$SEEN" >> "$GITHUB_OUTPUT"
  unrelated:
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
`;

  it('stops the running step; later steps run only with always() or cancelled(); the run is cancelled', async () => {
    const r = await run(workflow, {
      cancel: { job: 'build', step: 'two', scope: 'run', reason: 'cancelled by a user' },
    });
    expect(stepOutcomes(r, 'build')).toEqual({
      one: 'success',
      two: 'cancelled',
      three: 'skipped',
      logs: 'success',
      'on-cancel': 'success',
      'on-failure': 'skipped',
      'not-cancelled': 'skipped',
    });
    expect(jobResults(r)).toEqual({
      build: 'cancelled',
      after: 'cancelled',
      report: 'cancelled',
      // always() runs, and its steps run as in any job: it was not cancelled itself.
      cleanup: 'success',
      unrelated: 'cancelled',
    });
    expect(job(r, 'cleanup')?.outputs.seen).toBe('cancelled');
    expect(r.result).toBe('cancelled');
    expect(r.printed.join('\n')).toContain('⊘ cancelled by a user: the run is cancelled');
  });

  it('a running job whose if: still holds is not cancelled', async () => {
    const r = await run(workflow.replace('  build:\n', '  build:\n    if: always()\n'), {
      cancel: { job: 'build', step: 'two', scope: 'run' },
    });
    expect(stepOutcomes(r, 'build')).toMatchObject({
      two: 'success',
      three: 'success',
      'on-cancel': 'skipped',
    });
    expect(job(r, 'build')?.result).toBe('success');
    expect(r.result).toBe('cancelled');
  });

  it('a step whose condition still holds goes on when the cancellation arrives in it', async () => {
    const r = await run(workflow, { cancel: { job: 'build', step: 'logs', scope: 'run' } });
    expect(stepOutcomes(r, 'build')).toMatchObject({
      three: 'success',
      logs: 'success',
      'on-cancel': 'success',
    });
  });

  it("a job's timeout-minutes cancels that job alone: its need is no failure, and the run goes on", async () => {
    const r = await run(workflow, {
      cancel: { job: 'build', step: 'two', scope: 'job', reason: 'timeout-minutes' },
    });
    expect(job(r, 'build')?.result).toBe('cancelled');
    expect(jobResults(r)).toMatchObject({
      after: 'skipped',
      report: 'success',
      cleanup: 'success',
      unrelated: 'success',
    });
    expect(job(r, 'cleanup')?.outputs.seen).toBe('cancelled');
    expect(r.result).toBe('cancelled');
  });

  it('a pending job a newer one replaces in its concurrency group is cancelled before it starts', async () => {
    // Runs 1 (running) and 2 (pending) of group deploy; run 3 arrives and replaces run 2.
    const groups = new ConcurrencyGroups();
    groups.queue('deploy', 'run-1');
    groups.queue('deploy', 'run-2');
    const { cancelled } = groups.queue('deploy', 'run-3');
    expect(cancelled).toEqual(['run-2']);
    const r = await run(workflow, {
      cancel: { job: 'build', scope: 'job', reason: 'replaced by a newer pending job' },
    });
    expect(stepOutcomes(r, 'build')).toEqual({});
    expect(jobResults(r)).toMatchObject({ build: 'cancelled', after: 'skipped' });
  });
});

describe('matrix legs as GitHub has them', () => {
  const matrix = (extra = '') => `
on: push
jobs:
  m:
    runs-on: ubuntu-24.04${extra}
    strategy:
      fail-fast: false
      matrix:
        n: [1, 2, 3]
    outputs:
      a: \${{ steps.s1.outputs.a }}
      b: \${{ steps.s2.outputs.b }}
    steps:
      - { id: s1, env: { N: '\${{ matrix.n }}' }, run: 'echo "a=$N" >> "$GITHUB_OUTPUT"' }
      - { id: s2, env: { N: '\${{ matrix.n }}' }, run: 'echo "b=$N" >> "$GITHUB_OUTPUT"' }
  after:
    needs: m
    if: always()
    runs-on: ubuntu-24.04
    outputs:
      seen: \${{ steps.s.outputs.seen }}
    steps:
      - id: s
        env:
          SEEN: \${{ needs.m.result }} \${{ needs.m.outputs.a }} \${{ needs.m.outputs.b }}
        run: echo "seen=$SEEN" >> "$GITHUB_OUTPUT"
`;
  const legs = (r: Ran): string[] =>
    r.trace.jobs.filter((j) => /\/m\[\d\]$/.test(j.job)).map((j) => j.result);

  it("a leg cancelled by its timeout: the job is cancelled, its finished steps' outputs still count", async () => {
    const r = await run(matrix(), { cancel: { job: 'm[2]', step: 's2', scope: 'job' } });
    expect(legs(r)).toEqual(['success', 'success', 'cancelled']);
    // a: the last leg that set it; b: leg 3 never set it, and an empty output is not sent.
    expect(job(r, 'after')?.outputs.seen).toBe('cancelled 3 2');
  });

  it('a run cancelled in a leg cancels the legs not started', async () => {
    const r = await run(matrix(), { cancel: { job: 'm[1]', step: 's2', scope: 'run' } });
    expect(legs(r)).toEqual(['success', 'cancelled', 'cancelled']);
    expect(job(r, 'after')?.outputs.seen).toBe('cancelled 2 1');
    expect(r.result).toBe('cancelled');
  });

  it('a matrix job whose if: holds after a cancellation runs all its legs', async () => {
    const r = await run(matrix('\n    if: always()'), {
      cancel: { job: 'm[1]', step: 's2', scope: 'run' },
    });
    expect(legs(r)).toEqual(['success', 'success', 'success']);
    expect(job(r, 'after')?.outputs.seen).toBe('success 3 3');
    expect(r.result).toBe('cancelled');
  });

  it('fail-fast: one failed leg cancels the rest, and the job is a failure', async () => {
    const r = await run(
      matrix()
        .replace('fail-fast: false', 'fail-fast: true')
        .replace('run: \'echo "a=', 'run: \'test $N != 1 && echo "a='),
    );
    expect(legs(r)).toEqual(['failure', 'cancelled', 'cancelled']);
    expect(job(r, 'after')?.outputs.seen).toMatch(/^failure /);
  });
});

describe('environments and their reviewers', () => {
  const gated = (environment: string, extra = '') => `
on: push
jobs:
  plan:
    runs-on: ubuntu-24.04
    steps: [{ run: 'true' }]
  promote:
    needs: plan
    runs-on: ubuntu-24.04
    environment: ${environment}
    permissions:
      id-token: write
    strategy:${extra}
      matrix:
        leg: [a, b, c]
    steps: [{ run: 'true' }]
  cleanup:
    needs: plan
    runs-on: ubuntu-24.04
    environment: production
    steps: [{ run: 'true' }]
  yank:
    needs: promote
    runs-on: ubuntu-24.04
    environment: Production
    steps: [{ run: 'true' }]
`;

  it('one review lets through every job waiting for the environment at that moment', async () => {
    const r = await run(gated('production'), { reviewers: { production: 'approve' } });
    // promote's legs and cleanup (the same needs) wait together; yank comes later.
    expect(r.trace.reviews).toEqual([
      {
        environment: 'production',
        decision: 'approve',
        jobs: ['fixture/promote[0]', 'fixture/promote[1]', 'fixture/promote[2]', 'fixture/cleanup'],
      },
      { environment: 'Production', decision: 'approve', jobs: ['fixture/yank'] },
    ]);
    expect(r.result).toBe('success');
  });

  it('legs beyond max-parallel reach it one by one, each asking again', async () => {
    const r = await run(gated('production', '\n      max-parallel: 1'), {
      reviewers: { production: 'approve' },
    });
    expect(r.trace.reviews.map((x) => x.jobs)).toEqual([
      ['fixture/promote[0]', 'fixture/cleanup'],
      ['fixture/promote[1]'],
      ['fixture/promote[2]'],
      ['fixture/yank'],
    ]);
  });

  it('a rejected job fails without running a step, and the run with it', async () => {
    const r = await run(gated('production'), { reviewers: { production: 'reject' } });
    expect(jobResults(r)).toMatchObject({ 'promote[0]': 'failure', cleanup: 'failure' });
    expect(r.trace.steps.filter((s) => s.job.includes('promote'))).toEqual([]);
    expect(r.result).toBe('failure');
  });

  it("an environment that comes to '' is none: no reviewer holds the job, its token names the ref", async () => {
    const r = await run(
      gated(`\${{ github.event_name == 'schedule' && 'production' || '' }}`).replace(
        /\n {2}cleanup:[\s\S]*$/,
        '\n',
      ),
      { reviewers: { production: 'reject' } },
    );
    expect(r.trace.reviews).toEqual([]);
    expect(job(r, 'promote[0]')).toMatchObject({ result: 'success' });
    expect(job(r, 'promote[0]')?.environment).toBeUndefined();
    expect(r.oidc.find((o) => o.job === 'fixture/promote[0]')?.sub).toBe(
      'repo:octo/app:ref:refs/heads/main',
    );
  });
});

describe("this repository's workflows under these rules", () => {
  const images = loadWorkflow('.github/workflows/images.yml');
  const image = loadWorkflow('.github/workflows/image.yml');
  const needed = (result: Result, outputs: Record<string, string> = {}) => ({ result, outputs });
  const plan = needed('success', {
    promote: 'true',
    empty: 'false',
    matrix: '{"include":[]}',
    'cleanup-dry-run': 'true',
    yank: '',
  });

  /** Whether a job of `workflow` runs, given its needs and whether the run was cancelled. */
  const runs = (
    workflow: Workflow,
    id: string,
    needs: Record<string, { result: Result; outputs: Record<string, string> }>,
    runCancelled = false,
  ): boolean =>
    evaluateCondition(
      workflow.jobs[id]!.if,
      {
        github: { event_name: 'schedule' },
        inputs: {},
        vars: { CGA_SUBSCRIPTION_ID: 'sub' },
        needs,
      },
      jobStatus(
        Object.values(needs).map((n) => n.result),
        runCancelled,
      ),
    );

  it('images.yml: after a failed leg, promote, both cleanups, the summary and the catalog run', () => {
    const needs = {
      plan,
      images: needed('failure'),
      promote: needed('success'),
      cleanup: needed('success'),
      'staging-cleanup': needed('success'),
    };
    for (const id of ['promote', 'cleanup', 'staging-cleanup', 'summary', 'catalog'])
      expect([id, runs(images, id, needs)]).toEqual([id, true]);
  });

  it('images.yml: after a skipped need (a yank builds nothing), cleanup and the catalog run', () => {
    const yank = needed('success', { ...plan.outputs, empty: 'true', yank: 'v' });
    const needs = {
      plan: yank,
      images: needed('skipped'),
      promote: needed('skipped'),
      cleanup: needed('success'),
      'staging-cleanup': needed('skipped'),
    };
    expect(runs(images, 'promote', needs)).toBe(false);
    expect(runs(images, 'cleanup', needs)).toBe(true);
    expect(runs(images, 'staging-cleanup', needs)).toBe(false);
    expect(runs(images, 'summary', needs)).toBe(false);
    expect(runs(images, 'catalog', needs)).toBe(true);
  });

  it('images.yml: a cancelled run promotes, cleans and summarises nothing', () => {
    const needs = {
      plan,
      images: needed('cancelled'),
      promote: needed('cancelled'),
      cleanup: needed('cancelled'),
      'staging-cleanup': needed('cancelled'),
    };
    for (const id of ['promote', 'cleanup', 'staging-cleanup', 'summary', 'catalog'])
      expect([id, runs(images, id, needs, true)]).toEqual([id, false]);
  });

  it("image.yml: the leg's record is written after a failed, skipped or cancelled job", () => {
    const needs = {
      build: needed('cancelled'),
      publish: needed('skipped'),
      validate: needed('skipped'),
      attest: needed('skipped'),
      promote: needed('skipped'),
    };
    expect(runs(image, 'record', needs)).toBe(true);
    expect(runs(image, 'record', needs, true)).toBe(true);
  });

  /** The steps of images.yml's promote job that run once the job is cancelled after `promote`. */
  const afterCancel = (workflow: Workflow): string[] => {
    const steps = workflow.jobs.promote!.steps!;
    const at = steps.findIndex((s) => s.id === 'promote');
    return steps
      .slice(at + 1)
      .filter((s) =>
        evaluateCondition(s.if, { steps: {}, matrix: {} }, { failed: false, cancelled: true }),
      )
      .map((s) => s.name ?? '');
  };

  it('images.yml: a promotion its timeout cuts short is recorded as cancelled, not missing', () => {
    expect(afterCancel(images)).toEqual(['Record the promotion', 'Keep it']);
    // What the summary then says of the leg: cancelled (without a record it said skipped).
    const record = promotionRecord(
      { 'kubernetes-version': 'v1.37.2', os: 'ubuntu-2404' },
      { outcome: 'cancelled', conclusion: 'cancelled', outputs: {} },
    );
    expect(record.results.promote).toBe('cancelled');
    // Before: `!cancelled()` skipped both steps once the job was cancelled.
    const before = parseWorkflowText(
      readFileSync(path.join(repositoryRoot, '.github/workflows/images.yml'), 'utf8').replace(
        /(- name: (Record the promotion|Keep it)\n(?: {8}id: \w+\n)?) {8}if: \$\{\{ always\(\) \}\}/g,
        '$1        if: ${{ !cancelled() }}',
      ),
      '.github/workflows/images.yml',
    );
    expect(afterCancel(before)).toEqual([]);
  });

  it("validate-cluster's post step (it deletes the test VMs) runs in a cancelled job", () => {
    const action = readFileSync(
      path.join(repositoryRoot, 'actions/validate-cluster/action.yml'),
      'utf8',
    );
    const postIf = /\n {2}post-if: (.+)\n/.exec(action)?.[1];
    expect(evaluateCondition(postIf, {}, { failed: false, cancelled: true })).toBe(true);
  });
});
