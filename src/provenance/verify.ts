/**
 * Checks a GitHub artifact attestation (a Sigstore bundle holding a DSSE envelope around an
 * in-toto statement) against the image version it is said to be about.
 *
 * What can be checked here, offline, and what cannot:
 * - The in-toto statement's subjects must include the version's subject digest. This needs no
 *   trust root and catches an attestation made for other bits (`mismatch`).
 * - The DSSE signature, with `@sigstore/verify` (the Sigstore project's verifier), against a
 *   public key we are told to trust. The local stand-in signs with such a key (its bundles carry
 *   a `publicKey` hint), so tests and the demo verify the whole path (`verified`).
 * - GitHub's own bundles are signed with a short-lived Fulcio certificate and timestamped by
 *   Rekor or GitHub's timestamp authority. Verifying those needs the trusted root of the Sigstore
 *   instance that issued them (public-good, or GitHub's), which Sigstore distributes through TUF,
 *   online; this action does not carry it. Such a bundle's signature is therefore not checked
 *   here, and the result says so (`digest-matches`): run `gh attestation verify` for that.
 */
import { bundleFromJSON, isBundleWithDsseEnvelope, isBundleWithPublicKey } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { createPublicKey } from 'node:crypto';

/** The in-toto statement type (https://github.com/in-toto/attestation/tree/main/spec/v1). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export type VerificationStatus =
  /** Subject digest matches and the signature verifies against a trusted key. */
  | 'verified'
  /** Subject digest matches; the signature was not checked (no trust root for this bundle). */
  | 'digest-matches'
  /** The statement is about other bits. */
  | 'mismatch'
  /** Malformed, or the signature does not verify. */
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

interface Statement {
  _type?: string;
  subject?: { name?: string; digest?: Record<string, string> }[];
  predicateType?: string;
}

/** Checks one bundle (as GitHub's REST API returns it) against `subjectDigest` (`sha256:<hex>`). */
export function verifyAttestation(
  bundleJson: unknown,
  subjectDigest: string,
  trustedKeys: TrustedKey[] = [],
): VerificationResult {
  let bundle;
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
  if (!isBundleWithPublicKey(bundle)) {
    return {
      status: 'digest-matches',
      reason:
        'subject digest matches; the certificate-signed bundle needs the Sigstore trusted root (gh attestation verify) to check its signature',
      ...predicateType,
    };
  }
  const hint = bundle.verificationMaterial.content.publicKey.hint;
  const key = trustedKeys.find((k) => k.hint === hint) ?? trustedKeys.find((k) => k.hint === '*');
  if (!key) {
    return {
      status: 'digest-matches',
      reason: `subject digest matches; no trusted key '${hint}' to check the signature with`,
      ...predicateType,
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
    // A key-signed bundle from the stand-in has no transparency log entry or timestamp; the key
    // itself is what is trusted.
    new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(
      toSignedEntity(bundle),
    );
  } catch (err) {
    return {
      status: 'invalid',
      reason: `signature does not verify: ${(err as Error).message}`,
      ...predicateType,
    };
  }
  return {
    status: 'verified',
    reason: `signature verifies with the trusted key (hint '${hint}'); subject digest matches`,
    ...predicateType,
  };
}

/** The best of several results: one verified bundle is enough. */
export function bestOf(results: VerificationResult[]): VerificationResult | undefined {
  const order: VerificationStatus[] = ['verified', 'digest-matches', 'mismatch', 'invalid'];
  return [...results].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status))[0];
}

/** `PublicKeyDetails.PKIX_ECDSA_P256_SHA_256` in sigstore's protobuf-specs (sigstore_common.proto). */
const PKIX_ECDSA_P256_SHA_256 = 5;

type TrustedRoot = Parameters<typeof toTrustMaterial>[0];
const EMPTY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
} as unknown as TrustedRoot;
