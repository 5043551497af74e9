import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { GalleryImage, GalleryImageVersion } from '@azure/arm-compute';
import { ConfigurationError } from '../common/errors.js';
import { azureError } from '../azure/errors.js';
import { DIGEST_TAG } from './ensure-version.js';
import { capzImageTarget, imageVersionNameRule, isValidName } from './names.js';
import type { HyperVGeneration, SecurityType } from './names.js';
import type { GalleryImageVersionId } from './identifiers.js';
import type {
  EndOfLifeSetting,
  IfExistsPolicy,
  PublishRequest,
  ReplicationSettings,
  SharingSettings,
} from './request.js';
import type { IsoDate } from '../kubernetes/dates.js';
import { minorKey, tryParseKubernetesVersion } from '../kubernetes/version.js';
import { checkProductionGallery, findDefinition } from './production.js';
import { publish } from './publish.js';
import { checkVersionAttestation } from '../provenance/check.js';
import type { AttestationSource } from '../provenance/github.js';
import type { VerificationResult } from '../provenance/verify.js';
import type { PublishContext, PublishResult } from './publish.js';

export type PromoteEndOfLife =
  | { readonly kind: 'date'; readonly date: IsoDate }
  | { readonly kind: 'kubernetes' }
  | { readonly kind: 'none' };

/** What a promotion asks for: promote's inputs, read and checked. */
export interface PromoteRequest {
  /** `source-image-version-id`: the validated staging version, parsed. */
  readonly source: GalleryImageVersionId & { readonly id: string };
  /** `resource-group` of the production gallery; created if missing. */
  readonly resourceGroup: string;
  /** `location` of the production gallery and version. */
  readonly location: string;
  /** `gallery`: the production gallery. */
  readonly gallery: string;
  /** `image-definition`; unset: the source's, with CAPZ's production naming (docs/design.md, "naming"). */
  readonly imageDefinition?: string;
  /** `image-version`; unset: the source version's name. */
  readonly imageVersion?: string;
  /**
   * `publisher`/`offer`/`sku` for a new production definition; each unset one is copied from
   * the source definition. An existing definition keeps its own identifier (docs/design.md, "contracts of the real tools").
   */
  readonly identifier: {
    readonly publisher?: string;
    readonly offer?: string;
    readonly sku?: string;
  };
  readonly replication: ReplicationSettings;
  /** `end-of-life-date`: a date, `kubernetes` (the minor of the version name), or `none`. */
  readonly endOfLife: PromoteEndOfLife;
  /** `tags`, added to the tags copied from the source version. */
  readonly tags: Readonly<Record<string, string>>;
  readonly ifExists: IfExistsPolicy;
  readonly sharing: SharingSettings;
  /** `create-gallery`: create the production gallery when it does not exist. */
  readonly createGallery: boolean;
  /** `community-gallery-public-name`: the public name the production gallery must have. */
  readonly communityGalleryPublicName?: string;
  /** `validation-report`: path of validate-cluster's JSON report, recorded by digest. */
  readonly validationReport?: string;
  readonly timeoutMinutes: number;
  readonly pollIntervalSeconds: number;
}

export interface PromoteResult extends PublishResult {
  settings: PublishRequest;
  sourceVersion: GalleryImageVersion;
  /** The production definition's identifier, as found or as created. */
  identifier: { publisher: string; offer: string; sku: string };
  /** Whether the production definition existed before this promotion. */
  definitionExisted: boolean;
  /** What checking the source's attestation found; absent when it records none. */
  attestation?: VerificationResult;
}

/** Tags that describe the staging copy itself and must not be carried to production. */
const NOT_COPIED = new Set([DIGEST_TAG, 'source', 'published-by']);

/**
 * Copies the validated staging version into the production gallery: the definition gets the
 * source definition's fixed properties (security type included, so confidential-VM images stay
 * confidential), the version is created *from the staging version* — the exact bits that were
 * tested — and carries the same content digest, so a re-run writes nothing.
 */
export async function promote(
  settings: PromoteRequest,
  ctx: Omit<PublishContext, 'digest'> & {
    /** GitHub's attestations API, to check the source's attestation against. */
    attestations?: AttestationSource;
  },
): Promise<PromoteResult> {
  const { compute } = ctx.clients;
  const s = settings.source;
  // Read before any call to Azure: a report that is not there fails the run before sign-in.
  const reportTags = settings.validationReport
    ? {
        'validation-report-sha256': await fileSha256(settings.validationReport),
        ...(await imageBuilderTags(settings.validationReport)),
      }
    : {};
  const [sourceVersion, sourceDefinition] = await Promise.all([
    compute.galleryImageVersions
      .get(s.resourceGroup, s.gallery, s.imageDefinition, s.version)
      .catch((err: unknown) => {
        throw azureError(
          err,
          `reading the source version ${s.gallery}/${s.imageDefinition}/${s.version}`,
        );
      }),
    compute.galleryImages
      .get(s.resourceGroup, s.gallery, s.imageDefinition)
      .catch((err: unknown) => {
        throw azureError(err, `reading the source definition ${s.gallery}/${s.imageDefinition}`);
      }),
  ]);
  if (sourceVersion.provisioningState !== 'Succeeded') {
    throw new ConfigurationError(
      `Source version ${s.id} is ${sourceVersion.provisioningState}; only a Succeeded version can be promoted.`,
    );
  }
  // Only bits that are what was attested (the attestation tag itself is carried along).
  const attestation = await checkVersionAttestation(
    `Source version ${s.id}`,
    sourceVersion.tags ?? {},
    ctx.attestations,
    ctx.logger,
  );
  // Nothing is written (not even the resource group) until the production gallery is known.
  const gallery = await checkProductionGallery(compute, {
    resourceGroup: settings.resourceGroup,
    gallery: settings.gallery,
    createGallery: settings.createGallery,
    ...(settings.communityGalleryPublicName
      ? { publicName: settings.communityGalleryPublicName }
      : {}),
  });
  const definitionName = settings.imageDefinition ?? productionDefinitionName(s.imageDefinition);
  const existing = gallery.exists
    ? await findDefinition(compute, settings.resourceGroup, settings.gallery, definitionName)
    : undefined;
  const publishSettings = toPublishSettings(settings, sourceDefinition, sourceVersion, existing);
  const identifier = {
    publisher: publishSettings.definition.publisher,
    offer: publishSettings.definition.offer,
    sku: publishSettings.definition.sku,
  };
  reportIdentifier(settings, identifier, existing !== undefined, ctx.logger);
  ctx.logger.info(
    `Promoting ${s.gallery}/${s.imageDefinition}/${s.version} to ${settings.gallery}/${publishSettings.imageDefinition}/${publishSettings.imageVersion}.`,
  );
  const provenance: Record<string, string> = { ...ctx.provenance, 'promoted-from': s.id };
  if (ctx.provenance['published-by']) provenance['promoted-by'] = ctx.provenance['published-by'];
  delete provenance['published-by'];
  Object.assign(provenance, reportTags);
  const result = await publish(publishSettings, {
    ...ctx,
    digest: sourceVersion.tags?.[DIGEST_TAG] ?? `source:${s.id.toLowerCase()}`,
    provenance,
  });
  return {
    ...result,
    settings: publishSettings,
    sourceVersion,
    identifier,
    definitionExisted: existing !== undefined,
    ...(attestation ? { attestation } : {}),
  };
}

/**
 * Says which identifier the production definition carries. Identifier inputs that differ from
 * an existing definition's are not an error: the workflows pass them for a new definition, and
 * the existing one (made by image-builder's own publishing workflow with
 * `<publisher>/reference-images/<os>-<ver>`) is what CAPZ already uses.
 */
function reportIdentifier(
  settings: PromoteRequest,
  identifier: { publisher: string; offer: string; sku: string },
  existed: boolean,
  logger: PublishContext['logger'],
): void {
  const shown = `${identifier.publisher}/${identifier.offer}/${identifier.sku}`;
  if (!existed) {
    logger.info(`The new production definition gets the identifier ${shown}.`);
    return;
  }
  logger.info(`The production definition exists with identifier ${shown}; it is used as it is.`);
  const asked = (['publisher', 'offer', 'sku'] as const).filter(
    (k) =>
      settings.identifier[k] !== undefined &&
      settings.identifier[k]!.toLowerCase() !== identifier[k].toLowerCase(),
  );
  if (asked.length > 0) {
    logger.warning(
      `Input${asked.length > 1 ? 's' : ''} ${asked.map((k) => `'${k}'`).join(', ')} ` +
        `differ from the existing definition's identifier ${shown}; they apply only to a new definition.`,
    );
  }
}

/** The publish settings a promotion amounts to, with everything unset taken from the source. */
export function toPublishSettings(
  settings: PromoteRequest,
  definition: GalleryImage,
  version: GalleryImageVersion,
  existing?: GalleryImage,
): PublishRequest {
  const s = settings.source;
  const imageVersion = settings.imageVersion ?? s.version;
  const copiedTags = Object.fromEntries(
    Object.entries(version.tags ?? {}).filter(([k]) => !NOT_COPIED.has(k)),
  );
  return {
    resourceGroup: settings.resourceGroup,
    location: settings.location,
    gallery: settings.gallery,
    imageDefinition: settings.imageDefinition ?? productionDefinitionName(s.imageDefinition),
    imageVersion,
    source: { kind: 'gallery-image-version', id: s.id, galleryImageVersion: s },
    definition: {
      osType: definition.osType as 'Linux' | 'Windows',
      osState: definition.osState as 'Generalized' | 'Specialized',
      hyperVGeneration: (definition.hyperVGeneration ?? 'V1') as HyperVGeneration,
      securityType: (definition.features?.find((f) => f.name === 'SecurityType')?.value ??
        'Standard') as SecurityType,
      architecture: (definition.architecture ?? 'x64') as 'x64' | 'Arm64',
      // An existing production definition keeps its identifier; a new one gets the inputs'.
      ...(existing?.identifier
        ? {
            publisher: existing.identifier.publisher,
            offer: existing.identifier.offer,
            sku: existing.identifier.sku,
          }
        : {
            publisher: settings.identifier.publisher ?? definition.identifier!.publisher,
            offer: settings.identifier.offer ?? definition.identifier!.offer,
            sku: settings.identifier.sku ?? definition.identifier!.sku,
          }),
    },
    replication: settings.replication,
    ...endOfLife(settings, imageVersion),
    tags: { ...copiedTags, ...settings.tags },
    ifExists: settings.ifExists,
    sharing: settings.sharing,
    timeoutMinutes: settings.timeoutMinutes,
    pollIntervalSeconds: settings.pollIntervalSeconds,
  };
}

/** `capi-ubuntu-2404` → `capi-ubun2-2404` (docs/design.md, "naming"); other names stay as they are. */
export function productionDefinitionName(staging: string): string {
  if (!staging.startsWith('capi-')) return staging;
  try {
    return capzImageTarget(staging.slice('capi-'.length)).productionDefinition;
  } catch {
    return staging;
  }
}

/** `kubernetes` reads the minor from the version name (`1.31.2` → `1.31`). */
function endOfLife(
  settings: PromoteRequest,
  imageVersion: string,
): { endOfLife?: EndOfLifeSetting } {
  const eol = settings.endOfLife;
  if (eol.kind === 'none') return {};
  if (eol.kind === 'date') return { endOfLife: eol };
  const version = isValidName(imageVersionNameRule, imageVersion)
    ? tryParseKubernetesVersion(imageVersion)
    : undefined;
  if (!version || version.major !== 1) {
    throw new ConfigurationError(
      `Input 'end-of-life-date' is 'kubernetes', but version '${imageVersion}' is not a Kubernetes version; give a date or 'none'.`,
    );
  }
  return { endOfLife: { kind: 'kubernetes', minor: minorKey(version) } };
}

async function fileSha256(path: string): Promise<string> {
  try {
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch (err) {
    throw new ConfigurationError(
      `Input 'validation-report': cannot read '${path}': ${(err as Error).message}`,
    );
  }
}

/**
 * image-builder's version and commit as the validated image stated them (the report's
 * `imageBuilder`, from its /etc/image-builder-release), as tags of the production version.
 */
export async function imageBuilderTags(reportPath: string): Promise<Record<string, string>> {
  let report: { imageBuilder?: { version?: unknown; commit?: unknown } };
  try {
    report = JSON.parse(await readFile(reportPath, 'utf8')) as typeof report;
  } catch {
    return {};
  }
  const tags: Record<string, string> = {};
  const { version, commit } = report.imageBuilder ?? {};
  if (typeof version === 'string' && version) tags['image-builder-version'] = version;
  if (typeof commit === 'string' && commit) tags['image-builder-commit'] = commit;
  return tags;
}
