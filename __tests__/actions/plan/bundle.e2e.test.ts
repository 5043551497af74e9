import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundledAction } from '../../helpers/runner.js';

// Offline, so the release calendar cannot be fetched: plan warns and goes on.
const OFFLINE = { HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9' };

describe('dist/plan run as the runner runs it', () => {
  it('turns a repository_dispatch payload into a matrix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-event-'));
    const event = join(dir, 'event.json');
    writeFileSync(
      event,
      JSON.stringify({
        action: 'kubernetes-release',
        client_payload: { 'kubernetes-version': 'v1.31.3' },
      }),
    );
    const run = await runBundledAction(
      'plan',
      { 'operating-systems': 'ubuntu-2404 ubuntu-2404-cvm' },
      {
        ...OFFLINE,
        GITHUB_EVENT_NAME: 'repository_dispatch',
        GITHUB_EVENT_PATH: event,
      },
    );
    expect(run.code).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix!) as { include: Record<string, unknown>[] };
    expect(
      matrix.include.map((e) => [
        e['kubernetes-version'],
        e.os,
        e['production-definition'],
        e['security-type'],
      ]),
    ).toEqual([
      ['v1.31.3', 'ubuntu-2404', 'capi-ubun2-2404', 'Standard'],
      ['v1.31.3', 'ubuntu-2404-cvm', 'capi-ubun2-2404-cvm', 'ConfidentialVmSupported'],
    ]);
    expect(run.outputs['kubernetes-versions']).toBe('["v1.31.3"]');
    expect(run.outputs.empty).toBe('false');
    expect(run.summary).toContain('Versions from repository_dispatch payload.');
  });

  it('refuses an unknown OS target and a gallery without its resource group, naming the input', async () => {
    const bad = await runBundledAction(
      'plan',
      { 'kubernetes-versions': 'v1.31.2', 'operating-systems': 'Ubuntu 24.04' },
      OFFLINE,
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/::error::Invalid input 'operating-systems'/);
    const half = await runBundledAction(
      'plan',
      { 'kubernetes-versions': 'v1.31.2', gallery: 'prod' },
      OFFLINE,
    );
    expect(half.stdout).toMatch(/::error::Invalid input 'resource-group'/);
  });
});
