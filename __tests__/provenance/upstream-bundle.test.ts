/**
 * A real GitHub artifact attestation, replayed: a public-good bundle (Fulcio certificate with an
 * SCT, a Rekor entry with its inclusion promise) made by a reusable workflow, and the public-good
 * trusted root it chains to. Both are cli/cli's test data (pkg/cmd/attestation/test/data/
 * reusable-workflow-attestation.sigstore.json and trusted_root.json, commit 44ee17760709), kept
 * under ../shared/fixtures/sigstore/ as read; the test is skipped, with one line, where they are
 * not beside the clone.
 */
import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { GITHUB_OIDC_ISSUER, type ExpectedSigner } from '../../src/provenance/identity.js';
import { parseTrustedRoots, TrustedRoots } from '../../src/provenance/trusted-root.js';
import { verifyAttestation } from '../../src/provenance/verify.js';
import { describeUpstream, upstreamFixture } from '../helpers/upstream.js';

const BUNDLE = 'sigstore/reusable-workflow-attestation.sigstore.json';
const ROOT = 'sigstore/trusted_root.json';

describeUpstream(BUNDLE)('a public-good attestation made by a reusable workflow', () => {
  const read = (relative: string): string => readFileSync(upstreamFixture(relative)!, 'utf8');
  const bundle = (): { dsseEnvelope: { payload: string } } =>
    JSON.parse(read(BUNDLE)) as { dsseEnvelope: { payload: string } };
  const subject = (): string => {
    const statement = JSON.parse(
      Buffer.from(bundle().dsseEnvelope.payload, 'base64').toString('utf8'),
    ) as { subject: { digest: { sha256: string } }[] };
    return `sha256:${statement.subject[0]!.digest.sha256}`;
  };
  const signer: ExpectedSigner = {
    issuer: GITHUB_OIDC_ISSUER,
    serverUrl: 'https://github.com',
    repository: 'malancas/attest-demo',
    signerWorkflow: 'github/artifact-attestations-workflows/.github/workflows/attest.yml',
  };
  const roots = (): TrustedRoots => new TrustedRoots({ given: parseTrustedRoots(read(ROOT)) });

  it('verifies with the public-good policy: SCT, log entry, observer timestamp, signer', async () => {
    const result = await verifyAttestation(bundle(), subject(), { roots: roots(), signer });
    expect(result).toMatchObject({
      status: 'verified',
      reason: expect.stringContaining(
        'for https://github.com/malancas/attest-demo, chained to the given trusted root (O=sigstore.dev)',
      ),
    });
  });

  it('is invalid for another repository or signer workflow', async () => {
    const other = await verifyAttestation(bundle(), subject(), {
      roots: roots(),
      signer: { ...signer, repository: 'example/capz-images' },
    });
    expect(other.reason).toMatch(
      /but the version was published by https:\/\/github\.com\/example\/capz-images$/,
    );
    const workflow = await verifyAttestation(bundle(), subject(), {
      roots: roots(),
      signer: { ...signer, signerWorkflow: 'malancas/attest-demo/.github/workflows/image.yml' },
    });
    expect(workflow.status).toBe('invalid');
  });
});
