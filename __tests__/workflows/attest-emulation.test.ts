/**
 * The runner simulation's actions/attest-build-provenance (scripts/lib/demo-steps.ts): the
 * stand-in signs, the outputs are the real action's, and what the real action refuses is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { permissionsOf } from '../../scripts/lib/demo-job.js';
import { ArtifactStore, type JobRuntime, runThirdParty } from '../../scripts/lib/demo-steps.js';
import { Masks } from '../../scripts/lib/demo-process.js';
import { verifyAttestation } from '../../src/provenance/verify.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const ATTEST = {
  kind: 'third-party' as const,
  repository: 'actions/attest-build-provenance',
  path: '',
  ref: 'a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32',
};
const DIGEST = `sha256:${'7'.repeat(64)}`;
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
    env: { GITHUB_REPOSITORY: 'example/capz-images' },
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
  it('has the stand-in sign a bundle for the subject, and gives back the action’s outputs', async () => {
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
    const key = (await emu.admin<{ pem: string }>('GET', '/attestations/key')).pem;
    expect(verifyAttestation(bundle, DIGEST, [{ hint: '*', pem: key }]).status).toBe('verified');
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
