/**
 * The rest of what the actions ask of the runner besides logs, outputs and the summary: the
 * OIDC token, step state shared with a `post:` step, secrets to mask, failing the step. The
 * entries reach `@actions/core` only through here and runtime.ts.
 */
import * as core from '@actions/core';

/** An OIDC token from the runner for `audience` (needs `id-token: write`). */
export function getIdToken(audience: string): Promise<string> {
  return core.getIDToken(audience);
}

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
