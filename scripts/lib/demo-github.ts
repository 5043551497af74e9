/**
 * What github.com enforces around a workflow run, as the demo's runner simulation applies it.
 * Each rule restates GitHub's documentation or the runner's source (cited at the rule); each has
 * a test in __tests__/workflows/simulation.test.ts (or status.test.ts) that a workflow breaking
 * it fails here as it would there. What runs and how a run ends is in demo-status.ts.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { evaluateString, evaluateValue, type Contexts } from './demo-expressions.js';
import { type Job, type Workflow, ownRepository } from './demo-workflow.js';
import { repositoryRoot } from './actions.js';

/** A repository as the simulated github.com knows it. */
export interface KnownRepository {
  /** owner/name. */
  name: string;
  /** Immutable IDs; when set, OIDC subjects use them (repositories created on or after 2026-07-15). */
  ownerId?: number;
  id?: number;
  immutableSubjects?: boolean;
  /** Refs (tags, branches, commit SHAs) a `uses:` may name. */
  refs: readonly string[];
}

export interface World {
  repositories: readonly KnownRepository[];
}

/** Third-party actions the simulation knows (their refs as pinned in the workflows). */
const THIRD_PARTY = new Set([
  'actions/checkout',
  'actions/upload-artifact',
  'actions/download-artifact',
  'actions/attest-build-provenance',
]);

/**
 * References are resolved before anything runs: GitHub reads every reusable workflow a run calls
 * (to any depth) when it creates the run, and a `uses:` that names a repository or ref that does
 * not exist fails the run before any job starts; no `if:` can skip a job-level `uses:`
 * (docs.github.com "Reusing workflows": "Reusable workflows are called directly within a job …";
 * the called workflow is part of the run graph). Actions in steps are resolved when their job is
 * set up, before its first step (actions/runner src/Runner.Worker/ActionManager.cs
 * PrepareActionsAsync). `$/…` is the repository of the workflow file that holds it, at the
 * running commit (ResolveSelfRepositoryReferences there).
 * @returns every problem, each naming the file and the reference.
 */
export function unresolvedReferences(
  root: Workflow,
  world: World,
  load: (file: string) => Workflow,
): string[] {
  const problems: string[] = [];
  const own = ownRepository();
  const visit = (workflow: Workflow, depth: number): void => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      const where = `${workflow.file} job '${id}'`;
      if (job.uses) {
        const file = workflowFileOf(job.uses, workflow, world, own, (p) =>
          problems.push(`${where}: ${p}`),
        );
        if (file) visit(load(file), depth + 1);
      }
      for (const step of job.steps ?? []) {
        if (step.uses) {
          const problem = actionProblem(step.uses, workflow, world, own);
          if (problem)
            problems.push(`${where} step '${step.name ?? step.id ?? step.uses}': ${problem}`);
        }
      }
    }
  };
  visit(root, 0);
  return problems;
}

/** The repository a workflow file belongs to: the caller's, or this project's. */
export function repositoryOf(workflow: Workflow): string {
  return workflow.repository ?? ownRepository();
}

function workflowFileOf(
  uses: string,
  from: Workflow,
  world: World,
  own: string,
  fail: (problem: string) => void,
): string | undefined {
  const here = repositoryOf(from);
  let repository: string;
  let file: string;
  if (uses.startsWith('$/') || uses.startsWith('./')) {
    repository = here;
    file = uses.replace(/^[$.]\/+/, '');
    if (uses.startsWith('$/') && file.includes('@')) {
      fail(`'${uses}': a self-repository reference takes no @ref.`);
      return undefined;
    }
  } else {
    const at = uses.lastIndexOf('@');
    const [owner = '', repo = '', ...rest] = uses.slice(0, at).split('/');
    repository = `${owner}/${repo}`;
    file = rest.join('/');
    const known = world.repositories.find((r) => r.name.toLowerCase() === repository.toLowerCase());
    if (!known) {
      fail(`'${uses}': repository '${repository}' not found; the run fails when it is created.`);
      return undefined;
    }
    if (!known.refs.includes(uses.slice(at + 1))) {
      fail(
        `'${uses}': '${uses.slice(at + 1)}' is not a ref of ${repository}; the run fails when it is created.`,
      );
      return undefined;
    }
  }
  if (repository.toLowerCase() !== own.toLowerCase()) {
    fail(`'${uses}': ${repository} has no workflow '${file}' the simulation can read.`);
    return undefined;
  }
  if (!existsSync(path.join(repositoryRoot, file))) {
    fail(`'${uses}': ${repository} has no '${file}'.`);
    return undefined;
  }
  return file;
}

/** Why a step's `uses:` would not resolve when its job is set up, or undefined. */
export function actionProblem(
  uses: string,
  from: Workflow,
  world: World,
  own = ownRepository(),
): string | undefined {
  if (uses.startsWith('docker://') || uses.startsWith('./')) return undefined;
  if (uses.startsWith('$/')) {
    const inside = uses.slice(2);
    if (inside.includes('@')) return `'${uses}': a self-repository reference takes no @ref.`;
    if (repositoryOf(from).toLowerCase() !== own.toLowerCase()) {
      return `'${uses}' is ${repositoryOf(from)}'s own '${inside}', which does not exist there.`;
    }
    return existsSync(path.join(repositoryRoot, inside, 'action.yml'))
      ? undefined
      : `'${uses}': this repository has no action '${inside}'.`;
  }
  const at = uses.lastIndexOf('@');
  const [owner = '', repo = ''] = uses.slice(0, at).split('/');
  const name = `${owner}/${repo}`;
  if (THIRD_PARTY.has(name.toLowerCase())) return undefined;
  const known = world.repositories.find((r) => r.name.toLowerCase() === name.toLowerCase());
  if (!known) return `'${uses}': unable to resolve action '${name}', repository not found.`;
  if (!known.refs.includes(uses.slice(at + 1))) {
    return `'${uses}': unable to resolve action '${name}@${uses.slice(at + 1)}', unable to find version.`;
  }
  return undefined;
}

/**
 * The secrets a called workflow sees: only those the calling job passes under `secrets:`, or all
 * of the caller's with `secrets: inherit`; a secret the called workflow does not declare, or a
 * required one left out, fails the call (docs.github.com "Reusing workflows", "Using inputs and
 * secrets in a reusable workflow"; workflow syntax `on.workflow_call.secrets`).
 */
export function secretsForCall(
  job: Job,
  called: Workflow,
  parent: Record<string, string>,
  contexts: Contexts,
  where: string,
): Record<string, string> {
  const declared =
    (called.on.workflow_call as { secrets?: Record<string, { required?: boolean } | null> } | null)
      ?.secrets ?? {};
  let given: Record<string, string> = {};
  if (job.secrets === 'inherit') {
    given = { ...parent };
  } else if (job.secrets && typeof job.secrets === 'object') {
    for (const [name, value] of Object.entries(job.secrets as Record<string, unknown>)) {
      if (!(name in declared)) {
        throw new Error(
          `${where}: Invalid secret, ${name} is not defined in the referenced workflow.`,
        );
      }
      const v = evaluateValue(value, contexts);
      given[name] = v === null || v === undefined ? '' : String(v);
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (spec?.required && !given[name]) {
      throw new Error(`${where}: Secret ${name} is required, but not provided while calling.`);
    }
  }
  return given;
}

/**
 * The claims of the OIDC token a job gets (docs.github.com "OpenID Connect reference", the `sub`
 * formats; immutable subjects `repo:<owner>@<ownerId>/<repo>@<repoId>:…` for repositories created
 * or renamed on or after 2026-07-15, learn.microsoft.com "Migrate GitHub Actions federated
 * credentials to immutable subjects"). In a called workflow the subject is still the caller's:
 * the run belongs to the calling repository; `job_workflow_ref` names the called file.
 */
export function oidcClaims(o: {
  repository: KnownRepository;
  ref: string;
  environment?: string;
  eventName: string;
  sha: string;
  jobWorkflowRef: string;
}): Record<string, string> {
  const [owner = '', repo = ''] = o.repository.name.split('/');
  const who =
    o.repository.immutableSubjects && o.repository.ownerId && o.repository.id
      ? `${owner}@${o.repository.ownerId}/${repo}@${o.repository.id}`
      : `${owner}/${repo}`;
  const context = o.environment
    ? `environment:${o.environment}`
    : o.eventName === 'pull_request'
      ? 'pull_request'
      : `ref:${o.ref}`;
  return {
    sub: `repo:${who}:${context}`,
    repository: o.repository.name,
    repository_owner: owner,
    ...(o.repository.id ? { repository_id: String(o.repository.id) } : {}),
    ...(o.repository.ownerId ? { repository_owner_id: String(o.repository.ownerId) } : {}),
    ref: o.ref,
    sha: o.sha,
    event_name: o.eventName,
    job_workflow_ref: o.jobWorkflowRef,
    ...(o.environment ? { environment: o.environment } : {}),
  };
}

/**
 * ACTIONS_ID_TOKEN_REQUEST_URL for a job: the stand-in's token URL with the job's claims as
 * query parameters (the stand-in signs what it is asked for; @actions/core appends `&audience=`).
 */
export function oidcRequestUrl(base: string, claims: Record<string, string>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(claims)) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * GitHub's concurrency groups: at most one running and one pending run (or job) per group; a
 * newly queued one cancels the pending one and takes its place; with cancel-in-progress the
 * running one is cancelled too; names are case-insensitive (docs.github.com "Control the
 * concurrency of workflows and jobs").
 */
export class ConcurrencyGroups {
  private readonly running = new Map<string, string>();
  private readonly pending = new Map<string, string>();

  /** Queues `run` in `group`; returns the runs this cancels and whether `run` starts now. */
  queue(
    group: string,
    run: string,
    cancelInProgress = false,
  ): { starts: boolean; cancelled: string[] } {
    const key = group.toLowerCase();
    const cancelled: string[] = [];
    const waiting = this.pending.get(key);
    if (waiting) cancelled.push(waiting);
    this.pending.delete(key);
    const current = this.running.get(key);
    if (current && cancelInProgress) {
      cancelled.push(current);
      this.running.delete(key);
    }
    if (!this.running.has(key)) {
      this.running.set(key, run);
      return { starts: true, cancelled };
    }
    this.pending.set(key, run);
    return { starts: false, cancelled };
  }

  /** `run` finished: the pending one of its group starts. */
  finish(group: string, run: string): string | undefined {
    const key = group.toLowerCase();
    if (this.running.get(key) !== run) return undefined;
    this.running.delete(key);
    const next = this.pending.get(key);
    this.pending.delete(key);
    if (next) this.running.set(key, next);
    return next;
  }
}

/** A workflow's own `concurrency:` group (no expressions needing a job), or undefined. */
export function workflowConcurrency(
  workflow: Workflow,
  contexts: Contexts,
): { group: string; cancelInProgress: boolean } | undefined {
  const c = (workflow as { concurrency?: unknown }).concurrency;
  if (c === undefined || c === null) return undefined;
  if (typeof c === 'string')
    return { group: String(evaluateValue(c, contexts)), cancelInProgress: false };
  const spec = c as { group?: unknown; 'cancel-in-progress'?: unknown };
  return {
    group: String(evaluateValue(spec.group, contexts)),
    cancelInProgress: evaluateValue(spec['cancel-in-progress'] ?? false, contexts) === true,
  };
}

/**
 * The tools of GitHub's ubuntu-24.04 runner image that the workflows' steps may use (the image's
 * software list, actions/runner-images images/ubuntu/Ubuntu2404-Readme.md: jq, make, Packer,
 * the Azure CLI, git, curl, Node.js, Python …; no qemu-img). Only these names reach a step's
 * PATH, linked from this machine when it has them; nothing else of this machine does.
 */
export const UBUNTU_2404_TOOLS: readonly string[] = [
  // coreutils, findutils, grep, sed, gawk, diffutils, tar and compression
  ...'awk basename bash cat chmod cp cut date dd df diff dirname du echo env expr false find grep gzip head id install ln ls md5sum mkdir mktemp mv nproc od printf pwd readlink realpath rm rmdir sed seq sh sha1sum sha256sum sha512sum sleep sort split stat tail tar tee test touch tr true truncate uname uniq unzip wc which xargs xz zip zstd'.split(
    ' ',
  ),
  // what the image installs on top
  ...'az curl docker git git-lfs gpg jq kubectl helm make node npm npx openssl packer python3 ssh ssh-keygen wget yq'.split(
    ' ',
  ),
];

/** What `sudo apt-get install <package>` makes available, for the packages the workflows install. */
const APT_PACKAGES: Record<string, readonly string[]> = { 'qemu-utils': ['qemu-img', 'qemu-nbd'] };

/**
 * A runner's tool folder for one job: links to the allow-listed tools found on this machine, and
 * `sudo` and `apt-get` stand-ins that install (link) a package's tools only when a step asks for
 * the package, as `sudo apt-get install` does on a hosted runner.
 * `installed` names tools the runner has in place of this machine's (a runner whose make, packer,
 * az and ansible are the demo's stand-ins, as a user's runner has the real ones): they are linked
 * first, and win over this machine's.
 * @returns the folder, which is the steps' whole PATH.
 */
export function makeToolbox(
  dir: string,
  hostPath = process.env.PATH ?? '',
  installed: Readonly<Record<string, string>> = {},
): string {
  mkdirSync(dir, { recursive: true });
  for (const [tool, target] of Object.entries(installed)) {
    if (!existsSync(path.join(dir, tool))) symlinkSync(path.resolve(target), path.join(dir, tool));
  }
  const find = (tool: string): string | undefined =>
    hostPath
      .split(path.delimiter)
      .map((d) => path.join(d, tool))
      .find((p) => existsSync(p));
  for (const tool of UBUNTU_2404_TOOLS) {
    const found = find(tool);
    if (found && !existsSync(path.join(dir, tool))) symlinkSync(found, path.join(dir, tool));
  }
  const installable = Object.entries(APT_PACKAGES).flatMap(([pkg, tools]) =>
    tools.map((t) => `${pkg}:${t}:${find(t) ?? ''}`),
  );
  const script = (body: string): string => `#!/bin/sh\n${body}\n`;
  writeFileSync(path.join(dir, 'sudo'), script('exec "$@"'));
  writeFileSync(
    path.join(dir, 'apt-get'),
    script(
      [
        'case "$1" in update) exit 0;; install) ;; *) echo "apt-get (simulated): only update and install" >&2; exit 100;; esac',
        'shift; for pkg in "$@"; do case "$pkg" in -*) continue;; esac',
        '  found=no',
        `  for entry in ${installable.join(' ')}; do`,
        '    p="${entry%%:*}"; rest="${entry#*:}"; tool="${rest%%:*}"; from="${rest#*:}"',
        '    if [ "$p" = "$pkg" ]; then found=yes; [ -n "$from" ] && ln -sf "$from" "$(dirname "$0")/$tool"; fi',
        '  done',
        '  [ "$found" = yes ] || { echo "E: Unable to locate package $pkg (simulated apt knows: ' +
          Object.keys(APT_PACKAGES).join(' ') +
          ')" >&2; exit 100; }',
        'done',
      ].join('\n'),
    ),
  );
  chmodSync(path.join(dir, 'sudo'), 0o755);
  chmodSync(path.join(dir, 'apt-get'), 0o755);
  return dir;
}

/**
 * A matrix job's outputs as GitHub has them: the outputs of all legs combined, a later leg's value
 * replacing an earlier one's; the runner sends no empty output and none that holds a secret
 * (actions/runner src/Runner.Worker/JobExtension.cs: "Skip output '…' since it's empty", "… since
 * it may contain secret"), so an empty value never erases one another leg set.
 */
export function mergeLegOutputs(
  previous: Record<string, string>,
  leg: Record<string, string>,
  secrets: readonly string[] = [],
): Record<string, string> {
  const merged = { ...previous };
  for (const [key, value] of Object.entries(leg)) {
    if (value === '') continue;
    if (secrets.some((s) => s !== '' && value.includes(s))) continue;
    merged[key] = value;
  }
  return merged;
}

/**
 * The environment a job runs in: `environment:` as a name or as `{ name, url }`, evaluated;
 * none when it comes to '' (an expression that picks no environment). GitHub's workflow parser
 * turns an empty name into no environment reference at all (actions/runner
 * src/Sdk/WorkflowParser/Conversion/WorkflowTemplateConverter.cs ConvertToActionEnvironmentReference,
 * lines 703-705 for a string, 747-753 for a mapping's name), so such a job waits for no reviewer
 * and its OIDC subject names its ref, not an environment.
 */
export function environmentOf(job: Job, contexts: Contexts): string | undefined {
  if (job.environment === undefined || job.environment === null) return undefined;
  const name =
    typeof job.environment === 'object'
      ? (job.environment as { name?: unknown }).name
      : job.environment;
  const value = evaluateString(name, contexts);
  return value === '' ? undefined : value;
}

/**
 * `strategy.fail-fast` (default true): once a leg fails, GitHub cancels the legs in progress and
 * those not started; their result is `cancelled` (docs.github.com "Running variations of jobs in
 * a workflow", "Handling failures").
 */
export function failFastOf(strategy: { 'fail-fast'?: unknown } | undefined): boolean {
  return strategy?.['fail-fast'] === undefined ? true : strategy['fail-fast'] !== false;
}
