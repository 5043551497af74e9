import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { metadataPathOf } from '../../scripts/lib/actions.js';
import { inputVariable, parseCommandFile, readInputs } from '../../scripts/lib/smoke.js';

/** One step's process, as the runner would see it. */
export interface StepRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ActionStepsRun {
  main: StepRun;
  /** Undefined when `post: false` was asked for. */
  post?: StepRun;
  /** What main saved with core.saveState (GITHUB_STATE), which the runner hands to post. */
  state: Record<string, string>;
  /** What both steps wrote to GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. */
  outputs: Record<string, string>;
  summary: string;
  /** RUNNER_TEMP of the job, still there until `dispose`. */
  runnerTemp: string;
  dispose(): Promise<void>;
}

const LEAKY = /^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|AZURE_|ARM_|STATE_|NODE_OPTIONS$)/;

/**
 * Runs `dist/<name>/index.js` and then `dist/<name>/post.js` the way the runner runs an action
 * with a `post:` step: same inputs (action.yml defaults applied) for both, main's GITHUB_STATE
 * handed to post as `STATE_<name>` variables. `killMainWhen` SIGKILLs the main step as soon as
 * its stdout matches, as a timed-out job would stop it (`killSignal: 'SIGTERM'`: as the runner
 * cancels a step).
 */
export async function runActionSteps(
  name: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  options: {
    killMainWhen?: RegExp;
    /** SIGKILL by default; SIGTERM plays the runner cancelling the step. */
    killSignal?: NodeJS.Signals;
    post?: boolean;
    timeoutMs?: number;
  } = {},
): Promise<ActionStepsRun> {
  const work = await mkdtemp(join(tmpdir(), `steps-${name}-`));
  const files = {
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
    GITHUB_STATE: join(work, 'state'),
    GITHUB_ENV: join(work, 'env'),
    GITHUB_PATH: join(work, 'path'),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  const workspace = join(work, 'workspace');
  const runnerTemp = join(work, 'runner-temp');
  await mkdir(workspace);
  await mkdir(runnerTemp);
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !LEAKY.test(k)) base[k] = v;
  Object.assign(base, files, {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: name,
    GITHUB_JOB: 'validate',
    GITHUB_REPOSITORY: 'smoke/compute-gallery-actions',
    GITHUB_RUN_ID: String(Date.now()),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKSPACE: workspace,
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: runnerTemp,
  });
  for (const input of await readInputs(resolve(metadataPathOf(name)))) {
    if (input.default !== undefined) base[inputVariable(input.name)] = input.default;
  }
  for (const [k, v] of Object.entries(inputs)) base[inputVariable(k)] = v;
  Object.assign(base, env);

  const timeoutMs = options.timeoutMs ?? 120_000;
  const main = await step(
    resolve('dist', name, 'index.js'),
    workspace,
    base,
    timeoutMs,
    options.killMainWhen && {
      pattern: options.killMainWhen,
      signal: options.killSignal ?? 'SIGKILL',
    },
  );
  const state = parseCommandFile(await readFile(files.GITHUB_STATE, 'utf8'));
  let post: StepRun | undefined;
  if (options.post !== false) {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    post = await step(
      resolve('dist', name, 'post.js'),
      workspace,
      { ...base, ...stateEnv },
      timeoutMs,
    );
  }
  return {
    main,
    ...(post ? { post } : {}),
    state,
    outputs: parseCommandFile(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    runnerTemp,
    dispose: () => rm(work, { recursive: true, force: true }),
  };
}

function step(
  entry: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
  kill?: { pattern: RegExp; signal: NodeJS.Signals },
): Promise<StepRun> {
  const started = performance.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [entry], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (kill && !killed && kill.pattern.test(stdout)) {
        killed = true;
        child.kill(kill.signal);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({
        code,
        signal,
        stdout,
        stderr,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}
