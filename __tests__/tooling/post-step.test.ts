/**
 * An action with a `post:` step (validate-cluster): `src/actions/<name>/post.ts` becomes
 * `dist/<name>/post.js`, a second stub into the shared bundle; the smoke runner finds and runs it
 * (a post step without state must do nothing and succeed); action.yml must point `post:` at it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { discoverActions, distPostEntryOf } from '../../scripts/lib/actions.js';
import { entrySource, stubFor } from '../../scripts/lib/bundler.js';
import { findBundles, runBundle } from '../../scripts/lib/smoke.js';
import { checkActionMetadata } from '../../scripts/lib/workflow-rules.js';
import { expectQuietPost } from '../../scripts/smoke/missing-inputs.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'post-step-'));
  for (const [name, post] of [
    ['with-post', true],
    ['plain', false],
  ] as const) {
    await mkdir(path.join(root, 'src', 'actions', name), { recursive: true });
    await writeFile(
      path.join(root, 'src', 'actions', name, 'main.ts'),
      'export async function run() {}\n',
    );
    if (post) {
      await writeFile(
        path.join(root, 'src', 'actions', name, 'post.ts'),
        'export async function run() {}\n',
      );
    }
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('post: steps', () => {
  it('are found beside main.ts and put in the bundle table as <action>/post', async () => {
    const actions = await discoverActions(root);
    expect(actions.map((a) => [a.name, a.post !== undefined])).toEqual([
      ['plain', false],
      ['with-post', true],
    ]);
    const source = entrySource(actions, path.join(root, '.tmp', 'bundle'));
    expect(source).toContain("import { run as post1 } from '../../src/actions/with-post/post.js';");
    expect(source).toContain('  "with-post/post": post1,');
    expect(source).not.toContain('"plain/post"');
    expect(stubFor('with-post', 'post')).toContain('await runAction("with-post/post");');
    expect(distPostEntryOf('with-post')).toBe('dist/with-post/post.js');
  });

  it('are run by the smoke runner, which expects them to do nothing without state', async () => {
    const dist = path.join(root, 'dist');
    await mkdir(path.join(dist, 'with-post'), { recursive: true });
    await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
    await writeFile(path.join(dist, 'with-post', 'index.js'), 'process.exitCode = 1;\n');
    await writeFile(
      path.join(dist, 'with-post', 'post.js'),
      "console.log(process.env.STATE_x ? 'state' : 'nothing to do');\n",
    );
    const bundles = await findBundles(root);
    expect(bundles.map((b) => [b.name, b.post === true])).toEqual([
      ['with-post', false],
      ['with-post/post', true],
    ]);
    const run = await runBundle(bundles[1]!);
    expect(run.stdout).toBe('nothing to do\n');
    expect(expectQuietPost(run)).toEqual([]);
    expect(expectQuietPost({ ...run, code: 1 })).toEqual(['exit code 1, expected 0']);
  });

  it('must point at their own stub in action.yml', () => {
    const yml = (post: string) =>
      `name: V\ndescription: d\nruns:\n  using: node24\n  main: ../../dist/validate-cluster/index.js\n  post: ${post}\n`;
    expect(
      checkActionMetadata(
        yml('../../dist/validate-cluster/post.js'),
        'actions/validate-cluster/action.yml',
      ),
    ).toEqual([]);
    expect(
      checkActionMetadata(
        yml('../../dist/validate-cluster/index.js'),
        'actions/validate-cluster/action.yml',
      ),
    ).toEqual([expect.objectContaining({ where: 'runs.post' })]);
  });
});
