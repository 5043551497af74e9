/**
 * npm run smoke [-- --scenario <module> …] [--root DIR]
 *
 * Runs every dist/<name>/index.js at least once, as the runner would, and fails when a bundle
 * crashes or does not do what the scenario expects. Without --scenario it runs
 * scripts/smoke/missing-inputs.ts. A scenario module default-exports a SmokeScenario
 * (scripts/lib/smoke.ts); one that starts the local Azure stand-in can give each action real
 * inputs.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { repositoryRoot } from './lib/actions.js';
import { findBundles, findCrash, runBundle, type SmokeScenario } from './lib/smoke.js';

const { values } = parseArgs({
  options: { scenario: { type: 'string', multiple: true }, root: { type: 'string' } },
});
const root = path.resolve(values.root ?? repositoryRoot);
const scenarioModules = values.scenario ?? [
  path.join(repositoryRoot, 'scripts/smoke/missing-inputs.ts'),
];

const bundles = await findBundles(root);
if (bundles.length === 0) {
  console.log('smoke: no bundles in dist/, nothing to run.');
  process.exit(0);
}

let failures = 0;
const exercised = new Set<string>();
for (const modulePath of scenarioModules) {
  const url = pathToFileURL(path.resolve(modulePath)).href;
  const scenario = ((await import(url)) as { default: SmokeScenario }).default;
  console.log(`smoke: scenario '${scenario.name}'`);
  try {
    for (const smokeCase of await scenario.prepare({ root, bundles })) {
      const run = await runBundle(smokeCase.bundle, smokeCase);
      exercised.add(smokeCase.bundle.name);
      const problems = [...findCrash(run), ...smokeCase.check(run)];
      const label = `${smokeCase.bundle.name} (${smokeCase.title}), ${run.durationMs} ms`;
      if (problems.length === 0) {
        console.log(`  ok    ${label}`);
        continue;
      }
      failures++;
      console.log(`  FAIL  ${label}`);
      for (const problem of problems) console.log(`        - ${problem}`);
      console.log(indent('stdout', run.stdout));
      console.log(indent('stderr', run.stderr));
    }
  } finally {
    await scenario.dispose?.();
  }
}

for (const bundle of bundles) {
  if (!exercised.has(bundle.name)) {
    failures++;
    console.log(`  FAIL  ${bundle.name}: no scenario ran ${path.relative(root, bundle.entry)}`);
  }
}
console.log(
  failures === 0 ? `smoke: ${bundles.length} bundle(s) passed.` : `smoke: ${failures} failure(s).`,
);
process.exit(failures === 0 ? 0 : 1);

/** The last lines of a stream, indented under a heading, for the failure report. */
function indent(heading: string, text: string, maxLines = 40): string {
  const lines = text.trimEnd().split('\n');
  const shown = lines.length > maxLines ? ['…', ...lines.slice(-maxLines)] : lines;
  return `        ${heading}:\n${shown.map((l) => `          ${l}`).join('\n')}`;
}
