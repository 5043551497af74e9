/**
 * A small workflow runner for the demo: it walks the jobs of the workflow files in `needs`
 * order, evaluates `if:`, `strategy.matrix`, `with:`, `env:` and every `outputs:` with GitHub's
 * expression evaluator, calls reusable workflows with typed inputs (as `workflow_call` checks
 * them), and runs each step as demo-steps.ts describes. It is not GitHub's runner: jobs run one
 * after another on this machine, each in a fresh workspace and runner temp folder (so files only
 * cross jobs as artifacts), and an environment's reviewers are reported, not waited for.
 * Everything a step was given and produced is kept in a trace for the demo's test.
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

export type Result = 'success' | 'failure' | 'skipped' | 'cancelled';

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
  print: (line: string) => void;
}

interface JobResult {
  result: Result;
  outputs: Record<string, string>;
}

export class DemoRunner {
  readonly trace: RunTrace = { jobs: [], steps: [] };
  /** The OIDC subject each job's tokens carry. */
  readonly oidcSubjects: { job: string; sub: string; environment?: string }[] = [];
  private readonly artifacts: ArtifactStore;
  private readonly masks = new Masks();
  private stepCount = 0;

  constructor(private readonly o: RunnerOptions) {
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
      jobs[id] = await this.runJob(workflow, id, inputs, jobs, `${label}/${id}`, caller, secrets);
    }
    const outputs: Record<string, string> = {};
    const contexts = { ...this.base(inputs, secrets), jobs };
    for (const [name, spec] of Object.entries(workflow.on.workflow_call?.outputs ?? {})) {
      outputs[name] = evaluateString(spec.value, contexts);
    }
    const failed = Object.values(jobs).some((j) => j.result === 'failure');
    return { result: failed ? 'failure' : 'success', outputs };
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
    inputs: Record<string, unknown>,
    done: Record<string, JobResult>,
    label: string,
    caller: { permissions: Permissions } | undefined,
    secrets: Record<string, string>,
  ): Promise<JobResult> {
    const job = workflow.jobs[id]!;
    const needs = Object.fromEntries(needsOf(job).map((n) => [n, done[n]!]));
    const contexts: Contexts = { ...this.base(inputs, secrets), needs };
    const needsFailed = Object.values(needs).some((n) => n.result !== 'success');
    const run = evaluateCondition(job.if, contexts, { failed: needsFailed, cancelled: false });
    const permissions = permissionsOf(job.permissions ?? workflow.permissions);
    if (caller) checkNested(permissions, caller.permissions, `${workflow.file} job '${id}'`);
    if (!run) {
      this.o.print(`${indent(label)}○ ${id}: skipped (if: ${String(job.if ?? 'success()')})`);
      this.trace.jobs.push({ job: label, name: id, result: 'skipped', outputs: {}, summary: '' });
      return { result: 'skipped', outputs: {} };
    }
    const legs = job.strategy?.matrix
      ? expandMatrix(evaluateValue(job.strategy.matrix, contexts))
      : [undefined];
    let outputs: Record<string, string> = {};
    let anyFailed = false;
    let anyCancelled = false;
    let last: Result = 'success';
    const failFast = job.strategy?.matrix !== undefined && failFastOf(job.strategy);
    for (const [index, matrix] of legs.entries()) {
      const legLabel = legs.length > 1 || matrix ? `${label}[${index}]` : label;
      if (anyFailed && failFast) {
        // fail-fast: the legs after a failure are cancelled.
        this.o.print(`${indent(legLabel)}○ cancelled (strategy.fail-fast)`);
        this.trace.jobs.push({
          job: legLabel,
          name: id,
          result: 'cancelled',
          outputs: {},
          summary: '',
        });
        anyCancelled = true;
        continue;
      }
      const legContexts: Contexts = {
        ...contexts,
        matrix: matrix ?? {},
        strategy: { 'job-index': index, 'job-total': legs.length, 'fail-fast': failFast },
      };
      const leg = job.uses
        ? await this.runCalledWorkflow(job, legContexts, legLabel, permissions, secrets)
        : await this.runSteps(workflow, id, job, legContexts, legLabel, permissions);
      anyFailed ||= leg.result === 'failure';
      last = leg.result;
      // Legs' outputs combine; an empty or secret-bearing value is never sent (docs/design.md §10).
      outputs = mergeLegOutputs(outputs, leg.outputs, Object.values(secrets));
    }
    const outcome: JobResult = {
      result: anyFailed ? 'failure' : anyCancelled ? 'cancelled' : last,
      outputs,
    };
    return outcome;
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
  ): Promise<JobResult> {
    const name = job.name ? evaluateString(job.name, contexts) : id;
    const environment =
      job.environment === undefined
        ? undefined
        : evaluateString(
            typeof job.environment === 'object'
              ? (job.environment as { name?: unknown }).name
              : job.environment,
            contexts,
          );
    const concurrency =
      job.concurrency === undefined
        ? undefined
        : evaluateString(
            typeof job.concurrency === 'object'
              ? (job.concurrency as { group?: unknown }).group
              : job.concurrency,
            contexts,
          );
    this.o.print(`${indent(label)}● ${id}: ${name}`);
    if (concurrency) this.o.print(`${indent(label)}  concurrency group '${concurrency}'`);
    if (environment) {
      this.o.print(
        `${indent(label)}  environment '${environment}': on GitHub the job waits here for the environment's required reviewers, if it has any; the demo goes on`,
      );
    }
    const rt = this.jobRuntime(workflow, id, label, permissions, contexts, environment);
    const token = this.o.jobToken ? await this.o.jobToken(permissions) : undefined;
    if (token) this.masks.add(token);
    // Setting up the job resolves its actions first; one that does not resolve fails the job.
    const unresolved = (job.steps ?? [])
      .map((step) => (step.uses ? actionProblem(step.uses, workflow, this.o.world) : undefined))
      .filter((p): p is string => p !== undefined);
    if (unresolved.length > 0) {
      for (const p of unresolved) this.o.print(`${indent(label)}  ✗ Set up job: ${p}`);
      this.trace.jobs.push({ job: label, name, result: 'failure', outputs: {}, summary: '' });
      return { result: 'failure', outputs: {} };
    }
    const steps: Record<
      string,
      { outputs: Record<string, string>; outcome: string; conclusion: string }
    > = {};
    const posts: { label: string; condition: string; run: () => Promise<StepResult> }[] = [];
    let failed = false;
    let summary = '';
    for (const [index, step] of (job.steps ?? []).entries()) {
      const stepContexts: Contexts = {
        ...contexts,
        steps,
        env: { ...rt.jobEnv },
        job: { status: failed ? 'failure' : 'success' },
        runner: { ...(contexts.runner as object), temp: rt.runtime.runnerTemp },
        github: {
          ...this.o.github,
          ...(token ? { token } : {}),
          job: id,
          workspace: rt.runtime.workspace,
        },
      };
      const title = stepTitle(step, index);
      const run = evaluateCondition(step.if, stepContexts, { failed, cancelled: false });
      if (!run) {
        this.o.print(`${indent(label)}  ○ ${title}: skipped`);
        this.trace.steps.push({
          job: label,
          step: title,
          ...(step.id ? { id: step.id } : {}),
          ...(step.uses ? { uses: step.uses } : {}),
          outcome: 'skipped',
          given: {},
          outputs: {},
          durationMs: 0,
        });
        if (step.id) steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
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
      const postContexts = { ...contexts, steps, job: { status: failed ? 'failure' : 'success' } };
      if (!postShouldRun(post.condition, postContexts, failed)) continue;
      const result = await post.run();
      this.trace.steps.push({
        job: label,
        step: `Post ${post.label}`,
        outcome: result.outcome,
        given: result.given,
        outputs: result.outputs,
        ...(result.note ? { note: result.note } : {}),
        durationMs: result.durationMs,
      });
      reportStep(this.o.print, this.masks, { label, title: `Post ${post.label}`, result });
      failed ||= result.outcome === 'failure';
      summary += result.summary;
    }
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
    const result: Result = failed ? 'failure' : 'success';
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
      given: result.given,
      outputs: result.outputs,
      ...(result.note ? { note: result.note } : {}),
      durationMs: result.durationMs,
    });
    reportStep(this.o.print, this.masks, { label, title, target, lines, result, logFile });
    return result;
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
