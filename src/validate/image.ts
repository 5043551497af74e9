/**
 * What validation needs to know about the staging version before creating anything: it exists,
 * it is `Succeeded`, it has finished replicating to the region the test runs in, and what its
 * definition says about booting it (OS, generation, architecture, security type, disk
 * controllers). Every refusal here names the input at fault.
 */
import type {
  ComputeManagementClient,
  GalleryImage,
  GalleryImageVersion,
} from '@azure/arm-compute';
import { InputError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { azureError, isNotFound } from '../azure/errors.js';
import type { GalleryImageVersionId } from '../gallery/identifiers.js';
import { normalizeRegionName } from '../gallery/names.js';
import type { Architecture, HyperVGeneration, OsType } from '../gallery/names.js';

export interface ImageFacts {
  /** The version's resource ID as given. */
  readonly id: string;
  readonly ref: GalleryImageVersionId;
  readonly osType: OsType;
  readonly hyperVGeneration: HyperVGeneration;
  readonly architecture: Architecture;
  /** The definition's SecurityType feature; `Standard` when it has none. */
  readonly securityType: string;
  /** The definition's DiskControllerTypes feature, e.g. ['SCSI', 'NVMe']; ['SCSI'] when unset. */
  readonly diskControllerTypes: readonly string[];
  /** Regions (lower case) the version has finished replicating to. */
  readonly replicatedRegions: readonly string[];
  /** The version's own (source) region, lower case. */
  readonly location: string;
}

export type ImageApi = Pick<ComputeManagementClient, 'galleryImageVersions' | 'galleryImages'>;

/**
 * Reads the version (with replication status) and its definition; refuses a missing version,
 * one that is not Succeeded, and a `location` it has not finished replicating to.
 * @param location the region asked for (`location` input), or undefined for the version's own.
 */
export async function readImage(
  api: ImageApi,
  id: string,
  ref: GalleryImageVersionId,
  location: string | undefined,
  logger: Logger,
): Promise<ImageFacts & { region: string }> {
  const { resourceGroup, gallery, imageDefinition, version } = ref;
  let v: GalleryImageVersion;
  let d: GalleryImage;
  try {
    v = await api.galleryImageVersions.get(resourceGroup, gallery, imageDefinition, version, {
      expand: 'ReplicationStatus',
    });
    d = await api.galleryImages.get(resourceGroup, gallery, imageDefinition);
  } catch (err) {
    if (isNotFound(err)) {
      throw new InputError(
        'image-version-id',
        id,
        'No such image version (or you cannot read it): check the ID and that publish-to-gallery created it.',
      );
    }
    throw azureError(err, `reading image version ${gallery}/${imageDefinition}/${version}`);
  }
  if (v.provisioningState !== 'Succeeded') {
    throw new InputError(
      'image-version-id',
      id,
      `The version is ${v.provisioningState ?? 'in an unknown state'}, not Succeeded: wait for publish-to-gallery to finish, or publish it again.`,
    );
  }
  const replicated = (v.replicationStatus?.summary ?? [])
    .filter((s) => s.state === 'Completed' && s.region)
    .map((s) => normalizeRegionName(s.region!));
  const own = normalizeRegionName(v.location ?? '');
  const region = location ?? (replicated.includes(own) ? own : replicated[0]) ?? own;
  if (!replicated.includes(region)) {
    throw new InputError(
      location ? 'location' : 'image-version-id',
      location ?? id,
      `The version has not finished replicating to ${region}; it is available in: ${replicated.join(', ') || 'no region yet'}. Choose one of those, or add the region to target-regions and publish again.`,
    );
  }
  const feature = (name: string): string | undefined =>
    d.features?.find((f) => f.name?.toLowerCase() === name.toLowerCase())?.value;
  const facts = {
    id,
    ref,
    osType: (d.osType ?? 'Linux') as OsType,
    hyperVGeneration: (d.hyperVGeneration ?? 'V1') as HyperVGeneration,
    architecture: (d.architecture ?? 'x64') as Architecture,
    securityType: feature('SecurityType') ?? 'Standard',
    diskControllerTypes: (feature('DiskControllerTypes') ?? 'SCSI').split(/[\s,]+/).filter(Boolean),
    replicatedRegions: replicated,
    location: own,
    region,
  };
  logger.info(
    `Image ${gallery}/${imageDefinition}/${version}: ${facts.osType} ${facts.hyperVGeneration} ${facts.architecture}, security type ${facts.securityType}, disk controllers ${facts.diskControllerTypes.join('/')}; testing in ${region}.`,
  );
  return facts;
}
