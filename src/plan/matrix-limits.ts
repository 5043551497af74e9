/**
 * What GitHub allows a matrix: at most 256 legs per workflow run (docs.github.com, "Running
 * variations of jobs in a workflow": "A matrix will generate a maximum of 256 jobs per workflow
 * run"), and what a sensible one holds: each (Kubernetes version, OS target) once, however the
 * user spelled them (`v1.34.2 1.34.2`, `ubuntu-2404,ubuntu-2404`).
 */
import { InputError } from '../common/errors.js';

export const MAX_MATRIX_LEGS = 256;

/** Keeps the first of each leg with the same key; `key` names what makes two legs one. */
export function uniqueLegs<T>(legs: readonly T[], key: (leg: T) => string): T[] {
  const seen = new Set<string>();
  return legs.filter((leg) => {
    const k = key(leg);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Refuses a plan GitHub would refuse, naming the inputs that made it that large. */
export function checkLegCount(
  legs: number,
  versions: number,
  targets: number,
  explicit: boolean,
): void {
  if (legs <= MAX_MATRIX_LEGS) return;
  const input = explicit ? 'kubernetes-versions' : 'minor-versions';
  throw new InputError(
    `${input}' × 'operating-systems`,
    `${versions} version(s) × ${targets} OS target(s)`,
    `That is ${legs} legs; a GitHub matrix holds at most ${MAX_MATRIX_LEGS}. Ask for fewer ` +
      `Kubernetes versions or OS targets per run (call images.yml more than once).`,
  );
}
