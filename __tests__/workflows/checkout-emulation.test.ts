/**
 * actions/checkout of another repository in the simulation (scripts/lib/demo-steps.ts): a
 * repository the runner was given a stand-in for is cloned as the real action fetches it, so
 * image-builder's `git describe --dirty` (its IB_VERSION) answers as on GitHub.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { permissionsOf } from '../../scripts/lib/demo-job.js';
import { ArtifactStore, type JobRuntime, runThirdParty } from '../../scripts/lib/demo-steps.js';
import { Masks } from '../../scripts/lib/demo-process.js';
import { makeImageBuilderCheckout, STANDIN_IB_TAG } from '../helpers/image-builder.js';

const CHECKOUT = {
  kind: 'third-party' as const,
  repository: 'actions/checkout',
  path: '',
  ref: '1af3b93b6815bc44a9784bd300feb67ff0d1eeb3',
};
let dir: string;
let source: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'checkout-emulation-'));
  source = path.join(dir, 'source');
  mkdirSync(source);
  makeImageBuilderCheckout(source);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runtime(workspace: string, repositories?: Record<string, string>): JobRuntime {
  mkdirSync(workspace, { recursive: true });
  return {
    workspace,
    runnerTemp: workspace,
    env: {},
    path: [],
    masks: new Masks(),
    artifacts: new ArtifactStore(path.join(workspace, 'artifacts')),
    permissions: permissionsOf({ contents: 'read' }),
    ...(repositories ? { repositories } : {}),
    timeoutMs: 10_000,
    onLine: () => undefined,
  };
}

const describeIn = (cwd: string): string => {
  try {
    return execFileSync('git', ['describe', '--dirty'], {
      cwd,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    return '';
  }
};

describe('actions/checkout of another repository in the simulation', () => {
  it('clones the stand-in at ref with its tags for fetch-depth 0', async () => {
    const ws = path.join(dir, 'full');
    const result = await runThirdParty(
      CHECKOUT,
      {
        repository: 'kubernetes-sigs/image-builder',
        ref: STANDIN_IB_TAG,
        path: 'image-builder',
        'fetch-depth': '0',
      },
      runtime(ws, { 'kubernetes-sigs/image-builder': source }),
    );
    expect(result.outcome).toBe('success');
    expect(existsSync(path.join(ws, 'image-builder', 'images', 'capi', 'Makefile'))).toBe(true);
    expect(describeIn(path.join(ws, 'image-builder'))).toBe(STANDIN_IB_TAG);
  });

  it('leaves the tags out of a shallow clone of a branch (the default fetch-depth 1), as GitHub does', async () => {
    const ws = path.join(dir, 'shallow');
    const branch = execFileSync('git', ['-C', source, 'rev-parse', '--abbrev-ref', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    const result = await runThirdParty(
      CHECKOUT,
      { repository: 'Kubernetes-Sigs/Image-Builder', ref: branch, path: 'image-builder' },
      runtime(ws, { 'kubernetes-sigs/image-builder': source }),
    );
    expect(result.outcome).toBe('success');
    expect(describeIn(path.join(ws, 'image-builder'))).toBe('');
  });

  it('skips a repository it has no stand-in for', async () => {
    const result = await runThirdParty(
      CHECKOUT,
      { repository: 'someone/else', path: 'else' },
      runtime(path.join(dir, 'none')),
    );
    expect(result.outcome).toBe('success');
    expect(result.note).toMatch(/^skipped: someone\/else/);
  });
});
