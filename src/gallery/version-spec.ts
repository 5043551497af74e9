/**
 * What an image version is asked to be, and what ensuring and waiting for it need. Both
 * ensure-version.ts and wait-version.ts read these, so they live apart from either.
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { Logger } from '../common/logger.js';
import type { Clock } from './clock.js';
import type { ImageSource } from './identifiers.js';
import type { ReplicationMode, StorageAccountType } from './names.js';

export type VersionApi = Pick<ComputeManagementClient, 'galleryImageVersions'>;

/** What a version is made from: the same union publish-to-gallery's inputs produce. */
export type VersionSource = ImageSource;

/** One region a version is replicated to, with every default filled in. */
export interface TargetRegion {
  /** Lower-case region name. */
  readonly name: string;
  /** Replicas in this region, 1-100. */
  readonly replicas: number;
  /** Storage for the replicas in this region. */
  readonly storageAccountType: StorageAccountType;
}

export type IfExists = 'skip' | 'replace' | 'fail';

export interface VersionSpec {
  resourceGroup: string;
  gallery: string;
  definition: string;
  version: string;
  location: string;
  source: VersionSource;
  /** `sha256:<hex>` of the VHD, or `source:<resource ID>`; stored in the DIGEST_TAG tag. */
  digest: string;
  /** Every region the version is replicated to, the source region included. */
  targetRegions: TargetRegion[];
  replicaCount: number;
  storageAccountType: StorageAccountType;
  replicationMode?: ReplicationMode;
  excludeFromLatest: boolean;
  endOfLifeDate?: Date;
  tags: Record<string, string>;
  ifExists: IfExists;
  /** Bounds the whole wait for replication. */
  timeoutMs: number;
}

export interface VersionContext {
  logger: Logger;
  clock: Clock;
  pollIntervalMs: number;
}
