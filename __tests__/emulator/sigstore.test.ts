/**
 * The stand-in's Sigstore routes: its trusted root, and the ID tokens it certifies (Fulcio's
 * contract: a token the issuer signed, for audience `sigstore`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { StandInSigstore } from '../../emulator/sigstore.js';
import { parseTrustedRoots } from '../../src/provenance/trusted-root.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.dispose();
});

async function idToken(audience: string, claims: Record<string, string>): Promise<string> {
  const url = new URL(emu.oidcRequestUrl);
  for (const [k, v] of Object.entries(claims)) url.searchParams.set(k, v);
  url.searchParams.set('audience', audience);
  const res = await fetch(url, { headers: { authorization: `Bearer ${emu.oidcRequestToken}` } });
  return ((await res.json()) as { value: string }).value;
}

const attest = (body: Record<string, unknown>) =>
  fetch(`${emu.adminEndpoint}/attestations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      subjectName: 'v',
      subjectDigest: `sha256:${'e1'.repeat(32)}`,
      ...body,
    }),
  });

describe("the stand-in's Sigstore", () => {
  it('serves a trusted root with its CA and TSA, the same after a restart on the data dir', async () => {
    const root = await emu.admin<Record<string, unknown>>('GET', '/attestations/trusted-root');
    const [parsed] = parseTrustedRoots(JSON.stringify(root));
    expect(parsed!.certificateAuthorities).toHaveLength(1);
    expect(parsed!.timestampAuthorities[0]!.certChain!.certificates).toHaveLength(2);
    expect(parsed!.tlogs).toEqual([]);
    expect(new StandInSigstore(emu.dataDir).trustedRoot()).toEqual(root);
  });

  it("certifies the ID token's identity: SAN, issuer and the run's repository", async () => {
    const token = await idToken('sigstore', {
      repository: 'example/capz-images',
      job_workflow_ref: 'o/p/.github/workflows/image.yml@refs/heads/main',
      sha: 'c0ffee',
    });
    const res = await attest({ repository: 'example/capz-images', idToken: token });
    expect(res.status).toBe(201);
    const made = (await res.json()) as {
      url: string;
      bundle: { verificationMaterial: { certificate: { rawBytes: string } } };
    };
    expect(made.url).toMatch(/^https:\/\/github\.com\/example\/capz-images\/attestations\/\d+$/);
    const cert = new X509Certificate(
      Buffer.from(made.bundle.verificationMaterial.certificate.rawBytes, 'base64'),
    );
    expect(cert.subjectAltName).toBe(
      'URI:https://github.com/o/p/.github/workflows/image.yml@refs/heads/main',
    );
    expect(cert.issuer).toMatch(/^O=GitHub\\, Inc\.\nCN=compute-gallery-actions stand-in root /);
    // Ten minutes, as Fulcio's.
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(10 * 60_000);
  });

  it('refuses a token for another audience, a forged one, and a repository not the run’s', async () => {
    const claims = { repository: 'example/capz-images', job_workflow_ref: 'o/p/w.yml@r' };
    const wrongAudience = await attest({
      idToken: await idToken('api://AzureADTokenExchange', claims),
    });
    expect(wrongAudience.status).toBe(401);
    expect(await wrongAudience.text()).toContain(
      "the ID token's audience is 'api://AzureADTokenExchange', not 'sigstore'",
    );
    const token = await idToken('sigstore', claims);
    const [h, p] = token.split('.');
    const forged = await attest({ idToken: `${h}.${p}.${Buffer.from('x').toString('base64url')}` });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toContain('the ID token is not valid (bad-signature)');
    const elsewhere = await attest({ idToken: token, repository: 'someone/else' });
    expect(elsewhere.status).toBe(403);
  });
});
