import type { GalleryImageVersion, TargetRegion as AzureTargetRegion } from '@azure/arm-compute';
import { ConfigurationError } from '../common/errors.js';
import { azureError, isNotFound, statusOf } from '../azure/errors.js';
import { normalizeRegionName } from './names.js';
import type { VersionApi, VersionContext, VersionSource, VersionSpec } from './version-spec.js';
import { describeReplication, waitForVersion } from './wait-version.js';
import type { Operation, RegionProgress } from './wait-version.js';

/** The tag that records what a version was made from, so a re-run can tell same from different. */
export const DIGEST_TAG = 'content-digest';

export type {
  IfExists,
  TargetRegion,
  VersionApi,
  VersionContext,
  VersionSource,
  VersionSpec,
} from './version-spec.js';

export type VersionAction = 'created' | 'finished' | 'unchanged' | 'replaced' | 'regions-updated';

export interface VersionOutcome {
  id: string;
  action: VersionAction;
  /** True when this run wrote the version's content (created, finished or replaced it). */
  created: boolean;
  regions: RegionProgress[];
  /** With `replaced`: how long the version name pointed at nothing usable. */
  gapMs?: number;
  /** The digest the version carries. */
  digest: string;
}

/**
 * Makes sure `spec.version` exists with `spec.digest`'s content and is replicated everywhere
 * asked. Idempotent: a re-run finds what the last run left (created, half-created, failed) and
 * finishes it; an identical version is never written again.
 */
export async function ensureImageVersion(
  api: VersionApi,
  spec: VersionSpec,
  ctx: VersionContext,
): Promise<VersionOutcome> {
  const deadline = ctx.clock.now() + spec.timeoutMs;
  const name = `${spec.gallery}/${spec.definition}/${spec.version}`;
  let foundInProgress = false;
  // A few rounds at most: each one either finishes or moves the version to a state we handle.
  for (let round = 0; round < 5; round++) {
    const existing = await getVersion(api, spec);
    if (!existing) {
      let operation: Operation;
      try {
        operation = await submitCreate(api, spec, ctx);
      } catch (err) {
        if (statusOf(err) === 409) {
          ctx.logger.info(`Another run is writing ${name} (409 Conflict); waiting for it instead.`);
          continue;
        }
        throw azureError(err, `creating image version ${name}`);
      }
      const done = await waitForVersion(api, spec, deadline, ctx, { operation });
      return outcome(done, spec, 'created');
    }
    const state = existing.provisioningState;
    if (state === 'Creating' || state === 'Updating' || state === 'Deleting') {
      ctx.logger.info(`Found ${name} in state ${state}; waiting for it to finish.`);
      foundInProgress ||= state !== 'Deleting';
      await waitForVersion(api, spec, deadline, ctx, {
        allowGone: state === 'Deleting',
        allowFailed: true,
      });
      continue;
    }
    if (state === 'Failed') {
      if (spec.ifExists !== 'replace') {
        throw new ConfigurationError(
          `Image version ${name} exists in state Failed. Set input 'if-exists' to 'replace' to delete and publish it again.`,
        );
      }
      ctx.logger.warning(`Image version ${name} is Failed; deleting it to publish again.`);
      await deleteVersion(api, spec, ctx);
      continue;
    }
    const digest = existing.tags?.[DIGEST_TAG];
    const comparable = digest === undefined || digestScheme(digest) === digestScheme(spec.digest);
    if (!comparable) {
      // A version published before build-image streamed its disks carries `sha256:<hex>`; a
      // re-run now computes `content-v1:<hex>`. Different kinds of digest say nothing about
      // whether the content differs, so this is not taken for a change.
      ctx.logger.warning(
        `Image version ${name} carries ${DIGEST_TAG} '${digest}', a ${digestScheme(digest)} digest; ` +
          `this run computed a ${digestScheme(spec.digest)} one ('${spec.digest}'). The two cannot be ` +
          'compared, so the version is taken as it is, not as different content.',
      );
    }
    if (digest === spec.digest || !comparable) {
      if (spec.ifExists === 'fail' && !foundInProgress) {
        throw new ConfigurationError(
          `Image version ${name} already exists and input 'if-exists' is 'fail'.`,
        );
      }
      return ensureRegions(api, spec, existing, ctx, deadline, foundInProgress);
    }
    if (spec.ifExists !== 'replace') {
      throw new ConfigurationError(
        `Image version ${name} already exists with different content: it carries ${DIGEST_TAG} '${digest ?? '(none)'}', this run publishes '${spec.digest}'. ` +
          `Publish a new version, or set input 'if-exists' to 'replace' (CAPZ users pinned to this version lose it until the new one has replicated).`,
      );
    }
    return replace(api, spec, ctx, deadline);
  }
  throw new Error(`Image version ${name} kept changing state while we waited; try again.`);
}

async function getVersion(
  api: VersionApi,
  spec: VersionSpec,
): Promise<GalleryImageVersion | undefined> {
  try {
    return await api.galleryImageVersions.get(
      spec.resourceGroup,
      spec.gallery,
      spec.definition,
      spec.version,
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw azureError(err, `reading image version ${spec.version}`);
  }
}

/**
 * Sends the PUT and returns once Azure accepted it; `waitForVersion` follows replication and,
 * should the version end Failed, asks the returned operation for Azure's reason.
 */
async function submitCreate(
  api: VersionApi,
  spec: VersionSpec,
  ctx: VersionContext,
): Promise<Operation> {
  const logger = ctx.logger;
  logger.info(
    `Creating image version ${spec.gallery}/${spec.definition}/${spec.version} from ${describeSource(spec.source)}.`,
  );
  const poller = api.galleryImageVersions.createOrUpdate(
    spec.resourceGroup,
    spec.gallery,
    spec.definition,
    spec.version,
    versionBody(spec),
    { updateIntervalInMs: ctx.pollIntervalMs },
  );
  await poller.submitted();
  return () => poller.pollUntilDone();
}

export function versionBody(spec: VersionSpec): GalleryImageVersion {
  const storageProfile =
    spec.source.kind === 'vhd'
      ? {
          osDiskImage: {
            source: { uri: spec.source.uri, storageAccountId: spec.source.storageAccountId },
          },
        }
      : { source: { id: spec.source.id } };
  return {
    location: spec.location,
    tags: { ...spec.tags, [DIGEST_TAG]: spec.digest },
    publishingProfile: publishingProfile(spec),
    storageProfile,
  };
}

function publishingProfile(spec: VersionSpec): GalleryImageVersion['publishingProfile'] {
  return {
    targetRegions: spec.targetRegions.map((r): AzureTargetRegion => ({
      name: r.name,
      regionalReplicaCount: r.replicas,
      storageAccountType: r.storageAccountType,
    })),
    replicaCount: spec.replicaCount,
    storageAccountType: spec.storageAccountType,
    excludeFromLatest: spec.excludeFromLatest,
    ...(spec.replicationMode ? { replicationMode: spec.replicationMode } : {}),
    ...(spec.endOfLifeDate ? { endOfLifeDate: spec.endOfLifeDate } : {}),
  };
}

function describeSource(source: VersionSource): string {
  return source.kind === 'vhd' ? `VHD ${source.uri}` : `${source.kind} ${source.id}`;
}

/** Same content already there: write nothing, unless regions or replicas were added. */
async function ensureRegions(
  api: VersionApi,
  spec: VersionSpec,
  existing: GalleryImageVersion,
  ctx: VersionContext,
  deadline: number,
  foundInProgress: boolean,
): Promise<VersionOutcome> {
  const name = `${spec.gallery}/${spec.definition}/${spec.version}`;
  if (!regionsDiffer(existing, spec)) {
    ctx.logger.info(
      `Image version ${name} already exists with the same content (${spec.digest}); nothing to write.`,
    );
    // `existing` is Succeeded, so every region has replicated: no need to read it again.
    return outcome(existing, spec, foundInProgress ? 'finished' : 'unchanged');
  }
  ctx.logger.info(`Image version ${name} has the same content; updating its target regions.`);
  try {
    const poller = api.galleryImageVersions.update(
      spec.resourceGroup,
      spec.gallery,
      spec.definition,
      spec.version,
      {
        publishingProfile: publishingProfile(spec),
      },
    );
    await poller.submitted();
  } catch (err) {
    throw azureError(err, `updating the target regions of ${name}`);
  }
  return outcome(await waitForVersion(api, spec, deadline, ctx), spec, 'regions-updated');
}

export function regionsDiffer(existing: GalleryImageVersion, spec: VersionSpec): boolean {
  const key = (name: string, replicas: number | undefined, storage: string | undefined): string =>
    `${normalizeRegionName(name)}/${replicas ?? 1}/${storage ?? spec.storageAccountType}`;
  const have = (existing.publishingProfile?.targetRegions ?? [])
    .map((r) => key(r.name, r.regionalReplicaCount, r.storageAccountType))
    .sort();
  const want = spec.targetRegions.map((r) => key(r.name, r.replicas, r.storageAccountType)).sort();
  return have.join(',') !== want.join(',');
}

/** Delete, then create: the gap is measured from the delete until the new version is usable. */
async function replace(
  api: VersionApi,
  spec: VersionSpec,
  ctx: VersionContext,
  deadline: number,
): Promise<VersionOutcome> {
  const name = `${spec.gallery}/${spec.definition}/${spec.version}`;
  ctx.logger.warning(`Replacing ${name}: it will be missing until the new version has replicated.`);
  const start = ctx.clock.now();
  await deleteVersion(api, spec, ctx);
  let operation: Operation;
  try {
    operation = await submitCreate(api, spec, ctx);
  } catch (err) {
    throw azureError(err, `re-creating image version ${name} (the old one is already deleted)`);
  }
  const done = await waitForVersion(api, spec, deadline, ctx, { operation });
  const gapMs = ctx.clock.now() - start;
  ctx.logger.warning(
    `${name} was unavailable for ${Math.round(gapMs / 1000)} s while it was replaced.`,
  );
  return { ...outcome(done, spec, 'replaced'), gapMs };
}

async function deleteVersion(
  api: VersionApi,
  spec: VersionSpec,
  ctx: VersionContext,
): Promise<void> {
  await api.galleryImageVersions
    .delete(spec.resourceGroup, spec.gallery, spec.definition, spec.version, {
      updateIntervalInMs: ctx.pollIntervalMs,
    })
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw azureError(err, `deleting image version ${spec.version}`);
    });
}

function outcome(
  version: GalleryImageVersion,
  spec: VersionSpec,
  action: VersionAction,
): VersionOutcome {
  return {
    id: version.id!,
    action,
    // Exactly one run creates a version: one that found another run's create and waited for it
    // ('finished') reports created=false, as does every run that found it done. A re-run of the
    // run whose create it found (a cancelled or killed attempt) finishes its own work: true.
    created:
      action === 'created' ||
      action === 'replaced' ||
      (action === 'finished' && sameRun(version.tags?.['published-by'], spec.tags['published-by'])),
    regions: describeReplication(version, spec),
    digest: version.tags?.[DIGEST_TAG] ?? spec.digest,
  };
}

/** Whether two `published-by` run URLs name the same workflow run, whatever the attempt. */
function sameRun(a: string | undefined, b: string | undefined): boolean {
  const run = (url: string) => url.replace(/\/attempts\/\d+$/, '');
  return a !== undefined && b !== undefined && run(a) === run(b);
}

/** The kind of a content digest: what stands before its first colon (`sha256`, `content-v1`). */
export function digestScheme(digest: string): string {
  const colon = digest.indexOf(':');
  return colon < 0 ? '' : digest.slice(0, colon).toLowerCase();
}
