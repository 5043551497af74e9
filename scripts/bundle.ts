/**
 * npm run bundle [-- --out DIR] [--compare] [--root DIR]
 *
 * Bundles every action found under src/actions/<name>/main.ts into dist/ (or DIR): one shared bundle
 * in dist/common/ plus a stub per action, and prints what it wrote. --compare also builds one
 * self-contained bundle per action in a temporary folder and prints both layouts' size and
 * start-up time, the measurement behind the shared layout (see CONTRIBUTING.md).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { discoverActions, repositoryRoot } from './lib/actions.js';
import { buildDist, formatBytes, totalSize } from './lib/bundler.js';
import { findBundles, runBundle, type Bundle } from './lib/smoke.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    root: { type: 'string' },
    compare: { type: 'boolean', default: false },
  },
});
const root = path.resolve(values.root ?? repositoryRoot);
const outDir = path.resolve(values.out ?? path.join(root, 'dist'));

const started = performance.now();
const result = await buildDist({ root, outDir });
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const size = await totalSize(outDir, result.files);
const shown = path.relative(process.cwd(), outDir) || '.';
if (result.actions.length === 0) {
  console.log(`bundle: no actions under src/actions/*/main.ts; ${shown}/ holds only its README.`);
} else {
  console.log(
    `bundle: ${result.actions.length} action(s) in ${seconds} s: ${result.actions.join(', ')}`,
  );
  for (const file of result.files) {
    console.log(`  ${formatBytes(await totalSize(outDir, [file])).padStart(10)}  ${file}`);
  }
}
console.log(`bundle: ${shown}/ is ${formatBytes(size)} in ${result.files.length} file(s).`);

if (values.compare) await compareLayouts();

/** Builds one bundle per action and prints size and start-up time of both layouts. */
async function compareLayouts(): Promise<void> {
  const actions = await discoverActions(root);
  if (actions.length === 0) {
    console.log('compare: no actions to compare.');
    return;
  }
  const sharedBundles = await findBundles(root, outDir);
  const scratch = await mkdtemp(path.join(tmpdir(), 'bundle-compare-'));
  try {
    let separateSize = 0;
    const rows: string[] = [];
    for (const action of actions) {
      const dir = path.join(scratch, action.name);
      const built = await buildDist({ root, outDir: path.join(dir, 'dist'), only: [action] });
      const bytes = await totalSize(path.join(dir, 'dist'), built.files);
      separateSize += bytes;
      const [alone] = await findBundles(root, path.join(dir, 'dist'));
      const shared = sharedBundles.find((b) => b.name === action.name);
      const aloneMs = alone ? await medianStartup(alone) : NaN;
      const sharedMs = shared ? await medianStartup(shared) : NaN;
      rows.push(
        `  ${action.name.padEnd(24)} ${formatBytes(bytes).padStart(10)}  start-up ${aloneMs} ms alone, ${sharedMs} ms shared`,
      );
    }
    console.log('compare: one bundle per action');
    for (const row of rows) console.log(row);
    console.log(
      `compare: ${actions.length} separate bundles ${formatBytes(separateSize)}, shared layout ${formatBytes(size)}`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Median wall time of three runs with no inputs: the cost of loading the bundle. */
async function medianStartup(bundle: Bundle): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push((await runBundle(bundle)).durationMs);
  return times.sort((a, b) => a - b)[1] ?? NaN;
}
