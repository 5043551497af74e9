/**
 * Checks a GitHub artifact attestation (a Sigstore bundle holding a DSSE envelope around an
 * in-toto statement) against the image version it is said to be about.
 *
 * - The in-toto statement's subjects must include the version's subject digest. This needs no
 *   trust root and catches an attestation made for other bits (`mismatch`).
 * - A certificate-signed bundle (GitHub's: a short-lived Fulcio certificate with a transparency
 *   log entry or an RFC 3161 timestamp) is verified with `@sigstore/verify` against the trusted
 *   root of the instance that issued it (trusted-root.ts): the certificate chain at the time the
 *   timestamp or log proves, the signature over the envelope, and then who signed it
 *   (identity.ts). A bad chain, signature, timestamp or signer is `invalid`; a root that cannot
 *   be had leaves the signature unchecked (`digest-matches`), never `verified`.
 * - A key-signed bundle (a `publicKey` hint) verifies against a public key we are told to trust
 *   (`attestation-public-key`), with no log or timestamp: the key itself is what is trusted.
 */
import { bundleFromJSON, isBundleWithDsseEnvelope, isBundleWithPublicKey } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { createPublicKey } from 'node:crypto';
import type { Logger } from '../common/logger.js';
import type { ExpectedSigner } from './identity.js';
import { identityMismatch, identityOf } from './identity.js';
import type { TrustedRoots } from './trusted-root.js';
import { issuerOrganization } from './trusted-root.js';

/** The in-toto statement type (https://github.com/in-toto/attestation/tree/main/spec/v1). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export type VerificationStatus =
  /** Subject digest matches, the signature verifies and the signer is who it should be. */
  | 'verified'
  /** Subject digest matches; the signature was not checked (no trust root for this bundle). */
  | 'digest-matches'
  /** The statement is about other bits. */
  | 'mismatch'
  /** Malformed, the signature does not verify, or someone else signed it. */
  | 'invalid';

export interface VerificationResult {
  status: VerificationStatus;
  /** A sentence for logs, summaries and the catalog. */
  reason: string;
  /** The statement's predicate type, when it could be read. */
  predicateType?: string;
}

export interface TrustedKey {
  /** The key hint bundles carry (`verificationMaterial.publicKey.hint`); `*`: any hint. */
  hint: string;
  /** SPKI PEM of an ECDSA P-256 key. */
  pem: string;
}

/** What a bundle is checked against. */
export interface VerifyOptions {
  /** Keys trusted for key-signed bundles. */
  trustedKeys?: TrustedKey[];
  /** Trusted roots for certificate-signed bundles; absent: their signatures are not checked. */
  roots?: TrustedRoots;
  /** Who must have signed a certificate-signed bundle. */
  signer?: ExpectedSigner;
  /** Where a trusted root that cannot be fetched is reported. */
  logger?: Logger;
}

interface Statement {
  _type?: string;
  subject?: { name?: string; digest?: Record<string, string> }[];
  predicateType?: string;
}

type Bundle = ReturnType<typeof bundleFromJSON>;

/** Checks one bundle (as GitHub's REST API returns it) against `subjectDigest` (`sha256:<hex>`). */
export async function verifyAttestation(
  bundleJson: unknown,
  subjectDigest: string,
  options: VerifyOptions = {},
): Promise<VerificationResult> {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(bundleJson);
  } catch (err) {
    return { status: 'invalid', reason: `not a Sigstore bundle: ${(err as Error).message}` };
  }
  if (!isBundleWithDsseEnvelope(bundle)) {
    return { status: 'invalid', reason: 'the bundle holds no DSSE envelope' };
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { status: 'invalid', reason: `payload type '${envelope.payloadType}' is not in-toto` };
  }
  let statement: Statement;
  try {
    statement = JSON.parse(envelope.payload.toString('utf8')) as Statement;
  } catch {
    return { status: 'invalid', reason: 'the in-toto statement is not JSON' };
  }
  const predicateType =
    typeof statement.predicateType === 'string' ? { predicateType: statement.predicateType } : {};
  const want = subjectDigest.replace(/^sha256:/i, '').toLowerCase();
  const digests = (statement.subject ?? []).map((s) => s.digest?.sha256?.toLowerCase());
  if (!digests.includes(want)) {
    return {
      status: 'mismatch',
      reason: `the attestation is about ${digests.map((d) => `sha256:${d ?? '?'}`).join(', ') || 'nothing'}, not ${subjectDigest}`,
      ...predicateType,
    };
  }
  const result = isBundleWithPublicKey(bundle)
    ? verifyKeySigned(bundle, options.trustedKeys ?? [])
    : await verifyCertificateSigned(bundle, options);
  return { ...result, ...predicateType };
}

/** A bundle signed with a plain key: verified against a trusted key, with no log or timestamp. */
function verifyKeySigned(
  bundle: Bundle & { verificationMaterial: { content: { $case: 'publicKey' } } },
  trustedKeys: TrustedKey[],
): VerificationResult {
  const hint = bundle.verificationMaterial.content.publicKey.hint;
  const key = trustedKeys.find((k) => k.hint === hint) ?? trustedKeys.find((k) => k.hint === '*');
  if (!key) {
    return {
      status: 'digest-matches',
      reason: `subject digest matches; no trusted key '${hint}' to check the signature with`,
    };
  }
  try {
    const trust = toTrustMaterial(EMPTY_ROOT, {
      [hint]: {
        rawBytes: createPublicKey(key.pem).export({ type: 'spki', format: 'der' }),
        keyDetails: PKIX_ECDSA_P256_SHA_256,
        validFor: { start: new Date(0) },
      },
    });
    new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(
      toSignedEntity(bundle),
    );
  } catch (err) {
    return { status: 'invalid', reason: `signature does not verify: ${messageOf(err)}` };
  }
  return {
    status: 'verified',
    reason: `signature verifies with the trusted key (hint '${hint}'); subject digest matches`,
  };
}

/**
 * A bundle signed with a certificate: its chain, timestamps or log entries and signature against
 * the issuing instance's trusted root, then its signer against `options.signer`.
 */
async function verifyCertificateSigned(
  bundle: Bundle,
  options: VerifyOptions,
): Promise<VerificationResult> {
  const leaf = leafCertificate(bundle);
  if (!leaf) return { status: 'invalid', reason: 'the bundle holds no signing certificate' };
  if (!options.roots) {
    return {
      status: 'digest-matches',
      reason: 'subject digest matches; no Sigstore trusted root was at hand to check the signature',
    };
  }
  let organization: string | undefined;
  try {
    organization = issuerOrganization(leaf);
  } catch (err) {
    return { status: 'invalid', reason: `its certificate cannot be read: ${messageOf(err)}` };
  }
  const choice = await options.roots.forIssuer(organization, options.logger);
  if (choice.kind === 'unavailable') {
    return {
      status: 'digest-matches',
      reason: `subject digest matches; signature not checked: ${choice.reason}`,
    };
  }
  if (choice.kind === 'untrusted') return { status: 'invalid', reason: choice.reason };
  let signer;
  try {
    const verifier = new Verifier(toTrustMaterial(choice.root), choice.thresholds);
    signer = verifier.verify(toSignedEntity(bundle));
  } catch (err) {
    return {
      status: 'invalid',
      reason: `signature does not verify against ${choice.label}: ${messageOf(err)}`,
    };
  }
  if (!options.signer) {
    return {
      status: 'digest-matches',
      reason: `subject digest matches; the signature verifies against ${choice.label}, but no expected signer was given`,
    };
  }
  const identity = identityOf(signer);
  const mismatch = identityMismatch(identity, options.signer);
  if (mismatch) return { status: 'invalid', reason: `signer not trusted: ${mismatch}` };
  const pinned = options.signer.signerWorkflow
    ? ''
    : " (the signer workflow's repository was not pinned: give signer-workflow)";
  return {
    status: 'verified',
    reason: `signed by ${identity.san} for ${identity.sourceRepositoryUri}, chained to ${choice.label}${pinned}; subject digest matches`,
  };
}

function leafCertificate(bundle: Bundle): Uint8Array | undefined {
  const content = bundle.verificationMaterial.content;
  switch (content.$case) {
    case 'certificate':
      return content.certificate.rawBytes;
    case 'x509CertificateChain':
      return content.x509CertificateChain.certificates[0]?.rawBytes;
    default:
      return undefined;
  }
}

/** A sigstore error's message, with its cause (the chain error under "Failed to verify …"). */
function messageOf(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}

/** The best of several results: one verified bundle is enough. */
export function bestOf(results: VerificationResult[]): VerificationResult | undefined {
  const order: VerificationStatus[] = ['verified', 'digest-matches', 'mismatch', 'invalid'];
  return [...results].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status))[0];
}

/** `PublicKeyDetails.PKIX_ECDSA_P256_SHA_256` in sigstore's protobuf-specs (sigstore_common.proto). */
const PKIX_ECDSA_P256_SHA_256 = 5;

type TrustedRootShape = Parameters<typeof toTrustMaterial>[0];
const EMPTY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
} as unknown as TrustedRootShape;
