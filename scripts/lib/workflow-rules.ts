/**
 * The workflow rules of DESIGN §10 that actionlint and GitHub's parser do not enforce, as pure
 * functions over YAML text so tests can feed them small documents:
 *
 * - every job declares its own `permissions:` (and never `write-all`);
 * - every third-party `uses:` is pinned to a full 40-character commit SHA with a `# vX` comment
 *   (local `./…` actions and this repository's own actions excepted);
 * - no `run:` script interpolates `${{ inputs.* }}`, `${{ github.event.* }}`,
 *   `${{ steps.*.outputs.* }}` or `${{ needs.* }}`: those go through `env:`.
 *
 * Action metadata (action.yml) also gets: node actions run on node24 from their dist/ stub, and
 * input names are kebab-case (DESIGN §3, §4).
 */
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
  if (uses.startsWith('docker://')) {
    return /@sha256:[0-9a-f]{64}$/.test(uses)
      ? undefined
      : `'${uses}' is not pinned: use the image digest (docker://image@sha256:…).`;
  }
  const at = uses.lastIndexOf('@');
  if (at === -1) return `'${uses}' has no @ref: pin it to a full commit SHA.`;
  const [owner = '', repo = ''] = uses.slice(0, at).split('/');
  const ref = uses.slice(at + 1);
  if (
    options.ownRepository &&
    `${owner}/${repo}`.toLowerCase() === options.ownRepository.toLowerCase()
  ) {
    return undefined; // a sibling action of this repository, called by tag (DESIGN §10)
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
