import { randomUUID } from 'node:crypto';
import type { Operation, Store, StoredResource } from './store.js';

/**
 * Long-running operations. An operation's outcome is decided when it starts and becomes visible
 * once its duration has passed; `settle` applies finished operations to the resources. Time, not
 * polling, moves things on, so a restarted stand-in finishes what it had started.
 */
export class Operations {
  private lastSweep = 0;

  constructor(private readonly store: Store) {}

  start(
    op: Omit<Operation, 'id' | 'startedAt'> & { id?: string },
    resource?: StoredResource,
  ): Operation {
    const full: Operation = { ...op, id: op.id ?? randomUUID(), startedAt: Date.now() };
    this.store.world.operations[full.id] = full;
    if (resource) resource.internal.operationId = full.id;
    return full;
  }

  get(id: string): Operation | undefined {
    return this.store.world.operations[id] ?? this.store.world.operations[id.toLowerCase()];
  }

  isDone(op: Operation, now = Date.now()): boolean {
    return now >= op.startedAt + op.durationMs;
  }

  /** Applies every finished operation's effect; returns true when the store changed. */
  settle(now = Date.now()): boolean {
    let changed = false;
    for (const op of Object.values(this.store.world.operations)) {
      if (op.settled || !this.isDone(op, now)) continue;
      op.settled = true;
      changed = true;
      const resource = this.store.get(op.resourceId);
      if (!resource || resource.internal.operationId !== op.id) continue;
      resource.internal.operationId = undefined;
      if (op.kind === 'delete') {
        if (op.outcome === 'Succeeded') {
          for (const child of this.store.descendants(resource.id)) this.store.delete(child.id);
          this.store.delete(resource.id);
        } else {
          resource.internal.deleting = false;
          resource.properties.provisioningState = 'Succeeded';
        }
      } else if (op.kind === 'create' || op.kind === 'update') {
        resource.properties.provisioningState = op.outcome === 'Succeeded' ? 'Succeeded' : 'Failed';
      }
    }
    // Forget operations long finished so state.json does not grow without bound (once a minute).
    if (now - this.lastSweep < 60_000) return changed;
    this.lastSweep = now;
    for (const [id, op] of Object.entries(this.store.world.operations)) {
      if (op.settled && now - (op.startedAt + op.durationMs) > 6 * 3600_000) {
        delete this.store.world.operations[id];
        changed = true;
      }
    }
    return changed;
  }

  /** The body of the `Azure-AsyncOperation` status URL, as recorded from the real service. */
  statusBody(op: Operation, now = Date.now()): Record<string, unknown> {
    const done = this.isDone(op, now);
    const body: Record<string, unknown> = {
      startTime: new Date(op.startedAt).toISOString(),
      status: done ? op.outcome : 'InProgress',
      name: op.id,
    };
    if (done) body.endTime = new Date(op.startedAt + op.durationMs).toISOString();
    if (done && op.outcome === 'Failed' && op.error) body.error = op.error;
    return body;
  }
}
