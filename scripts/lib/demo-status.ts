/**
 * How github.com decides what runs and how it went, as the demo's runner simulation
 * (demo-runner.ts) applies it: the status functions of a job's `if:`, a run or a job cancelled
 * part-way, the result of a matrix job and of a called workflow, and environments whose
 * required reviewers hold jobs back. Each rule restates GitHub's documentation or the runner's
 * source (cited at the rule); __tests__/workflows/status.test.ts runs small workflows that break
 * each rule through the simulation.
 */
import type { Status } from './demo-expressions.js';

/** A job's or a step's result, as `needs.<id>.result` and `steps.<id>.outcome` spell them. */
export type Result = 'success' | 'failure' | 'skipped' | 'cancelled';

/**
 * What `success()`, `failure()` and `cancelled()` answer in a job's `if:`, from the results of
 * its ancestors (every job it needs, directly or through others; demo-workflow.ts ancestorsOf).
 * - `success()`: every ancestor succeeded and the run is not cancelled. A skipped or cancelled
 *   job anywhere up the chain makes the default `if:` skip the job (docs.github.com "Using jobs
 *   in a workflow", jobs.<job_id>.needs: a failure or a skip carries down the whole dependency
 *   chain; actions/runner#2205: a job whose need succeeded is skipped because the need's own
 *   need was skipped).
 * - `failure()`: an ancestor failed (docs.github.com "Evaluate expressions in workflows and
 *   actions", failure: in a chain of dependent jobs, true when any ancestor failed;
 *   github/docs#4822, a job two levels below a failed one). A skipped or cancelled ancestor is
 *   no failure, so `!failure() && !cancelled()` runs after a skipped need (actions/runner#491).
 * - `cancelled()`: the run was cancelled ("Evaluate expressions…", cancelled).
 * - `always()`: true.
 * Job conditions are evaluated by GitHub's service, whose code is not public; with the run
 * cancelled, `failure()` is taken to be false there as it is on the runner, which holds one
 * status for a job (actions/runner src/Runner.Worker/Expressions/FailureFunction.cs line 38,
 * CancelledFunction.cs line 28).
 */
export function jobStatus(ancestors: readonly Result[], runCancelled: boolean): Status {
  return {
    failed: ancestors.includes('failure'),
    cancelled: runCancelled,
    succeeded: ancestors.every((r) => r === 'success'),
  };
}

/**
 * The result of a matrix job from its legs' results, and of a job that calls a workflow from
 * the called workflow's jobs: failure when one failed, else cancelled when one was cancelled or
 * the run was, else success (skipped jobs of a called workflow do not count).
 * `needs.<id>.result` is one of success, failure, cancelled or skipped (docs.github.com
 * "Contexts reference", needs context); how legs combine is not documented. Taking the worst,
 * failure before cancelled, makes a matrix whose fail-fast cancelled the other legs because one
 * failed a failure (docs.github.com "Running variations of jobs in a workflow", fail-fast).
 */
export function conclusionOf(results: readonly Result[], runCancelled = false): Result {
  if (runCancelled) return 'cancelled';
  if (results.includes('failure')) return 'failure';
  if (results.includes('cancelled')) return 'cancelled';
  return 'success';
}

/**
 * A run or a job cancelled part-way. What cancels a run on GitHub: a user (Cancel workflow, or
 * the REST API), a newer run of the same concurrency group with `cancel-in-progress: true`,
 * and a newer pending run replacing a pending one (docs.github.com "Control the concurrency of
 * workflows and jobs"; demo-github.ts ConcurrencyGroups). What cancels one job: its
 * `timeout-minutes` (workflow syntax: GitHub cancels a job that runs longer), or a job-level
 * concurrency group.
 *
 * When the run is cancelled (docs.github.com "Workflow cancellation reference"): the service
 * evaluates the `if:` of every running job again, with `cancelled()` true and `success()`
 * false; a job whose `if:` still holds (`always()`, `cancelled()`) goes on untouched, every
 * other running job is cancelled; jobs not started yet run only when their `if:` holds, and the
 * others are cancelled (docs.github.com "Canceling a workflow": cancelling a run cancels its
 * jobs and steps). In a cancelled job (actions/runner
 * src/Runner.Worker/StepsRunner.cs): the job's status becomes cancelled (lines 149-155, and
 * 188-198 for a step that starts after), so `success()` and `failure()` are false and
 * `cancelled()` true in later conditions; the running step's condition is evaluated again and
 * the step is cancelled unless it still holds (lines 157-185); a later step whose condition is
 * false is skipped (lines 231-236); the job's result stays cancelled whatever a later step does
 * (src/Runner.Common/Util/TaskResultUtil.cs MergeTaskResults, lines 34-60: a cancelled result
 * is never replaced). Post steps run by their `post-if` (default `always()`). The job's outputs
 * are still evaluated when it ends (src/Runner.Worker/JobRunner.cs lines 250-255 finalize every
 * job; src/Runner.Worker/JobExtension.cs lines 792-817 evaluate its outputs there), so a
 * cancelled matrix leg sends what its finished steps set.
 *
 * The simulation does not interrupt a process: a step "running" when the cancellation arrives
 * is one about to start, and is cancelled before it does anything unless its condition holds.
 */
export interface Cancellation {
  /**
   * The job the cancellation arrives in: its label in the trace (`node-images/images/plan`,
   * a leg `…/images[0]/validate`) or the end of it after a `/` (`images[0]/validate`).
   */
  job: string;
  /** The step (id or name) running when it arrives; unset: while the job is still queued. */
  step?: string;
  /** `run`: the whole run is cancelled; `job`: that job alone (timeout-minutes). */
  scope: 'run' | 'job';
  /** Why, as the printout says it (e.g. "cancelled by a user"). */
  reason?: string;
}

/** Whether `c` arrives in the job labelled `label` (and, given, in its step). */
export function cancellationArrives(
  c: Cancellation | undefined,
  label: string,
  step?: { id?: string; name?: string },
): boolean {
  if (!c) return false;
  if (label !== c.job && !label.endsWith(`/${c.job}`)) return false;
  if (c.step === undefined) return step === undefined;
  return step !== undefined && (step.id === c.step || step.name === c.step);
}

/** What a reviewer of an environment decides. */
export type Decision = 'approve' | 'reject';

/** One review of an environment: the jobs it let through (or rejected). */
export interface Review {
  environment: string;
  decision: Decision;
  jobs: string[];
}

/**
 * Environments with required reviewers. A job that names one waits before it starts; a reviewer
 * selects the environment on the run and approves (or rejects) every job of the run waiting for
 * it at that moment (docs.github.com "Reviewing deployments": the reviewer picks environments,
 * not jobs; the GraphQL mutation approveDeployments approves all of a run's pending deployments
 * under the environments it is given, and REST `POST …/runs/{run_id}/pending_deployments`
 * takes `environment_ids`). A rejected job fails, and the run with it (same page). Environment
 * names are case-insensitive.
 *
 * "At that moment", in a simulation that runs one job after another: the jobs of one workflow
 * that become ready together, which are the legs of one matrix job up to its `max-parallel`
 * (later legs start one by one as earlier ones finish), and jobs with the same `needs:`. Any
 * other job reaches its environment at a moment of its own and asks for a review of its own.
 */
export class EnvironmentReviews {
  readonly reviews: Review[] = [];
  private readonly open = new Map<string, Review>();
  private readonly decisions: Map<string, Decision>;

  constructor(reviewers: Readonly<Record<string, Decision>> = {}) {
    this.decisions = new Map(Object.entries(reviewers).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /**
   * A job reaching `environment` at `moment` (a key naming when, see above).
   * @returns the review that decides it, or undefined when the environment has no reviewers.
   */
  wait(environment: string, job: string, moment: string): Review | undefined {
    const decision = this.decisions.get(environment.toLowerCase());
    if (!decision) return undefined;
    const key = `${environment.toLowerCase()}\n${moment}`;
    let review = this.open.get(key);
    if (!review) {
      review = { environment, decision, jobs: [] };
      this.open.set(key, review);
      this.reviews.push(review);
    }
    review.jobs.push(job);
    return review;
  }
}

/**
 * The moment the legs of a job reach its environment: legs up to `max-parallel` start together;
 * each later leg starts when an earlier one ends, at a moment of its own.
 */
export function legMoment(jobKey: string, index: number, maxParallel: number | undefined): string {
  return maxParallel === undefined || index < maxParallel ? jobKey : `${jobKey}[${index}]`;
}
