/**
 * Certificate-signed attestations, as GitHub's Sigstore makes them and the stand-in's CA and TSA
 * (emulator/sigstore.ts) make them offline: what verifies, and each way one does not.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StandInSigstore, type WorkflowClaims } from '../../emulator/sigstore.js';
import { RecordingLogger } from '../../src/common/logger.js';
import { GITHUB_OIDC_ISSUER, type ExpectedSigner } from '../../src/provenance/identity.js';
import {
  parseTrustedRoots,
  TrustedRoots,
  tufTrustedRoot,
} from '../../src/provenance/trusted-root.js';
import { verifyAttestation } from '../../src/provenance/verify.js';

const REPO = 'example/capz-images';
const PROJECT = 'placeholder--owner/compute-gallery-actions';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const WORKFLOW = `${PROJECT}/.github/workflows/image.yml`;

const CLAIMS: WorkflowClaims = {
  iss: GITHUB_OIDC_ISSUER,
  repository: REPO,
  repository_owner: 'example',
  job_workflow_ref: `${WORKFLOW}@refs/tags/v1.0.0`,
  ref: 'refs/heads/main',
  sha: 'c0ffee',
  event_name: 'schedule',
  runner_environment: 'github-hosted',
};
const SIGNER: ExpectedSigner = {
  issuer: GITHUB_OIDC_ISSUER,
  serverUrl: 'https://github.com',
  repository: REPO,
  signerWorkflow: WORKFLOW,
};

const statement = (digest = DIGEST, predicate: unknown = { run: 1 }) => ({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: '/subscriptions/s/versions/1.31.2', digest: { sha256: digest.slice(7) } }],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate,
});

let dir: string;
let ca: StandInSigstore;
let rootText: string;
const roots = (text = rootText) => new TrustedRoots({ given: parseTrustedRoots(text) });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cga-sigstore-'));
  ca = new StandInSigstore(path.join(dir, 'ca'));
  rootText = JSON.stringify(ca.trustedRoot());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  jest.restoreAllMocks();
});

describe('a certificate-signed bundle from the stand-in', () => {
  it('verifies: chain, timestamp, signature and signer', async () => {
    const result = await verifyAttestation(ca.bundle(statement(), CLAIMS), DIGEST, {
      roots: roots(),
      signer: SIGNER,
    });
    expect(result).toEqual({
      status: 'verified',
      reason: expect.stringMatching(
        /^signed by https:\/\/github\.com\/placeholder--owner\/compute-gallery-actions\/\.github\/workflows\/image\.yml@refs\/tags\/v1\.0\.0 for https:\/\/github\.com\/example\/capz-images, chained to the given trusted root \(O=GitHub, Inc\.\); subject digest matches$/,
      ),
      predicateType: 'https://slsa.dev/provenance/v1',
    });
  });

  it('is a mismatch when it attests other bits', async () => {
    const result = await verifyAttestation(
      ca.bundle(statement(), CLAIMS),
      `sha256:${'cd'.repeat(32)}`,
      {
        roots: roots(),
        signer: SIGNER,
      },
    );
    expect(result.status).toBe('mismatch');
    expect(result.reason).toBe(`the attestation is about ${DIGEST}, not sha256:${'cd'.repeat(32)}`);
  });

  it('is invalid when its signature was tampered with', async () => {
    const bundle = ca.bundle(statement(), CLAIMS) as {
      dsseEnvelope: { signatures: { sig: string }[] };
    };
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig.writeUInt8(sig.readUInt8(sig.length - 1) ^ 0xff, sig.length - 1);
    bundle.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    const result = await verifyAttestation(bundle, DIGEST, { roots: roots(), signer: SIGNER });
    expect(result.status).toBe('invalid');
    // The timestamp countersigns the signature, so a changed signature fails it first.
    expect(result.reason).toMatch(
      /^signature does not verify against the given trusted root .*: timestamp could not be verified/,
    );
  });

  it('is invalid when its statement was changed after signing', async () => {
    const bundle = ca.bundle(statement(), CLAIMS) as { dsseEnvelope: { payload: string } };
    bundle.dsseEnvelope.payload = Buffer.from(
      JSON.stringify(statement(DIGEST, { run: 2 })),
    ).toString('base64');
    const result = await verifyAttestation(bundle, DIGEST, { roots: roots(), signer: SIGNER });
    expect(result.status).toBe('invalid');
    expect(result.reason).toMatch(/signature verification failed/);
  });

  it('is invalid when its certificate had expired when the timestamp was taken', async () => {
    const now = new Date();
    const late = new Date(now.getTime() + 20 * 60_000);
    const bundle = ca.bundle(statement(), CLAIMS, { now, timestampAt: late });
    const result = await verifyAttestation(bundle, DIGEST, { roots: roots(), signer: SIGNER });
    expect(result.status).toBe('invalid');
    expect(result.reason).toMatch(
      /Failed to verify certificate chain: certificate is not valid or expired/,
    );
  });

  it("is invalid against another CA's root, and against a root whose CA had expired", async () => {
    const other = new StandInSigstore(path.join(dir, 'other-ca'));
    const bundle = ca.bundle(statement(), CLAIMS);
    // Another stand-in's root: its TSA does not vouch for the timestamp either.
    const untrusted = await verifyAttestation(bundle, DIGEST, {
      roots: roots(JSON.stringify(other.trustedRoot())),
      signer: SIGNER,
    });
    expect(untrusted.status).toBe('invalid');
    expect(untrusted.reason).toMatch(/timestamp could not be verified/);
    // Our TSA, another CA: the certificate chains to nothing trusted.
    const mixed = {
      ...(JSON.parse(rootText) as Record<string, unknown>),
      certificateAuthorities: (other.trustedRoot() as { certificateAuthorities: unknown })
        .certificateAuthorities,
    };
    const unchained = await verifyAttestation(bundle, DIGEST, {
      roots: roots(JSON.stringify(mixed)),
      signer: SIGNER,
    });
    expect(unchained.status).toBe('invalid');
    expect(unchained.reason).toMatch(
      /Failed to verify certificate chain: no valid certificate path/,
    );

    const expired = JSON.parse(rootText) as {
      certificateAuthorities: { validFor: { start: string; end?: string } }[];
    };
    expired.certificateAuthorities[0]!.validFor.end = new Date(Date.now() - 3600_000).toISOString();
    const result = await verifyAttestation(bundle, DIGEST, {
      roots: roots(JSON.stringify(expired)),
      signer: SIGNER,
    });
    expect(result.status).toBe('invalid');
    expect(result.reason).toMatch(/Failed to verify certificate chain/);
  });

  it('is invalid when signed for another repository, naming both', async () => {
    const bundle = ca.bundle(statement(), {
      ...CLAIMS,
      repository: 'mallory/images',
      repository_owner: 'mallory',
    });
    const result = await verifyAttestation(bundle, DIGEST, { roots: roots(), signer: SIGNER });
    expect(result).toMatchObject({
      status: 'invalid',
      reason:
        'signer not trusted: it was signed by a run of https://github.com/mallory/images, but the version was published by https://github.com/example/capz-images',
    });
  });

  it('is invalid when signed by another workflow, naming both', async () => {
    const bundle = ca.bundle(statement(), {
      ...CLAIMS,
      job_workflow_ref: `${REPO}/.github/workflows/release.yml@refs/heads/main`,
    });
    const result = await verifyAttestation(bundle, DIGEST, { roots: roots(), signer: SIGNER });
    expect(result).toMatchObject({
      status: 'invalid',
      reason: `signer not trusted: it was signed by workflow https://github.com/${REPO}/.github/workflows/release.yml@refs/heads/main, not by https://github.com/${WORKFLOW}`,
    });
  });

  it('is invalid when the ID token came from another issuer', async () => {
    const bundle = ca.bundle(statement(), { ...CLAIMS, iss: 'https://token.example.com' });
    const result = await verifyAttestation(bundle, DIGEST, { roots: roots(), signer: SIGNER });
    expect(result.reason).toBe(
      `signer not trusted: it was signed with an ID token of https://token.example.com, not of ${GITHUB_OIDC_ISSUER}`,
    );
  });

  it('without a pinned signer workflow, accepts only an image.yml and says so', async () => {
    const { signerWorkflow: _, ...unpinned } = SIGNER;
    const ok = await verifyAttestation(ca.bundle(statement(), CLAIMS), DIGEST, {
      roots: roots(),
      signer: unpinned,
    });
    expect(ok.status).toBe('verified');
    expect(ok.reason).toMatch(/repository was not pinned: give signer-workflow/);
    const other = ca.bundle(statement(), {
      ...CLAIMS,
      job_workflow_ref: `${REPO}/.github/workflows/other.yml@refs/heads/main`,
    });
    expect(
      (await verifyAttestation(other, DIGEST, { roots: roots(), signer: unpinned })).status,
    ).toBe('invalid');
  });

  it('is invalid when the given roots hold no CA of its issuer organization', async () => {
    const sigstoreDev = new StandInSigstore(path.join(dir, 'public-good-like'), 'sigstore.dev');
    const result = await verifyAttestation(sigstoreDev.bundle(statement(), CLAIMS), DIGEST, {
      roots: roots(),
      signer: SIGNER,
    });
    expect(result).toMatchObject({
      status: 'invalid',
      reason:
        'its certificate was issued by O=sigstore.dev, which no certificate authority of the given trusted root issues',
    });
  });
});

describe('trusted roots that cannot be had', () => {
  it('leave the signature unchecked, with the reason and a warning, when TUF is unreachable', async () => {
    const fetched: string[] = [];
    jest.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      fetched.push(String(input instanceof Request ? input.url : input));
      throw new TypeError('fetch failed: network is unreachable (test)');
    });
    const tuf = new TrustedRoots({
      fetch: tufTrustedRoot(path.join(dir, 'tuf'), { timeoutMs: 1000 }),
    });
    const logger = new RecordingLogger();
    // Public-good (its first root ships in @sigstore/tuf) and GitHub's instance.
    const publicGood = new StandInSigstore(path.join(dir, 'pg'), 'sigstore.dev');
    const results = [
      await verifyAttestation(publicGood.bundle(statement(), CLAIMS), DIGEST, {
        roots: tuf,
        signer: SIGNER,
        logger,
      }),
      await verifyAttestation(ca.bundle(statement(), CLAIMS), DIGEST, {
        roots: tuf,
        signer: SIGNER,
        logger,
      }),
      await verifyAttestation(ca.bundle(statement(), CLAIMS), DIGEST, {
        roots: tuf,
        signer: SIGNER,
        logger,
      }),
    ];
    expect(results.map((r) => r.status)).toEqual([
      'digest-matches',
      'digest-matches',
      'digest-matches',
    ]);
    expect(results[0]!.reason).toMatch(
      /^subject digest matches; signature not checked: the trusted root of Sigstore's public-good instance could not be fetched through TUF from https:\/\/tuf-repo-cdn\.sigstore\.dev: .*network is unreachable/,
    );
    expect(results[1]!.reason).toMatch(
      /GitHub's Sigstore instance could not be fetched through TUF from https:\/\/tuf-repo\.github\.com: .*network is unreachable/,
    );
    // Each mirror is asked once a run, and the failure is a warning once per instance.
    expect(fetched.some((u) => u.startsWith('https://tuf-repo-cdn.sigstore.dev/'))).toBe(true);
    expect(fetched.filter((u) => u.startsWith('https://tuf-repo.github.com/'))).toEqual([
      'https://tuf-repo.github.com/1.root.json',
    ]);
    expect(logger.messages('warning')).toHaveLength(2);
    expect(logger.messages('warning')[0]).toMatch(/give trusted-root to check them offline/);
  });

  it('leave a certificate of an issuer with no known instance unchecked', async () => {
    const stranger = new StandInSigstore(path.join(dir, 'stranger'), 'Example Corp');
    const result = await verifyAttestation(stranger.bundle(statement(), CLAIMS), DIGEST, {
      roots: new TrustedRoots({ fetch: () => Promise.reject(new Error('not asked')) }),
      signer: SIGNER,
    });
    expect(result).toMatchObject({
      status: 'digest-matches',
      reason:
        "subject digest matches; signature not checked: its certificate was issued by O=Example Corp, neither Sigstore's public-good instance nor GitHub's; give trusted-root to check it",
    });
  });

  it('verify once fetched: the fetched root is used with the instance policy', async () => {
    const fetchRoot = jest.fn(async () => parseTrustedRoots(rootText)[0]!);
    const result = await verifyAttestation(ca.bundle(statement(), CLAIMS), DIGEST, {
      roots: new TrustedRoots({ fetch: fetchRoot }),
      signer: SIGNER,
    });
    expect(result.status).toBe('verified');
    expect(result.reason).toMatch(
      /chained to GitHub's Sigstore instance \(TUF, https:\/\/tuf-repo\.github\.com\)/,
    );
  });
});

describe('parseTrustedRoots', () => {
  it('reads one document or one a line, as gh attestation trusted-root prints them', () => {
    expect(parseTrustedRoots(rootText)).toHaveLength(1);
    expect(parseTrustedRoots(`${rootText}\n${rootText}\n`)).toHaveLength(2);
  });
  it.each([
    ['', /no trusted root/],
    ['{"mediaType":"x"}', /document 1 is not a Sigstore trusted root/],
    [`${'{'}\nnot json`, /line 1 is not JSON/],
  ])('refuses %j', (text, message) => {
    expect(() => parseTrustedRoots(text)).toThrow(message);
  });
});
