import { displayRegion, normalizeRegion } from './regions.js';
import type { RegionReplication, StoredResource } from './store.js';

/**
 * Replication of an image version to its target regions. Each region gets a timeline when it is
 * added (start, duration, whether it fails); progress is read off the clock, so a restarted
 * stand-in carries on where it was.
 */
export interface ReplicationSettings {
  replicationMs: number;
  failRegions: string[];
}

/** Starts replication for regions that are new; keeps the timeline of regions already there. */
export function retimeReplication(
  r: StoredResource,
  targetRegions: { name: string; regionalReplicaCount: number }[],
  settings: ReplicationSettings,
  now = Date.now(),
): void {
  const previous = new Map(
    (r.internal.replication ?? []).map((x) => [normalizeRegion(x.region), x]),
  );
  const fail = new Set(settings.failRegions.map(normalizeRegion));
  r.internal.replication = targetRegions.map((t) => {
    const region = normalizeRegion(t.name);
    const kept = previous.get(region);
    if (kept) return kept;
    // More replicas take a little longer, as they do in Azure.
    const durationMs = Math.round(
      settings.replicationMs * (1 + (t.regionalReplicaCount - 1) * 0.1),
    );
    return { region, startedAt: now, durationMs, fails: fail.has(region) };
  });
}

/** Milliseconds until every region has finished (at least `floorMs`). */
export function replicationRemaining(r: StoredResource, floorMs: number, now = Date.now()): number {
  const remaining = (r.internal.replication ?? []).map((x) => x.startedAt + x.durationMs - now);
  return Math.max(floorMs, ...remaining);
}

/** The error a version's operation ends with when a target region fails. */
export function failingRegion(r: StoredResource): { code: string; message: string } | undefined {
  const bad = (r.internal.replication ?? []).find((x) => x.fails);
  if (!bad) return undefined;
  return {
    code: 'ReplicationFailed',
    message: `Replication of gallery image version '${r.name}' to region '${displayRegion(bad.region)}' failed. Retry the operation or remove the region from the target regions.`,
  };
}

export type RegionState = 'Unknown' | 'Replicating' | 'Completed' | 'Failed';

export function regionState(
  x: RegionReplication,
  now = Date.now(),
): { state: RegionState; progress: number } {
  const progress = Math.min(
    100,
    Math.floor(((now - x.startedAt) / Math.max(1, x.durationMs)) * 100),
  );
  if (progress < 100) return { state: 'Replicating', progress: Math.max(0, progress) };
  // A failed region stops short of 100.
  return x.fails ? { state: 'Failed', progress: 99 } : { state: 'Completed', progress: 100 };
}

/** `properties.replicationStatus` as `$expand=ReplicationStatus` shows it. */
export function replicationStatus(r: StoredResource, now = Date.now()): Record<string, unknown> {
  const summary = (r.internal.replication ?? []).map((x) => {
    const { state, progress } = regionState(x, now);
    return {
      region: displayRegion(x.region),
      state,
      details:
        state === 'Failed' ? `Replication to region '${displayRegion(x.region)}' failed.` : '',
      progress,
    };
  });
  const states = summary.map((s) => s.state);
  const aggregatedState = states.includes('Failed')
    ? 'Failed'
    : states.every((s) => s === 'Completed')
      ? 'Completed'
      : 'InProgress';
  return { aggregatedState, summary };
}

/** Whether the version has finished replicating to `region` (community reads show it there). */
export function replicatedTo(r: StoredResource, region: string, now = Date.now()): boolean {
  const x = (r.internal.replication ?? []).find(
    (y) => normalizeRegion(y.region) === normalizeRegion(region),
  );
  return x !== undefined && regionState(x, now).state === 'Completed';
}
