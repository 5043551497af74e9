/**
 * What an image version's attestation is about. GitHub artifact attestations name their subject
 * by a SHA-256 digest (`sha256:<hex>`); an image version's content digest (the `content-digest`
 * tag publish writes, docs/design.md §7) is a disk's `content-v1:` digest (before, its VHD's
 * SHA-256) or, for a managed-image or gallery-version source, `source:<resource ID>`: a reference
 * to content that cannot change under that ID. Anything but a SHA-256 is attested through the
 * SHA-256 of the tag value itself.
 */
import { createHash } from 'node:crypto';

/** Tag on a version: where its attestation can be seen (the attest action's `attestation-url`). */
export const ATTESTATION_TAG = 'attestation';
/** Tag on a version: the subject digest the attestation was made for (`sha256:<hex>`). */
export const ATTESTATION_DIGEST_TAG = 'attestation-digest';

/** `sha256:<hex>` for a content digest: itself when it is a SHA-256, else its value's SHA-256. */
export function subjectDigestOf(contentDigest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/i.exec(contentDigest.trim());
  if (m) return `sha256:${m[1]!.toLowerCase()}`;
  return `sha256:${createHash('sha256').update(contentDigest.trim()).digest('hex')}`;
}

/** `https://github.com/<owner>/<repo>/attestations/<id>` → `{owner, repo, id}`. */
export function parseAttestationUrl(
  url: string,
): { owner: string; repo: string; id: string } | undefined {
  const m = /^https?:\/\/[^/]+\/([^/]+)\/([^/]+)\/attestations\/(\d+)\/?$/.exec(url.trim());
  return m ? { owner: m[1]!, repo: m[2]!, id: m[3]! } : undefined;
}
