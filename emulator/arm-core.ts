import type { BlobService } from './blob.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import { Operations } from './operations.js';
import { isKnownRegion, normalizeRegion } from './regions.js';
import { replicationStatus } from './replication.js';
import { key } from './store.js';
import type { Operation, Store, StoredResource } from './store.js';

/** Knobs the admin API can turn. */
export interface ArmSettings {
  /** How long a create/update/delete of galleries, definitions and images takes. */
  operationMs: number;
  /** How long replicating one version to one region takes. */
  replicationMs: number;
  /** Regions whose replication fails. */
  failRegions: string[];
  /** Page size of list operations (nextLink beyond it). */
  pageSize: number;
  /** ARM write throttling: writes a second before 429 + Retry-After (0: off). */
  writesPerSecond: number;
}

/** The names route patterns capture, e.g. `(?<gallery>[^/]+)`. */
export type ParamName =
  | 'sub'
  | 'rg'
  | 'gallery'
  | 'image'
  | 'version'
  | 'name'
  | 'subnet'
  | 'location'
  | 'publicName'
  | 'operation'
  | 'scope';
/** A route's named groups; a handler reads only the names its own pattern captures. */
export type Params = Readonly<Record<ParamName, string>>;
export type Handler = (req: Req, m: Params) => Promise<Res> | Res;
export type Route = (method: string, pattern: string, handler: Handler) => void;

/** `(?<name>[^/]+)`: one path segment captured as `m.name`. */
export const seg = (name: ParamName): string => `(?<${name}>[^/]+)`;

/** Route patterns (case-insensitive); named groups feed the handlers' `m`. */
export const SUB = `/subscriptions/${seg('sub')}`;
export const RG = `${SUB}/resourcegroups/${seg('rg')}`;
export const COMPUTE = `${RG}/providers/microsoft\\.compute`;
export const GAL = `${COMPUTE}/galleries/${seg('gallery')}`;
export const LOC = `${SUB}/providers/microsoft\\.compute/locations/${seg('location')}`;

export const T = {
  rg: 'Microsoft.Resources/resourceGroups',
  gallery: 'Microsoft.Compute/galleries',
  image: 'Microsoft.Compute/galleries/images',
  version: 'Microsoft.Compute/galleries/images/versions',
  managedImage: 'Microsoft.Compute/images',
  storage: 'Microsoft.Storage/storageAccounts',
} as const;

export type ActionResult = { code: string; message: string };

/**
 * What every part of the ARM surface shares: the store, IDs, rendering, lists and paging, and
 * the long-running-operation plumbing (`Azure-AsyncOperation` / `Location` URLs).
 */
export class ArmCore {
  readonly ops: Operations;

  constructor(
    readonly store: Store,
    readonly blob: BlobService,
    readonly settings: ArmSettings,
  ) {
    this.ops = new Operations(store);
  }

  // ---- IDs ---------------------------------------------------------------------------------

  rgId(m: Params): string {
    const id = `/subscriptions/${m.sub}/resourceGroups/${m.rg}`;
    return this.store.get(id)?.id ?? id;
  }
  galleryId(m: Params): string {
    return this.canonical(`${this.rgId(m)}/providers/Microsoft.Compute/galleries/${m.gallery}`);
  }
  imageId(m: Params): string {
    return this.canonical(`${this.galleryId(m)}/images/${m.image}`);
  }
  versionId(m: Params): string {
    return this.canonical(`${this.imageId(m)}/versions/${m.version}`);
  }
  /** The stored casing of an ID when the resource exists (ARM keeps creation casing). */
  canonical(id: string): string {
    return this.store.get(id)?.id ?? id;
  }

  mustGet(id: string, what: string): StoredResource {
    const found = this.store.get(id);
    if (found) return found;
    this.requireParents(id);
    const rg = id.match(/resourceGroups\/([^/]+)/i)?.[1] ?? '';
    const typeAndName = id.split(/\/providers\//i)[1] ?? id;
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${typeAndName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      what,
    );
  }

  requireRg(m: Params): StoredResource {
    const rg = this.store.get(this.rgId(m));
    if (!rg) throw rgNotFound(m.rg);
    return rg;
  }

  /** ARM answers a missing resource group or parent before anything else. */
  requireParents(id: string): void {
    const rgMatch = id.match(/^(\/subscriptions\/[^/]+\/resourceGroups\/([^/]+))/i);
    if (rgMatch && key(rgMatch[1]!) !== key(id) && !this.store.get(rgMatch[1]!)) {
      throw rgNotFound(rgMatch[2]!);
    }
    const parts = id.split('/');
    const providerIdx = parts.findIndex((p) => p.toLowerCase() === 'providers');
    for (let end = providerIdx + 4; providerIdx > 0 && end < parts.length; end += 2) {
      if (!this.store.get(parts.slice(0, end).join('/'))) {
        const names = parts.slice(providerIdx + 3, end).filter((_, i) => i % 2 === 0);
        throw new ArmError(
          404,
          'ParentResourceNotFound',
          `Can not perform requested operation on nested resource. Parent resource '${names.join('/')}' not found.`,
        );
      }
    }
  }

  // ---- views -------------------------------------------------------------------------------

  /** What clients see of a stored resource. */
  render(
    r: StoredResource,
    expand?: string | null,
    select?: string | null,
  ): Record<string, unknown> {
    const tags = r.tags ? { tags: r.tags } : {};
    if (r.type === T.rg) {
      const provisioningState = r.internal.deleting ? 'Deleting' : 'Succeeded';
      return {
        id: r.id,
        name: r.name,
        type: r.type,
        location: r.location,
        ...tags,
        properties: { provisioningState },
      };
    }
    const properties: Record<string, unknown> = { ...r.properties };
    if (r.type === T.version && expand?.toLowerCase() === 'replicationstatus') {
      properties.replicationStatus = replicationStatus(r);
    }
    if (r.type === T.gallery) {
      const sharing = properties.sharingProfile as Record<string, unknown> | undefined;
      if (sharing && sharing.permissions !== 'Private')
        properties.sharingStatus = this.sharingStatus(r);
      // The groups a gallery is shared with show only with `$select=Permissions` (issue 12,
      // item 4; the spec's Galleries_Get `$select` enum has that one value).
      if (sharing?.groups !== undefined && select?.toLowerCase() !== 'permissions') {
        const { groups: _groups, ...rest } = sharing;
        properties.sharingProfile = rest;
      }
    }
    const extra = { ...(r.sku ? { sku: r.sku } : {}), ...(r.kind ? { kind: r.kind } : {}) };
    return {
      name: r.name,
      id: r.id,
      type: r.type,
      location: r.location,
      ...tags,
      ...extra,
      properties,
    };
  }

  /** A shared gallery's `sharingStatus`: InProgress while a share operation runs. */
  private sharingStatus(r: StoredResource): Record<string, unknown> {
    const op = r.internal.operationId ? this.ops.get(r.internal.operationId) : undefined;
    const state = op?.kind === 'action' && !this.ops.isDone(op) ? 'InProgress' : 'Succeeded';
    return {
      aggregatedState: state,
      summary: [{ region: normalizeRegion(r.location), state, details: '' }],
    };
  }

  view(req: Req, r: StoredResource): Res {
    return {
      status: 200,
      body: this.render(r, req.query.get('$expand'), req.query.get('$select')),
    };
  }

  list(req: Req, parentId: string, type: string): Res {
    if (/\/resourcegroups\/[^/]+/i.test(parentId) && !this.store.get(parentId)) {
      this.requireParents(parentId);
      if (/\/resourcegroups\/[^/]+$/i.test(parentId)) throw rgNotFound(parentId.split('/').pop()!);
      throw new ArmError(
        404,
        'ParentResourceNotFound',
        `Can not perform requested operation on nested resource. Parent resource '${parentId.split('/').pop()}' not found.`,
      );
    }
    const items = this.store.children(parentId, type).sort((a, b) => a.id.localeCompare(b.id));
    // Only the page asked for is rendered.
    return this.page(req, items, (r) => this.render(r, req.query.get('$expand')));
  }

  /** One page of `items`; a `nextLink` (absolute, with `$skiptoken`) when more follow. */
  page<T>(req: Req, items: T[], render: (item: T) => unknown = (item) => item): Res {
    const skip = Number(req.query.get('$skiptoken') ?? 0) || 0;
    const size = this.settings.pageSize;
    const body: Record<string, unknown> = { value: items.slice(skip, skip + size).map(render) };
    if (skip + size < items.length) {
      const next = new URL(req.origin + req.path);
      for (const [k, v] of req.query) if (k !== '$skiptoken') next.searchParams.set(k, v);
      next.searchParams.set('$skiptoken', String(skip + size));
      body.nextLink = next.toString();
    }
    return { status: 200, body };
  }

  // ---- long-running operations -------------------------------------------------------------

  /** Starts an operation; a `failOperation` fault on the request makes it end Failed. */
  startOp(
    req: Req,
    op: Omit<Operation, 'id' | 'startedAt' | 'outcome'> & { error?: ActionResult },
    r?: StoredResource,
  ): Operation {
    const error = req.failOperation
      ? { code: 'InternalOperationError', message: req.failOperation }
      : op.error;
    return this.ops.start(
      { ...op, outcome: error ? 'Failed' : 'Succeeded', ...(error ? { error } : {}) },
      r,
    );
  }

  /** `Azure-AsyncOperation` (and, for DELETE and POST, `Location`) as Compute sends them. */
  asyncHeaders(req: Req, op: Operation, withLocation: boolean): Record<string, string> {
    const sub = op.resourceId.split('/')[2];
    const region = normalizeRegion(op.location);
    const base = `${req.origin}/subscriptions/${sub}/providers/Microsoft.Compute/locations/${region}/capsOperations/${op.id}`;
    const api = req.query.get('api-version');
    const headers: Record<string, string> = {
      'azure-asyncoperation': `${base}?api-version=${api}`,
      'azure-asyncnotification': 'Enabled',
    };
    if (withLocation) headers.location = `${base}?monitor=true&api-version=${api}`;
    return headers;
  }

  /** The `Azure-AsyncOperation` status URL: `{startTime, [endTime], status, name, [error]}`. */
  opStatus(id: string): Res {
    const op = this.ops.get(id);
    if (!op) throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
    return { status: 200, body: this.ops.statusBody(op) };
  }

  /** The `Location` (monitor) URL: 202 while running, then 200 with the action's result, if any. */
  monitor(req: Req, id: string): Res {
    const op = this.ops.get(id);
    if (!op) throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
    if (!this.ops.isDone(op)) {
      const self = `${req.origin}${req.path}?${req.query.toString()}`;
      return { status: 202, headers: { location: self, 'retry-after': '1' } };
    }
    if (op.outcome === 'Failed') {
      throw new ArmError(
        400,
        op.error?.code ?? 'OperationFailed',
        op.error?.message ?? 'The operation failed.',
      );
    }
    return op.kind === 'action' ? { status: 200, body: op.result ?? {} } : { status: 200 };
  }

  /** Refuses a write while another long-running operation holds the resource (as Azure does). */
  assertIdle(r: StoredResource): void {
    const op = r.internal.operationId ? this.ops.get(r.internal.operationId) : undefined;
    if (!op || this.ops.isDone(op)) return;
    if (r.internal.deleting) {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Operation on '${r.name}' is not allowed since it is being deleted.`,
      );
    }
    throw new ArmError(
      409,
      'Conflict',
      `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${op.id}. Retry the request after the operation is complete.`,
    );
  }

  /** Stores `r` as Creating/Updating and answers 201/200 with `Azure-AsyncOperation`. */
  startWrite(
    req: Req,
    r: StoredResource,
    kind: 'create' | 'update',
    durationMs: number,
    failure?: ActionResult,
  ): Res {
    const op = this.startOp(
      req,
      { kind, resourceId: r.id, location: r.location, durationMs, error: failure },
      r,
    );
    r.properties.provisioningState = kind === 'create' ? 'Creating' : 'Updating';
    this.store.put(r);
    this.store.save();
    return {
      status: kind === 'create' ? 201 : 200,
      headers: this.asyncHeaders(req, op, false),
      body: this.render(r),
    };
  }

  /** Deletes `id` after checking it has no children of `childType` (ARM's delete order). */
  deleteResource(req: Req, id: string, what: string, childType?: string): Res {
    const r = this.store.get(id);
    if (!r) {
      this.requireParents(id);
      return { status: 204 };
    }
    if (r.internal.deleting) {
      const op = this.ops.get(r.internal.operationId ?? '');
      if (op && !this.ops.isDone(op))
        return { status: 202, headers: this.asyncHeaders(req, op, true) };
    }
    this.assertIdle(r);
    if (childType && this.store.children(id, childType).length > 0) {
      throw new ArmError(
        409,
        'CannotDeleteResource',
        'Can not delete resource before nested resources are deleted.',
        what,
      );
    }
    r.internal.deleting = true;
    r.properties.provisioningState = 'Deleting';
    const op = this.startOp(
      req,
      {
        kind: 'delete',
        resourceId: r.id,
        location: r.location,
        durationMs: this.settings.operationMs,
      },
      r,
    );
    this.store.save();
    return { status: 202, headers: this.asyncHeaders(req, op, true) };
  }

  // ---- request bodies ----------------------------------------------------------------------

  body(req: Req): Record<string, unknown> {
    const b = req.body;
    if (b === undefined || b === null || typeof b !== 'object' || Array.isArray(b)) {
      throw new ArmError(
        400,
        'InvalidRequestContent',
        'The request content was invalid and could not be deserialized: the body must be a JSON object.',
      );
    }
    return b as Record<string, unknown>;
  }

  location(body: Record<string, unknown>, resourceType: string): string {
    const loc = body.location;
    if (typeof loc !== 'string' || loc === '') {
      throw new ArmError(
        400,
        'LocationRequired',
        'The location property is required for this definition.',
      );
    }
    if (!isKnownRegion(loc)) {
      throw new ArmError(
        400,
        'LocationNotAvailableForResourceType',
        `The provided location '${loc}' is not available for resource type '${resourceType}'.`,
      );
    }
    return loc;
  }

  tags(body: Record<string, unknown>): Record<string, string> | undefined {
    const tags = body.tags;
    if (tags === undefined) return undefined;
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
      throw new ArmError(400, 'InvalidTag', 'The tags must be an object of string values.');
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) {
      if (k.length > 512 || String(v).length > 256) {
        throw new ArmError(
          400,
          'InvalidTagNameOrValue',
          `The tag name '${k.slice(0, 40)}' or its value is too long: names up to 512 characters, values up to 256.`,
        );
      }
      out[k] = String(v);
    }
    if (Object.keys(out).length > 50)
      throw new ArmError(400, 'InvalidTag', 'A resource can have at most 50 tags.');
    return out;
  }

  /** Applies the body's tags, when it has any, to `r`. */
  applyTags(r: StoredResource, body: Record<string, unknown>): void {
    const tags = this.tags(body);
    if (tags) r.tags = tags;
  }
}

export function rgNotFound(name: string): ArmError {
  return new ArmError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
}
