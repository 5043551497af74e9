import type { GalleryImageVersion } from '@azure/arm-compute';
import { normalizeRegionName } from './names.js';
import { azureError, isNotFound } from '../azure/errors.js';
import type { VersionApi, VersionContext, VersionSpec } from './version-spec.js';

/** One target region as the summary shows it. */
export interface RegionProgress {
  region: string;
  replicas: number;
  storageAccountType: string;
  state: string;
  progress: number;
}

/**
 * Polls the version with `$expand=ReplicationStatus` until it is Succeeded, logging each
 * region's progress when it changes. Throws on Failed (naming the failing regions) and when the
 * deadline passes (the version goes on replicating in Azure; a re-run picks it up).
 */
export async function waitForVersion(
  api: VersionApi,
  spec: VersionSpec,
  deadline: number,
  ctx: VersionContext,
  options: { allowGone?: boolean; allowFailed?: boolean } = {},
): Promise<GalleryImageVersion> {
  const name = `${spec.gallery}/${spec.definition}/${spec.version}`;
  let last = '';
  for (;;) {
    let version: GalleryImageVersion;
    try {
      version = await api.galleryImageVersions.get(
        spec.resourceGroup,
        spec.gallery,
        spec.definition,
        spec.version,
        { expand: 'ReplicationStatus' },
      );
    } catch (err) {
      if (options.allowGone && isNotFound(err)) return {} as GalleryImageVersion;
      throw azureError(err, `reading image version ${name}`);
    }
    const regions = describeReplication(version, spec);
    const line = regions.map((r) => `${r.region} ${r.state} ${r.progress}%`).join(', ');
    // Log when a state changes or a region passes a 10% step, not on every percent.
    const milestone = `${version.provisioningState} ${regions.map((r) => `${r.state}/${Math.floor(r.progress / 10)}`).join(',')}`;
    if (milestone !== last) {
      ctx.logger.info(`${name} ${version.provisioningState}: ${line}`);
      last = milestone;
    }
    if (version.provisioningState === 'Succeeded') return version;
    if (version.provisioningState === 'Failed') {
      if (options.allowFailed) return version;
      const failed = regions.filter((r) => r.state === 'Failed').map((r) => r.region);
      const details = version.replicationStatus?.summary
        ?.filter((s) => s.state === 'Failed')
        .map((s) => s.details)
        .filter(Boolean);
      throw new Error(
        `Image version ${name} failed${failed.length ? ` to replicate to ${failed.join(', ')}` : ''}.` +
          (details?.length ? ` ${details.join(' ')}` : '') +
          ` Set input 'if-exists' to 'replace' to publish it again.`,
      );
    }
    if (ctx.clock.now() >= deadline) {
      throw new Error(
        `Timed out waiting for image version ${name} (state ${version.provisioningState}: ${line}). ` +
          `Azure keeps replicating it; run again to pick it up, or raise input 'timeout-minutes'.`,
      );
    }
    await ctx.clock.sleep(ctx.pollIntervalMs);
  }
}

/** Target regions joined with their replication status (region names normalised both sides). */
export function describeReplication(
  version: GalleryImageVersion,
  spec: Pick<VersionSpec, 'storageAccountType'>,
): RegionProgress[] {
  const status = new Map(
    (version.replicationStatus?.summary ?? []).map((s) => [normalizeRegionName(s.region ?? ''), s]),
  );
  return (version.publishingProfile?.targetRegions ?? []).map((t) => {
    const s = status.get(normalizeRegionName(t.name));
    const done = version.provisioningState === 'Succeeded';
    return {
      region: t.name,
      replicas: t.regionalReplicaCount ?? 1,
      storageAccountType: t.storageAccountType ?? spec.storageAccountType,
      state: s?.state ?? (done ? 'Completed' : 'Unknown'),
      progress: s?.progress ?? (done ? 100 : 0),
    };
  });
}
