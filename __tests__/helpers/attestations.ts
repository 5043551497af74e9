/**
 * What tests trust to check the stand-in's attestations: its trusted_root.json (admin
 * `GET /_emulator/attestations/trusted-root`) and the signer the stand-in certifies when a test
 * gives no ID token (GitHub's issuer, and the repository's own image.yml).
 */
import type { AttestationSource } from '../../src/provenance/github.js';
import { GITHUB_OIDC_ISSUER } from '../../src/provenance/identity.js';
import type { ExpectedSigner } from '../../src/provenance/identity.js';
import { parseTrustedRoots, TrustedRoots } from '../../src/provenance/trusted-root.js';
import type { TestEmulator } from './emulator.js';

export async function standInTrustedRootText(emu: TestEmulator): Promise<string> {
  return JSON.stringify(await emu.admin('GET', '/attestations/trusted-root'));
}

/** Roots that trust only the stand-in's CA and TSA. */
export async function standInRoots(emu: TestEmulator): Promise<TrustedRoots> {
  return new TrustedRoots({ given: parseTrustedRoots(await standInTrustedRootText(emu)) });
}

/** The signer the stand-in certifies for `repository` when given no token or claims. */
export function standInSigner(
  repository: string,
  over: Partial<ExpectedSigner> = {},
): ExpectedSigner {
  return {
    issuer: GITHUB_OIDC_ISSUER,
    serverUrl: 'https://github.com',
    repository,
    signerWorkflow: `${repository}/.github/workflows/image.yml`,
    ...over,
  };
}

/** GitHub's attestations API on the stand-in, checked against the stand-in's roots. */
export async function standInAttestations(
  emu: TestEmulator,
  signerRepository: string,
): Promise<AttestationSource> {
  const { repository: _, ...signer } = standInSigner(signerRepository);
  return { apiUrl: emu.githubApiUrl, roots: await standInRoots(emu), signer };
}
