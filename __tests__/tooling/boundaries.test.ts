/**
 * The layering of src/ is kept by lint (eslint.config.js `boundaries`): no import cycles, no
 * domain import of src/actions or src/runner, and @actions/* only in src/runner. Proven on a
 * small tree that breaks each rule on purpose, then on the real tree.
 */
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = path.join(ROOT, '__tests__', 'fixtures', 'boundaries');
const CONFIG = path.join(ROOT, 'eslint.config.js');

/** `file: rule` for every boundary error ESLint reports under `cwd`'s src/. */
async function boundaryErrors(cwd: string): Promise<string[]> {
  const eslint = new ESLint({ cwd, overrideConfigFile: CONFIG });
  const results = await eslint.lintFiles(['src/**/*.ts']);
  return results
    .flatMap((r) =>
      r.messages.map(
        (m) => `${path.relative(cwd, r.filePath).split(path.sep).join('/')}: ${m.ruleId}`,
      ),
    )
    .filter((line) => /import-x\/|no-restricted-(imports|syntax)/.test(line))
    .sort();
}

describe('layering rules', () => {
  it('fail on a cycle, an upward import and @actions/core outside the runner layer', async () => {
    expect(await boundaryErrors(FIXTURE)).toEqual([
      'src/actions/demo/main.ts: no-restricted-imports',
      'src/gallery/a.ts: import-x/no-cycle',
      'src/gallery/b.ts: import-x/no-cycle',
      'src/gallery/upward.ts: import-x/no-restricted-paths',
      'src/gallery/upward.ts: import-x/no-restricted-paths',
      'src/gallery/upward.ts: no-restricted-imports',
    ]);
  }, 60_000);

  it('pass on the real tree', async () => {
    expect(await boundaryErrors(ROOT)).toEqual([]);
  }, 120_000);
});
