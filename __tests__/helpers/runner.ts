import { resolve } from 'node:path';
import { metadataPathOf } from '../../scripts/lib/actions.js';
import { readInputs, runBundle } from '../../scripts/lib/smoke.js';
import type { BundleRun } from '../../scripts/lib/smoke.js';

/**
 * Runs `dist/<name>/index.js` the way the runner does (the smoke runner's `runBundle`: INPUT_*
 * with action.yml defaults, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), adding `env`.
 */
export async function runBundledAction(
  name: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<BundleRun> {
  const bundle = {
    name,
    entry: resolve('dist', name, 'index.js'),
    inputs: await readInputs(resolve(metadataPathOf(name))),
  };
  return runBundle(bundle, {
    inputs,
    env: { GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567', ...env },
    timeoutMs: 120_000,
  });
}
