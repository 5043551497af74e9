/**
 * End to end through the CLIs, in a throwaway copy of the project layout (never in the repo):
 * zero actions, then two, then one whose run() throws. Bundles only @actions/core, so it is quick.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repositoryRoot } from '../../scripts/lib/actions.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one of scripts/*.ts against the throwaway project. */
function cli(script: string, ...args: string[]): Promise<CliResult> {
  const file = path.join(repositoryRoot, 'scripts', script);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file, '--root', root, ...args],
      { cwd: repositoryRoot, env: { ...process.env, GITHUB_STEP_SUMMARY: '' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function addAction(name: string, body: string): Promise<void> {
  await mkdir(path.join(root, 'src', 'actions', name), { recursive: true });
  await writeFile(
    path.join(root, 'src', 'actions', name, 'main.ts'),
    `import * as core from '@actions/core';\n\nexport async function run(): Promise<void> {\n${body}\n}\n`,
  );
  await mkdir(path.join(root, 'actions', name), { recursive: true });
  await writeFile(
    path.join(root, 'actions', name, 'action.yml'),
    `name: ${name}\ndescription: throwaway\ninputs:\n  gallery:\n    description: g\n    required: true\n` +
      `runs:\n  using: node24\n  main: ../../dist/${name}/index.js\n`,
  );
}

const cleanFailure = `  try {
    core.info(core.getInput('gallery', { required: true }));
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }`;

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'bundle-test-'));
  await writeFile(path.join(root, 'package.json'), '{ "type": "module", "private": true }\n');
  await copyFile(path.join(repositoryRoot, 'tsconfig.json'), path.join(root, 'tsconfig.json'));
  await symlink(path.join(repositoryRoot, 'node_modules'), path.join(root, 'node_modules'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('bundle, check:dist and smoke', () => {
  it('handle a project with no actions yet', async () => {
    const bundled = await cli('bundle.ts');
    expect(bundled).toMatchObject({ code: 0 });
    expect(bundled.stdout).toMatch(/no actions under src\/actions/);
    expect(await readdir(path.join(root, 'dist'))).toEqual(['README.md']);
    expect(await cli('check-dist.ts')).toMatchObject({ code: 0 });
    const smoke = await cli('smoke.ts');
    expect(smoke).toMatchObject({ code: 0 });
    expect(smoke.stdout).toMatch(/no bundles/);
  });

  it('build one shared bundle with a stub per action, which check:dist and smoke accept', async () => {
    await addAction('alpha', cleanFailure);
    await addAction('beta', cleanFailure);
    const bundled = await cli('bundle.ts');
    expect(bundled).toMatchObject({ code: 0 });
    expect(bundled.stdout).toMatch(/2 action\(s\).*alpha, beta/);
    expect(bundled.stdout).toMatch(/dist\/ is [\d.]+ [KM]iB in \d+ file\(s\)/);

    const common = await readdir(path.join(root, 'dist', 'common'));
    expect(common).toEqual(expect.arrayContaining(['index.js', 'licenses.txt', 'package.json']));
    const stub = await readFile(path.join(root, 'dist', 'alpha', 'index.js'), 'utf8');
    expect(stub).toMatch(/from '\.\.\/common\/index\.js'/);
    expect(stub).toMatch(/await runAction\("alpha"\)/);
    const licenses = await readFile(path.join(root, 'dist', 'common', 'licenses.txt'), 'utf8');
    expect(licenses).toMatch(/^@actions\/core@\d/m);
    expect(licenses).toMatch(/^@actions\/http-client@\d/m);

    expect(await cli('check-dist.ts')).toMatchObject({ code: 0 });
    const smoke = await cli('smoke.ts');
    expect(smoke.stdout).toMatch(/ok {4}alpha \(no inputs\)/);
    expect(smoke.stdout).toMatch(/ok {4}beta \(no inputs\)/);
    expect(smoke).toMatchObject({ code: 0 });
  }, 120_000);

  it('make check:dist name every file that differs from a fresh build', async () => {
    await writeFile(path.join(root, 'dist', 'alpha', 'index.js'), '// edited by hand\n');
    await writeFile(path.join(root, 'dist', 'stale.js'), '');
    const checked = await cli('check-dist.ts');
    expect(checked.code).toBe(1);
    expect(checked.stderr).toMatch(/dist\/alpha\/index\.js: content differs from a fresh build/);
    expect(checked.stderr).toMatch(/dist\/stale\.js: in dist\/, but no longer built/);
    expect(checked.stderr).not.toMatch(/beta/);
  }, 120_000);

  it('make smoke fail a bundle whose shared code is missing, and a bug escaping run()', async () => {
    await addAction('buggy', `  throw new Error('a bug, not a user mistake');`);
    expect(await cli('bundle.ts')).toMatchObject({ code: 0 });
    const buggy = await cli('smoke.ts');
    expect(buggy.code).toBe(1);
    expect(buggy.stdout).toMatch(/ok {4}alpha/);
    expect(buggy.stdout).toMatch(/FAIL {2}buggy[^\n]*\n\s+- a stack trace: at \S*run /);

    await rm(path.join(root, 'dist', 'common', 'index.js'));
    const broken = await cli('smoke.ts');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/FAIL {2}alpha[^\n]*\n\s+- a module is missing from the bundle/);
  }, 120_000);
});
