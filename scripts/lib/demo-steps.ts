/**
 * The kinds of steps the workflows hold, as the demo runs them:
 * - this repository's actions: their real `dist/` bundles, main and post, under the runner's
 *   contract (INPUT_* with action.yml defaults, file commands, OIDC variables only for jobs with
 *   `id-token: write`);
 * - `run:` scripts: with bash, as the runner runs them on Linux;
 * - actions/upload-artifact and actions/download-artifact: emulated on a folder, with the
 *   behaviour the data flow depends on (one artifact per name, single-file uploads keep the
 *   file name, `pattern` + `merge-multiple`);
 * - actions/checkout of the calling repository: its files are put in the workspace; of another
 *   repository the demo has a stand-in for (a local git repository, e.g. image-builder's): a
 *   clone of it at `ref`, with its history and tags for `fetch-depth: 0`, else `fetch-depth`
 *   commits and no tags but `ref` itself when it is one, as the real action fetches;
 * - actions/attest-build-provenance with `subject-name` + `subject-digest`: the job's ID token
 *   (audience `sigstore`) goes to the stand-in, which certifies it and signs the attestation as
 *   GitHub's Sigstore would (its admin `POST /_emulator/attestations`), stored for the run's
 *   repository, and the action's outputs are given back; as on GitHub, the job needs
 *   `id-token: write` (the Sigstore certificate) and `attestations: write` (the upload);
 * - anything else: skipped, with the reason printed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { repositoryRoot } from './actions.js';
import {
  evaluateCondition,
  evaluateString,
  type Contexts,
  type Status,
} from './demo-expressions.js';
import { type Masks, runProcess, type ProcessResult } from './demo-process.js';
import type { Permissions } from './demo-job.js';
import { loadOwnAction, ownRepository, type UsesTarget } from './demo-workflow.js';
import { inputVariable } from './smoke.js';

/** What one job's steps share, like one runner machine. */
export interface JobRuntime {
  workspace: string;
  runnerTemp: string;
  /** The environment every step starts from (runner variables, GITHUB_ENV additions). */
  env: Record<string, string>;
  /** GITHUB_PATH additions, newest first. */
  path: string[];
  masks: Masks;
  artifacts: ArtifactStore;
  /** The job token's permissions (demo-job.ts). */
  permissions: Permissions;
  /** The stand-in's admin attestations route, for actions/attest-build-provenance. */
  attestationsEndpoint?: string;
  /** The calling repository's files, put in the workspace by a checkout of it. */
  callerFiles?: string;
  /** Other repositories a checkout may ask for: name (owner/name) → a local git repository. */
  repositories?: Readonly<Record<string, string>>;
  timeoutMs: number;
  onLine: (line: string) => void;
}

export interface StepResult {
  outcome: 'success' | 'failure';
  outputs: Record<string, string>;
  summary: string;
  /** What the demo did instead of the real thing, or why it could not run the step. */
  note?: string;
  /** The values the step was given (INPUT_* for actions, env for scripts), for the trace. */
  given: Record<string, string>;
  durationMs: number;
  /** An action's post step, to run when the job ends. */
  post?: { condition: string; run: () => Promise<StepResult> };
}

/** Runs one of this repository's node actions from its dist/ bundle. */
export async function runOwnAction(
  target: Extract<UsesTarget, { kind: 'own-action' }>,
  given: Record<string, string>,
  stepEnv: Record<string, string>,
  contexts: Contexts,
  rt: JobRuntime,
): Promise<StepResult> {
  const metadata = loadOwnAction(target.action);
  const missing = (note: string): StepResult => ({
    outcome: 'failure',
    outputs: {},
    summary: '',
    note,
    given,
    durationMs: 0,
  });
  if (!metadata) {
    return missing(
      `${target.metadata} does not exist yet: the demo cannot run action '${target.action}'.`,
    );
  }
  const actionDir = path.join(repositoryRoot, path.dirname(target.metadata));
  const main = metadata.runs.main ? path.join(actionDir, metadata.runs.main) : undefined;
  if (!/^node\d+$/.test(metadata.runs.using) || !main) {
    return missing(`${target.metadata}: runs.using '${metadata.runs.using}' is not a node action.`);
  }
  if (!existsSync(main)) {
    return missing(
      `${path.relative(repositoryRoot, main)} does not exist: action '${target.action}' is not ` +
        'bundled yet (npm run bundle), so the demo cannot run this step.',
    );
  }
  const declared = metadata.inputs ?? {};
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    if (name in given) inputs[name] = given[name]!;
    else if (spec.default !== undefined) inputs[name] = evaluateString(spec.default, contexts);
  }
  const unexpected = Object.keys(given).filter((name) => !(name in declared));
  for (const name of unexpected) inputs[name] = given[name]!;
  if (unexpected.length > 0) {
    // The runner's own wording.
    rt.onLine(
      `Warning: Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(declared).join("', '")}']`,
    );
  }
  const env: Record<string, string> = {
    ...rt.env,
    ...stepEnv,
    PATH: [...rt.path, rt.env.PATH ?? ''].join(path.delimiter),
    GITHUB_ACTION_PATH: actionDir,
    GITHUB_ACTION_REF: target.ref,
    // The runner names the repository an action comes from (docs.github.com "Variables
    // reference"); ours, which promote and inventory read as the signer of attestations.
    GITHUB_ACTION_REPOSITORY: ownRepository(),
  };
  for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value;

  const run = async (entry: string, state: Record<string, string>): Promise<StepResult> => {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    const result = await runProcess(
      {
        command: process.execPath,
        args: [entry],
        cwd: rt.workspace,
        env: { ...env, ...stateEnv },
        runnerTemp: rt.runnerTemp,
        timeoutMs: rt.timeoutMs,
        onLine: rt.onLine,
      },
      rt.masks,
    );
    absorb(rt, result);
    const post = metadata.runs.post;
    return {
      ...outcomeOf(result),
      given: inputs,
      ...(post && entry === main
        ? {
            post: {
              condition: metadata.runs['post-if'] ?? 'always()',
              run: () => run(path.join(actionDir, post), result.state),
            },
          }
        : {}),
    };
  };
  return run(main, {});
}

/** A `run:` script, with bash as the runner uses it when `shell:` is bash or unset on Linux. */
export async function runScript(
  script: string,
  shell: string | undefined,
  stepEnv: Record<string, string>,
  rt: JobRuntime,
): Promise<StepResult> {
  if (shell !== undefined && shell !== 'bash') {
    return {
      outcome: 'failure',
      outputs: {},
      summary: '',
      note: `shell '${shell}' is not one the demo runs.`,
      given: stepEnv,
      durationMs: 0,
    };
  }
  const file = path.join(rt.runnerTemp, `${randomUUID()}.sh`);
  writeFileSync(file, script);
  // `shell: bash` adds --noprofile --norc -o pipefail; unset, it is `bash -e {0}`.
  const args = shell === 'bash' ? ['--noprofile', '--norc', '-eo', 'pipefail', file] : ['-e', file];
  const result = await runProcess(
    {
      command: 'bash',
      args,
      cwd: rt.workspace,
      env: {
        ...rt.env,
        ...stepEnv,
        PATH: [...rt.path, rt.env.PATH ?? ''].join(path.delimiter),
      },
      runnerTemp: rt.runnerTemp,
      timeoutMs: rt.timeoutMs,
      onLine: rt.onLine,
    },
    rt.masks,
  );
  absorb(rt, result);
  return { ...outcomeOf(result), given: stepEnv };
}

/** Steps of other people's actions: emulated where the data flow needs them, else skipped. */
export async function runThirdParty(
  target: Extract<UsesTarget, { kind: 'third-party' }>,
  given: Record<string, string>,
  rt: JobRuntime,
): Promise<StepResult> {
  const done = (outputs: Record<string, string>, note: string): StepResult => ({
    outcome: 'success',
    outputs,
    summary: '',
    note,
    given,
    durationMs: 0,
  });
  const fail = (note: string): StepResult => ({ ...done({}, note), outcome: 'failure' });
  try {
    switch (target.repository.toLowerCase()) {
      case 'actions/upload-artifact': {
        const name = given.name || 'artifact';
        const files = rt.artifacts.upload(name, resolvePaths(rt.workspace, given.path ?? ''), {
          ifNoFilesFound: given['if-no-files-found'] || 'warn',
          overwrite: given.overwrite === 'true',
        });
        return done(
          { 'artifact-id': String(rt.artifacts.idOf(name)), 'artifact-url': `artifact://${name}` },
          `emulated: artifact '${name}' ← ${files.join(', ') || 'no files'}`,
        );
      }
      case 'actions/download-artifact': {
        const dest = path.resolve(rt.workspace, given.path || '.');
        const names = rt.artifacts.download(dest, {
          ...(given.name ? { name: given.name } : {}),
          ...(given.pattern ? { pattern: given.pattern } : {}),
          mergeMultiple: given['merge-multiple'] === 'true',
        });
        return done(
          { 'download-path': dest },
          `emulated: ${names.join(', ') || 'no artifacts'} → ${dest}`,
        );
      }
      case 'actions/checkout': {
        if (given.repository) {
          const source = Object.entries(rt.repositories ?? {}).find(
            ([name]) => name.toLowerCase() === given.repository!.toLowerCase(),
          )?.[1];
          if (!source) return done({}, `skipped: ${given.repository} is not needed for this run`);
          const dest = path.resolve(rt.workspace, given.path || '.');
          cloneStandIn(source, dest, given.ref ?? '', given['fetch-depth'] ?? '1');
          return done(
            {},
            `emulated: ${given.repository}${given.ref ? `@${given.ref}` : ''} cloned from the demo's stand-in (fetch-depth ${given['fetch-depth'] || '1'})`,
          );
        }
        if (rt.callerFiles) {
          cpSync(rt.callerFiles, path.resolve(rt.workspace, given.path || '.'), {
            recursive: true,
          });
        }
        return done({}, "emulated: the calling repository's files are put in the workspace");
      }
      case 'actions/attest-build-provenance': {
        const made = await attest(given, rt);
        return { ...done(made.outputs, made.note), summary: made.summary };
      }
      default:
        return done({}, `skipped: ${target.repository} is not emulated by the demo`);
    }
  } catch (err) {
    return fail((err as Error).message);
  }
}

/**
 * A clone of a stand-in repository as actions/checkout makes it: `fetch-depth: 0` fetches all
 * history and tags; any other depth (default 1) only that many commits of `ref` and no tags but
 * `ref` itself when it is a tag (so `git describe` of a shallow branch finds nothing, as on
 * GitHub). A commit SHA as `ref` is supported for fetch-depth 0 only.
 */
function cloneStandIn(source: string, dest: string, ref: string, fetchDepth: string): void {
  const git = (...args: string[]): void =>
    void execFileSync('git', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  mkdirSync(path.dirname(dest), { recursive: true });
  const depth = Number(fetchDepth || '1');
  if (depth > 0) {
    git(
      'clone',
      '-q',
      '--no-tags',
      '--depth',
      String(depth),
      ...(ref ? ['--branch', ref] : []),
      `file://${path.resolve(source)}`,
      dest,
    );
  } else {
    git('clone', '-q', path.resolve(source), dest);
    if (ref) git('-C', dest, 'checkout', '-q', ref);
  }
}

/**
 * actions/attest-build-provenance v4 (a wrapper of actions/attest): one subject by name and
 * digest, signed and stored for the run's repository. Checks what the real action checks before
 * signing: the job's token may mint an ID token and write attestations, exactly one way of naming
 * subjects, a name with a digest, `algorithm:hex`.
 */
async function attest(
  given: Record<string, string>,
  rt: JobRuntime,
): Promise<{ outputs: Record<string, string>; note: string; summary: string }> {
  if (rt.permissions['id-token'] !== 'write') {
    throw new Error(
      'Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable: the job needs `id-token: write` to sign an attestation.',
    );
  }
  if (rt.permissions.attestations !== 'write') {
    throw new Error(
      'Failed to persist attestation: Resource not accessible by integration (the job needs `attestations: write`).',
    );
  }
  const ways = ['subject-path', 'subject-digest', 'subject-checksums'].filter((k) => given[k]);
  if (ways.length !== 1) {
    throw new Error(
      'One of subject-path, subject-digest, or subject-checksums must be provided (exactly one).',
    );
  }
  if (!given['subject-digest'] || !given['subject-name']) {
    throw new Error(
      given['subject-digest']
        ? 'subject-name must be provided when using subject-digest'
        : 'the demo emulates subject-name with subject-digest only',
    );
  }
  const digest = given['subject-digest'];
  if (!/^sha256:[0-9a-f]{64}$/i.test(digest)) {
    throw new Error(`subject-digest must be in the format "sha256:<hex-digest>": '${digest}'`);
  }
  if (!rt.attestationsEndpoint) throw new Error('no attestations service is configured');
  const repository = rt.env.GITHUB_REPOSITORY ?? '';
  const idToken = await sigstoreIdToken(rt.env);
  const res = await fetch(rt.attestationsEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      repository,
      subjectName: given['subject-name'],
      subjectDigest: digest,
      idToken,
    }),
  });
  if (!res.ok) throw new Error(`Failed to persist attestation: ${res.status} ${await res.text()}`);
  const made = (await res.json()) as { id: number; url: string; bundle: unknown };
  const bundlePath = path.join(rt.runnerTemp, `attestation-${made.id}.json`);
  writeFileSync(bundlePath, JSON.stringify(made.bundle));
  const summary =
    given['show-summary'] === 'false'
      ? ''
      : `### Attestation created\n\n- [${given['subject-name']}](${made.url})\n`;
  return {
    outputs: {
      'bundle-path': bundlePath,
      'attestation-id': String(made.id),
      'attestation-url': made.url,
    },
    note: `emulated: the stand-in signed an attestation of ${digest.slice(0, 19)}… for ${repository} → ${made.url}`,
    summary,
  };
}

/**
 * The job's ID token for Sigstore, as @actions/attest asks for it: @actions/core `getIDToken`
 * with audience `sigstore`, a GET of ACTIONS_ID_TOKEN_REQUEST_URL plus `&audience=` with the
 * request token as bearer (actions/toolkit packages/core/src/oidc-utils.ts).
 */
async function sigstoreIdToken(env: Record<string, string>): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !token) {
    throw new Error(
      'Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable: the job needs `id-token: write` to sign an attestation.',
    );
  }
  const res = await fetch(`${url}&audience=sigstore`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`Failed to get ID Token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { value: string }).value;
}

/**
 * Whether an action's post step runs, given how the job went (failed, or cancelled): by its
 * `post-if`, `always()` unless the action says otherwise.
 */
export function postShouldRun(condition: string, contexts: Contexts, job: Status): boolean {
  return evaluateCondition(condition, contexts, job);
}

/** The run's artifacts, one folder each; names are unique within a run, as on GitHub. */
export class ArtifactStore {
  private readonly ids = new Map<string, number>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** Uploads files or folders; returns the uploaded paths relative to the artifact root. */
  upload(
    name: string,
    paths: string[],
    options: { ifNoFilesFound: string; overwrite: boolean },
  ): string[] {
    const target = path.join(this.dir, name);
    if (existsSync(target) && !options.overwrite) {
      throw new Error(
        `Failed to CreateArtifact: an artifact with the name '${name}' already exists in this run (upload-artifact names must be unique; matrix legs must not share one).`,
      );
    }
    const existing = paths.filter((p) => existsSync(p));
    if (existing.length === 0) {
      if (options.ifNoFilesFound === 'error') {
        throw new Error(
          `No files were found with the provided path: ${paths.join(', ')}. No artifacts will be uploaded.`,
        );
      }
      return [];
    }
    // Paths are stored relative to their least common ancestor; one file keeps its name.
    const base =
      existing.length === 1 && statSync(existing[0]!).isFile()
        ? path.dirname(existing[0]!)
        : existing.length === 1
          ? existing[0]!
          : commonAncestor(existing);
    mkdirSync(target, { recursive: true });
    for (const p of existing)
      cpSync(p, path.join(target, path.relative(base, p)), { recursive: true });
    this.ids.set(name, this.ids.size + 1);
    return listFiles(target).map((f) => path.relative(target, f));
  }

  /** Downloads one artifact by name, or every artifact matching a glob; returns their names. */
  download(
    dest: string,
    options: { name?: string; pattern?: string; mergeMultiple: boolean },
  ): string[] {
    const all = existsSync(this.dir) ? readdirSync(this.dir) : [];
    if (options.name) {
      if (!all.includes(options.name))
        throw new Error(`Artifact not found for name: ${options.name}`);
      cpSync(path.join(this.dir, options.name), dest, { recursive: true });
      return [options.name];
    }
    const glob = new RegExp(
      `^${(options.pattern ?? '*')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    const names = all.filter((n) => glob.test(n)).sort();
    for (const name of names) {
      cpSync(path.join(this.dir, name), options.mergeMultiple ? dest : path.join(dest, name), {
        recursive: true,
      });
    }
    return names;
  }
}

function absorb(rt: JobRuntime, result: ProcessResult): void {
  Object.assign(rt.env, result.env);
  rt.path.unshift(...[...result.path].reverse());
}

function outcomeOf(result: ProcessResult): Omit<StepResult, 'given'> {
  const failed = result.code !== 0;
  return {
    outcome: failed ? 'failure' : 'success',
    outputs: result.outputs,
    summary: result.summary,
    durationMs: result.durationMs,
    ...(result.timedOut
      ? { note: 'timed out' }
      : failed
        ? { note: `exit code ${result.code}` }
        : {}),
  };
}

/** upload-artifact's `path`: one path a line, relative to the workspace. */
function resolvePaths(workspace: string, value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => path.resolve(workspace, l));
}

function commonAncestor(paths: string[]): string {
  const split = paths.map((p) => path.dirname(p).split(path.sep));
  const first = split[0]!;
  let n = 0;
  while (n < first.length && split.every((parts) => parts[n] === first[n])) n++;
  return first.slice(0, n).join(path.sep) || path.sep;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}
