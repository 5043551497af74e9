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
  /**
   * Resources by ARM type, then by the key they sit under (their key without its last
   * `/type/name`): built when a list first needs it, kept up to date by put and delete, dropped
   * when the world is replaced. Without it, each list page of a 10,000-version gallery scanned
   * every resource (bench:inventory).
   */
  private byType: TypeIndex | undefined;

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
    this.byType = undefined;
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
    this.byType = undefined;
    this.save();
  }

  get(id: string): StoredResource | undefined {
    return this.state.resources[key(id)];
  }

  put(resource: StoredResource): void {
    const k = key(resource.id);
    const before = this.state.resources[k];
    if (this.byType && before) unindex(this.byType, k, before);
    this.state.resources[k] = resource;
    if (this.byType) index(this.byType, k, resource);
  }

  delete(id: string): void {
    const k = key(id);
    const before = this.state.resources[k];
    if (this.byType && before) unindex(this.byType, k, before);
    delete this.state.resources[k];
  }

  /** Children of `parentId` of the given ARM type. */
  children(parentId: string, type: string): StoredResource[] {
    // The ARM type fixes the depth, so "descendant of that type" is "child".
    if (!this.byType) {
      this.byType = new Map();
      for (const [k, r] of Object.entries(this.state.resources)) index(this.byType, k, r);
    }
    const parent = key(parentId);
    const found: StoredResource[] = [];
    for (const [under, resources] of this.byType.get(type.toLowerCase()) ?? []) {
      if (under === parent || under.startsWith(`${parent}/`)) found.push(...resources.values());
    }
    return found;
  }

  /** Every resource whose ID starts with `prefixId/` (all descendants). */
  descendants(prefixId: string): StoredResource[] {
    const prefix = key(prefixId) + '/';
    // Resources are stored under key(id): test the key rather than key(r.id) of each of them.
    const { resources } = this.state;
    const found: StoredResource[] = [];
    for (const k in resources) if (k.startsWith(prefix)) found.push(resources[k]!);
    return found;
  }

  all(): StoredResource[] {
    return Object.values(this.state.resources);
  }
}

/** Type → the key a resource sits under → key → resource. */
type TypeIndex = Map<string, Map<string, Map<string, StoredResource>>>;

const under = (k: string): string => k.slice(0, k.lastIndexOf('/', k.lastIndexOf('/') - 1));

function index(byType: TypeIndex, k: string, r: StoredResource): void {
  const t = r.type.toLowerCase();
  let byParent = byType.get(t);
  if (!byParent) byType.set(t, (byParent = new Map()));
  let resources = byParent.get(under(k));
  if (!resources) byParent.set(under(k), (resources = new Map()));
  resources.set(k, r);
}

function unindex(byType: TypeIndex, k: string, r: StoredResource): void {
  byType.get(r.type.toLowerCase())?.get(under(k))?.delete(k);
}

/** ARM IDs compare case-insensitively. */
export const key = (id: string): string => id.toLowerCase().replace(/\/+$/, '');
