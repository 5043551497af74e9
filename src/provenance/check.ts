/**
 * Promote's gate: a version that records an attestation is copied only when its content digest
 * is what was attested. Checked twice: against the digest recorded beside the attestation on the
 * version (no network), and, when GitHub's API is at hand, against the attestations GitHub holds
 * for that digest: their in-toto subject, their signature against a Sigstore trusted root (or a
 * trusted key), and their signer against the repository that published the version.
 *
 * - `mismatch` (other bits attested) and `invalid` (a signature that does not verify, or another
 *   repository's or workflow's) refuse the copy, as does a digest GitHub holds no attestation of.
 * - `digest-matches` (the digest is what was attested, but no trusted root was at hand to check
 *   the signature: TUF unreachable, or an issuer we have no root for) lets the copy go on, with a
 *   warning saying why: the recorded digest still ties the bits to the attestation, and a run
 *   that cannot reach TUF must not stop every promotion.
 */
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { AttestationSource } from './github.js';
import { checkAttestations } from './github.js';
import {
  ATTESTATION_DIGEST_TAG,
  ATTESTATION_TAG,
  parseAttestationUrl,
  subjectDigestOf,
} from './subject.js';
import type { VerificationResult } from './verify.js';

/** The `content-digest` tag (docs/design.md §7), as publish writes it. */
const CONTENT_DIGEST_TAG = 'content-digest';
/** The `repository` tag publish writes (src/common/provenance.ts): whose run published it. */
const REPOSITORY_TAG = 'repository';

/**
 * @returns the check's result, or undefined when the version records no attestation.
 * @throws ConfigurationError when the version's content does not match its attestation.
 */
export async function checkVersionAttestation(
  what: string,
  tags: Record<string, string>,
  source: AttestationSource | undefined,
  logger: Logger,
): Promise<VerificationResult | undefined> {
  const url = tags[ATTESTATION_TAG];
  if (url === undefined) return undefined;
  const content = tags[CONTENT_DIGEST_TAG];
  const refuse = (why: string): never => {
    throw new ConfigurationError(
      `${what} does not match its attestation (${url}): ${why}. Refusing to copy it; publish it again so it is attested for what it holds.`,
    );
  };
  if (content === undefined) return refuse(`it carries no ${CONTENT_DIGEST_TAG} tag`);
  const digest = subjectDigestOf(content);
  const recorded = tags[ATTESTATION_DIGEST_TAG];
  if (recorded !== undefined && recorded.toLowerCase() !== digest) {
    refuse(`its content digest ${content} (subject ${digest}) is not the attested ${recorded}`);
  }
  const at = parseAttestationUrl(url);
  if (!source || !at) {
    logger.info(`${what}: attested digest ${digest} matches; GitHub's attestations not looked up.`);
    return { status: 'digest-matches', reason: 'the recorded attested digest matches' };
  }
  // The repository whose run published the version (publish's `repository` tag) must be the one
  // the certificate names; without the tag, the one the attestation is filed under.
  const listedUnder = `${at.owner}/${at.repo}`;
  const publishedBy = tags[REPOSITORY_TAG] ?? listedUnder;
  const result = await checkAttestations(source, listedUnder, digest, logger, publishedBy);
  if (!result) refuse(`GitHub holds no attestation of ${listedUnder} for ${digest}`);
  if (result!.status === 'mismatch' || result!.status === 'invalid') refuse(result!.reason);
  if (result!.status === 'verified')
    logger.info(`${what}: attestation verified: ${result!.reason}.`);
  else logger.warning(`${what}: attestation ${result!.status}: ${result!.reason}.`);
  return result;
}
