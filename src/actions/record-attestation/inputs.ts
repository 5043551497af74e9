/**
 * Reads the record-attestation inputs: the staging version, and what actions/attest-build-provenance
 * answered for it (`attestation-url`, and the `subject-digest` it was given).
 */
import { InputError } from '../../common/errors.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getIntegerInput,
  getRequiredInput,
  type InputReader,
} from '../../common/inputs.js';
import {
  type GalleryImageVersionId,
  parseGalleryImageVersionId,
  RESOURCE_ID_FORMS,
} from '../../gallery/identifiers.js';
import { parseAttestationUrl } from '../../provenance/subject.js';

export const RECORD_ATTESTATION_INPUTS = [
  ...AZURE_CONNECTION_INPUTS,
  'image-version-id',
  'attestation-url',
  'subject-digest',
  'poll-interval-seconds',
] as const;

export const RECORD_ATTESTATION_DEFAULTS = {
  'poll-interval-seconds': 5,
} as const;

export interface RecordAttestationSettings {
  readonly azure: AzureConnectionSettings;
  readonly version: GalleryImageVersionId & { id: string };
  readonly url: string;
  readonly subjectDigest: string;
  readonly pollIntervalSeconds: number;
}

export function getRecordAttestationInputs(read: InputReader): RecordAttestationSettings {
  const azure = getAzureConnectionInputs(read);
  const id = getRequiredInput(read, 'image-version-id');
  const parsed = parseGalleryImageVersionId(id);
  if (!parsed) {
    throw new InputError(
      'image-version-id',
      id,
      `Expected a gallery image version ID: ${RESOURCE_ID_FORMS.galleryImageVersion}.`,
    );
  }
  if (parsed.subscriptionId.toLowerCase() !== azure.subscriptionId.toLowerCase()) {
    throw new InputError(
      'image-version-id',
      id,
      `Expected a version in subscription-id ${azure.subscriptionId}.`,
    );
  }
  const url = getRequiredInput(read, 'attestation-url');
  if (!parseAttestationUrl(url)) {
    throw new InputError(
      'attestation-url',
      url,
      "Expected the attest action's attestation-url: https://github.com/<owner>/<repo>/attestations/<id>.",
    );
  }
  const subjectDigest = getRequiredInput(read, 'subject-digest');
  if (!/^sha256:[0-9a-f]{64}$/i.test(subjectDigest)) {
    throw new InputError('subject-digest', subjectDigest, 'Expected sha256:<64 hex digits>.');
  }
  return {
    azure,
    version: { ...parsed, id },
    url,
    subjectDigest: subjectDigest.toLowerCase(),
    pollIntervalSeconds: getIntegerInput(read, 'poll-interval-seconds', {
      min: 1,
      max: 600,
      defaultValue: RECORD_ATTESTATION_DEFAULTS['poll-interval-seconds'],
    }),
  };
}
