/**
 * `trusted-root`, `certificate-oidc-issuer` and `signer-workflow` (promote and inventory): their
 * defaults, and bad values refused naming the input.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StandInSigstore } from '../../../emulator/sigstore.js';
import { readAttestationTrust } from '../../../src/actions/shared/attestation-inputs.js';
import { recordInputReader } from '../../../src/common/inputs.js';

let dir: string;
let rootText: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cga-trust-inputs-'));
  rootText = JSON.stringify(new StandInSigstore(path.join(dir, 'ca')).trustedRoot());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
  readAttestationTrust(recordInputReader(inputs), env);

describe('attestation trust inputs', () => {
  it("default to GitHub's issuer and this project's image.yml", () => {
    const trust = read({}, { GITHUB_ACTION_REPOSITORY: 'capz/compute-gallery-actions' });
    expect(trust.signer).toEqual({
      issuer: 'https://token.actions.githubusercontent.com',
      serverUrl: 'https://github.com',
      signerWorkflow: 'capz/compute-gallery-actions/.github/workflows/image.yml',
    });
    expect(trust.roots.hasGivenRoots).toBe(false);
  });

  it("take a GHE.com tenant's issuer, and no signer workflow when the action's repository is unknown", () => {
    const trust = read({}, { GITHUB_SERVER_URL: 'https://octo.ghe.com' });
    expect(trust.signer).toEqual({
      issuer: 'https://token.actions.octo.ghe.com',
      serverUrl: 'https://octo.ghe.com',
    });
  });

  it('read a trusted root inline or from a path, and the given issuer and workflow', () => {
    const file = path.join(dir, 'trusted_root.jsonl');
    writeFileSync(file, `${rootText}\n${rootText}\n`);
    for (const value of [rootText, file]) {
      const trust = read({
        'trusted-root': value,
        'certificate-oidc-issuer': 'https://127.0.0.1:4443/_actions',
        'signer-workflow': 'https://github.com/o/r/.github/workflows/image.yml',
      });
      expect(trust.roots.hasGivenRoots).toBe(true);
      expect(trust.signer).toMatchObject({
        issuer: 'https://127.0.0.1:4443/_actions',
        signerWorkflow: 'o/r/.github/workflows/image.yml',
      });
    }
  });

  it.each([
    [
      { 'trusted-root': path.join('no', 'such', 'trusted_root.json') },
      /^Invalid input 'trusted-root': .*cannot read it/,
    ],
    [
      { 'trusted-root': '{"mediaType":"x"}' },
      /^Invalid input 'trusted-root': .*not a Sigstore trusted root/,
    ],
    [{ 'certificate-oidc-issuer': 'token.actions' }, /^Invalid input 'certificate-oidc-issuer'/],
    [
      { 'signer-workflow': 'image.yml' },
      /^Invalid input 'signer-workflow': .*owner\/repo\/\.github\/workflows/,
    ],
    [
      { 'signer-workflow': 'o/r/.github/workflows/image.yml@v1' },
      /^Invalid input 'signer-workflow'/,
    ],
  ])('refuse %j', (inputs, message) => {
    expect(() => read(inputs)).toThrow(message);
  });
});
