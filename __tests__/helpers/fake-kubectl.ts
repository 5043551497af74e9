import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../src/common/exec.js';
import type { RunCommand } from '../../src/common/exec.js';

/** The folder holding the stand-in `kubectl` (put it first on PATH). */
export const FAKE_KUBECTL_BIN = fileURLToPath(new URL('../fixtures/validate/bin', import.meta.url));

export type KubectlScenario = 'ready' | 'node-not-ready' | 'wrong-kubelet' | 'no-capz';

export interface FakeKubectl {
  /** The environment that makes `kubectl` the stand-in playing `scenario`. */
  env: Record<string, string>;
  /** runCommand with that environment. */
  run: RunCommand;
  /** Every call so far: which cluster, and the arguments (without --kubeconfig). */
  calls(): { target: string; args: string[] }[];
  /** What the stand-in holds now. */
  world(): {
    objects: { kind: string; metadata: { name: string } }[];
    deletingAt: Record<string, number>;
  };
  dispose(): void;
}

/** A stand-in kubectl with a state folder of its own. */
export function fakeKubectl(scenario: KubectlScenario, stepMs = 100): FakeKubectl {
  const state = mkdtempSync(join(tmpdir(), 'fake-kubectl-'));
  const env = {
    PATH: `${FAKE_KUBECTL_BIN}:${process.env.PATH ?? ''}`,
    FAKE_KUBECTL_STATE: state,
    FAKE_KUBECTL_SCENARIO: scenario,
    FAKE_KUBECTL_STEP_MS: String(stepMs),
  };
  const read = (file: string, empty: string): string => {
    try {
      return readFileSync(join(state, file), 'utf8');
    } catch {
      return empty;
    }
  };
  return {
    env,
    run: (command, args, options = {}) =>
      runCommand(command, args, { ...options, env: { ...process.env, ...options.env, ...env } }),
    calls: () =>
      read('calls.log', '')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { target: string; args: string[] }),
    world: () => JSON.parse(read('world.json', '{"objects":[],"deletingAt":{}}')),
    dispose: () => rmSync(state, { recursive: true, force: true }),
  };
}
