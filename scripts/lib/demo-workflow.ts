/**
 * Reading the workflow files as the demo and the workflow tests need them: the parts of a
 * workflow they act on, what a `uses:` points at (this repository's actions and workflows, or
 * someone else's), and matrix expansion.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { metadataPathOf, repositoryRoot, ROOT_ACTION } from './actions.js';

export interface Step {
  id?: string;
  name?: string;
  if?: unknown;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  run?: string;
  shell?: string;
  'working-directory'?: string;
  'continue-on-error'?: unknown;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: unknown;
  'runs-on'?: unknown;
  permissions?: Record<string, string> | string;
  environment?: unknown;
  concurrency?: unknown;
  outputs?: Record<string, string>;
  strategy?: { matrix?: unknown; 'fail-fast'?: unknown; 'max-parallel'?: unknown };
  env?: Record<string, unknown>;
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: unknown;
}

export interface WorkflowInput {
  description?: string;
  type?: 'string' | 'boolean' | 'number' | 'choice' | 'environment';
  required?: boolean;
  default?: unknown;
}

export interface Workflow {
  /** Repository-relative path. */
  file: string;
  /** owner/repo the file belongs to; unset: this repository. */
  repository?: string;
  name?: string;
  on: {
    workflow_call?: {
      inputs?: Record<string, WorkflowInput>;
      outputs?: Record<string, { description?: string; value: string }>;
    } | null;
    workflow_dispatch?: { inputs?: Record<string, WorkflowInput> } | null;
    [event: string]: unknown;
  };
  env?: Record<string, unknown>;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

/** Parses a workflow file (repository-relative or absolute path). */
export function loadWorkflow(file: string, root = repositoryRoot): Workflow {
  const absolute = path.resolve(root, file);
  return parseWorkflowText(readFileSync(absolute, 'utf8'), path.relative(root, absolute));
}

export function parseWorkflowText(text: string, file: string, repository?: string): Workflow {
  const parsed = parse(text) as Omit<Workflow, 'file'> & { true?: unknown };
  // YAML 1.1 readers turn a bare `on` into true; the yaml package keeps it, but be safe.
  const on = (parsed.on ?? parsed.true ?? {}) as Workflow['on'];
  return {
    ...parsed,
    on: typeof on === 'string' ? { [on]: null } : on,
    file,
    ...(repository ? { repository } : {}),
  };
}

/**
 * `owner/repo` of this repository as its workflows call it: the GitHub `repository` of
 * package.json (scripts/lint-workflows.ts reads the same field).
 */
export function ownRepository(root = repositoryRoot): string {
  const { repository } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    repository?: string | { url?: string };
  };
  const url = typeof repository === 'string' ? repository : repository?.url;
  const match = /github\.com[:/]([^/]+\/[^/]+?)(\.git)?$/.exec(url ?? '');
  if (!match) throw new Error("package.json has no GitHub 'repository'.");
  return match[1]!;
}

/** What a `uses:` names. */
export type UsesTarget =
  | { kind: 'own-action'; action: string; ref: string; metadata: string }
  | { kind: 'own-workflow'; file: string; ref?: string }
  | { kind: 'third-party'; repository: string; path: string; ref: string }
  | { kind: 'docker'; image: string }
  | { kind: 'local'; path: string };

/**
 * Resolves a step's or job's `uses:`. This repository's actions are `<own>/actions/<name>@ref`
 * (and the root action `<own>@ref`); its workflows are `<own>/.github/workflows/<file>@ref` or,
 * from a workflow of this repository, `./.github/workflows/<file>`.
 */
export function resolveUses(uses: string, own = ownRepository()): UsesTarget {
  if (uses.startsWith('docker://')) return { kind: 'docker', image: uses.slice(9) };
  if (uses.startsWith('$/')) {
    // Self-repository reference: this repository at the running commit (workflow-rules.ts).
    const inside = uses.slice(2).replace(/^\/+/, '');
    if (inside.includes('@')) throw new Error(`'${uses}': a $/ reference takes no @ref.`);
    if (inside.startsWith('.github/workflows/')) return { kind: 'own-workflow', file: inside };
    const action = /^actions\/([^/]+)$/.exec(inside)?.[1];
    if (!action) throw new Error(`'${uses}' names no action of ${own}.`);
    return { kind: 'own-action', action, ref: '', metadata: metadataPathOf(action) };
  }
  if (uses.startsWith('./')) {
    const local = uses.slice(2);
    return local.startsWith('.github/workflows/')
      ? { kind: 'own-workflow', file: local }
      : { kind: 'local', path: local };
  }
  const at = uses.lastIndexOf('@');
  const [owner = '', repo = '', ...rest] = uses.slice(0, at === -1 ? undefined : at).split('/');
  const ref = at === -1 ? '' : uses.slice(at + 1);
  const inside = rest.join('/');
  if (`${owner}/${repo}`.toLowerCase() !== own.toLowerCase()) {
    return { kind: 'third-party', repository: `${owner}/${repo}`, path: inside, ref };
  }
  if (inside.startsWith('.github/workflows/')) return { kind: 'own-workflow', file: inside, ref };
  const action = inside === '' ? ROOT_ACTION : /^actions\/([^/]+)$/.exec(inside)?.[1];
  if (!action) throw new Error(`'${uses}' names no action of ${own}.`);
  return { kind: 'own-action', action, ref, metadata: metadataPathOf(action) };
}

/** One action input as action.yml declares it. */
export interface ActionInputSpec {
  required?: boolean;
  default?: unknown;
  description?: string;
}

export interface ActionMetadata {
  name?: string;
  inputs?: Record<string, ActionInputSpec>;
  outputs?: Record<string, { description?: string }>;
  runs: {
    using: string;
    main?: string;
    pre?: string;
    post?: string;
    'pre-if'?: string;
    'post-if'?: string;
  };
}

/** This repository's action.yml for `action`, or undefined when it does not exist (yet). */
export function loadOwnAction(action: string, root = repositoryRoot): ActionMetadata | undefined {
  const file = path.join(root, metadataPathOf(action));
  return existsSync(file) ? (parse(readFileSync(file, 'utf8')) as ActionMetadata) : undefined;
}

/**
 * The legs of `strategy.matrix`: the cross product of its keys, minus `exclude`, plus `include`
 * (an include that matches no leg becomes a leg of its own, as on GitHub).
 */
export function expandMatrix(matrix: unknown): Record<string, unknown>[] {
  if (matrix === undefined || matrix === null) return [{}];
  if (typeof matrix !== 'object' || Array.isArray(matrix)) {
    throw new Error(`strategy.matrix must be a mapping, got ${JSON.stringify(matrix)}`);
  }
  const { include, exclude, ...axes } = matrix as Record<string, unknown>;
  let legs: Record<string, unknown>[] = Object.keys(axes).length > 0 ? [{}] : [];
  for (const [key, values] of Object.entries(axes)) {
    if (!Array.isArray(values)) throw new Error(`matrix.${key} must be a list`);
    legs = legs.flatMap((leg) => values.map((v: unknown) => ({ ...leg, [key]: v })));
  }
  const matches = (leg: Record<string, unknown>, pattern: Record<string, unknown>): boolean =>
    Object.entries(pattern).every(
      ([k, v]) => !(k in axes) || JSON.stringify(leg[k]) === JSON.stringify(v),
    );
  legs = legs.filter((leg) => !asList(exclude).some((pattern) => matches(leg, pattern)));
  for (const extra of asList(include)) {
    const targets = legs.filter((leg) => matches(leg, extra));
    if (Object.keys(axes).length > 0 && targets.length > 0) {
      for (const leg of targets) Object.assign(leg, extra);
    } else {
      legs.push({ ...extra });
    }
  }
  if (legs.length === 0) throw new Error('strategy.matrix has no legs');
  return legs;
}

function asList(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error('matrix include/exclude must be lists');
  return value as Record<string, unknown>[];
}

/** `needs:` as a list. */
export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

/**
 * Every job `id` depends on, directly or through the jobs it needs (its ancestors): what the
 * status functions of its `if:` look at, while its `needs` context holds the direct ones only.
 */
export function ancestorsOf(workflow: Workflow, id: string): string[] {
  const found = new Set<string>();
  const visit = (job: string): void => {
    for (const need of needsOf(workflow.jobs[job] ?? {})) {
      if (found.has(need)) continue;
      found.add(need);
      visit(need);
    }
  };
  visit(id);
  return [...found];
}

/** Job IDs in an order that runs every job after the jobs it needs. */
export function jobOrder(workflow: Workflow): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string): void => {
    if (order.includes(id)) return;
    if (visiting.has(id))
      throw new Error(`${workflow.file}: jobs depend on each other in a cycle at '${id}'`);
    const job = workflow.jobs[id];
    if (!job) throw new Error(`${workflow.file}: a job needs '${id}', which does not exist`);
    visiting.add(id);
    for (const need of needsOf(job)) visit(need);
    visiting.delete(id);
    order.push(id);
  };
  for (const id of Object.keys(workflow.jobs)) visit(id);
  return order;
}
