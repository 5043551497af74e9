/**
 * A small workflow runner for the demo: it walks the jobs of the workflow files in `needs`
 * order, evaluates `if:`, `strategy.matrix`, `with:`, `env:` and every `outputs:` with GitHub's
 * expression evaluator, calls reusable workflows with typed inputs (as `workflow_call` checks
 * them), and runs each step as demo-steps.ts describes. What runs, and how a job or a run ends,
 * follows GitHub's rules in demo-status.ts: the status functions of job and step conditions, a
 * run or a job cancelled part-way (`cancel`), matrix and called-workflow results, and
 * environments whose required reviewers approve the jobs waiting for them (`reviewers`). It is
 * not GitHub's runner: jobs run one after another on this machine, each in a fresh workspace and
 * runner temp folder (so files only cross jobs as artifacts). Everything a step was given and
 * produced is kept in a trace for the demo's test.
 */
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  evaluateCondition,
  evaluateString,
  evaluateValue,
  type Contexts,
} from './demo-expressions.js';
import {
  actionProblem,
  environmentOf,
  failFastOf,
  makeToolbox,
  mergeLegOutputs,
  oidcClaims,
  oidcRequestUrl,
  repositoryOf,
  secretsForCall,
  unresolvedReferences,
  type World,
} from './demo-github.js';
import { checkNested, type Permissions, permissionsOf, runnerVariables } from './demo-job.js';
import { Masks } from './demo-process.js';
import { indent, reportStep } from './demo-report.js';
import {
  ArtifactStore,
  type JobRuntime,
  postShouldRun,
  runOwnAction,
  runScript,
  runThirdParty,
  type StepResult,
} from './demo-steps.js';
import {
  type Cancellation,
  cancellationArrives,
  conclusionOf,
  type Decision,
  EnvironmentReviews,
  jobStatus,
  legMoment,
  type Result,
  type Review,
} from './demo-status.js';
import {
  ancestorsOf,
  expandMatrix,
  type Job,
  jobOrder,
  loadWorkflow,
  needsOf,
  resolveUses,
  type Step,
  type Workflow,
  type WorkflowInput,
} from './demo-workflow.js';

export type { Result } from './demo-status.js';

export interface StepTrace {
  /** e.g. `images/images[0]/build`. */
  job: string;
  step: string;
  id?: string;
  uses?: string;
  outcome: Result;
  given: Record<string, string>;
  outputs: Record<string, string>;
  note?: string;
  durationMs: number;
}

export interface JobTrace {
  job: string;
  name: string;
  result: Result;
  outputs: Record<string, string>;
  /** A reusable workflow job: the inputs it called the workflow with. */
  calledWith?: Record<string, unknown>;
  environment?: string;
  concurrency?: string;
  summary: string;
}

export interface RunTrace {
  jobs: JobTrace[];
  steps: StepTrace[];
  /** Every review of an environment with required reviewers, and the jobs it decided. */
  reviews: Review[];
}

export interface RunnerOptions {
  /** Workspaces, runner temp folders, artifacts and logs go here. */
  runDir: string;
  /** The `github` context: event_name, event, repository, sha, ref, token, … */
  github: Record<string, unknown>;
  vars: Record<string, string>;
  /** Variables every step gets besides the runner's own (NODE_EXTRA_CA_CERTS, proxies, …). */
  env: Record<string, string>;
  /** GitHub's OIDC token service, given to jobs with `id-token: write` only. */
  oidc: { requestUrl: string; requestToken: string };
  /**
   * Mints each job's GITHUB_TOKEN (`github.token`) with the job's `permissions:`, as GitHub does
   * before a job starts (docs.github.com "GITHUB_TOKEN"); without it every job has `github.token`.
   */
  jobToken?: (permissions: Permissions) => Promise<string>;
  /**
   * Where actions/attest-build-provenance's attestations are made: the stand-in's admin
   * `POST …/attestations` (emulator/attestations.ts), which signs as GitHub's Sigstore would.
   */
  attestationsEndpoint?: string;
  /** The repositories and refs github.com has, for resolving `uses:` and OIDC subjects. */
  world: World;
  /** The calling repository's secrets (`secrets.*` of the workflow that was triggered). */
  secrets?: Record<string, string>;
  /** Steps see only GitHub's ubuntu-24.04 tools (demo-github.ts); false: this machine's PATH. */
  hostPath?: boolean;
  /** Tools the runner has in place of this machine's (name → program), e.g. stand-in make. */
  tools?: Readonly<Record<string, string>>;
  /** The calling repository's files, which a checkout of it puts in the workspace. */
  callerFiles?: string;
  /** Repositories other than the caller's that a checkout may ask for (name → local git repo). */
  repositories?: Readonly<Record<string, string>>;
  stepTimeoutMs: number;
  /** Cancels the run, or one job, part-way (demo-status.ts). */
  cancel?: Cancellation;
  /**
   * Environments with required reviewers (any other environment has none), and what their
   * reviewer decides; names are case-insensitive.
   */
  reviewers?: Readonly<Record<string, Decision>>;
  print: (line: string) => void;
}

interface JobResult {
  result: Result;
  outputs: Record<string, string>;
}

/** How a job that runs steps is placed in its run. */
interface JobPlace {
  /** Whether the job's `if:` holds now (evaluated again when the run is cancelled). */
  holds: () => boolean;
  /** When it reaches its environment (demo-status.ts EnvironmentReviews). */
  moment: string;
}

export class DemoRunner {
  readonly trace: RunTrace;
  /** The OIDC subject each job's tokens carry. */
  readonly oidcSubjects: { job: string; sub: string; environment?: string }[] = [];
  private readonly artifacts: ArtifactStore;
  private readonly masks = new Masks();
  private stepCount = 0;
  private readonly reviews: EnvironmentReviews;
  /** The run was cancelled (demo-status.ts Cancellation). */
  private runCancelled = false;
  private cancelArrived = false;

  constructor(private readonly o: RunnerOptions) {
    this.reviews = new EnvironmentReviews(o.reviewers);
    this.trace = { jobs: [], steps: [], reviews: this.reviews.reviews };
    mkdirSync(path.join(o.runDir, 'logs'), { recursive: true });
    // Artifacts belong to one run: another run on the same folder (--yank after a build) starts
    // without the last one's, as a new workflow run does on GitHub.
    rmSync(path.join(o.runDir, 'artifacts'), { recursive: true, force: true });
    this.artifacts = new ArtifactStore(path.join(o.runDir, 'artifacts'));
    writeFileSync(path.join(o.runDir, 'event.json'), JSON.stringify(o.github.event ?? {}));
    // The runner masks the job's token in every log.
    if (typeof o.github.token === 'string') this.masks.add(o.github.token);
  }

  /**
   * Runs a workflow as its trigger would (`inputs` are what `workflow_dispatch` or
   * `workflow_call` gave); returns its result and, for `workflow_call`, its outputs.
   */
  async runWorkflow(
    workflow: Workflow,
    inputs: Record<string, unknown>,
    caller?: { label: string; permissions: Permissions; secrets: Record<string, string> },
  ): Promise<JobResult> {
    const label = caller?.label ?? path.basename(workflow.file).replace(/\.ya?ml$/, '');
    this.o.print(`${indent(label)}┌ ${workflow.name ?? workflow.file} (${workflow.file})`);
    const secrets = caller?.secrets ?? this.o.secrets ?? {};
    if (!caller) {
      // GitHub resolves every reusable workflow of a run when it creates the run.
      const problems = unresolvedReferences(workflow, this.o.world, (f) => loadWorkflow(f));
      if (problems.length > 0) {
        for (const p of problems) this.o.print(`${indent(label)}✗ ${p}`);
        this.trace.jobs.push({
          job: label,
          name: 'run creation',
          result: 'failure',
          outputs: {},
          summary: problems.join('\n'),
        });
        return { result: 'failure', outputs: {} };
      }
    }
    const jobs: Record<string, JobResult> = {};
    for (const id of jobOrder(workflow)) {
      jobs[id] = await this.runJob(workflow, id, { inputs, done: jobs, label, caller, secrets });
    }
    const outputs: Record<string, string> = {};
    const contexts = { ...this.base(inputs, secrets), jobs };
    for (const [name, spec] of Object.entries(workflow.on.workflow_call?.outputs ?? {})) {
      outputs[name] = evaluateString(spec.value, contexts);
    }
    const result = conclusionOf(
      Object.values(jobs).map((j) => j.result),
      this.runCancelled,
    );
    if (!caller && result === 'cancelled') this.o.print(`${indent(label)}└ run cancelled`);
    return { result, outputs };
  }

  /** The inputs a `workflow_call` or `workflow_dispatch` hands over, typed and defaulted. */
  typedInputs(
    specs: Record<string, WorkflowInput> | undefined,
    given: Record<string, unknown>,
    where: string,
  ): Record<string, unknown> {
    const typed: Record<string, unknown> = {};
    for (const key of Object.keys(given)) {
      if (!specs || !(key in specs)) {
        throw new Error(
          `${where}: Invalid input, ${key} is not defined in the referenced workflow.`,
        );
      }
    }
    for (const [key, spec] of Object.entries(specs ?? {})) {
      const value =
        key in given
          ? given[key]
          : spec.default !== undefined
            ? evaluateValue(spec.default, this.base({}))
            : undefined;
      if (value === undefined) {
        if (spec.required) {
          throw new Error(`${where}: Input ${key} is required, but not provided while calling.`);
        }
        continue;
      }
      const type = spec.type ?? 'string';
      // An expression that comes to null (an unset variable) reaches a string input as ''.
      if (value === null && (type === 'string' || type === 'choice')) {
        typed[key] = '';
        continue;
      }
      if (type === 'boolean' && typeof value !== 'boolean') {
        throw new Error(
          `${where}: Input ${key}: unexpected value '${String(value)}', expected a boolean.`,
        );
      }
      if (type === 'number' && typeof value !== 'number') {
        throw new Error(
          `${where}: Input ${key}: unexpected value '${String(value)}', expected a number.`,
        );
      }
      typed[key] = type === 'string' || type === 'choice' ? String(value) : value;
    }
    return typed;
  }

  private base(inputs: Record<string, unknown>, secrets: Record<string, string> = {}): Contexts {
    return {
      github: this.o.github,
      inputs,
      vars: this.o.vars,
      secrets,
      runner: { os: 'Linux', arch: 'X64', name: 'demo', temp: '', tool_cache: '' },
    };
  }

  private async runJob(
    workflow: Workflow,
    id: string,
    run: {
      inputs: Record<string, unknown>;
      done: Record<string, JobResult>;
      /** The workflow's label in the trace; the job's is `<label>/<id>`. */
      label: string;
      caller: { permissions: Permissions } | undefined;
      secrets: Record<string, string>;
    },
  ): Promise<JobResult> {
    const { inputs, done, caller, secrets } = run;
    const label = `${run.label}/${id}`;
    const job = workflow.jobs[id]!;
    const needs = Object.fromEntries(needsOf(job).map((n) => [n, done[n]!]));
    const contexts: Contexts = { ...this.base(inputs, secrets), needs };
    // The status functions look at every ancestor; the needs context holds the direct needs.
    const ancestors = ancestorsOf(workflow, id).map((a) => done[a]!.result);
    const holds = (): boolean =>
      evaluateCondition(job.if, contexts, jobStatus(ancestors, this.runCancelled));
    const permissions = permissionsOf(job.permissions ?? workflow.permissions);
    if (caller) checkNested(permissions, caller.permissions, `${workflow.file} job '${id}'`);
    const queued = this.arrive(label);
    if (queued === 'job' || !holds()) {
      // After a cancellation, a job that does not run is cancelled with the run.
      const result = queued === 'job' || this.runCancelled ? 'cancelled' : 'skipped';
      this.o.print(
        `${indent(label)}○ ${id}: ${result} (if: ${String(job.if ?? 'success()')}${this.runCancelled ? ', run cancelled' : ''})`,
      );
      this.trace.jobs.push({ job: label, name: id, result, outputs: {}, summary: '' });
      return { result, outputs: {} };
    }
    const legs = job.strategy?.matrix
      ? expandMatrix(evaluateValue(job.strategy.matrix, contexts))
      : [undefined];
    let outputs: Record<string, string> = {};
    const results: Result[] = [];
    const failFast = job.strategy?.matrix !== undefined && failFastOf(job.strategy);
    const maxParallel = maxParallelOf(job, contexts);
    const jobKey = `${run.label}|${needsOf(job).sort().join(',')}`;
    for (const [index, matrix] of legs.entries()) {
      const legLabel = legs.length > 1 || matrix ? `${label}[${index}]` : label;
      // A leg not started yet: fail-fast, a cancellation of it while it is queued, or a run
      // cancelled since the job started whose `if:` no longer holds, cancel it.
      const why =
        results.includes('failure') && failFast
          ? 'strategy.fail-fast'
          : legLabel !== label && this.arrive(legLabel) === 'job'
            ? 'cancelled while queued'
            : this.runCancelled && !holds()
              ? 'run cancelled'
              : undefined;
      if (why) {
        this.o.print(`${indent(legLabel)}○ cancelled (${why})`);
        this.trace.jobs.push({
          job: legLabel,
          name: id,
          result: 'cancelled',
          outputs: {},
          summary: '',
        });
        results.push('cancelled');
        continue;
      }
      const legContexts: Contexts = {
        ...contexts,
        matrix: matrix ?? {},
        strategy: { 'job-index': index, 'job-total': legs.length, 'fail-fast': failFast },
      };
      const place = { holds, moment: legMoment(jobKey, index, maxParallel) };
      const leg = job.uses
        ? await this.runCalledWorkflow(job, legContexts, legLabel, permissions, secrets)
        : await this.runSteps(workflow, id, job, legContexts, legLabel, permissions, place);
      results.push(leg.result);
      // Legs' outputs combine; an empty or secret-bearing value is never sent (docs/design.md §10).
      outputs = mergeLegOutputs(outputs, leg.outputs, Object.values(secrets));
    }
    return { result: conclusionOf(results), outputs };
  }

  /**
   * A cancellation (RunnerOptions.cancel) arriving in the job `label`, while it is queued or,
   * given `step`, as that step starts.
   * @returns its scope when it arrives here, else undefined.
   */
  private arrive(label: string, step?: Step): 'run' | 'job' | undefined {
    const c = this.o.cancel;
    if (this.cancelArrived || !cancellationArrives(c, label, step)) return undefined;
    this.cancelArrived = true;
    const where = step ? `${label} · ${stepTitle(step, 0)}` : label;
    this.o.print(
      `${indent(label)}⊘ ${c!.reason ?? 'cancelled'}: ${c!.scope === 'run' ? 'the run' : 'this job'} is cancelled (at ${where})`,
    );
    if (c!.scope === 'run') this.runCancelled = true;
    return c!.scope;
  }

  private async runCalledWorkflow(
    job: Job,
    contexts: Contexts,
    label: string,
    permissions: Permissions,
    secrets: Record<string, string>,
  ): Promise<JobResult> {
    const target = resolveUses(job.uses!);
    if (target.kind !== 'own-workflow') {
      throw new Error(`${label}: the demo calls only this repository's workflows, not ${job.uses}`);
    }
    const given = Object.fromEntries(
      Object.entries(job.with ?? {}).map(([k, v]) => [k, evaluateValue(v, contexts)]),
    );
    const called = loadWorkflow(target.file);
    const inputs = this.typedInputs(
      called.on.workflow_call?.inputs,
      given,
      `${label} → ${target.file}`,
    );
    // Secrets cross only when passed, or with `secrets: inherit`.
    const passed = secretsForCall(job, called, secrets, contexts, `${label} → ${target.file}`);
    const name = job.name ? evaluateString(job.name, contexts) : label;
    this.o.print(`${indent(label)}● ${name} → ${job.uses}`);
    const result = await this.runWorkflow(called, inputs, { label, permissions, secrets: passed });
    this.trace.jobs.push({
      job: label,
      name,
      result: result.result,
      outputs: result.outputs,
      calledWith: inputs,
      summary: '',
    });
    return result;
  }

  private async runSteps(
    workflow: Workflow,
    id: string,
    job: Job,
    contexts: Contexts,
    label: string,
    permissions: Permissions,
    place: JobPlace,
  ): Promise<JobResult> {
    const name = job.name ? evaluateString(job.name, contexts) : id;
    const environment = environmentOf(job, contexts);
    const concurrency = nameOf(job.concurrency, 'group', contexts);
    this.o.print(`${indent(label)}● ${id}: ${name}`);
    if (concurrency) this.o.print(`${indent(label)}  concurrency group '${concurrency}'`);
    const end = (result: Result, outputs: Record<string, string> = {}, summary = ''): JobResult => {
      this.trace.jobs.push({
        job: label,
        name,
        result,
        outputs,
        ...(environment ? { environment } : {}),
        ...(concurrency ? { concurrency } : {}),
        summary,
      });
      return { result, outputs };
    };
    if (environment && !this.review(environment, label, place.moment)) return end('failure');
    const rt = this.jobRuntime(workflow, id, label, permissions, contexts, environment);
    const token = this.o.jobToken ? await this.o.jobToken(permissions) : undefined;
    if (token) this.masks.add(token);
    // Setting up the job resolves its actions first; one that does not resolve fails the job.
    const unresolved = (job.steps ?? [])
      .map((step) => (step.uses ? actionProblem(step.uses, workflow, this.o.world) : undefined))
      .filter((p): p is string => p !== undefined);
    if (unresolved.length > 0) {
      for (const p of unresolved) this.o.print(`${indent(label)}  ✗ Set up job: ${p}`);
      return end('failure');
    }
    const steps: Record<
      string,
      { outputs: Record<string, string>; outcome: string; conclusion: string }
    > = {};
    const posts: { label: string; condition: string; run: () => Promise<StepResult> }[] = [];
    let failed = false;
    // This job was cancelled: by a cancellation of it, or of the run when its `if:` no longer
    // holds. It stays cancelled whatever a later step does (demo-status.ts Cancellation).
    let cancelled = false;
    const status = (): string => (cancelled ? 'cancelled' : failed ? 'failure' : 'success');
    let summary = '';
    for (const [index, step] of (job.steps ?? []).entries()) {
      const arrived = this.arrive(label, step);
      if (arrived === 'job' || (arrived === 'run' && !place.holds())) cancelled = true;
      const stepContexts: Contexts = {
        ...contexts,
        steps,
        env: { ...rt.jobEnv },
        job: { status: status() },
        runner: { ...(contexts.runner as object), temp: rt.runtime.runnerTemp },
        github: {
          ...this.o.github,
          ...(token ? { token } : {}),
          job: id,
          workspace: rt.runtime.workspace,
        },
      };
      const title = stepTitle(step, index);
      if (!evaluateCondition(step.if, stepContexts, { failed, cancelled })) {
        // The step the cancellation arrived in is cancelled; a later one is skipped.
        const outcome: Result = arrived && cancelled ? 'cancelled' : 'skipped';
        this.o.print(`${indent(label)}  ○ ${title}: ${outcome}`);
        this.trace.steps.push({
          job: label,
          step: title,
          ...(step.id ? { id: step.id } : {}),
          ...(step.uses ? { uses: step.uses } : {}),
          outcome,
          given: {},
          outputs: {},
          durationMs: 0,
        });
        if (step.id) steps[step.id] = { outputs: {}, outcome, conclusion: outcome };
        continue;
      }
      const result = await this.runStep(step, index, stepContexts, rt.runtime, label);
      if (result.post) posts.unshift({ label: title, ...result.post });
      summary += result.summary;
      if (step.id) {
        steps[step.id] = {
          outputs: result.outputs,
          outcome: result.outcome,
          conclusion: result.outcome,
        };
      }
      failed ||= result.outcome === 'failure';
    }
    for (const post of posts) {
      const postContexts = { ...contexts, steps, job: { status: status() } };
      if (!postShouldRun(post.condition, postContexts, { failed, cancelled })) continue;
      const result = await post.run();
      this.trace.steps.push({
        job: label,
        step: `Post ${post.label}`,
        outcome: result.outcome,
        given: this.masked(result.given),
        outputs: result.outputs,
        ...(result.note ? { note: result.note } : {}),
        durationMs: result.durationMs,
      });
      reportStep(this.o.print, this.masks, { label, title: `Post ${post.label}`, result });
      failed ||= result.outcome === 'failure';
      summary += result.summary;
    }
    // Outputs are evaluated when the job ends, cancelled or not.
    const outputs: Record<string, string> = {};
    const outputContexts: Contexts = {
      ...contexts,
      steps,
      env: rt.jobEnv,
      runner: { ...(contexts.runner as object), temp: rt.runtime.runnerTemp },
    };
    for (const [key, value] of Object.entries(job.outputs ?? {})) {
      outputs[key] = evaluateString(value, outputContexts);
    }
    return end(cancelled ? 'cancelled' : failed ? 'failure' : 'success', outputs, summary);
  }

  /**
   * A job reaching `environment`: it waits for a review when the environment has required
   * reviewers (RunnerOptions.reviewers), which approves every job waiting for it at that moment.
   * @returns false when the review rejects the job.
   */
  private review(environment: string, label: string, moment: string): boolean {
    const review = this.reviews.wait(environment, label, moment);
    const pad = `${indent(label)}  `;
    if (!review) {
      this.o.print(`${pad}environment '${environment}' (no required reviewers)`);
      return true;
    }
    const n = this.reviews.reviews.indexOf(review) + 1;
    const waiting = review.jobs.length;
    this.o.print(
      waiting === 1
        ? `${pad}environment '${environment}': waits for its required reviewers; review ${n}: ${review.decision === 'approve' ? 'approved' : 'rejected'}`
        : `${pad}environment '${environment}': waiting with ${waiting - 1} other job(s), all decided by review ${n}`,
    );
    return review.decision === 'approve';
  }

  private async runStep(
    step: Step,
    index: number,
    contexts: Contexts,
    rt: JobRuntime,
    label: string,
  ): Promise<StepResult> {
    const title = stepTitle(step, index);
    const env = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([k, v]) => [k, evaluateString(v, contexts)]),
    );
    const logFile = path.join(
      this.o.runDir,
      'logs',
      `${String(++this.stepCount).padStart(2, '0')}-${label.replace(/[^\w.-]+/g, '_')}-${title.replace(/[^\w.-]+/g, '_')}.log`,
    );
    const lines: string[] = [];
    const runtime: JobRuntime = {
      ...rt,
      onLine: (line) => {
        lines.push(line);
        appendFileSync(logFile, `${line}\n`);
      },
    };
    const stepEnv = { ...env, GITHUB_ACTION: step.id ?? `__run_${index + 1}` };
    let result: StepResult;
    let target = 'run';
    try {
      if (step.uses) {
        const uses = resolveUses(step.uses);
        const given = Object.fromEntries(
          Object.entries(step.with ?? {}).map(([k, v]) => [k, evaluateString(v, contexts)]),
        );
        if (uses.kind === 'own-action') {
          target = `dist/${uses.action}`;
          result = await runOwnAction(uses, given, stepEnv, contexts, runtime);
        } else if (uses.kind === 'third-party') {
          target = uses.repository;
          result = await runThirdParty(uses, given, runtime);
        } else {
          result = {
            outcome: 'success',
            outputs: {},
            summary: '',
            given,
            durationMs: 0,
            note: `skipped: ${step.uses} is not run by the demo`,
          };
        }
      } else {
        result = await runScript(step.run ?? '', step.shell, stepEnv, runtime);
      }
    } catch (err) {
      result = {
        outcome: 'failure',
        outputs: {},
        summary: '',
        given: {},
        durationMs: 0,
        note: (err as Error).message,
      };
    }
    this.trace.steps.push({
      job: label,
      step: title,
      ...(step.id ? { id: step.id } : {}),
      ...(step.uses ? { uses: step.uses } : {}),
      outcome: result.outcome,
      given: this.masked(result.given),
      outputs: result.outputs,
      ...(result.note ? { note: result.note } : {}),
      durationMs: result.durationMs,
    });
    reportStep(this.o.print, this.masks, { label, title, target, lines, result, logFile });
    return result;
  }

  /** A step's inputs as the trace keeps them: masked values hidden, as in GitHub's logs. */
  private masked(given: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(given).map(([k, v]) => [k, this.masks.apply(v)]));
  }

  private jobRuntime(
    workflow: Workflow,
    id: string,
    label: string,
    permissions: Permissions,
    contexts: Contexts,
    environment: string | undefined,
  ): { runtime: JobRuntime; jobEnv: Record<string, string> } {
    const dir = path.join(this.o.runDir, 'jobs', label.replace(/[^\w.-]+/g, '_'));
    const workspace = path.join(dir, 'workspace');
    const runnerTemp = path.join(dir, 'temp');
    mkdirSync(workspace, { recursive: true });
    mkdirSync(runnerTemp, { recursive: true });
    const g = this.o.github as Record<string, string>;
    const caller = this.o.world.repositories.find((r) => r.name === g.repository) ?? {
      name: g.repository ?? '',
      refs: [],
    };
    // The token's claims are the run's (the caller's repository), whatever workflow the job is in.
    const claims = oidcClaims({
      repository: caller,
      ref: g.ref ?? '',
      sha: g.sha ?? '',
      eventName: g.event_name ?? '',
      ...(environment ? { environment } : {}),
      jobWorkflowRef: `${repositoryOf(workflow)}/${workflow.file.replace(/^[^:]*:/, '')}@${g.ref ?? ''}`,
    });
    const runnerEnv = runnerVariables({
      github: this.o.github,
      workflow,
      job: id,
      workspace,
      runnerTemp,
      runDir: this.o.runDir,
      extra: this.o.env,
      ...(permissions['id-token'] === 'write'
        ? {
            oidc: {
              requestUrl: oidcRequestUrl(this.o.oidc.requestUrl, claims),
              requestToken: this.o.oidc.requestToken,
            },
          }
        : {}),
    });
    // The steps' PATH: the ubuntu-24.04 image's tools only, one folder a job (a fresh machine).
    if (!this.o.hostPath) {
      runnerEnv.PATH = makeToolbox(path.join(dir, 'bin'), process.env.PATH, this.o.tools);
    }
    if (permissions['id-token'] === 'write') {
      this.oidcSubjects.push({
        job: label,
        sub: claims.sub!,
        ...(environment ? { environment } : {}),
      });
    }
    const jobEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...workflow.env, ...workflow.jobs[id]!.env })) {
      jobEnv[k] = evaluateString(v, contexts);
    }
    return {
      runtime: {
        workspace,
        runnerTemp,
        env: { ...runnerEnv, ...jobEnv },
        path: [],
        masks: this.masks,
        artifacts: this.artifacts,
        permissions,
        ...(this.o.attestationsEndpoint
          ? { attestationsEndpoint: this.o.attestationsEndpoint }
          : {}),
        ...(this.o.callerFiles ? { callerFiles: this.o.callerFiles } : {}),
        ...(this.o.repositories ? { repositories: this.o.repositories } : {}),
        timeoutMs: this.o.stepTimeoutMs,
        onLine: () => undefined,
      },
      jobEnv,
    };
  }
}

function stepTitle(step: Step, index: number): string {
  return step.name ?? step.id ?? step.uses ?? `Run step ${index + 1}`;
}

/** `concurrency:` (or any value given as a name or as a mapping with `key`), evaluated. */
function nameOf(value: unknown, key: string, contexts: Contexts): string | undefined {
  if (value === undefined || value === null) return undefined;
  const name = typeof value === 'object' ? (value as Record<string, unknown>)[key] : value;
  return evaluateString(name, contexts) || undefined;
}

/** `strategy.max-parallel`, evaluated; unset: every leg at once. */
function maxParallelOf(job: Job, contexts: Contexts): number | undefined {
  const value = job.strategy?.['max-parallel'];
  if (value === undefined || value === null) return undefined;
  const n = Number(evaluateValue(value, contexts));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
