/**
 * The rest of what the actions ask of the runner besides logs, outputs and the summary: the
 * step state shared with a `post:` step, secrets to mask, failing the step. The
 * entries reach `@actions/core` only through here and runtime.ts.
 */
import * as core from '@actions/core';

/** Saves `value` for this action's `post:` step. */
export function saveState(name: string, value: string): void {
  core.saveState(name, value);
}

/** What the main step saved with {@link saveState}; `''` when it saved nothing. */
export function getState(name: string): string {
  return core.getState(name);
}

/** Masks `value` in every later log line. */
export function setSecret(value: string): void {
  core.setSecret(value);
}

/** Fails the step with `message`, and goes on running. */
export function setFailed(message: string): void {
  core.setFailed(message);
}
