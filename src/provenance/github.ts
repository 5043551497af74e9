/**
 * GitHub's attestations API: `GET /repos/{owner}/{repo}/attestations/{subject_digest}`, which
 * answers `{attestations: [{bundle, repository_id, bundle_url, initiator}]}` (the shape in
 * GitHub's OpenAPI description, `repos/list-attestations`, as @octokit/openapi-types carries it;
 * docs: https://docs.github.com/en/rest/repos/attestations#list-attestations). It is paged with
 * `per_page` (≤ 100) and `before`/`after` cursors given in the `Link` header.
 */
import type { Logger } from '../common/logger.js';
import type { ExpectedSigner } from './identity.js';
import type { TrustedRoots } from './trusted-root.js';
import type { TrustedKey, VerificationResult } from './verify.js';
import { bestOf, verifyAttestation } from './verify.js';

export interface AttestationSource {
  /** `https://api.github.com`, or the stand-in's `<host>/api/v3`. */
  apiUrl: string;
  token?: string;
  trustedKeys?: TrustedKey[];
  /** Trusted roots for certificate-signed bundles; absent: their signatures are not checked. */
  roots?: TrustedRoots;
  /** Who signs: everything but the repository, which is the version's own. */
  signer?: Omit<ExpectedSigner, 'repository'>;
  /** Injected in tests. */
  fetch?: typeof fetch;
}

export interface ListedAttestation {
  bundle: unknown;
  repository_id?: number;
  bundle_url?: string;
}

/** Every attestation of `repository` (`owner/name`) about `subjectDigest`, all pages. */
export async function listAttestations(
  source: AttestationSource,
  repository: string,
  subjectDigest: string,
): Promise<ListedAttestation[]> {
  const doFetch = source.fetch ?? fetch;
  const out: ListedAttestation[] = [];
  let url: string | undefined =
    `${source.apiUrl.replace(/\/+$/, '')}/repos/${repository}/attestations/${encodeURIComponent(subjectDigest)}?per_page=100`;
  for (let page = 0; url && page < 100; page++) {
    const res: Response = await doFetch(url, {
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        ...(source.token ? { authorization: `Bearer ${source.token}` } : {}),
      },
    });
    // GitHub answers 404 when nothing is attested for the digest.
    if (res.status === 404) return out;
    if (!res.ok) {
      throw new Error(
        `GitHub refused listing the attestations of ${repository} for ${subjectDigest}: ${res.status} ${(await res.text()).slice(0, 200)}`,
      );
    }
    const body = (await res.json()) as { attestations?: ListedAttestation[] };
    out.push(...(body.attestations ?? []));
    url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
  }
  return out;
}

/**
 * Looks up and checks the attestations of `repository` about `subjectDigest`; the best result
 * wins. `publishedBy` (`owner/repo`, default `repository`) is the repository whose run published
 * the version: a certificate must name it. `undefined` when nothing is attested for that digest.
 */
export async function checkAttestations(
  source: AttestationSource,
  repository: string,
  subjectDigest: string,
  logger?: Logger,
  publishedBy: string = repository,
): Promise<VerificationResult | undefined> {
  const listed = await listAttestations(source, repository, subjectDigest);
  logger?.debug(`${listed.length} attestation(s) of ${repository} for ${subjectDigest}.`);
  const options = {
    ...(source.trustedKeys ? { trustedKeys: source.trustedKeys } : {}),
    ...(source.roots ? { roots: source.roots } : {}),
    ...(source.signer ? { signer: { ...source.signer, repository: publishedBy } } : {}),
    ...(logger ? { logger } : {}),
  };
  const results = [];
  for (const a of listed) results.push(await verifyAttestation(a.bundle, subjectDigest, options));
  return bestOf(results);
}
