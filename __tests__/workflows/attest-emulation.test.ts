/**
 * The runner simulation's actions/attest-build-provenance (scripts/lib/demo-steps.ts): the job's
 * ID token goes to the stand-in, which certifies it and signs; the outputs are the real action's,
 * and what the real action refuses is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { permissionsOf } from '../../scripts/lib/demo-job.js';
import { ArtifactStore, type JobRuntime, runThirdParty } from '../../scripts/lib/demo-steps.js';
import { Masks } from '../../scripts/lib/demo-process.js';
import { oidcRequestUrl } from '../../scripts/lib/demo-github.js';
import { verifyAttestation } from '../../src/provenance/verify.js';
import { standInRoots, standInSigner } from '../helpers/attestations.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const ATTEST = {
  kind: 'third-party' as const,
  repository: 'actions/attest-build-provenance',
  path: '',
  ref: 'a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32',
};
const DIGEST = `sha256:${'7'.repeat(64)}`;
const CALLER = 'example/capz-images';
const WORKFLOW = 'placeholder--owner/compute-gallery-actions/.github/workflows/image.yml';
let emu: TestEmulator;
let dir: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  dir = mkdtempSync(path.join(tmpdir(), 'attest-emulation-'));
});
afterAll(async () => {
  await emu?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function runtime(permissions: Record<string, string>): JobRuntime {
  return {
    workspace: dir,
    runnerTemp: dir,
    env: {
      GITHUB_REPOSITORY: CALLER,
      // What the simulation gives a job with `id-token: write` (scripts/lib/demo-runner.ts).
      ...(permissions['id-token'] === 'write'
        ? {
            ACTIONS_ID_TOKEN_REQUEST_URL: oidcRequestUrl(emu.oidcRequestUrl, {
              repository: CALLER,
              repository_owner: 'example',
              ref: 'refs/heads/main',
              sha: 'c0ffee',
              job_workflow_ref: `${WORKFLOW}@refs/heads/main`,
            }),
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
          }
        : {}),
    },
    path: [],
    masks: new Masks(),
    artifacts: new ArtifactStore(path.join(dir, 'artifacts')),
    permissions: permissionsOf(permissions),
    attestationsEndpoint: `${emu.adminEndpoint}/attestations`,
    timeoutMs: 10_000,
    onLine: () => undefined,
  };
}

describe('actions/attest-build-provenance in the simulation', () => {
  it('has the stand-in certify the job’s ID token and sign, and gives back the action’s outputs', async () => {
    const result = await runThirdParty(
      ATTEST,
      { 'subject-name': '/subscriptions/x/versions/1.0.0', 'subject-digest': DIGEST },
      runtime({ contents: 'read', 'id-token': 'write', attestations: 'write' }),
    );
    expect(result.outcome).toBe('success');
    expect(result.outputs['attestation-url']).toMatch(
      /^https:\/\/github\.com\/example\/capz-images\/attestations\/\d+$/,
    );
    const bundle = JSON.parse(readFileSync(result.outputs['bundle-path']!, 'utf8')) as unknown;
    const signer = standInSigner(CALLER, { issuer: emu.oidcIssuer, signerWorkflow: WORKFLOW });
    const roots = await standInRoots(emu);
    const result2 = await verifyAttestation(bundle, DIGEST, { roots, signer });
    expect(result2).toMatchObject({
      status: 'verified',
      reason: expect.stringContaining(
        `signed by https://github.com/${WORKFLOW}@refs/heads/main for https://github.com/${CALLER}`,
      ),
    });
    // The token's issuer is the stand-in's, not GitHub's.
    const asGitHub = await verifyAttestation(bundle, DIGEST, {
      roots,
      signer: standInSigner(CALLER, { signerWorkflow: WORKFLOW }),
    });
    expect(asGitHub.reason).toContain(`ID token of ${emu.oidcIssuer}`);
    expect(result.summary).toContain(result.outputs['attestation-url']);
  });

  it.each([
    [{ contents: 'read', 'id-token': 'write' }, {}, /attestations: write/],
    [{ contents: 'read', attestations: 'write' }, {}, /id-token: write/],
    [{ 'id-token': 'write', attestations: 'write' }, { 'subject-name': '' }, /subject-name must/],
    [
      { 'id-token': 'write', attestations: 'write' },
      { 'subject-digest': 'source:/subscriptions/x' },
      /sha256:<hex-digest>/,
    ],
    [{ 'id-token': 'write', attestations: 'write' }, { 'subject-path': 'x.vhd' }, /exactly one/],
  ])('refuses %j with %j', async (permissions, over, message) => {
    const result = await runThirdParty(
      ATTEST,
      { 'subject-name': 'v', 'subject-digest': DIGEST, ...over },
      runtime(permissions),
    );
    expect(result.outcome).toBe('failure');
    expect(result.note).toMatch(message);
  });
});
