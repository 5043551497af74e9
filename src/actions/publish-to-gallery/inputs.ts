/**
 * Reads and validates every input of publish-to-gallery (docs/design.md, "contracts") into one typed settings
 * object, before any Azure call: a bad input fails here, naming the input, and nothing is
 * created. Defaults live in {@link PUBLISH_TO_GALLERY_DEFAULTS} only; action.yml must declare
 * the same values.
 */
import { InputError } from '../../common/errors.js';
import { type ImageSource, parseImageSource } from '../../gallery/identifiers.js';
import {
  ARCHITECTURES,
  checkName,
  galleryNameRule,
  HYPER_V_GENERATIONS,
  type HyperVGeneration,
  imageDefinitionNameRule,
  imageVersionNameRule,
  normalizeRegionName,
  offerRule,
  OS_TYPES,
  publisherRule,
  regionNameRule,
  resourceGroupNameRule,
  SECURITY_TYPES,
  type SecurityType,
  skuRule,
} from '../../gallery/names.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getEnumInput,
  getKeyValueInput,
  getOptionalEnumInput,
  getOptionalInput,
  getPollIntervalSeconds,
  getRequiredInput,
  getTimeoutMinutes,
  type InputReader,
  parseFutureDate,
} from '../../common/inputs.js';
import {
  imageVersionForKubernetes,
  type KubernetesVersion,
  minorKey,
  parseKubernetesVersion,
} from '../../kubernetes/version.js';

import {
  checkRegions,
  optional,
  readReplication,
  REPLICATION_INPUTS,
  readSharing,
  requiredName,
  SHARING_INPUTS,
} from '../shared/gallery-inputs.js';

export {
  type DefinitionSettings,
  type EndOfLifeSetting,
  IF_EXISTS_POLICIES,
  type IfExistsPolicy,
  SHARING_MODES,
  type ReplicationSettings,
  type SharingMode,
  type SharingSettings,
  type TargetRegion,
} from '../../gallery/request.js';
import {
  type DefinitionSettings,
  type EndOfLifeSetting,
  IF_EXISTS_POLICIES,
  type PublishRequest,
} from '../../gallery/request.js';

/**
 * Every input getInputs reads, so that a test can check action.yml declares exactly these.
 * The Azure connection inputs come first, as in every action that talks to Azure.
 */
export const PUBLISH_TO_GALLERY_INPUTS = [
  ...AZURE_CONNECTION_INPUTS,
  'resource-group',
  'location',
  'gallery',
  'image-definition',
  'image-version',
  'kubernetes-version',
  'source',
  'source-storage-account-id',
  'source-sha256',
  'os-type',
  'hyper-v-generation',
  'security-type',
  'architecture',
  'publisher',
  'offer',
  'sku',
  ...REPLICATION_INPUTS,
  'end-of-life-date',
  'tags',
  'if-exists',
  ...SHARING_INPUTS,
  'timeout-minutes',
  'poll-interval-seconds',
] as const;

/**
 * Every default of publish-to-gallery, keyed by input name, so that a test can hold action.yml
 * to them. `security-type` has no single default; see {@link defaultSecurityType}.
 */
export const PUBLISH_TO_GALLERY_DEFAULTS = {
  /** Most Kubernetes node images are Linux. */
  'os-type': 'Linux',
  /** Azure's own default for new definitions since api-version 2025-03-03. */
  'hyper-v-generation': 'V2',
  architecture: 'x64',
  /** One replica per region is enough for staging; use 3 or more in production. */
  'replica-count': 1,
  /** Available in every region, unlike ZRS. */
  'storage-account-type': 'Standard_LRS',
  /** `Shallow` is for testing only. */
  'replication-mode': 'Full',
  'exclude-from-latest': false,
  /** Re-running a workflow must not fail or replace what an earlier run published. */
  'if-exists': 'skip',
  sharing: 'private',
  /** Replicating a 30 GiB image to many regions can take over an hour. */
  'timeout-minutes': 120,
  /** Replication moves in minutes; checking every 15 s keeps the log useful and ARM calm. */
  'poll-interval-seconds': 15,
} as const satisfies Record<string, string | number | boolean>;

/**
 * The security type when `security-type` is unset: what Azure itself picks for a new V2
 * definition, and the only value a V1 definition can have.
 */
export function defaultSecurityType(generation: HyperVGeneration): SecurityType {
  return generation === 'V2' ? 'TrustedLaunchSupported' : 'Standard';
}

/** publish-to-gallery's inputs: the publish request and how to sign in to Azure. */
export interface PublishToGallerySettings extends PublishRequest {
  /** Subscription, sign-in and endpoints. */
  readonly azure: AzureConnectionSettings;
}

/**
 * Reads every publish-to-gallery input through `read`. `now` decides which end-of-life dates
 * count as past.
 * @throws InputError for the first bad input found.
 */
export function getInputs(read: InputReader, now: Date): PublishToGallerySettings {
  const azure = getAzureConnectionInputs(read);
  const resourceGroup = requiredName(read, 'resource-group', resourceGroupNameRule);
  const location = normalizeRegionName(requiredName(read, 'location', regionNameRule));
  const gallery = requiredName(read, 'gallery', galleryNameRule);
  const imageDefinition = requiredName(read, 'image-definition', imageDefinitionNameRule);
  const version = readVersion(read);
  return {
    azure,
    resourceGroup,
    location,
    gallery,
    imageDefinition,
    ...version,
    source: readSource(read),
    definition: readDefinition(read),
    replication: checkRegions(
      readReplication(read, location, PUBLISH_TO_GALLERY_DEFAULTS),
      location,
      azure.armEndpoint,
    ),
    ...optional('endOfLife', readEndOfLife(read, now, version.kubernetesVersion)),
    tags: getKeyValueInput(read, 'tags'),
    ifExists: getEnumInput(
      read,
      'if-exists',
      IF_EXISTS_POLICIES,
      PUBLISH_TO_GALLERY_DEFAULTS['if-exists'],
    ),
    sharing: readSharing(read, PUBLISH_TO_GALLERY_DEFAULTS.sharing),
    timeoutMinutes: getTimeoutMinutes(read, PUBLISH_TO_GALLERY_DEFAULTS['timeout-minutes']),
    pollIntervalSeconds: getPollIntervalSeconds(
      read,
      PUBLISH_TO_GALLERY_DEFAULTS['poll-interval-seconds'],
    ),
    ...optional('sourceSha256', readSourceSha256(read)),
  };
}

/** Exactly one of `image-version` and `kubernetes-version`. */
function readVersion(read: InputReader): {
  imageVersion: string;
  kubernetesVersion?: KubernetesVersion;
} {
  const imageVersion = getOptionalInput(read, 'image-version');
  const kubernetes = getOptionalInput(read, 'kubernetes-version');
  if (imageVersion !== undefined && kubernetes !== undefined) {
    throw new InputError(
      'kubernetes-version',
      kubernetes,
      `Set either image-version or kubernetes-version, not both (image-version is '${imageVersion}').`,
    );
  }
  if (kubernetes !== undefined) {
    return {
      imageVersion: imageVersionForKubernetes(kubernetes, 'kubernetes-version'),
      kubernetesVersion: parseKubernetesVersion(kubernetes, 'kubernetes-version'),
    };
  }
  if (imageVersion === undefined) {
    throw new InputError('image-version', '', 'Required unless kubernetes-version is set.');
  }
  return { imageVersion: checkName(imageVersionNameRule, 'image-version', imageVersion) };
}

function readSource(read: InputReader): ImageSource {
  const source = getRequiredInput(read, 'source');
  return parseImageSource(source, getOptionalInput(read, 'source-storage-account-id'));
}

/**
 * The definition's properties, with the combinations Azure refuses caught here: Trusted Launch
 * and confidential VMs need Generation 2, and so does Arm64.
 */
function readDefinition(read: InputReader): DefinitionSettings {
  const defaults = PUBLISH_TO_GALLERY_DEFAULTS;
  const osType = getEnumInput(read, 'os-type', OS_TYPES, defaults['os-type']);
  const hyperVGeneration = getEnumInput(
    read,
    'hyper-v-generation',
    HYPER_V_GENERATIONS,
    defaults['hyper-v-generation'],
  );
  const architecture = getEnumInput(read, 'architecture', ARCHITECTURES, defaults.architecture);
  if (architecture === 'Arm64' && hyperVGeneration === 'V1') {
    throw new InputError('hyper-v-generation', 'V1', 'Arm64 images need V2.');
  }
  const securityType =
    getOptionalEnumInput(read, 'security-type', SECURITY_TYPES) ??
    defaultSecurityType(hyperVGeneration);
  if (hyperVGeneration === 'V1' && securityType !== 'Standard') {
    throw new InputError(
      'security-type',
      securityType,
      'Trusted Launch and confidential VMs need hyper-v-generation V2; a V1 image can only be Standard.',
    );
  }
  return {
    osType,
    hyperVGeneration,
    securityType,
    architecture,
    publisher: requiredName(read, 'publisher', publisherRule),
    offer: requiredName(read, 'offer', offerRule),
    sku: requiredName(read, 'sku', skuRule),
  };
}

/** `source-sha256`: 64 hex digits, with or without a `sha256:` prefix; lower-cased. */
function readSourceSha256(read: InputReader): string | undefined {
  const value = getOptionalInput(read, 'source-sha256');
  if (value === undefined) return undefined;
  const hex = value.replace(/^sha256:/i, '');
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new InputError(
      'source-sha256',
      value,
      'Expected a SHA-256 digest: 64 hexadecimal digits.',
    );
  }
  return hex.toLowerCase();
}

/**
 * A date not in the past, or `kubernetes`: the end of life of the Kubernetes minor, which
 * needs `kubernetes-version` to say which minor (an image version need not be one).
 */
function readEndOfLife(
  read: InputReader,
  now: Date,
  kubernetesVersion: KubernetesVersion | undefined,
): EndOfLifeSetting | undefined {
  const value = getOptionalInput(read, 'end-of-life-date');
  if (value === undefined) return undefined;
  if (value.toLowerCase() !== 'kubernetes') {
    return { kind: 'date', date: parseFutureDate('end-of-life-date', value, now) };
  }
  if (kubernetesVersion === undefined) {
    throw new InputError(
      'end-of-life-date',
      value,
      "'kubernetes' uses the end of life of the Kubernetes minor, so it needs kubernetes-version. " +
        'Set kubernetes-version instead of image-version, or give a date as yyyy-mm-dd.',
    );
  }
  return { kind: 'kubernetes', minor: minorKey(kubernetesVersion) };
}
