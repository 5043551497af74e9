/**
 * `npm run docs`: writes the inputs and outputs tables of every action's README from its
 * `action.yml` (scripts/lib/action-docs.ts). `--check` writes nothing and fails, listing the
 * READMEs, when one is stale; `npm test` runs it as `check:docs`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import prettier from 'prettier';
import { readmePathOf, tablesFor, withTables } from './lib/action-docs.js';
import { discoverActions, metadataPathOf, repositoryRoot } from './lib/actions.js';

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const { name } of await discoverActions(repositoryRoot)) {
  const metadata = await readFile(path.join(repositoryRoot, metadataPathOf(name)), 'utf8');
  const readmePath = path.join(repositoryRoot, readmePathOf(name));
  const current = await readFile(readmePath, 'utf8').catch(() => undefined);
  const heading = name === 'plan' ? '## The plan action: inputs and outputs' : undefined;
  const generated = await prettier.format(
    withTables(current, tablesFor(metadata), metadata, heading),
    { ...(await prettier.resolveConfig(readmePath)), filepath: readmePath },
  );
  if (generated === current) continue;
  stale.push(readmePathOf(name));
  if (!check) await writeFile(readmePath, generated);
}
if (check && stale.length > 0) {
  console.error(`Stale action docs (run npm run docs): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(stale.length > 0 ? `Wrote ${stale.join(', ')}.` : 'Action docs are up to date.');
