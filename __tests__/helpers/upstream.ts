/**
 * Upstream data (REST spec examples, Azure CLI recordings, Kubernetes release data, the CAPZ CRD)
 * lives outside this repository, in a `shared/fixtures` folder beside the clone, as in this
 * project's CI. A user's clone has none: tests that replay it run when it is there and otherwise
 * say, in one line, that they were skipped and why. Everything else uses fixtures of our own.
 */
import { existsSync } from 'node:fs';
import { describe } from '@jest/globals';
import { fileURLToPath } from 'node:url';

/** The upstream fixtures folder beside the clone: `../shared/fixtures` from the repository root. */
export const UPSTREAM_FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);

/** The URL of `relative` inside the upstream fixtures, or undefined when it is not there. */
export function upstreamFixture(relative: string): URL | undefined {
  const url = new URL(relative, UPSTREAM_FIXTURES);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

const announced = new Set<string>();

/**
 * `describe` when `relative` exists in the upstream fixtures, otherwise `describe.skip` with one
 * line on stderr saying what was skipped and why (once per file and folder).
 */
export function describeUpstream(relative: string): typeof describe | typeof describe.skip {
  if (upstreamFixture(relative)) return describe;
  const key = `${relative}`;
  if (!announced.has(key)) {
    announced.add(key);
    process.stderr.write(
      `skipped: upstream fixtures ../shared/fixtures/${relative} are not beside this clone (replay tests run in CI)\n`,
    );
  }
  return describe.skip;
}
