import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  errorAnnotations,
  findBundles,
  findCrash,
  parseCommandFile,
  runBundle,
  type Bundle,
} from '../../scripts/lib/smoke.js';
import { expectInputFailure } from '../../scripts/smoke/missing-inputs.js';

/** Fake dist/ entries, each standing for one way a bundle behaves. */
const entries: Record<string, string> = {
  // What a healthy action does with no inputs.
  clean: `process.stdout.write('::error::Input required and not supplied: subscription-id\\n');
process.exitCode = 1;`,
  // Echoes what the runner gave it, in the heredoc form @actions/core writes.
  echo: `import { appendFileSync } from 'node:fs';
const value = (name) => process.env['INPUT_' + name.toUpperCase()] ?? '(unset)';
appendFileSync(process.env.GITHUB_OUTPUT, 'endpoint<<EOF\\n' + value('arm-endpoint') + '\\nEOF\\n');
appendFileSync(process.env.GITHUB_OUTPUT, 'subscription=' + value('subscription-id') + '\\n');
appendFileSync(process.env.GITHUB_STEP_SUMMARY, '### done\\n');`,
  'missing-chunk': `import '../common/gone.js';`,
  'cjs-in-esm': `const fs = require('node:fs');`,
  'bug-in-run': `process.stdout.write('::error::TypeError: x is not a function%0A    at run (file:///dist/common/index.js:10:5)\\n');
process.exitCode = 1;`,
  'exits-zero': `console.log('nothing to do');`,
  'vague-error': `process.stdout.write('::error::something went wrong\\n'); process.exitCode = 1;`,
};

const actionYml = `name: x
description: y
inputs:
  subscription-id:
    description: s
    required: true
  arm-endpoint:
    description: a
    default: https://management.azure.com
  github-token:
    description: t
    default: \${{ github.token }}
runs:
  using: node24
  main: ../../dist/x/index.js
`;

let root: string;
let bundles: Map<string, Bundle>;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'smoke-test-'));
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  await mkdir(path.join(root, 'dist', 'common'), { recursive: true });
  await writeFile(path.join(root, 'dist', 'common', 'index.js'), 'export {};\n');
  for (const [name, code] of Object.entries(entries)) {
    await mkdir(path.join(root, 'dist', name), { recursive: true });
    await writeFile(path.join(root, 'dist', name, 'index.js'), code + '\n');
    await mkdir(path.join(root, 'actions', name), { recursive: true });
    await writeFile(path.join(root, 'actions', name, 'action.yml'), actionYml);
  }
  bundles = new Map((await findBundles(root)).map((b) => [b.name, b]));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function bundle(name: string): Bundle {
  const found = bundles.get(name);
  if (!found) throw new Error(`no bundle ${name}`);
  return found;
}

async function problems(name: string): Promise<string[]> {
  const run = await runBundle(bundle(name));
  return [...findCrash(run), ...expectInputFailure(bundle(name), run)];
}

describe('findBundles', () => {
  it('lists the entry stubs, not the shared bundle, with the inputs action.yml declares', () => {
    expect([...bundles.keys()].sort()).toEqual(Object.keys(entries).sort());
    expect(bundle('clean').inputs).toEqual([
      { name: 'subscription-id', required: true, default: undefined },
      { name: 'arm-endpoint', required: false, default: 'https://management.azure.com' },
      { name: 'github-token', required: false, default: undefined },
    ]);
  });
});

describe('runBundle', () => {
  it('applies action.yml defaults, then the given inputs, and reads outputs and summary', async () => {
    const run = await runBundle(bundle('echo'), { inputs: { 'subscription-id': 'sub-1' } });
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({
      endpoint: 'https://management.azure.com',
      subscription: 'sub-1',
    });
    expect(run.summary).toBe('### done\n');
  });

  it("does not pass the caller's INPUT_ variables through", async () => {
    process.env['INPUT_SUBSCRIPTION-ID'] = 'leaked';
    try {
      const run = await runBundle(bundle('echo'));
      expect(run.outputs.subscription).toBe('(unset)');
    } finally {
      delete process.env['INPUT_SUBSCRIPTION-ID'];
    }
  });
});

describe('the missing-inputs scenario', () => {
  it('passes a bundle that fails cleanly on a missing input', async () => {
    expect(await problems('clean')).toEqual([]);
  });

  it('catches a missing chunk', async () => {
    expect(await problems('missing-chunk')).toContainEqual(
      expect.stringMatching(/^a module is missing from the bundle: .*gone\.js/),
    );
  });

  it('catches CommonJS code in an ES module', async () => {
    expect(await problems('cjs-in-esm')).toContainEqual(
      expect.stringMatching(/^an ESM\/CJS mix-up: .*require is not defined/),
    );
  });

  it('catches a stack trace inside an ::error:: annotation', async () => {
    expect(await problems('bug-in-run')).toContainEqual(
      expect.stringMatching(/^a stack trace: at run/),
    );
  });

  it('fails a bundle that exits 0 without an error', async () => {
    expect(await problems('exits-zero')).toEqual([
      'exit code 0, expected 1',
      'no ::error:: line: a missing input must be reported with core.setFailed',
    ]);
  });

  it('fails an error that names no declared input', async () => {
    expect(await problems('vague-error')).toEqual([
      'the ::error:: line does not name one of subscription-id, arm-endpoint, github-token: something went wrong',
    ]);
  });
});

describe('command files and annotations', () => {
  it('parses name=value lines and heredoc blocks', () => {
    expect(parseCommandFile('a=1\nb<<ghadelim_1\nline 1\nline 2\nghadelim_1\nc=x=y\n')).toEqual({
      a: '1',
      b: 'line 1\nline 2',
      c: 'x=y',
    });
  });

  it('unescapes ::error:: data, with or without properties', () => {
    const run = { stdout: '::error::a%0Ab%25\n::error file=x.ts,line=1::c\nnot::error::d\n' };
    expect(errorAnnotations(run as Parameters<typeof errorAnnotations>[0])).toEqual(['a\nb%', 'c']);
  });
});
