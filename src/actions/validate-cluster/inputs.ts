/**
 * Reads and validates every validate-cluster input (docs/design.md, "contracts") before any Azure call: a bad
 * input fails naming it, and nothing is created. Defaults live in
 * {@link VALIDATE_CLUSTER_DEFAULTS} only; action.yml states the same values.
 */
import { readFile } from 'node:fs/promises';
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
  getBooleanInput,
  getEnumInput,
  getIntegerInput,
  getOptionalInput,
  getPollIntervalSeconds,
  getRequiredInput,
  getTimeoutMinutes,
  type InputReader,
} from '../../common/inputs.js';
import {
  formatKubernetesVersion,
  parseKubernetesVersion,
  tryParseKubernetesVersion,
} from '../../kubernetes/version.js';
import { kubeconfigSource, loadKubeconfig } from '../../validate/cluster/kubectl.js';
import type { KubeconfigSource } from '../../validate/cluster/kubectl.js';
import { checkTemplateShape, parseManifest } from '../../validate/cluster/template.js';
import { optional, requiredName } from '../shared/gallery-inputs.js';
import type { LoadedClusterInputs } from '../../validate/validate.js';

/** A VM or cluster answers quickly; polling it less than every 5 minutes is enough. */
export const VALIDATE_POLL_MAX_SECONDS = 300;

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
  'kubeconfig',
  'cluster-template',
  'cluster-namespace',
  'control-plane-count',
  'worker-count',
  'keep-on-failure',
  'cni-manifest',
] as const;

/** Every default of validate-cluster, keyed by input name; action.yml must state the same. */
export const VALIDATE_CLUSTER_DEFAULTS = {
  /** One VM is minutes and cents; a workload cluster needs a management cluster. */
  mode: 'vm',
  /** A VM boots and runs its checks in 5-15 minutes; a cluster takes 20-40. */
  'timeout-minutes': 45,
  /** Boots and Run Command move in tens of seconds. */
  'poll-interval-seconds': 15,
  /** CAPZ's templates put everything in `default`. */
  'cluster-namespace': 'default',
  /** One control plane machine is enough to prove an image; 3 proves HA, slowly. */
  'control-plane-count': 1,
  'worker-count': 1,
  /** A failed cluster costs money while it stays; keep it only to debug. */
  'keep-on-failure': false,
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
  /** Cluster mode only. */
  readonly cluster?: ClusterInputs;
}

/** The cluster-mode inputs, as given; their files are read by {@link loadClusterInputs}. */
export interface ClusterInputs {
  /** `kubeconfig`: the management cluster's, a path or the content. */
  readonly kubeconfig: KubeconfigSource;
  /** `cluster-template`: a path; unset: CAPZ's default flavor for the image's OS. */
  readonly templatePath?: string;
  readonly namespace: string;
  readonly controlPlaneCount: number;
  readonly workerCount: number;
  readonly keepOnFailure: boolean;
  /** `cni-manifest`: a path, applied to the workload cluster. */
  readonly cniManifestPath?: string;
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
    timeoutMinutes: getTimeoutMinutes(read, VALIDATE_CLUSTER_DEFAULTS['timeout-minutes'], 720),
    pollIntervalSeconds: getPollIntervalSeconds(
      read,
      VALIDATE_CLUSTER_DEFAULTS['poll-interval-seconds'],
      VALIDATE_POLL_MAX_SECONDS,
    ),
    ...optional('cluster', readClusterInputs(read)),
  };
}

/** The cluster-mode inputs; undefined in VM mode (where they are ignored). */
function readClusterInputs(read: InputReader): ClusterInputs | undefined {
  const mode = getEnumInput(read, 'mode', MODES, VALIDATE_CLUSTER_DEFAULTS.mode);
  if (mode !== 'cluster') return undefined;
  const d = VALIDATE_CLUSTER_DEFAULTS;
  const namespace = getOptionalInput(read, 'cluster-namespace') ?? d['cluster-namespace'];
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new InputError(
      'cluster-namespace',
      namespace,
      'Expected a Kubernetes namespace name: lower-case letters, digits and -, at most 63.',
    );
  }
  const controlPlaneCount = getIntegerInput(read, 'control-plane-count', {
    min: 1,
    max: 7,
    defaultValue: d['control-plane-count'],
  });
  if (controlPlaneCount % 2 === 0) {
    throw new InputError(
      'control-plane-count',
      String(controlPlaneCount),
      'Expected an odd number (1, 3, 5 or 7): a stacked etcd needs a majority.',
    );
  }
  const templatePath = getOptionalInput(read, 'cluster-template');
  const cniManifestPath = getOptionalInput(read, 'cni-manifest');
  return {
    kubeconfig: kubeconfigSource(getRequiredInput(read, 'kubeconfig')),
    ...optional('templatePath', templatePath),
    namespace,
    controlPlaneCount,
    workerCount: getIntegerInput(read, 'worker-count', {
      min: 0,
      max: 20,
      defaultValue: d['worker-count'],
    }),
    keepOnFailure: getBooleanInput(read, 'keep-on-failure', d['keep-on-failure']),
    ...optional('cniManifestPath', cniManifestPath),
  };
}

export type { LoadedClusterInputs } from '../../validate/validate.js';

/**
 * Reads the kubeconfig (a kubeconfig?), the cluster template (an AzureMachineTemplate in it?) and
 * the CNI manifest.
 * @throws InputError naming the input.
 */
export async function loadClusterInputs(
  inputs: ClusterInputs,
  readText: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<LoadedClusterInputs> {
  const kubeconfig = await loadKubeconfig(inputs.kubeconfig, readText);
  const read = async (input: string, path: string): Promise<string> => {
    try {
      return await readText(path);
    } catch (err) {
      throw new InputError(input, path, `Cannot read it: ${(err as Error).message}`);
    }
  };
  let template: LoadedClusterInputs['template'];
  if (inputs.templatePath) {
    const text = await read('cluster-template', inputs.templatePath);
    checkTemplateShape(text, inputs.templatePath);
    template = { text, shown: inputs.templatePath };
  }
  const cniManifest = inputs.cniManifestPath
    ? await read('cni-manifest', inputs.cniManifestPath)
    : undefined;
  if (cniManifest !== undefined)
    parseManifest(cniManifest, 'cni-manifest', inputs.cniManifestPath!);
  return {
    kubeconfig,
    ...optional('template', template),
    ...optional('cniManifest', cniManifest),
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
