/**
 * Runs a bundled action the way the GitHub runner does: `node dist/<name>/index.js` with the
 * inputs as `INPUT_*` variables (defaults from action.yml applied), and `GITHUB_OUTPUT`,
 * `GITHUB_STEP_SUMMARY` and friends pointing at fresh files. What a run must show is decided by
 * a scenario (scripts/smoke/*.ts); every run is also checked for the signs of a bundle that
 * cannot even load (ESM/CJS mix-ups, missing chunks).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { COMMON_DIR, isFile, listDirectories, metadataPathOf } from './actions.js';

/** A bundled action found in `dist/`. */
export interface Bundle {
  /** The action's name; `<action>/post` for its `post:` step. */
  name: string;
  /** Absolute path of `dist/<name>/index.js` (or `dist/<action>/post.js`). */
  entry: string;
  /** A `post:` step: run after the job's steps, with the main step's saved state. */
  post?: boolean;
  /** The inputs its action.yml declares (empty when it has none or no action.yml). */
  inputs: ActionInput[];
}

export interface ActionInput {
  name: string;
  required: boolean;
  /** The literal default; undefined when there is none or it is an expression. */
  default?: string;
}

/** One run of one bundle, as a scenario describes it. */
export interface SmokeCase {
  bundle: Bundle;
  /** Shown in the report, e.g. `no inputs`. */
  title: string;
  /** Inputs by their action.yml name; action.yml defaults fill in the rest. */
  inputs?: Record<string, string>;
  /** Extra environment (e.g. NODE_EXTRA_CA_CERTS for the stand-in). */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** What the run must show: the problems found, none when it passed. */
  check(run: BundleRun): string[];
}

/** A way to exercise the bundles: `prepare` may start servers, `dispose` stops them. */
export interface SmokeScenario {
  name: string;
  prepare(context: { root: string; bundles: Bundle[] }): Promise<SmokeCase[]>;
  dispose?(): Promise<void>;
}

export interface BundleRun {
  /** The exit code; null when the process was killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** What the action wrote to GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** What the action wrote to GITHUB_STEP_SUMMARY. */
  summary: string;
  durationMs: number;
}

/**
 * Every `<distDir>/<name>/index.js` stub (not the shared bundle) and `post.js` stub, with the
 * inputs its action.yml in `root` declares.
 */
export async function findBundles(
  root: string,
  distDir = path.join(root, 'dist'),
): Promise<Bundle[]> {
  const bundles: Bundle[] = [];
  for (const name of await listDirectories(distDir)) {
    const entry = path.join(distDir, name, 'index.js');
    if (name === COMMON_DIR || !(await isFile(entry))) continue;
    const inputs = await readInputs(path.join(root, metadataPathOf(name)));
    bundles.push({ name, entry, inputs });
    const post = path.join(distDir, name, 'post.js');
    if (await isFile(post)) bundles.push({ name: `${name}/post`, entry: post, inputs, post: true });
  }
  return bundles;
}

/** The inputs an action.yml declares; none when the file is missing or not valid YAML. */
export async function readInputs(metadataFile: string): Promise<ActionInput[]> {
  let text: string;
  try {
    text = await readFile(metadataFile, 'utf8');
  } catch {
    return [];
  }
  let metadata: { inputs?: Record<string, Record<string, unknown> | null> } | null;
  try {
    metadata = parse(text) as typeof metadata;
  } catch {
    return []; // not YAML: lint:workflows says so; the run is still worth making
  }
  return Object.entries(metadata?.inputs ?? {}).map(([name, spec]) => {
    const value = spec?.default;
    const literal =
      value === undefined || String(value).includes('${{') ? undefined : String(value);
    return { name, required: spec?.required === true, default: literal };
  });
}

/** The variable the runner sets for an input: `INPUT_` + name, spaces to `_`, upper case. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Variables of the developer's shell that would leak into a run and change what it does. */
const LEAKY_VARIABLE = /^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|AZURE_|ARM_|NODE_OPTIONS$)/;

/** Runs one bundle once, in a fresh temporary workspace that is removed afterwards. */
export async function runBundle(
  bundle: Bundle,
  options: {
    inputs?: Record<string, string>;
    env?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<BundleRun> {
  const work = await mkdtemp(path.join(tmpdir(), `smoke-${bundle.name.replace(/\//g, '-')}-`));
  try {
    const files = {
      GITHUB_OUTPUT: path.join(work, 'output'),
      GITHUB_STEP_SUMMARY: path.join(work, 'summary'),
      GITHUB_STATE: path.join(work, 'state'),
      GITHUB_ENV: path.join(work, 'env'),
      GITHUB_PATH: path.join(work, 'path'),
    };
    for (const file of Object.values(files)) await writeFile(file, '');
    const workspace = path.join(work, 'workspace');
    const runnerTemp = path.join(work, 'runner-temp');
    await mkdir(workspace);
    await mkdir(runnerTemp);

    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !LEAKY_VARIABLE.test(key)) env[key] = value;
    }
    Object.assign(env, files, {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION: bundle.name,
      GITHUB_REPOSITORY: 'smoke/compute-gallery-actions',
      GITHUB_RUN_ID: '1',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_WORKSPACE: workspace,
      RUNNER_OS: 'Linux',
      RUNNER_TEMP: runnerTemp,
    });
    for (const input of bundle.inputs) {
      if (input.default !== undefined) env[inputVariable(input.name)] = input.default;
    }
    for (const [name, value] of Object.entries(options.inputs ?? {})) {
      env[inputVariable(name)] = value;
    }
    Object.assign(env, options.env);

    const started = performance.now();
    const result = await spawnNode(bundle.entry, workspace, env, options.timeoutMs ?? 60_000);
    return {
      ...result,
      durationMs: Math.round(performance.now() - started),
      outputs: parseCommandFile(await readFile(files.GITHUB_OUTPUT, 'utf8')),
      summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function spawnNode(
  entry: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<Pick<BundleRun, 'code' | 'signal' | 'timedOut' | 'stdout' | 'stderr'>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

/** Parses a GITHUB_OUTPUT-style file: `name=value` lines and `name<<DELIM … DELIM` blocks. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) body.push(lines[i] ?? '');
      values[name] = body.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}

/**
 * Signs that a bundle crashed instead of running: module resolution and syntax errors, and the
 * stack trace Node prints for an uncaught error. Checked on every run, whatever the scenario.
 */
const CRASH_SIGNS: readonly [RegExp, string][] = [
  [/ERR_MODULE_NOT_FOUND\]|Cannot find (module|package)/, 'a module is missing from the bundle'],
  [/ERR_REQUIRE_(ESM|ASYNC_MODULE)\]|require\(\) of ES Module/, 'an ESM/CJS mix-up'],
  [
    /Dynamic require of .* is not supported|require is not defined|__dirname is not defined/,
    'an ESM/CJS mix-up',
  ],
  [/^(SyntaxError|ReferenceError|TypeError)\b/m, 'an uncaught error at load or run time'],
  [/^\s+at .+(:\d+:\d+\)?|\(native\))$/m, 'a stack trace'],
];

/** What went wrong at the level of "did the bundle run at all"; empty when nothing did. */
export function findCrash(run: BundleRun): string[] {
  const problems: string[] = [];
  if (run.timedOut) problems.push('timed out (killed)');
  else if (run.signal !== null) problems.push(`killed by ${run.signal}`);
  // The annotations too: a stack inside `::error::` arrives as one line with %0A escapes.
  const output = [run.stdout, run.stderr, ...errorAnnotations(run)].join('\n');
  for (const [pattern, meaning] of CRASH_SIGNS) {
    const match = pattern.exec(output);
    if (match) problems.push(`${meaning}: ${firstLineAround(output, match.index)}`);
  }
  return problems;
}

function firstLineAround(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1;
  const end = text.indexOf('\n', index);
  return text.slice(start, end === -1 ? undefined : end).trim();
}

/** The `::error::` workflow commands a run printed, unescaped. */
export function errorAnnotations(run: BundleRun): string[] {
  return run.stdout
    .split(/\r?\n/)
    .filter((line) => /^::error( [^:]*)?::/.test(line))
    .map((line) => unescapeCommandData(line.replace(/^::error( [^:]*)?::/, '')));
}

/** Reverses the escaping of workflow command data (`%25`, `%0D`, `%0A`). */
function unescapeCommandData(data: string): string {
  return data.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
}
