/**
 * Reads and validates every validate-cluster input (DESIGN §4) before any Azure call: a bad
 * input fails naming it, and nothing is created. Defaults live in
 * {@link VALIDATE_CLUSTER_DEFAULTS} only; action.yml states the same values.
 */
import { checkKnownRegion } from '../../azure/regions.js';
import { InputError } from '../../common/errors.js';
import {
  type GalleryImageVersionId,
  parseGalleryImageVersionId,
  RESOURCE_ID_FORMS,
} from '../../gallery/identifiers.js';
import { normalizeRegionName, regionNameRule } from '../../gallery/names.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getEnumInput,
  getIntegerInput,
  getOptionalInput,
  getRequiredInput,
  type InputReader,
} from '../../github/inputs.js';
import {
  formatKubernetesVersion,
  parseKubernetesVersion,
  tryParseKubernetesVersion,
} from '../../kubernetes/version.js';
import { optional, requiredName } from '../shared/gallery-inputs.js';

export const MODES = ['vm', 'cluster'] as const;
export type ValidationMode = (typeof MODES)[number];

/** Every input getInputs reads, so that a test can hold action.yml to them. */
export const VALIDATE_CLUSTER_INPUTS = [
  ...AZURE_CONNECTION_INPUTS,
  'image-version-id',
  'kubernetes-version',
  'mode',
  'location',
  'vm-size',
  'containerd-version',
  'provenance-file',
  'timeout-minutes',
  'poll-interval-seconds',
] as const;

/** Every default of validate-cluster, keyed by input name; action.yml must state the same. */
export const VALIDATE_CLUSTER_DEFAULTS = {
  /** One VM is minutes and cents; a workload cluster needs a management cluster. */
  mode: 'vm',
  /** A VM boots and runs its checks in 5-15 minutes; a cluster takes 20-40. */
  'timeout-minutes': 45,
  /** Boots and Run Command move in tens of seconds. */
  'poll-interval-seconds': 15,
} as const satisfies Record<string, string | number | boolean>;

export interface ValidateClusterSettings {
  /** Subscription, sign-in and endpoints; the test resources go in this subscription. */
  readonly azure: AzureConnectionSettings;
  /** `image-version-id` as given. */
  readonly imageVersionId: string;
  readonly imageVersion: GalleryImageVersionId;
  /** `kubernetes-version` with the `v` (`v1.31.2`), or the version name's. */
  readonly kubernetesVersion: string;
  readonly mode: ValidationMode;
  /** `location` (lower case); unset: the version's own region. */
  readonly location?: string;
  /** `vm-size`; unset: chosen from the image (see DEFAULT_VM_SIZES). */
  readonly vmSize?: string;
  /** `containerd-version` without the `v`; checked only when given. */
  readonly containerdVersion?: string;
  /** `provenance-file`; unset: the OS's default path. */
  readonly provenanceFile?: string;
  /** `timeout-minutes`: the validation, cleanup excluded. */
  readonly timeoutMinutes: number;
  /** `poll-interval-seconds`: how often long operations are polled. */
  readonly pollIntervalSeconds: number;
}

/** Azure VM size names: `Standard_D2s_v5`, `Standard_E4-2s_v3`, `Basic_A1`. */
const VM_SIZE = /^(Standard|Basic)_[A-Z]+\d+(-\d+)?[a-z]*(_[A-Za-z0-9]+)*$/i;

/**
 * Reads every validate-cluster input through `read`.
 * @throws InputError for the first bad input found.
 */
export function getInputs(read: InputReader): ValidateClusterSettings {
  const azure = getAzureConnectionInputs(read);
  const imageVersionId = getRequiredInput(read, 'image-version-id');
  const imageVersion = parseGalleryImageVersionId(imageVersionId);
  if (!imageVersion) {
    throw new InputError(
      'image-version-id',
      imageVersionId,
      `Expected a gallery image version ID: ${RESOURCE_ID_FORMS.galleryImageVersion}.`,
    );
  }
  const location = getOptionalInput(read, 'location');
  if (location !== undefined) {
    requiredName(read, 'location', regionNameRule);
    checkKnownRegion('location', location, azure.armEndpoint);
  }
  return {
    azure,
    imageVersionId,
    imageVersion,
    kubernetesVersion: readKubernetesVersion(read, imageVersion.version),
    mode: getEnumInput(read, 'mode', MODES, VALIDATE_CLUSTER_DEFAULTS.mode),
    ...optional('location', location === undefined ? undefined : normalizeRegionName(location)),
    ...optional('vmSize', readVmSize(read)),
    ...optional('containerdVersion', readContainerdVersion(read)),
    ...optional('provenanceFile', readProvenanceFile(read)),
    timeoutMinutes: getIntegerInput(read, 'timeout-minutes', {
      min: 1,
      max: 720,
      defaultValue: VALIDATE_CLUSTER_DEFAULTS['timeout-minutes'],
    }),
    pollIntervalSeconds: getIntegerInput(read, 'poll-interval-seconds', {
      min: 1,
      max: 300,
      defaultValue: VALIDATE_CLUSTER_DEFAULTS['poll-interval-seconds'],
    }),
  };
}

/** `kubernetes-version`, or the version name when that is one (CAPZ names versions so). */
function readKubernetesVersion(read: InputReader, versionName: string): string {
  const given = getOptionalInput(read, 'kubernetes-version');
  if (given !== undefined) {
    return formatKubernetesVersion(parseKubernetesVersion(given, 'kubernetes-version'));
  }
  // Every version name parses as x.y.z; only a 1.x one is taken for a Kubernetes release.
  const fromName = tryParseKubernetesVersion(versionName);
  if (!fromName || fromName.major !== 1) {
    throw new InputError(
      'kubernetes-version',
      '',
      `Required: the image version name '${versionName}' is not a Kubernetes version, so it cannot tell which kubelet to expect.`,
    );
  }
  return formatKubernetesVersion(fromName);
}

function readVmSize(read: InputReader): string | undefined {
  const size = getOptionalInput(read, 'vm-size');
  if (size !== undefined && !VM_SIZE.test(size)) {
    throw new InputError(
      'vm-size',
      size,
      "Expected an Azure VM size such as Standard_D2s_v5 (see 'az vm list-sizes --location <region>').",
    );
  }
  return size;
}

function readContainerdVersion(read: InputReader): string | undefined {
  const value = getOptionalInput(read, 'containerd-version');
  if (value === undefined) return undefined;
  const match = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)$/.exec(value);
  if (!match) {
    throw new InputError(
      'containerd-version',
      value,
      'Expected a version such as 1.7.22 or v2.0.0.',
    );
  }
  return match[1];
}

function readProvenanceFile(read: InputReader): string | undefined {
  const value = getOptionalInput(read, 'provenance-file');
  if (value !== undefined && !/^(\/|[A-Za-z]:\\)/.test(value)) {
    throw new InputError(
      'provenance-file',
      value,
      'Expected an absolute path on the node, such as /etc/image-builder/provenance.json or C:\\image-builder\\provenance.json.',
    );
  }
  return value;
}
