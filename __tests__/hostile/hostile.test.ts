/**
 * The hostile-input suite: every case of __tests__/hostile/cases.ts run through the real bundle
 * (dist/common/index.js, one process per action), then every log line, output and summary
 * scanned for the secrets and forged commands the case planted. Inputs-only cases: each fails
 * before any Azure call (Azure and GitHub point at a closed port); the few that get to Azure
 * run against the stand-in (`standIn`). HOSTILE_DIST runs another dist (an older build, to count
 * what held before).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { metadataPathOf } from '../../scripts/lib/actions.js';
import { readInputs } from '../../scripts/lib/smoke.js';
import { startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { seedImageVersion } from '../helpers/gallery-seed.js';
import { ACTIONS, CLOSED } from './cases.js';
import type { ActionCases, HostileCase } from './cases.js';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
  // VERSION_ID: the source of the cases that get past their inputs.
  await seedImageVersion(emu, {
    resourceGroup: 'rg',
    gallery: 'staging',
    securityType: 'TrustedLaunchSupported',
  });
});
afterAll(async () => {
  await emu?.dispose();
});

const DIST = resolve(process.env.HOSTILE_DIST ?? 'dist');
/** Planted in every run: the client secret must never show. */
const CLIENT_SECRET = 'HOSTILE-CLIENT-SECRET-0f1e2d3c';

interface Result {
  title: string;
  code: number;
  stdout: string;
  output: string;
  summary: string;
  ms: number;
}

async function runAll(set: ActionCases): Promise<Result[]> {
  const defaults: Record<string, string> = {};
  for (const input of await readInputs(resolve(metadataPathOf(set.action)))) {
    if (input.default !== undefined) defaults[input.name] = input.default;
  }
  const work = mkdtempSync(join(tmpdir(), 'hostile-suite-'));
  try {
    const casesFile = join(work, 'cases.json');
    const resultsFile = join(work, 'results.json');
    writeFileSync(
      casesFile,
      JSON.stringify({
        dist: DIST,
        action: set.action,
        base: { ...defaults, ...set.base },
        standIn: { 'arm-endpoint': emu.endpoint, 'authority-host': emu.authorityHost },
        env: {
          AZURE_CLIENT_SECRET: CLIENT_SECRET,
          GITHUB_API_URL: `${CLOSED}/api/v3`,
          GITHUB_REPOSITORY: 'hostile/suite',
          GITHUB_RUN_ID: '1',
          GITHUB_WORKSPACE: work,
          RUNNER_TEMP: work,
        },
        cases: set.cases,
      }),
    );
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(INPUT_|GITHUB_|ACTIONS_|AZURE_)/.test(k)),
    );
    // Not spawnSync: the stand-in serves from this process's event loop.
    await promisify(execFile)(
      process.execPath,
      [resolve('__tests__/hostile/harness.mjs'), casesFile, resultsFile],
      { cwd: work, env: { ...env, NODE_EXTRA_CA_CERTS: emu.caCertPath }, timeout: 90_000 },
    ).catch((err: Error & { stderr?: string }) => {
      throw new Error(`harness failed: ${err.stderr ?? err.message}`);
    });
    return JSON.parse(readFileSync(resultsFile, 'utf8')) as Result[];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** What did not hold in one run; empty when the case held. */
export function problemsOf(c: HostileCase, run: Result): string[] {
  const problems: string[] = [];
  const lines = run.stdout.split('\n');
  const errors = lines.filter((l) => l.startsWith('::error'));
  if (c.refuses !== undefined) {
    if (run.code === 0) problems.push('accepted');
    else if (!errors.some((l) => l.includes(`'${c.refuses}'`)))
      problems.push(`refused without naming '${c.refuses}': ${errors.join(' ').slice(0, 300)}`);
  } else if (c.fails) {
    if (run.code === 0) problems.push('succeeded');
  } else if (run.code !== 0) {
    problems.push(`failed: ${errors.join(' ').slice(0, 300)}`);
  }
  for (const secret of [...(c.secrets ?? []), CLIENT_SECRET]) {
    const shown = lines.filter((l) => l.includes(secret) && !l.startsWith('::add-mask::'));
    if (shown.length) problems.push(`secret ${secret.slice(0, 20)} in the log`);
    if (run.output.includes(secret)) problems.push(`secret ${secret.slice(0, 20)} in outputs`);
    if (run.summary.includes(secret)) problems.push(`secret ${secret.slice(0, 20)} in the summary`);
  }
  for (const forged of c.forged ?? []) {
    if (lines.some((l) => l.trimStart().startsWith(forged)))
      problems.push(`forged command ${forged}`);
  }
  if (c.output && !c.output(run.output)) problems.push(`outputs not as expected: ${run.output}`);
  const long = errors.find((l) => l.length > 3000);
  if (long) problems.push(`an error of ${long.length} characters`);
  return problems;
}

const tally: string[] = [];

describe.each(ACTIONS.map((a) => [a.action, a] as const))('hostile inputs: %s', (_name, set) => {
  it(`holds all ${set.cases.length} cases (inputs only, one process)`, async () => {
    const started = Date.now();
    const results = await runAll(set);
    const slowest = [...results].sort((a, b) => b.ms - a.ms)[0];
    const failures: string[] = [];
    const pending: string[] = [];
    let held = 0;
    set.cases.forEach((c, i) => {
      const problems = problemsOf(c, results[i]!);
      if (problems.length === 0) held++;
      else if (c.pending)
        pending.push(`[pending: ${c.pending}] ${c.title}: ${problems.join('; ')}`);
      else failures.push(`${c.title}: ${problems.join('; ')}`);
    });
    tally.push(
      `${set.action}: ${held}/${set.cases.length} held in ${Date.now() - started} ms (slowest ${slowest?.ms} ms: ${slowest?.title})${pending.length ? ` (${pending.length} pending on ${[...new Set(set.cases.filter((c) => c.pending).map((c) => c.pending))].join(', ')})` : ''}`,
    );
    if (pending.length) console.log(pending.join('\n'));
    expect(set.cases.length).toBeGreaterThanOrEqual(30);
    expect(failures).toEqual([]);
  });
});

afterAll(() => console.log(`hostile suite (${DIST}):\n${tally.join('\n')}`));
