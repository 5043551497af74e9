/**
 * Reads and validates every promote input (docs/design.md, "contracts") before any Azure call. Promote copies a
 * validated staging version into the production gallery, so most of what publish-to-gallery
 * asks for is read from the source instead: the definition's fixed properties always, the
 * identifier, definition name and version name unless given.
 */
import { InputError } from '../../common/errors.js';
import { parseGalleryImageVersionId, RESOURCE_ID_FORMS } from '../../gallery/identifiers.js';
import {
  checkName,
  galleryNameRule,
  imageDefinitionNameRule,
  imageVersionNameRule,
  normalizeRegionName,
  offerRule,
  publisherRule,
  regionNameRule,
  resourceGroupNameRule,
  skuRule,
} from '../../gallery/names.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getEnumInput,
  getKeyValueInput,
  getOptionalInput,
  getPollIntervalSeconds,
  getRequiredInput,
  getTimeoutMinutes,
  type InputReader,
  parseFutureDate,
} from '../../common/inputs.js';
import type { PromoteEndOfLife, PromoteRequest } from '../../gallery/promote.js';
import { IF_EXISTS_POLICIES } from '../../gallery/request.js';
import {
  checkRegions,
  optional,
  readReplication,
  REPLICATION_INPUTS,
  readSharing,
  requiredName,
  SHARING_INPUTS,
} from '../shared/gallery-inputs.js';

export const PROMOTE_INPUTS = [
  ...AZURE_CONNECTION_INPUTS,
  'source-image-version-id',
  'resource-group',
  'location',
  'gallery',
  'image-definition',
  'image-version',
  'publisher',
  'offer',
  'sku',
  ...REPLICATION_INPUTS,
  'end-of-life-date',
  'tags',
  'if-exists',
  ...SHARING_INPUTS,
  'validation-report',
  'timeout-minutes',
  'poll-interval-seconds',
] as const;

/** Every promote default, keyed by input name; action.yml must state the same. */
export const PROMOTE_DEFAULTS = {
  /** Azure's guidance for production images: at least three replicas per region. */
  'replica-count': 3,
  'storage-account-type': 'Standard_LRS',
  'replication-mode': 'Full',
  'exclude-from-latest': false,
  /** CAPZ images stop being supported with their Kubernetes minor. */
  'end-of-life-date': 'kubernetes',
  'if-exists': 'skip',
  /** CAPZ reference images live in a community gallery. */
  sharing: 'community',
  'timeout-minutes': 240,
  'poll-interval-seconds': 30,
} as const satisfies Record<string, string | number | boolean>;

export type { PromoteEndOfLife } from '../../gallery/promote.js';

/** promote's inputs: the promotion request and how to sign in to Azure. */
export interface PromoteSettings extends PromoteRequest {
  readonly azure: AzureConnectionSettings;
}

export function getPromoteInputs(read: InputReader, now: Date): PromoteSettings {
  const azure = getAzureConnectionInputs(read);
  const location = normalizeRegionName(requiredName(read, 'location', regionNameRule));
  const optionalName = (
    name: string,
    rule: Parameters<typeof checkName>[0],
  ): string | undefined => {
    const value = getOptionalInput(read, name);
    return value === undefined ? undefined : checkName(rule, name, value);
  };
  const publisher = optionalName('publisher', publisherRule);
  const offer = optionalName('offer', offerRule);
  const sku = optionalName('sku', skuRule);
  return {
    azure,
    source: readSource(read),
    resourceGroup: requiredName(read, 'resource-group', resourceGroupNameRule),
    location,
    gallery: requiredName(read, 'gallery', galleryNameRule),
    ...optional('imageDefinition', optionalName('image-definition', imageDefinitionNameRule)),
    ...optional('imageVersion', optionalName('image-version', imageVersionNameRule)),
    identifier: {
      ...optional('publisher', publisher),
      ...optional('offer', offer),
      ...optional('sku', sku),
    },
    replication: checkRegions(
      readReplication(read, location, PROMOTE_DEFAULTS),
      location,
      azure.armEndpoint,
    ),
    endOfLife: readEndOfLife(read, now),
    tags: getKeyValueInput(read, 'tags'),
    ifExists: getEnumInput(read, 'if-exists', IF_EXISTS_POLICIES, PROMOTE_DEFAULTS['if-exists']),
    sharing: readSharing(read, PROMOTE_DEFAULTS.sharing),
    ...optional('validationReport', getOptionalInput(read, 'validation-report')),
    timeoutMinutes: getTimeoutMinutes(read, PROMOTE_DEFAULTS['timeout-minutes']),
    pollIntervalSeconds: getPollIntervalSeconds(read, PROMOTE_DEFAULTS['poll-interval-seconds']),
  };
}

function readSource(read: InputReader): PromoteSettings['source'] {
  const id = getRequiredInput(read, 'source-image-version-id');
  const parsed = parseGalleryImageVersionId(id);
  if (!parsed) {
    throw new InputError(
      'source-image-version-id',
      id,
      `Expected a gallery image version ID: ${RESOURCE_ID_FORMS.galleryImageVersion}.`,
    );
  }
  return { ...parsed, id };
}

function readEndOfLife(read: InputReader, now: Date): PromoteEndOfLife {
  const value = getOptionalInput(read, 'end-of-life-date') ?? PROMOTE_DEFAULTS['end-of-life-date'];
  const lower = value.toLowerCase();
  if (lower === 'kubernetes') return { kind: 'kubernetes' };
  if (lower === 'none') return { kind: 'none' };
  return { kind: 'date', date: parseFutureDate('end-of-life-date', value, now) };
}
