import type { AzureClients } from '../azure/clients.js';
import { ensureResourceGroup } from '../azure/resource-group.js';
import type { Logger } from '../common/logger.js';
import type { Clock } from './clock.js';
import { sourceDigest } from './digest.js';
import type { BlobDigestReader } from './digest.js';
import { ensureImageDefinition } from './ensure-definition.js';
import { ensureGallery } from './ensure-gallery.js';
import { ensureImageVersion } from './ensure-version.js';
import type { VersionOutcome } from './ensure-version.js';
import type { VersionSpec } from './version-spec.js';
import { capzImageReference, communityImageId } from './reference.js';
import type { SupportCalendar } from '../kubernetes/support.js';
import { startOfIsoDate, toIsoDate } from '../kubernetes/dates.js';
import type { PublishRequest } from './request.js';

/** What publishing needs from outside: clients, time, the release calendar, provenance. */
export interface PublishContext {
  clients: AzureClients;
  logger: Logger;
  clock: Clock;
  pollIntervalMs: number;
  now: Date;
  /** Loaded only when `end-of-life-date: kubernetes` asks for it. */
  loadSupportCalendar: () => Promise<SupportCalendar>;
  readBlobDigest?: BlobDigestReader;
  /** `source-sha256`, when the caller knows the VHD's digest. */
  sourceSha256?: string;
  /** Provenance tags (run URL, commit, …) added to the user's tags. */
  provenance: Record<string, string>;
  /** The content digest when the caller already knows it (promote copies the source's). */
  digest?: string;
}

export interface PublishResult {
  galleryId: string;
  definitionId: string;
  version: VersionOutcome;
  publicName?: string;
  communityImageId?: string;
  imageReference: string;
  endOfLifeDate?: string;
  tags: Record<string, string>;
}

/** Resource group → gallery → definition → version, each made sure of, in that order. */
export async function publish(
  settings: PublishRequest,
  ctx: PublishContext,
): Promise<PublishResult> {
  const { compute } = ctx.clients;
  const wait = { pollIntervalMs: ctx.pollIntervalMs };
  const endOfLifeDate = await resolveEndOfLife(settings, ctx);
  const digest =
    ctx.digest ??
    (await sourceDigest(settings.source, {
      sha256: ctx.sourceSha256,
      readBlobDigest: ctx.readBlobDigest,
      logger: ctx.logger,
    }));
  const tags = {
    ...settings.tags,
    ...ctx.provenance,
    source: settings.source.kind === 'vhd' ? settings.source.uri : settings.source.id,
  };

  await ensureResourceGroup(
    ctx.clients.resources,
    settings.resourceGroup,
    settings.location,
    ctx.logger,
  );
  const gallery = await ensureGallery(
    compute,
    {
      resourceGroup: settings.resourceGroup,
      name: settings.gallery,
      location: settings.location,
      ...(settings.sharing.kind === 'community' ? { community: settings.sharing } : {}),
    },
    ctx.logger,
    wait,
  );
  const definition = await ensureImageDefinition(
    compute,
    definitionSpec(settings),
    ctx.logger,
    wait,
  );
  const version = await ensureImageVersion(
    compute,
    versionSpec(settings, digest, tags, endOfLifeDate),
    { logger: ctx.logger, clock: ctx.clock, pollIntervalMs: ctx.pollIntervalMs },
  );

  const publicName = gallery.publicName;
  const imageReference = referenceOf(settings, publicName, ctx.clients.subscriptionId);
  return {
    galleryId: gallery.id,
    definitionId: definition.id,
    version,
    ...(publicName
      ? {
          publicName,
          communityImageId: communityImageId(
            publicName,
            settings.imageDefinition,
            settings.imageVersion,
          ),
        }
      : {}),
    imageReference,
    ...(endOfLifeDate ? { endOfLifeDate } : {}),
    tags,
  };
}

/** The definition a publish makes sure of: its fixed properties, from the request. */
function definitionSpec(settings: PublishRequest): Parameters<typeof ensureImageDefinition>[1] {
  return {
    resourceGroup: settings.resourceGroup,
    gallery: settings.gallery,
    name: settings.imageDefinition,
    location: settings.location,
    osType: settings.definition.osType,
    osState: settings.definition.osState ?? 'Generalized',
    hyperVGeneration: settings.definition.hyperVGeneration,
    architecture: settings.definition.architecture,
    securityType: settings.definition.securityType,
    identifier: {
      publisher: settings.definition.publisher,
      offer: settings.definition.offer,
      sku: settings.definition.sku,
    },
  };
}

/** The version a publish makes sure of: source, content digest, replication, tags. */
function versionSpec(
  settings: PublishRequest,
  digest: string,
  tags: Record<string, string>,
  endOfLifeDate: string | undefined,
): VersionSpec {
  return {
    resourceGroup: settings.resourceGroup,
    gallery: settings.gallery,
    definition: settings.imageDefinition,
    version: settings.imageVersion,
    location: settings.location,
    source: settings.source,
    digest,
    targetRegions: settings.replication.targetRegions.map((r) => ({ ...r })),
    replicaCount: settings.replication.replicaCount,
    storageAccountType: settings.replication.storageAccountType,
    replicationMode: settings.replication.mode,
    excludeFromLatest: settings.replication.excludeFromLatest,
    ...(endOfLifeDate ? { endOfLifeDate: startOfIsoDate(endOfLifeDate) } : {}),
    tags: boundTags(tags),
    ifExists: settings.ifExists,
    timeoutMs: settings.timeoutMinutes * 60_000,
  };
}

/** CAPZ's `image:` stanza: by public name in a community gallery, else by resource ID. */
function referenceOf(
  settings: PublishRequest,
  publicName: string | undefined,
  subscriptionId: string,
): string {
  return capzImageReference(
    publicName
      ? {
          kind: 'community',
          publicName,
          definition: settings.imageDefinition,
          version: settings.imageVersion,
        }
      : {
          kind: 'private',
          subscriptionId,
          resourceGroup: settings.resourceGroup,
          gallery: settings.gallery,
          definition: settings.imageDefinition,
          version: settings.imageVersion,
        },
  );
}

/** `end-of-life-date: kubernetes` becomes the minor's end of life from the release calendar. */
async function resolveEndOfLife(
  settings: PublishRequest,
  ctx: PublishContext,
): Promise<string | undefined> {
  const eol = settings.endOfLife;
  if (!eol) return undefined;
  if (eol.kind === 'date') return eol.date;
  const calendar = await ctx.loadSupportCalendar();
  const support = calendar.endOfLifeFor(eol.minor);
  if (!support) {
    ctx.logger.warning(
      `No end-of-life date is known for Kubernetes ${eol.minor}; the version gets none.`,
    );
    return undefined;
  }
  ctx.logger.info(
    `Kubernetes ${eol.minor} reaches end of life on ${support.endOfLifeDate} (${support.source}).`,
  );
  if (support.endOfLifeDate < toIsoDate(ctx.now)) {
    ctx.logger.warning(
      `Kubernetes ${eol.minor} is already past its end of life (${support.endOfLifeDate}).`,
    );
  }
  return support.endOfLifeDate;
}

/** Azure allows 50 tags with values of at most 256 characters; say so rather than fail late. */
function boundTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags).map(([k, v]) => [k, v.length > 256 ? `${v.slice(0, 253)}...` : v]),
  );
}
