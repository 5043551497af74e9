/**
 * Each job of the demo's runner gets its own GITHUB_TOKEN, minted by the stand-in with the job's
 * `permissions:`, as GitHub mints one per job: dist/publish-catalog pushes the catalog with the
 * token of a job that has `contents: write`, and is refused, saying which permission it lacks,
 * with the token of a job that has `contents: read`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_PINNED_SHA } from '../../scripts/lib/demo-caller.js';
import { DemoRunner } from '../../scripts/lib/demo-runner.js';
import { mintJobToken, readBranch } from '../../scripts/lib/demo-setup.js';
import { ownRepository, parseWorkflowText } from '../../scripts/lib/demo-workflow.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const REPOSITORY = 'example/catalog-site';
const CATALOG = JSON.stringify({
  schemaVersion: 1,
  generatedAt: '2026-12-01T06:00:00.000Z',
  gallery: {
    kind: 'community',
    publicName: 'ClusterAPI-x',
    location: 'westus2',
    publisherUri: null,
  },
  counts: { current: 0, versions: 0, definitions: 0 },
});

/** A job that writes a catalog and publishes it, with `contents` at `level`. */
const job = (level: string, needs?: string): string => `
  ${level}:
    runs-on: ubuntu-24.04
    ${needs ? `needs: ${needs}\n    if: \${{ !cancelled() }}` : ''}
    permissions:
      contents: ${level}
    steps:
      - name: Write a catalog
        env:
          CATALOG: '${CATALOG}'
        run: |
          mkdir -p "$RUNNER_TEMP/catalog"
          printf '%s\\n' "$CATALOG" > "$RUNNER_TEMP/catalog/catalog.json"
          printf '# Catalog (%s)\\n' "${level}" > "$RUNNER_TEMP/catalog/catalog.md"
      - name: Publish it
        id: publish-catalog
        uses: ${ownRepository()}/actions/publish-catalog@${DEMO_PINNED_SHA} # v1.0.0
        with:
          catalog: \${{ runner.temp }}/catalog
`;

let emu: TestEmulator;
let runDir: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  await emu.admin('POST', '/github/repositories', { repository: REPOSITORY });
  runDir = mkdtempSync(path.join(tmpdir(), 'cga-job-token-'));
});
afterAll(async () => {
  await emu.dispose();
  rmSync(runDir, { recursive: true, force: true });
});

describe("the demo runner's job tokens", () => {
  it('let a contents: write job push, and refuse a contents: read one by name', async () => {
    const workflow = parseWorkflowText(
      `on: workflow_dispatch\npermissions: {}\njobs:${job('write')}${job('read', 'write')}`,
      `${REPOSITORY}:.github/workflows/catalog.yml`,
      REPOSITORY,
    );
    const lines: string[] = [];
    const runner = new DemoRunner({
      runDir,
      world: {
        repositories: [
          { name: REPOSITORY, refs: ['main'] },
          { name: ownRepository(), refs: [DEMO_PINNED_SHA] },
        ],
      },
      github: {
        event_name: 'workflow_dispatch',
        event: {},
        repository: REPOSITORY,
        repository_owner: 'example',
        run_id: '7',
        run_number: '1',
        sha: '0123456789abcdef0123456789abcdef01234567',
        ref: 'refs/heads/main',
        server_url: 'https://github.com',
        api_url: emu.githubApiUrl,
        token: 'ghs_notMintedByTheStandIn',
      },
      vars: {},
      env: { NODE_EXTRA_CA_CERTS: emu.caCertPath },
      oidc: { requestUrl: emu.oidcRequestUrl, requestToken: emu.oidcRequestToken },
      jobToken: (permissions) => mintJobToken(emu, REPOSITORY, permissions),
      stepTimeoutMs: 60_000,
      print: (line) => void lines.push(line),
    });

    const result = await runner.runWorkflow(workflow, {});

    const outcome = (id: string): string | undefined =>
      runner.trace.jobs.find((j) => j.name === id)?.result;
    expect([outcome('write'), outcome('read')]).toEqual(['success', 'failure']);
    expect(result.result).toBe('failure');
    const branch = await readBranch(emu, REPOSITORY, 'gallery-catalog');
    expect(branch?.files['catalog.md']).toBe('# Catalog (write)\n');
    expect(branch?.history).toHaveLength(1);
    const log = readdirSync(path.join(runDir, 'logs'))
      .filter((f) => f.includes('read') && f.includes('Publish'))
      .map((f) => readFileSync(path.join(runDir, 'logs', f), 'utf8'))
      .join('\n');
    expect(log).toContain(
      "may not write to example/catalog-site (Resource not accessible by integration; GitHub accepts: contents=write). Give the job 'permissions: contents: write'",
    );
    // The minted tokens are masked in what the runner prints.
    expect(lines.join('\n')).not.toMatch(/ghs_[A-Za-z0-9]{36}/);
    // And in the trace of every step's inputs, as GitHub masks them in the step's debug log.
    const given = runner.trace.steps.find((s) => s.id === 'publish-catalog')?.given;
    expect(given?.['github-token']).toBe('***');
    expect(JSON.stringify(runner.trace)).not.toMatch(/ghs_[A-Za-z0-9]{36}/);
  });
});
