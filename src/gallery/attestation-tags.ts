/**
 * Records an attestation on the image version it is about: the `attestation` and
 * `attestation-digest` tags promote checks and carries to production (src/provenance/check.ts).
 * Only the tags change (a PATCH of tags, as cleanup's yank does): a version's source cannot.
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import { azureError } from '../azure/errors.js';
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { ATTESTATION_DIGEST_TAG, ATTESTATION_TAG, subjectDigestOf } from '../provenance/subject.js';
import { DIGEST_TAG } from './ensure-version.js';
import type { GalleryImageVersionId } from './identifiers.js';

export type TagApi = Pick<ComputeManagementClient, 'galleryImageVersions'>;

export interface AttestationRecord {
  /** Where the attestation can be seen: the attest action's `attestation-url`. */
  readonly url: string;
  /** The subject digest it was made for (`sha256:<hex>`). */
  readonly subjectDigest: string;
}

export interface RecordOutcome {
  /** False when the version already carried exactly these tags. */
  readonly changed: boolean;
  readonly tags: Record<string, string>;
}

/**
 * Tags `version` with `record`, after checking that the version's content digest is the one
 * attested: a version replaced between publish and attest must not carry another's attestation.
 */
export async function recordAttestation(
  api: TagApi,
  version: GalleryImageVersionId,
  record: AttestationRecord,
  options: { logger: Logger; pollIntervalMs: number },
): Promise<RecordOutcome> {
  const { resourceGroup, gallery, imageDefinition, version: name } = version;
  const label = `${gallery}/${imageDefinition}/${name}`;
  let current;
  try {
    current = await api.galleryImageVersions.get(resourceGroup, gallery, imageDefinition, name);
  } catch (err) {
    throw azureError(err, `reading image version ${label}`);
  }
  const tags = current.tags ?? {};
  const content = tags[DIGEST_TAG];
  if (content === undefined) {
    throw new ConfigurationError(
      `${label} carries no ${DIGEST_TAG} tag, so nothing says what it holds; not recording attestation ${record.url} on it.`,
    );
  }
  const own = subjectDigestOf(content);
  if (own !== record.subjectDigest.toLowerCase()) {
    throw new ConfigurationError(
      `${label} holds ${content} (subject ${own}), not the attested ${record.subjectDigest}: it changed after it was attested. Not recording attestation ${record.url} on it.`,
    );
  }
  const wanted = {
    ...tags,
    [ATTESTATION_TAG]: record.url,
    [ATTESTATION_DIGEST_TAG]: record.subjectDigest.toLowerCase(),
  };
  if (tags[ATTESTATION_TAG] === wanted.attestation && tags[ATTESTATION_DIGEST_TAG] === own) {
    options.logger.info(`${label} already records attestation ${record.url}.`);
    return { changed: false, tags: wanted };
  }
  options.logger.info(`Recording attestation ${record.url} (${own}) on ${label}.`);
  try {
    await api.galleryImageVersions.update(
      resourceGroup,
      gallery,
      imageDefinition,
      name,
      { tags: wanted },
      { updateIntervalInMs: options.pollIntervalMs },
    );
  } catch (err) {
    throw azureError(err, `tagging image version ${label}`);
  }
  return { changed: true, tags: wanted };
}
