import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One ARM resource as the stand-in keeps it. `body` is what GET returns, minus computed parts. */
export interface StoredResource {
  id: string;
  /** ARM type, e.g. `Microsoft.Compute/galleries/images/versions`. */
  type: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  /** Top-level `sku` and `kind` (storage accounts). */
  sku?: Record<string, unknown>;
  kind?: string;
  properties: Record<string, unknown>;
  /** Non-ARM bookkeeping: never serialised to clients. */
  internal: ResourceInternal;
}

export interface ResourceInternal {
  createdAt: number;
  /** The long-running operation currently running on this resource, if any. */
  operationId?: string;
  /** Per-region replication timeline for image versions. */
  replication?: RegionReplication[];
  /** Set while a DELETE is in flight. */
  deleting?: boolean;
}

export interface RegionReplication {
  region: string;
  startedAt: number;
  durationMs: number;
  fails: boolean;
}

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

/** A long-running operation: its outcome is decided when it starts and revealed over time. */
export interface Operation {
  id: string;
  kind: 'create' | 'update' | 'delete' | 'action';
  resourceId: string;
  location: string;
  startedAt: number;
  durationMs: number;
  outcome: 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  /** Set once the effects of completion were applied to the resource store. */
  settled?: boolean;
  /** What the `Location` (monitor) URL answers once an action succeeded. */
  result?: unknown;
}

export interface RequestRecord {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: string;
  status: number;
  /** What the fault injector did to this request, if anything. */
  fault?: string;
}

export interface WorldState {
  version: 1;
  resources: Record<string, StoredResource>;
  operations: Record<string, Operation>;
  /** Registered client secrets; clients not listed here may use any non-empty secret. */
  clients: Record<string, string>;
  /** Federated identity credentials by client ID: the only assertions Entra accepts. */
  federatedCredentials: Record<string, FederatedCredential[]>;
}

/** A federated identity credential of an app registration, as Entra's Graph API has it. */
export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

const emptyState = (): WorldState => ({
  version: 1,
  resources: {},
  operations: {},
  clients: {},
  federatedCredentials: {},
});

/**
 * The persisted world. Every mutation is written to `state.json` in the data dir with an atomic
 * rename, and the file is re-read when another process changed it, so a restarted stand-in (or a
 * second one on the same dir) sees the same resources.
 */
/** From this many resources on, writes are batched (see Store.save). */
const LARGE_WORLD = 2000;
const LARGE_WORLD_DELAY_MS = 250;

export class Store {
  private state: WorldState;
  private readonly path: string;
  /** Identity of the file version we last read or wrote: inode, mtime and size. */
  private lastSeen = '';
  private pendingFlush: NodeJS.Timeout | undefined;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'state.json');
    this.state = emptyState();
    this.reloadIfChanged();
  }

  /** Picks up writes made by another process since we last read or wrote the file. */
  reloadIfChanged(): void {
    // Unwritten changes of ours win over the file; they are written shortly.
    if (this.pendingFlush || !existsSync(this.path)) return;
    const version = this.fileVersion();
    if (version === this.lastSeen) return;
    // Stat before reading: a write landing in between is picked up next time.
    const text = readFileSync(this.path, 'utf8');
    this.lastSeen = version;
    this.state = { ...emptyState(), ...(JSON.parse(text) as WorldState) };
  }

  /**
   * Persists the world. A small world (what tests and the demo make) is written at once, so a
   * second stand-in on the same dir sees every write; a large one (benchmarks seed ten thousand
   * versions) is written at most every LARGE_WORLD_DELAY_MS, because rewriting megabytes on every
   * request would make the stand-in, not the client, the thing being measured.
   */
  save(): void {
    if (Object.keys(this.state.resources).length < LARGE_WORLD) {
      this.flush();
      return;
    }
    this.pendingFlush ??= setTimeout(() => this.flush(), LARGE_WORLD_DELAY_MS);
    this.pendingFlush.unref();
  }

  /** Writes the world now (and cancels a delayed write). */
  flush(): void {
    if (this.pendingFlush) clearTimeout(this.pendingFlush);
    this.pendingFlush = undefined;
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.path);
    this.lastSeen = this.fileVersion();
  }

  /**
   * Every save is an atomic rename, so a new inode marks a new version even when two writes
   * land in the same millisecond.
   */
  private fileVersion(): string {
    const st = statSync(this.path);
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  }

  get world(): WorldState {
    return this.state;
  }

  /** Forgets resources and operations; app registrations (secrets, federated credentials) stay. */
  reset(): void {
    const { clients, federatedCredentials } = this.state;
    this.state = { ...emptyState(), clients, federatedCredentials };
    this.save();
  }

  get(id: string): StoredResource | undefined {
    return this.state.resources[key(id)];
  }

  put(resource: StoredResource): void {
    this.state.resources[key(resource.id)] = resource;
  }

  delete(id: string): void {
    delete this.state.resources[key(id)];
  }

  /** Children of `parentId` of the given ARM type. */
  children(parentId: string, type: string): StoredResource[] {
    // The ARM type fixes the depth, so "descendant of that type" is "child".
    const t = type.toLowerCase();
    return this.descendants(parentId).filter((r) => r.type.toLowerCase() === t);
  }

  /** Every resource whose ID starts with `prefixId/` (all descendants). */
  descendants(prefixId: string): StoredResource[] {
    const prefix = key(prefixId) + '/';
    return Object.values(this.state.resources).filter((r) => key(r.id).startsWith(prefix));
  }

  all(): StoredResource[] {
    return Object.values(this.state.resources);
  }
}

/** ARM IDs compare case-insensitively. */
export const key = (id: string): string => id.toLowerCase().replace(/\/+$/, '');
