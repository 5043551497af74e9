/**
 * npm run check:dist [-- --root DIR]
 *
 * Rebuilds the bundles into a temporary folder and fails when they differ from dist/ in any way:
 * a changed, missing or extra file, or a lost executable bit. Lists the differing files, and
 * writes them to the job summary when $GITHUB_STEP_SUMMARY is set.
 */
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repositoryRoot } from './lib/actions.js';
import { buildDist } from './lib/bundler.js';
import { compareTrees, type Difference } from './lib/dir-diff.js';

const { values } = parseArgs({ options: { root: { type: 'string' } } });
const root = path.resolve(values.root ?? repositoryRoot);
const scratch = await mkdtemp(path.join(tmpdir(), 'check-dist-'));
let differences: Difference[];
try {
  await buildDist({ root, outDir: scratch });
  differences = await compareTrees(scratch, path.join(root, 'dist'));
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const explain: Record<Difference['kind'], string> = {
  changed: 'content differs from a fresh build',
  mode: 'executable bit differs from a fresh build',
  missing: 'built, but not in dist/',
  unexpected: 'in dist/, but no longer built',
};

if (differences.length === 0) {
  console.log('check:dist: dist/ matches a fresh build.');
  process.exit(0);
}

console.error(`check:dist: dist/ is out of date (${differences.length} file(s)):`);
for (const d of differences) console.error(`  dist/${d.file}: ${explain[d.kind]}`);
console.error('Run `npm run bundle` and commit dist/ (see CONTRIBUTING.md, "The dist rule").');

const summaryFile = process.env.GITHUB_STEP_SUMMARY;
if (summaryFile) {
  const rows = differences.map((d) => `| \`dist/${d.file}\` | ${explain[d.kind]} |`);
  await appendFile(
    summaryFile,
    [
      '### dist/ is out of date',
      '',
      'Run `npm run bundle` and commit `dist/`.',
      '',
      '| file | difference |',
      '| --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
}
process.exit(1);
