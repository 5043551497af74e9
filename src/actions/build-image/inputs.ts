/**
 * Reads and validates every input of build-image (docs/design.md, "contracts") into one typed settings object
 * before anything runs or uploads: a bad input fails here, naming the input. Inputs that only
 * one builder uses are refused with the others rather than ignored, since they suggest the user
 * meant another builder. Defaults live in {@link BUILD_IMAGE_DEFAULTS} only.
 */
import { checkKnownRegion } from '../../azure/regions.js';
import {
  checkBlobName,
  parseBlobContainerUrl,
  storageAccountIdFor,
} from '../../build/upload/blob-location.js';
import { knownOsTarget } from '../../build/os-targets.js';
import { parseChecksum } from '../../build/source.js';
import { InputError } from '../../common/errors.js';
import {
  capzImageTarget,
  checkName,
  galleryNameRule,
  HYPER_V_GENERATIONS,
  imageDefinitionNameRule,
  imageVersionNameRule,
  normalizeRegionName,
  OS_TYPES,
  type OsType,
  osTargetRule,
  regionNameRule,
  resourceGroupNameRule,
} from '../../gallery/names.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getBooleanInput,
  getEnumInput,
  getIntegerInput,
  getKeyValueInput,
  getOptionalEnumInput,
  getOptionalInput,
  type InputReader,
  parseHttpsUrl,
} from '../../common/inputs.js';
import { imageVersionForKubernetes } from '../../kubernetes/version.js';
import { IF_EXISTS } from '../../build/packer/staging-version.js';
import {
  BUILDERS,
  type Builder,
  type BuilderSettings,
  type BuildRequest,
  type ImageIdentity,
  type SourceSettings,
  type UploadSettings,
} from '../../build/builders/request.js';

export {
  BUILDERS,
  type Builder,
  type BuilderSettings,
  type ImageIdentity,
  type SourceSettings,
  type UploadSettings,
} from '../../build/builders/request.js';

/** build-image's inputs: the build request and how to sign in to Azure. */
export interface BuildImageSettings extends BuildRequest {
  readonly azure: AzureConnectionSettings;
}

/** Every input getInputs reads, so that a test can hold action.yml to exactly these. */
export const BUILD_IMAGE_INPUTS = [
  ...AZURE_CONNECTION_INPUTS,
  'builder',
  'kubernetes-version',
  'os',
  'image-definition',
  'image-version',
  'os-type',
  'hyper-v-generation',
  'location',
  'resource-group',
  'gallery',
  'image-builder-path',
  'kubernetes-deb-version',
  'skip-kube-proxy-check',
  'if-exists',
  'packer-template',
  'packer-vars',
  'source-disk',
  'source-checksum',
  'blob-container-url',
  'blob-name',
  'storage-account-id',
  'upload-concurrency',
  'full-sha256',
] as const;

export const BUILD_IMAGE_DEFAULTS = {
  /** CAPZ's own way of building its reference images. */
  builder: 'image-builder',
  'skip-kube-proxy-check': false,
  /** An existing, Succeeded staging version is the result; the build is not run again. */
  'if-exists': 'skip',
  /** Eight 4 MiB pages in flight fill a runner's link without tripping storage throttling. */
  'upload-concurrency': 8,
  /** The content digest is the idempotency key and attestation subject; this hashes every zero. */
  'full-sha256': false,
} as const satisfies Record<string, string | number | boolean>;

/**
 * Which builders use each input that says how to build. Given to another builder, they are
 * refused: they suggest the user meant that other builder.
 */
const BUILDER_INPUTS: Readonly<Record<string, readonly Builder[]>> = {
  'image-builder-path': ['image-builder'],
  'kubernetes-deb-version': ['image-builder'],
  'skip-kube-proxy-check': ['image-builder'],
  'packer-template': ['packer'],
  'packer-vars': ['packer'],
  'source-disk': ['disk', 'stemcell'],
  'source-checksum': ['disk', 'stemcell'],
  'blob-container-url': ['disk', 'stemcell'],
  'blob-name': ['disk', 'stemcell'],
  'storage-account-id': ['disk', 'stemcell'],
  'upload-concurrency': ['disk', 'stemcell'],
  'full-sha256': ['disk'],
};

/**
 * Inputs that describe the image or where it goes, which a workflow calling build-image for
 * any builder tends to pass; a builder that has no use for one ignores it with a warning (a
 * stemcell names its own OS, image-builder's target its own OS type).
 */
const CONTEXT_INPUTS: Readonly<Record<string, readonly Builder[]>> = {
  os: ['image-builder', 'packer', 'disk'],
  'kubernetes-version': ['image-builder', 'packer', 'disk'],
  'os-type': ['packer', 'disk'],
  'hyper-v-generation': ['packer', 'disk'],
  gallery: ['image-builder', 'packer'],
  location: ['image-builder', 'packer'],
  'if-exists': ['image-builder'],
};

/**
 * Reads every build-image input through `read`.
 * @throws InputError for the first bad input found.
 */
export function getInputs(read: InputReader): BuildImageSettings {
  const azure = getAzureConnectionInputs(read);
  const builder = getEnumInput(read, 'builder', BUILDERS, BUILD_IMAGE_DEFAULTS.builder);
  refuseOtherBuildersInputs(read, builder);
  const ignoredInputs = Object.entries(CONTEXT_INPUTS)
    .filter(([name, builders]) => !builders.includes(builder) && getOptionalInput(read, name))
    .map(([name]) => name);
  const used = (name: string) =>
    ignoredInputs.includes(name) ? undefined : getOptionalInput(read, name);
  const kubernetesVersion = used('kubernetes-version');
  const resourceGroup = optionalName(read, 'resource-group', resourceGroupNameRule);
  const os = used('os');
  const image = readImageIdentity(read, builder, os, kubernetesVersion, ignoredInputs);
  return {
    azure,
    builder: readBuilder(read, builder, azure, resourceGroup),
    ...(kubernetesVersion !== undefined ? { kubernetesVersion } : {}),
    ...(os !== undefined ? { os } : {}),
    image,
    ...(resourceGroup !== undefined ? { resourceGroup } : {}),
    ignoredInputs,
  };
}

/**
 * The runner passes every input with a default, so a builder-specific input at its default
 * value is not the user's doing and is let through.
 */
function refuseOtherBuildersInputs(read: InputReader, builder: Builder): void {
  const defaults: Readonly<Record<string, string | number | boolean>> = BUILD_IMAGE_DEFAULTS;
  for (const [name, builders] of Object.entries(BUILDER_INPUTS)) {
    const value = getOptionalInput(read, name);
    const isDefault = name in defaults && String(defaults[name]) === value?.toLowerCase();
    if (value !== undefined && !isDefault && !builders.includes(builder)) {
      throw new InputError(
        name,
        value,
        `Only used with builder: ${builders.join(' or ')}, not ${builder}. Remove it or change builder.`,
      );
    }
  }
}

function optionalName(
  read: InputReader,
  name: string,
  rule: Parameters<typeof checkName>[0],
): string | undefined {
  const value = getOptionalInput(read, name);
  return value === undefined ? undefined : checkName(rule, name, value);
}

function requiredFor(read: InputReader, name: string, builder: Builder): string {
  const value = getOptionalInput(read, name);
  if (value === undefined) throw new InputError(name, '', `Required with builder: ${builder}.`);
  return value;
}

/**
 * The image's names and kind. `os` gives them for the targets image-builder knows; a custom
 * image from `disk` or `packer` names its definition and OS type itself. The version is
 * `image-version`, or the Kubernetes version without its `v`.
 */
function readImageIdentity(
  read: InputReader,
  builder: Builder,
  os: string | undefined,
  kubernetesVersion: string | undefined,
  ignored: readonly string[],
): ImageIdentity {
  const definition = optionalName(read, 'image-definition', imageDefinitionNameRule);
  const explicitVersion = optionalName(read, 'image-version', imageVersionNameRule);
  const osType = ignored.includes('os-type')
    ? undefined
    : getOptionalEnumInput(read, 'os-type', OS_TYPES);
  const generation = ignored.includes('hyper-v-generation')
    ? undefined
    : getOptionalEnumInput(read, 'hyper-v-generation', HYPER_V_GENERATIONS);
  const version =
    explicitVersion ??
    (kubernetesVersion !== undefined
      ? imageVersionForKubernetes(kubernetesVersion, 'kubernetes-version')
      : undefined);

  let target: ImageIdentity = {};
  if (builder === 'image-builder') {
    if (os === undefined) throw new InputError('os', '', 'Required with builder: image-builder.');
    if (kubernetesVersion === undefined) {
      throw new InputError('kubernetes-version', '', 'Required with builder: image-builder.');
    }
    const known = knownOsTarget(os);
    target = {
      definition: known.stagingDefinition,
      osType: known.osType,
      hyperVGeneration: known.hyperVGeneration,
    };
  } else if (builder === 'disk') {
    target = diskTarget(os, definition, osType);
    if (version === undefined) {
      throw new InputError(
        'image-version',
        '',
        'Required with builder: disk unless kubernetes-version is set.',
      );
    }
  } else if (builder === 'packer') {
    if (os !== undefined) {
      const named = capzImageTarget(os);
      target = {
        definition: named.stagingDefinition,
        osType: named.osType,
        hyperVGeneration: named.hyperVGeneration,
      };
    } else if (generation === undefined) {
      // Packer's artifact tells the OS type but not the generation.
      throw new InputError(
        'hyper-v-generation',
        '',
        'Required with builder: packer unless os names the OS target (the generation of a Packer image cannot be read from its artifact).',
      );
    }
  }
  return compact({
    definition: definition ?? target.definition,
    version,
    osType: osType ?? target.osType,
    hyperVGeneration: generation ?? target.hyperVGeneration,
  });
}

/**
 * `builder: disk` needs `os`. A target image-builder knows gives everything; for a custom image
 * any OS target name will do when `image-definition` and `os-type` say the rest.
 */
function diskTarget(
  os: string | undefined,
  definition: string | undefined,
  osType: OsType | undefined,
): ImageIdentity {
  if (os === undefined) throw new InputError('os', '', 'Required with builder: disk.');
  if (definition !== undefined && osType !== undefined) {
    const named = capzImageTarget(checkName(osTargetRule, 'os', os));
    return { definition, osType, hyperVGeneration: named.hyperVGeneration };
  }
  try {
    const known = knownOsTarget(os);
    return {
      definition: known.stagingDefinition,
      osType: known.osType,
      hyperVGeneration: known.hyperVGeneration,
    };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(
      'os',
      os,
      `${err.message.replace(/^Invalid input 'os': '[^']*'\. /, '')} For a custom image, ` +
        'also set image-definition and os-type (and hyper-v-generation for V2).',
    );
  }
}

function readBuilder(
  read: InputReader,
  builder: Builder,
  azure: AzureConnectionSettings,
  resourceGroup: string | undefined,
): BuilderSettings {
  const location = () => {
    const value = CONTEXT_INPUTS.location!.includes(builder)
      ? getOptionalInput(read, 'location')
      : undefined;
    if (value === undefined) return undefined;
    const region = normalizeRegionName(checkName(regionNameRule, 'location', value));
    checkKnownRegion('location', region, azure.armEndpoint);
    return region;
  };
  const gallery = CONTEXT_INPUTS.gallery!.includes(builder)
    ? optionalName(read, 'gallery', galleryNameRule)
    : undefined;
  switch (builder) {
    case 'image-builder': {
      const debVersion = getOptionalInput(read, 'kubernetes-deb-version');
      if (debVersion !== undefined && !/^\d+\.\d+\.\d+-[0-9A-Za-z.+~]+$/.test(debVersion)) {
        throw new InputError(
          'kubernetes-deb-version',
          debVersion,
          'Expected a Debian package version such as 1.31.2-1.1.',
        );
      }
      const region = location();
      if (region === undefined)
        throw new InputError('location', '', 'Required with builder: image-builder.');
      if (resourceGroup === undefined) {
        throw new InputError('resource-group', '', 'Required with builder: image-builder.');
      }
      if (gallery === undefined)
        throw new InputError('gallery', '', 'Required with builder: image-builder.');
      return {
        kind: 'image-builder',
        path: requiredFor(read, 'image-builder-path', builder),
        ...(debVersion !== undefined ? { debVersion } : {}),
        skipKubeProxyCheck: getBooleanInput(
          read,
          'skip-kube-proxy-check',
          BUILD_IMAGE_DEFAULTS['skip-kube-proxy-check'],
        ),
        ifExists: getEnumInput(read, 'if-exists', IF_EXISTS, BUILD_IMAGE_DEFAULTS['if-exists']),
        location: region,
        resourceGroup,
        gallery,
      };
    }
    case 'packer': {
      const region = location();
      return {
        kind: 'packer',
        template: requiredFor(read, 'packer-template', builder),
        vars: getKeyValueInput(read, 'packer-vars'),
        ...(region !== undefined ? { location: region } : {}),
        ...(resourceGroup !== undefined ? { resourceGroup } : {}),
        ...(gallery !== undefined ? { gallery } : {}),
      };
    }
    case 'disk':
    case 'stemcell':
      return {
        kind: builder,
        source: readSource(read, builder),
        upload: readUpload(read, builder, azure, resourceGroup),
      };
  }
}

function readSource(read: InputReader, builder: Builder): SourceSettings {
  const location = requiredFor(read, 'source-disk', builder);
  const checksum = getOptionalInput(read, 'source-checksum');
  return {
    location,
    ...(checksum !== undefined ? { checksum: parseChecksum('source-checksum', checksum) } : {}),
  };
}

function readUpload(
  read: InputReader,
  builder: Builder,
  azure: AzureConnectionSettings,
  resourceGroup: string | undefined,
): UploadSettings {
  const url = parseHttpsUrl('blob-container-url', requiredFor(read, 'blob-container-url', builder));
  const container = parseBlobContainerUrl('blob-container-url', url);
  const blobName = getOptionalInput(read, 'blob-name');
  const storageAccountId = storageAccountIdFor(
    container,
    {
      id: getOptionalInput(read, 'storage-account-id'),
      subscriptionId: azure.subscriptionId,
      ...(resourceGroup !== undefined ? { resourceGroup } : {}),
    },
    { id: 'storage-account-id', container: 'blob-container-url', resourceGroup: 'resource-group' },
  );
  return {
    container,
    ...(blobName !== undefined ? { blobName: checkBlobName('blob-name', blobName) } : {}),
    storageAccountId,
    concurrency: getIntegerInput(read, 'upload-concurrency', {
      min: 1,
      max: 64,
      defaultValue: BUILD_IMAGE_DEFAULTS['upload-concurrency'],
    }),
    ...(getBooleanInput(read, 'full-sha256', BUILD_IMAGE_DEFAULTS['full-sha256'])
      ? { fullSha256: true }
      : {}),
  };
}

/** Drops undefined fields (exactOptionalPropertyTypes-proof). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
