import { randomUUID } from 'node:crypto';
import type { BlobService } from './blob.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import { Operations } from './operations.js';
import { displayRegion, isKnownRegion, normalizeRegion } from './regions.js';
import { key } from './store.js';
import type { Operation, Store, StoredResource } from './store.js';
import { vhdProblem } from './vhd.js';
import * as rules from './rules.js';

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
}

type Handler = (req: Req, m: string[]) => Promise<Res> | Res;

const SUB = '/subscriptions/([^/]+)';
const RG = `${SUB}/resourcegroups/([^/]+)`;
const COMPUTE = `${RG}/providers/microsoft\\.compute`;
const GAL = `${COMPUTE}/galleries/([^/]+)`;
const LOC = `${SUB}/providers/microsoft\\.compute/locations/([^/]+)`;
const COMMUNITY = `${LOC}/communitygalleries/([^/]+)`;

const T = {
  rg: 'Microsoft.Resources/resourceGroups',
  gallery: 'Microsoft.Compute/galleries',
  image: 'Microsoft.Compute/galleries/images',
  version: 'Microsoft.Compute/galleries/images/versions',
  managedImage: 'Microsoft.Compute/images',
  storage: 'Microsoft.Storage/storageAccounts',
} as const;

/**
 * The Azure Resource Manager surface of the stand-in: resource groups, Compute Gallery
 * galleries / definitions / versions, managed images, storage accounts, community gallery reads,
 * and the async-operation status URLs. Behaviour follows the REST spec examples and recorded
 * traffic in shared/fixtures.
 */
export class Arm {
  readonly ops: Operations;
  private readonly routes: { method: string; re: RegExp; handler: Handler }[] = [];

  constructor(
    private readonly store: Store,
    private readonly blob: BlobService,
    readonly settings: ArmSettings,
  ) {
    this.ops = new Operations(store);
    const r = (method: string, pattern: string, handler: Handler): void => {
      this.routes.push({ method, re: new RegExp(`^${pattern}$`, 'i'), handler });
    };
    r('GET', `${SUB}/resourcegroups`, (q, m) => this.list(q, `/subscriptions/${m[1]}`, T.rg));
    r('GET', RG, (q, m) => this.view(q, this.mustGet(this.rgId(m), 'resourceGroup')));
    r('HEAD', RG, (_q, m) => ({ status: this.store.get(this.rgId(m)) ? 204 : 404 }));
    r('PUT', RG, (q, m) => this.putResourceGroup(q, m));
    r('PATCH', RG, (q, m) => this.patchTags(q, this.mustGet(this.rgId(m), 'resourceGroup')));
    r('DELETE', RG, (q, m) => this.deleteResourceGroup(q, m));
    r('GET', `${SUB}/resourcegroups/([^/]+)/operationresults/([^/]+)`, (q, m) => this.monitor(q, m[3]!));

    r('GET', `${SUB}/providers/microsoft\\.compute/galleries`, (q, m) => this.list(q, `/subscriptions/${m[1]}`, T.gallery));
    r('GET', `${COMPUTE}/galleries`, (q, m) => this.list(q, this.rgId(m), T.gallery));
    r('GET', GAL, (q, m) => this.view(q, this.mustGet(this.galleryId(m), 'gallery')));
    r('PUT', GAL, (q, m) => this.putGallery(q, m));
    r('PATCH', GAL, (q, m) => this.patchGallery(q, m));
    r('DELETE', GAL, (q, m) => this.deleteWithChildren(q, this.galleryId(m), 'gallery', T.image));
    r('POST', `${GAL}/share`, (q, m) => this.share(q, m));

    r('GET', `${GAL}/images`, (q, m) => this.list(q, this.galleryId(m), T.image));
    r('GET', `${GAL}/images/([^/]+)`, (q, m) => this.view(q, this.mustGet(this.imageId(m), 'galleryImage')));
    r('PUT', `${GAL}/images/([^/]+)`, (q, m) => this.putImage(q, m));
    r('PATCH', `${GAL}/images/([^/]+)`, (q, m) => this.patchImage(q, m));
    r('DELETE', `${GAL}/images/([^/]+)`, (q, m) => this.deleteWithChildren(q, this.imageId(m), 'galleryImage', T.version));

    r('GET', `${GAL}/images/([^/]+)/versions`, (q, m) => this.list(q, this.imageId(m), T.version));
    r('GET', `${GAL}/images/([^/]+)/versions/([^/]+)`, (q, m) => this.view(q, this.mustGet(this.versionId(m), 'galleryImageVersion')));
    r('PUT', `${GAL}/images/([^/]+)/versions/([^/]+)`, (q, m) => this.putVersion(q, m));
    r('PATCH', `${GAL}/images/([^/]+)/versions/([^/]+)`, (q, m) => this.patchVersion(q, m));
    r('DELETE', `${GAL}/images/([^/]+)/versions/([^/]+)`, (q, m) => this.deleteWithChildren(q, this.versionId(m), 'galleryImageVersion'));

    r('GET', `${SUB}/providers/microsoft\\.compute/images`, (q, m) => this.list(q, `/subscriptions/${m[1]}`, T.managedImage));
    r('GET', `${COMPUTE}/images`, (q, m) => this.list(q, this.rgId(m), T.managedImage));
    r('GET', `${COMPUTE}/images/([^/]+)`, (q, m) => this.view(q, this.mustGet(this.managedImageId(m), 'image')));
    r('PUT', `${COMPUTE}/images/([^/]+)`, (q, m) => this.putManagedImage(q, m));
    r('DELETE', `${COMPUTE}/images/([^/]+)`, (q, m) => this.deleteWithChildren(q, this.managedImageId(m), 'image'));

    r('GET', `${RG}/providers/microsoft\\.storage/storageaccounts`, (q, m) => this.list(q, this.rgId(m), T.storage));
    r('GET', `${RG}/providers/microsoft\\.storage/storageaccounts/([^/]+)`, (q, m) => this.view(q, this.mustGet(this.storageId(m), 'storageAccount')));
    r('PUT', `${RG}/providers/microsoft\\.storage/storageaccounts/([^/]+)`, (q, m) => this.putStorageAccount(q, m));
    r('DELETE', `${RG}/providers/microsoft\\.storage/storageaccounts/([^/]+)`, (q, m) => this.deleteStorageAccount(m));

    r('GET', `${LOC}/capsoperations/([^/]+)`, (q, m) => (q.query.get('monitor') === 'true' ? this.monitor(q, m[3]!) : this.opStatus(m[3]!)));

    r('GET', COMMUNITY, (q, m) => this.communityGallery(q, m));
    r('GET', `${COMMUNITY}/images`, (q, m) => this.communityImages(q, m));
    r('GET', `${COMMUNITY}/images/([^/]+)`, (q, m) => this.communityImage(q, m));
    r('GET', `${COMMUNITY}/images/([^/]+)/versions`, (q, m) => this.communityVersions(q, m));
    r('GET', `${COMMUNITY}/images/([^/]+)/versions/([^/]+)`, (q, m) => this.communityVersion(q, m));
  }

  async handle(req: Req): Promise<Res> {
    const apiVersion = req.query.get('api-version');
    if (!apiVersion) {
      throw new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    }
    if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion) || apiVersion < '2015-01-01') {
      throw new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid. The supported versions are '2021-10-01' and later.`);
    }
    if (this.ops.settle()) this.store.save();
    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const m = req.path.match(route.re);
      if (m) return route.handler(req, [...m]);
    }
    if (this.routes.some((route) => route.re.test(req.path))) {
      throw new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${req.method}'.`);
    }
    throw new ArmError(404, 'InvalidResourceType', `The resource type could not be found for path '${req.path}'.`);
  }

  // ---- IDs -------------------------------------------------------------------------------

  private rgId(m: string[]): string {
    const existing = this.store.get(`/subscriptions/${m[1]}/resourceGroups/${m[2]}`);
    return existing?.id ?? `/subscriptions/${m[1]}/resourceGroups/${m[2]}`;
  }
  private galleryId(m: string[]): string {
    return this.canonical(`${this.rgId(m)}/providers/Microsoft.Compute/galleries/${m[3]}`);
  }
  private imageId(m: string[]): string {
    return this.canonical(`${this.galleryId(m)}/images/${m[4]}`);
  }
  private versionId(m: string[]): string {
    return this.canonical(`${this.imageId(m)}/versions/${m[5]}`);
  }
  private managedImageId(m: string[]): string {
    return this.canonical(`${this.rgId(m)}/providers/Microsoft.Compute/images/${m[3]}`);
  }
  private storageId(m: string[]): string {
    return this.canonical(`${this.rgId(m)}/providers/Microsoft.Storage/storageAccounts/${m[3]}`);
  }
  /** The stored casing of an ID when the resource exists (ARM keeps creation casing). */
  private canonical(id: string): string {
    return this.store.get(id)?.id ?? id;
  }

  private mustGet(id: string, what: string): StoredResource {
    const found = this.store.get(id);
    if (found) return found;
    this.requireParents(id);
    const { rg, typeAndName } = splitId(id);
    throw new ArmError(404, 'ResourceNotFound', `The Resource '${typeAndName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`, what);
  }

  /** ARM answers a missing resource group or parent before anything else. */
  private requireParents(id: string): void {
    const rgMatch = id.match(/^(\/subscriptions\/[^/]+\/resourceGroups\/([^/]+))/i);
    if (rgMatch && key(rgMatch[1]!) !== key(id) && !this.store.get(rgMatch[1]!)) {
      throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rgMatch[2]}' could not be found.`);
    }
    const parts = id.split('/');
    const providerIdx = parts.findIndex((p) => p.toLowerCase() === 'providers');
    for (let end = providerIdx + 4; providerIdx > 0 && end < parts.length; end += 2) {
      const parentId = parts.slice(0, end).join('/');
      if (!this.store.get(parentId)) {
        throw new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${parts.slice(providerIdx + 3, end).filter((_, i) => i % 2 === 0).join('/')}' not found.`);
      }
    }
  }

  // ---- views -----------------------------------------------------------------------------

  /** What clients see of a stored resource. */
  render(r: StoredResource, expand?: string | null): Record<string, unknown> {
    const properties: Record<string, unknown> = { ...r.properties };
    if (r.type === T.version) {
      if (expand?.toLowerCase() === 'replicationstatus') properties.replicationStatus = this.replicationStatus(r);
    }
    if (r.type === T.rg) {
      return { id: r.id, name: r.name, type: r.type, location: r.location, ...(r.tags ? { tags: r.tags } : {}), properties: { provisioningState: r.internal.deleting ? 'Deleting' : 'Succeeded' } };
    }
    return { name: r.name, id: r.id, type: r.type, location: r.location, ...(r.tags ? { tags: r.tags } : {}), properties };
  }

  private view(req: Req, r: StoredResource): Res {
    return { status: 200, body: this.render(r, req.query.get('$expand')) };
  }

  private list(req: Req, parentId: string, type: string): Res {
    if (/\/resourcegroups\/[^/]+/i.test(parentId) && !this.store.get(parentId)) {
      this.requireParents(parentId);
      if (/\/resourcegroups\/[^/]+$/i.test(parentId)) {
        throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${parentId.split('/').pop()}' could not be found.`);
      }
      throw new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${parentId.split('/').pop()}' not found.`);
    }
    const items = this.store
      .children(parentId, type)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((r) => this.render(r, req.query.get('$expand')));
    return this.page(req, items);
  }

  private page(req: Req, items: unknown[]): Res {
    const skip = Number(req.query.get('$skiptoken') ?? 0) || 0;
    const size = this.settings.pageSize;
    const value = items.slice(skip, skip + size);
    const body: Record<string, unknown> = { value };
    if (skip + size < items.length) {
      const next = new URL(req.origin + req.path);
      for (const [k, v] of req.query) if (k !== '$skiptoken') next.searchParams.set(k, v);
      next.searchParams.set('$skiptoken', String(skip + size));
      body.nextLink = next.toString();
    }
    return { status: 200, body };
  }

  // ---- long-running operation plumbing -------------------------------------------------------

  private asyncHeaders(req: Req, op: Operation, withLocation: boolean): Record<string, string> {
    const sub = op.resourceId.split('/')[2];
    const base = `${req.origin}/subscriptions/${sub}/providers/Microsoft.Compute/locations/${normalizeRegion(op.location)}/capsOperations/${op.id}`;
    const api = req.query.get('api-version');
    const headers: Record<string, string> = { 'azure-asyncoperation': `${base}?api-version=${api}`, 'azure-asyncnotification': 'Enabled' };
    if (withLocation) headers.location = `${base}?monitor=true&api-version=${api}`;
    return headers;
  }

  private opStatus(id: string): Res {
    const op = this.ops.get(id);
    if (!op) throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
    return { status: 200, body: this.ops.statusBody(op) };
  }

  /** The `Location` (monitor) URL: 202 while running, then 200 with the action's result, if any. */
  private monitor(req: Req, id: string): Res {
    const op = this.ops.get(id);
    if (!op) throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
    if (!this.ops.isDone(op)) {
      return { status: 202, headers: { location: req.origin + req.path + '?' + req.query.toString(), 'retry-after': '1' } };
    }
    if (op.outcome === 'Failed') {
      throw new ArmError(400, op.error?.code ?? 'OperationFailed', op.error?.message ?? 'The operation failed.');
    }
    return op.kind === 'action' && op.resourceId ? { status: 200, body: (this.store.world.operations[id] as Operation & { result?: unknown }).result ?? {} } : { status: 200 };
  }

  /** Refuses a write while another long-running operation holds the resource (as Azure does). */
  private assertIdle(r: StoredResource): void {
    const opId = r.internal.operationId;
    if (opId && this.ops.get(opId) && !this.ops.isDone(this.ops.get(opId)!)) {
      throw new ArmError(409, r.internal.deleting ? 'OperationNotAllowed' : 'Conflict', r.internal.deleting
        ? `Operation on '${r.name}' is not allowed since it is being deleted.`
        : `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${opId}. Retry the request after the operation is complete.`);
    }
  }

  private startWrite(req: Req, r: StoredResource, kind: 'create' | 'update', durationMs: number, failure?: { code: string; message: string }): Res {
    const op = this.ops.start({ kind, resourceId: r.id, location: r.location, durationMs, outcome: failure ? 'Failed' : 'Succeeded', ...(failure ? { error: failure } : {}) }, r);
    r.properties.provisioningState = kind === 'create' ? 'Creating' : 'Updating';
    if (req.headers['x-stand-in-fail-operation']) {
      op.outcome = 'Failed';
      op.error = { code: 'InternalOperationError', message: String(req.headers['x-stand-in-fail-operation']) };
    }
    this.store.put(r);
    this.store.save();
    return { status: kind === 'create' ? 201 : 200, headers: this.asyncHeaders(req, op, false), body: this.render(r) };
  }

  /** Deletes `id` after checking it has no children of `childType` (ARM's delete order). */
  private deleteWithChildren(req: Req, id: string, what: string, childType?: string): Res {
    const r = this.store.get(id);
    if (!r) {
      this.requireParents(id);
      return { status: 204 };
    }
    if (r.internal.deleting) {
      const op = this.ops.get(r.internal.operationId ?? '');
      if (op) return { status: 202, headers: this.asyncHeaders(req, op, true) };
    }
    this.assertIdle(r);
    if (childType && this.store.children(id, childType).length > 0) {
      throw new ArmError(409, 'CannotDeleteResource', `Can not delete resource before nested resources are deleted.`, what);
    }
    r.internal.deleting = true;
    r.properties.provisioningState = 'Deleting';
    const op = this.ops.start({ kind: 'delete', resourceId: r.id, location: r.location, durationMs: this.settings.operationMs, outcome: 'Succeeded' }, r);
    if (req.headers['x-stand-in-fail-operation']) {
      op.outcome = 'Failed';
      op.error = { code: 'InternalOperationError', message: String(req.headers['x-stand-in-fail-operation']) };
    }
    this.store.save();
    return { status: 202, headers: this.asyncHeaders(req, op, true) };
  }

  private body(req: Req): Record<string, unknown> {
    if (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
      throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body must be a JSON object.');
    }
    return req.body as Record<string, unknown>;
  }

  private location(body: Record<string, unknown>, resourceType: string): string {
    const loc = body.location;
    if (typeof loc !== 'string' || loc === '') {
      throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    }
    if (!isKnownRegion(loc)) {
      throw new ArmError(400, 'LocationNotAvailableForResourceType', `The provided location '${loc}' is not available for resource type '${resourceType}'.`);
    }
    return loc;
  }

  private tags(body: Record<string, unknown>): Record<string, string> | undefined {
    const tags = body.tags;
    if (tags === undefined) return undefined;
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
      throw new ArmError(400, 'InvalidTag', 'The tags must be an object of string values.');
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) {
      if (k.length > 512 || String(v).length > 256) {
        throw new ArmError(400, 'InvalidTagNameOrValue', `The tag name '${k.slice(0, 40)}' or its value is too long: names up to 512 characters, values up to 256.`);
      }
      out[k] = String(v);
    }
    if (Object.keys(out).length > 50) throw new ArmError(400, 'InvalidTag', 'A resource can have at most 50 tags.');
    return out;
  }

  private patchTags(req: Req, r: StoredResource): Res {
    const body = this.body(req);
    const tags = this.tags(body);
    if (tags) r.tags = tags;
    this.store.save();
    return { status: 200, body: this.render(r) };
  }

  // ---- resource groups ----------------------------------------------------------------------

  private putResourceGroup(req: Req, m: string[]): Res {
    rules.checkName('resourceGroupName', m[2]!, rules.RESOURCE_GROUP);
    const body = this.body(req);
    const location = this.location(body, T.rg);
    const existing = this.store.get(this.rgId(m));
    if (existing) {
      if (normalizeRegion(existing.location) !== normalizeRegion(location)) {
        throw new ArmError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`);
      }
      const tags = this.tags(body);
      if (tags) existing.tags = tags;
      this.store.save();
      return { status: 200, body: this.render(existing) };
    }
    const r: StoredResource = { id: `/subscriptions/${m[1]}/resourceGroups/${m[2]}`, type: T.rg, name: m[2]!, location, properties: {}, internal: { createdAt: Date.now() } };
    const tags = this.tags(body);
    if (tags) r.tags = tags;
    this.store.put(r);
    this.store.save();
    return { status: 201, body: this.render(r) };
  }

  private deleteResourceGroup(req: Req, m: string[]): Res {
    const r = this.store.get(this.rgId(m));
    if (!r) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${m[2]}' could not be found.`);
    r.internal.deleting = true;
    const op = this.ops.start({ kind: 'delete', resourceId: r.id, location: r.location, durationMs: this.settings.operationMs, outcome: 'Succeeded' }, r);
    this.store.save();
    return { status: 202, headers: { location: `${req.origin}/subscriptions/${m[1]}/resourcegroups/${r.name}/operationresults/${op.id}?api-version=${req.query.get('api-version')}`, 'retry-after': '1' } };
  }

  // ---- galleries ----------------------------------------------------------------------------

  private requireRg(m: string[]): StoredResource {
    const rg = this.store.get(this.rgId(m));
    if (!rg) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${m[2]}' could not be found.`);
    return rg;
  }

  private putGallery(req: Req, m: string[]): Res {
    this.requireRg(m);
    rules.checkName('galleryName', m[3]!, rules.GALLERY);
    const body = this.body(req);
    const location = this.location(body, T.gallery);
    const props = (body.properties ?? {}) as Record<string, unknown>;
    const id = this.galleryId(m);
    const existing = this.store.get(id);
    const sharing = rules.gallerySharing(props.sharingProfile, existing?.properties.sharingProfile);
    if (existing) {
      this.assertIdle(existing);
      rules.sameLocation(existing, location);
      const merged: Record<string, unknown> = { ...existing.properties, ...props, identifier: existing.properties.identifier };
      if (sharing) merged.sharingProfile = sharing;
      existing.properties = merged;
      const tags = this.tags(body);
      if (tags) existing.tags = tags;
      return this.startWrite(req, existing, 'update', this.settings.operationMs);
    }
    const sub = m[1]!;
    const r: StoredResource = {
      id, type: T.gallery, name: m[3]!, location,
      properties: { ...props, identifier: { uniqueName: `${sub}-${m[3]!.toUpperCase()}` }, ...(sharing ? { sharingProfile: sharing } : {}) },
      internal: { createdAt: Date.now() },
    };
    const tags = this.tags(body);
    if (tags) r.tags = tags;
    return this.startWrite(req, r, 'create', this.settings.operationMs);
  }

  private patchGallery(req: Req, m: string[]): Res {
    const existing = this.mustGet(this.galleryId(m), 'gallery');
    this.assertIdle(existing);
    const body = this.body(req);
    const props = (body.properties ?? {}) as Record<string, unknown>;
    const sharing = rules.gallerySharing(props.sharingProfile, existing.properties.sharingProfile);
    existing.properties = { ...existing.properties, ...props, identifier: existing.properties.identifier, ...(sharing ? { sharingProfile: sharing } : {}) };
    const tags = this.tags(body);
    if (tags) existing.tags = tags;
    return this.startWrite(req, existing, 'update', this.settings.operationMs);
  }

  /** POST .../share: `EnableCommunity` publishes a community gallery under its public names. */
  private share(req: Req, m: string[]): Res {
    const gallery = this.mustGet(this.galleryId(m), 'gallery');
    this.assertIdle(gallery);
    const body = this.body(req);
    const operationType = String(body.operationType ?? '');
    const sharing = (gallery.properties.sharingProfile ?? {}) as Record<string, unknown>;
    const info = (sharing.communityGalleryInfo ?? {}) as Record<string, unknown>;
    if (operationType === 'EnableCommunity') {
      if (sharing.permissions !== 'Community') {
        throw new ArmError(400, 'InvalidParameter', `Gallery '${gallery.name}' must have sharingProfile.permissions set to 'Community' before community sharing can be enabled.`, 'sharingUpdate.operationType');
      }
      info.communityGalleryEnabled = true;
    } else if (operationType === 'Reset') {
      sharing.permissions = 'Private';
      delete sharing.communityGalleryInfo;
    } else if (!['Add', 'Remove', 'EnableCommunity'].includes(operationType)) {
      throw new ArmError(400, 'InvalidParameter', `The value '${operationType}' of parameter 'sharingUpdate.operationType' is not valid. Allowed values are 'Add', 'Remove', 'Reset', 'EnableCommunity'.`, 'sharingUpdate.operationType');
    }
    const op = this.ops.start({ kind: 'action', resourceId: gallery.id, location: gallery.location, durationMs: this.settings.operationMs, outcome: 'Succeeded' }, gallery);
    (op as Operation & { result?: unknown }).result = { operationType };
    this.store.save();
    return { status: 202, headers: this.asyncHeaders(req, op, true), body: { operationType } };
  }

  // ---- gallery image definitions ------------------------------------------------------------

  private putImage(req: Req, m: string[]): Res {
    const gallery = this.mustGet(this.galleryId(m), 'gallery');
    rules.checkName('galleryImageName', m[4]!, rules.IMAGE_DEFINITION);
    const body = this.body(req);
    const location = this.location(body, T.image);
    const props = rules.imageDefinitionProperties(body.properties);
    const id = this.imageId(m);
    const existing = this.store.get(id);
    rules.uniqueIdentifier(this.store.children(gallery.id, T.image), id, props.identifier as Record<string, string>);
    if (existing) {
      this.assertIdle(existing);
      rules.sameLocation(existing, location);
      rules.immutableImageDefinition(existing.properties, props);
      existing.properties = { ...existing.properties, ...props };
      const tags = this.tags(body);
      if (tags) existing.tags = tags;
      return this.startWrite(req, existing, 'update', this.settings.operationMs);
    }
    const r: StoredResource = { id, type: T.image, name: m[4]!, location, properties: props, internal: { createdAt: Date.now() } };
    const tags = this.tags(body);
    if (tags) r.tags = tags;
    return this.startWrite(req, r, 'create', this.settings.operationMs);
  }

  private patchImage(req: Req, m: string[]): Res {
    const existing = this.mustGet(this.imageId(m), 'galleryImage');
    this.assertIdle(existing);
    const body = this.body(req);
    const props = (body.properties ?? {}) as Record<string, unknown>;
    rules.immutableImageDefinition(existing.properties, { ...existing.properties, ...props });
    existing.properties = { ...existing.properties, ...props };
    const tags = this.tags(body);
    if (tags) existing.tags = tags;
    return this.startWrite(req, existing, 'update', this.settings.operationMs);
  }

  // ---- gallery image versions ---------------------------------------------------------------

  private async putVersion(req: Req, m: string[]): Promise<Res> {
    const image = this.mustGet(this.imageId(m), 'galleryImage');
    rules.checkVersionName(m[5]!);
    const body = this.body(req);
    const location = this.location(body, T.version);
    const props = (body.properties ?? {}) as Record<string, unknown>;
    const id = this.versionId(m);
    const existing = this.store.get(id);
    const publishing = rules.publishingProfile(props.publishingProfile, location, existing?.properties.publishingProfile as Record<string, unknown> | undefined);
    if (existing) {
      this.assertIdle(existing);
      rules.sameLocation(existing, location);
      if (props.storageProfile !== undefined) rules.sameSource(existing.properties.storageProfile, props.storageProfile);
      existing.properties = { ...existing.properties, ...props, storageProfile: existing.properties.storageProfile, publishingProfile: publishing };
      this.retimeReplication(existing, publishing);
      const tags = this.tags(body);
      if (tags) existing.tags = tags;
      return this.startWrite(req, existing, 'update', this.replicationDuration(existing));
    }
    const storageProfile = rules.versionSource(props.storageProfile);
    const failure = await this.checkSource(storageProfile, image, location);
    // Reading the blob yields to other requests: a concurrent PUT may have created it meanwhile.
    const raced = this.store.get(id);
    if (raced) this.assertIdle(raced);
    if (raced) throw new ArmError(409, 'Conflict', `Gallery image version '${m[5]}' was created by another request while this one was being validated. Retry the request.`);
    const r: StoredResource = {
      id, type: T.version, name: m[5]!, location,
      properties: { ...props, publishingProfile: { ...publishing, publishedDate: new Date().toISOString() }, storageProfile: rules.renderStorageProfile(storageProfile, this.sourceSizeGb(storageProfile)) },
      internal: { createdAt: Date.now() },
    };
    if (props.safetyProfile === undefined) r.properties.safetyProfile = { allowDeletionOfReplicatedLocations: true, reportedForPolicyViolation: false };
    this.retimeReplication(r, publishing);
    const tags = this.tags(body);
    if (tags) r.tags = tags;
    const regionFailure = this.failingRegion(r);
    return this.startWrite(req, r, 'create', failure ? this.settings.operationMs : this.replicationDuration(r), failure ?? regionFailure);
  }

  private patchVersion(req: Req, m: string[]): Res {
    const existing = this.mustGet(this.versionId(m), 'galleryImageVersion');
    this.assertIdle(existing);
    const body = this.body(req);
    const props = (body.properties ?? {}) as Record<string, unknown>;
    if (props.storageProfile !== undefined) rules.sameSource(existing.properties.storageProfile, props.storageProfile);
    const publishing = props.publishingProfile
      ? rules.publishingProfile({ ...(existing.properties.publishingProfile as object), ...(props.publishingProfile as object) }, existing.location, existing.properties.publishingProfile as Record<string, unknown>)
      : (existing.properties.publishingProfile as Record<string, unknown>);
    existing.properties = { ...existing.properties, ...props, storageProfile: existing.properties.storageProfile, publishingProfile: publishing };
    this.retimeReplication(existing, publishing);
    const tags = this.tags(body);
    if (tags) existing.tags = tags;
    return this.startWrite(req, existing, 'update', Math.max(this.settings.operationMs, this.replicationDuration(existing)));
  }

  /** Starts replication for regions that are new; keeps the timeline of regions already there. */
  private retimeReplication(r: StoredResource, publishing: Record<string, unknown>): void {
    const now = Date.now();
    const previous = new Map((r.internal.replication ?? []).map((x) => [normalizeRegion(x.region), x]));
    const fail = new Set(this.settings.failRegions.map(normalizeRegion));
    r.internal.replication = (publishing.targetRegions as { name: string; regionalReplicaCount: number }[]).map((t) => {
      const region = normalizeRegion(t.name);
      const kept = previous.get(region);
      if (kept) return kept;
      // More replicas take a little longer, as they do in Azure.
      const durationMs = Math.round(this.settings.replicationMs * (1 + (t.regionalReplicaCount - 1) * 0.1));
      return { region, startedAt: now, durationMs, fails: fail.has(region) };
    });
  }

  private replicationDuration(r: StoredResource): number {
    const now = Date.now();
    const remaining = (r.internal.replication ?? []).map((x) => x.startedAt + x.durationMs - now);
    return Math.max(this.settings.operationMs, ...remaining);
  }

  private failingRegion(r: StoredResource): { code: string; message: string } | undefined {
    const bad = (r.internal.replication ?? []).find((x) => x.fails);
    if (!bad) return undefined;
    return { code: 'ReplicationFailed', message: `Replication of gallery image version '${r.name}' to region '${displayRegion(bad.region)}' failed. Retry the operation or remove the region from the target regions.` };
  }

  replicationStatus(r: StoredResource): Record<string, unknown> {
    const now = Date.now();
    const summary = (r.internal.replication ?? []).map((x) => {
      const progress = Math.min(100, Math.floor(((now - x.startedAt) / Math.max(1, x.durationMs)) * 100));
      const done = progress >= 100;
      const state = done ? (x.fails ? 'Failed' : 'Completed') : 'Replicating';
      return { region: displayRegion(x.region), state, details: state === 'Failed' ? 'Replication failed in this region.' : '', progress: state === 'Failed' ? progress - 1 : progress };
    });
    const states = summary.map((s) => s.state);
    const aggregatedState = states.includes('Failed') ? 'Failed' : states.every((s) => s === 'Completed') ? 'Completed' : 'InProgress';
    return { aggregatedState, summary };
  }

  private sourceSizeGb(storage: rules.VersionSource): number {
    if (storage.kind === 'id') {
      const src = this.store.get(storage.id);
      const sp = src?.properties.storageProfile as Record<string, Record<string, unknown>> | undefined;
      return Number(sp?.osDiskImage?.sizeInGB ?? sp?.osDisk?.diskSizeGB ?? 30);
    }
    return Number(storage.sizeInGB ?? 30);
  }

  /** Checks a version's source the way Azure does; a problem makes the operation fail. */
  private async checkSource(storage: rules.VersionSource, image: StoredResource, location: string): Promise<{ code: string; message: string } | undefined> {
    if (storage.kind === 'vhd') {
      const account = this.store.get(storage.storageAccountId);
      if (!account) {
        throw new ArmError(404, 'StorageAccountNotFound', `The storage account '${storage.storageAccountId}' was not found.`, 'storageProfile.osDiskImage.source.storageAccountId');
      }
      const parsed = this.blob.parseBlobUrl(storage.uri);
      if (!parsed || parsed.account.toLowerCase() !== account.name.toLowerCase()) {
        throw new ArmError(400, 'InvalidParameter', `The blob URI '${storage.uri}' is not in storage account '${account.name}'.`, 'storageProfile.osDiskImage.source.uri');
      }
      const facts = await this.blob.inspect(storage.uri);
      const problem = vhdProblem(storage.uri, facts);
      if (!problem && facts.length) storage.sizeInGB = Math.ceil((facts.length - 512) / 2 ** 30);
      return problem;
    }
    const source = this.store.get(storage.id);
    if (!source) {
      throw new ArmError(404, 'NotFound', `The source resource '${storage.id}' was not found.`, 'storageProfile.source.id');
    }
    if (source.type === T.managedImage) {
      if (normalizeRegion(source.location) !== normalizeRegion(location)) {
        throw new ArmError(400, 'InvalidParameter', `The managed image '${storage.id}' is in region '${source.location}'; the gallery image version must be created in the same region.`, 'storageProfile.source.id');
      }
      const os = (source.properties.storageProfile as Record<string, Record<string, unknown>> | undefined)?.osDisk;
      if (os?.osType && os.osType !== image.properties.osType) {
        throw new ArmError(400, 'InvalidParameter', `The OS type '${String(os.osType)}' of the source image does not match the OS type '${String(image.properties.osType)}' of gallery image '${image.name}'.`);
      }
      return undefined;
    }
    if (source.type === T.version) {
      if (source.properties.provisioningState !== 'Succeeded') {
        throw new ArmError(409, 'OperationNotAllowed', `The source gallery image version '${storage.id}' is in provisioning state '${String(source.properties.provisioningState)}'; it must be 'Succeeded'.`);
      }
      const sourceImage = this.store.get(source.id.replace(/\/versions\/[^/]+$/i, ''));
      if (sourceImage) rules.compatibleDefinitions(sourceImage, image);
      return undefined;
    }
    throw new ArmError(400, 'InvalidParameter', `The source '${storage.id}' is not a managed image or a gallery image version.`, 'storageProfile.source.id');
  }

  // ---- managed images and storage accounts --------------------------------------------------

  private putManagedImage(req: Req, m: string[]): Res {
    this.requireRg(m);
    rules.checkName('imageName', m[3]!, rules.MANAGED_IMAGE);
    const body = this.body(req);
    const location = this.location(body, T.managedImage);
    const props = (body.properties ?? {}) as Record<string, unknown>;
    const osDisk = ((props.storageProfile ?? {}) as Record<string, Record<string, unknown>>).osDisk;
    if (!osDisk || !['Linux', 'Windows'].includes(String(osDisk.osType))) {
      throw new ArmError(400, 'InvalidParameter', "Required parameter 'storageProfile.osDisk.osType' is missing or invalid (Linux or Windows).", 'storageProfile.osDisk.osType');
    }
    const id = this.managedImageId(m);
    const existing = this.store.get(id);
    if (existing) {
      this.assertIdle(existing);
      rules.sameSource(existing.properties.storageProfile, props.storageProfile, 'image.properties.storageProfile');
    }
    const r: StoredResource = { id, type: T.managedImage, name: m[3]!, location, properties: { hyperVGeneration: 'V1', ...props }, internal: { createdAt: existing?.internal.createdAt ?? Date.now() } };
    const tags = this.tags(body);
    if (tags) r.tags = tags;
    return this.startWrite(req, r, existing ? 'update' : 'create', this.settings.operationMs);
  }

  private putStorageAccount(req: Req, m: string[]): Res {
    this.requireRg(m);
    rules.checkName('accountName', m[3]!, rules.STORAGE_ACCOUNT);
    const body = this.body(req);
    const location = this.location(body, T.storage);
    const id = this.storageId(m);
    const taken = this.store.all().find((r) => r.type === T.storage && r.name.toLowerCase() === m[3]!.toLowerCase() && key(r.id) !== key(id));
    if (taken) throw new ArmError(409, 'StorageAccountAlreadyTaken', `The storage account named ${m[3]} is already taken.`);
    const existing = this.store.get(id);
    const blobEndpoint = this.blob.registerAccount(m[3]!);
    const r: StoredResource = {
      id, type: T.storage, name: m[3]!, location,
      properties: {
        ...((body.properties ?? {}) as object),
        provisioningState: 'Succeeded',
        primaryEndpoints: { blob: blobEndpoint },
        primaryLocation: normalizeRegion(location),
        statusOfPrimary: 'available',
        allowBlobPublicAccess: false,
      },
      internal: { createdAt: existing?.internal.createdAt ?? Date.now() },
    };
    Object.assign(r, { sku: body.sku ?? { name: 'Standard_LRS', tier: 'Standard' }, kind: body.kind ?? 'StorageV2' });
    const tags = this.tags(body);
    if (tags) r.tags = tags;
    this.store.put(r);
    this.store.save();
    return { status: existing ? 200 : 200, body: { ...this.render(r), sku: (r as unknown as { sku: unknown }).sku, kind: (r as unknown as { kind: unknown }).kind } };
  }

  private deleteStorageAccount(m: string[]): Res {
    const id = this.storageId(m);
    if (!this.store.get(id)) return { status: 204 };
    this.store.delete(id);
    this.store.save();
    return { status: 200 };
  }

  // ---- community gallery reads --------------------------------------------------------------

  private communityGalleryFor(m: string[]): { gallery: StoredResource; publicName: string } {
    const publicName = m[3]!;
    const gallery = this.store.all().find((r) => {
      if (r.type !== T.gallery) return false;
      const info = ((r.properties.sharingProfile ?? {}) as Record<string, Record<string, unknown>>).communityGalleryInfo;
      return info?.communityGalleryEnabled === true && ((info.publicNames ?? []) as string[]).some((n) => n.toLowerCase() === publicName.toLowerCase());
    });
    if (!gallery) throw new ArmError(404, 'GalleryNotFound', `The community gallery '${publicName}' was not found.`);
    return { gallery, publicName };
  }

  private communityGallery(_req: Req, m: string[]): Res {
    const { gallery, publicName } = this.communityGalleryFor(m);
    const info = ((gallery.properties.sharingProfile ?? {}) as Record<string, Record<string, unknown>>).communityGalleryInfo ?? {};
    return {
      status: 200,
      body: {
        location: m[2], name: publicName, type: 'Microsoft.Compute/locations/communityGallery',
        identifier: { uniqueId: `/CommunityGalleries/${publicName}` },
        properties: {
          artifactTags: { 'ShareTag-CommunityGallery': 'CommunityGallery' },
          disclaimer: info.eula,
          communityMetadata: { publisherUri: info.publisherUri, publisherContact: info.publisherContact, eula: info.eula, publicNames: info.publicNames },
        },
      },
    };
  }

  private renderCommunityImage(publicName: string, location: string, img: StoredResource): Record<string, unknown> {
    const p = img.properties;
    return {
      location, name: img.name, type: 'Microsoft.Compute/locations/communityGalleryImage',
      identifier: { uniqueId: `/CommunityGalleries/${publicName}/Images/${img.name}` },
      properties: {
        osType: p.osType, osState: p.osState, hyperVGeneration: p.hyperVGeneration, architecture: p.architecture,
        identifier: p.identifier, features: p.features, eula: p.eula, endOfLifeDate: p.endOfLifeDate,
        recommended: p.recommended, purchasePlan: p.purchasePlan, disallowed: p.disallowed,
        artifactTags: { 'ShareTag-CommunityGallery': 'CommunityGallery' },
      },
    };
  }

  private communityImages(req: Req, m: string[]): Res {
    const { gallery, publicName } = this.communityGalleryFor(m);
    const items = this.store.children(gallery.id, T.image).filter((i) => i.properties.provisioningState === 'Succeeded').map((i) => this.renderCommunityImage(publicName, m[2]!, i));
    return this.page(req, items);
  }

  private communityImageFor(m: string[]): { gallery: StoredResource; publicName: string; image: StoredResource } {
    const { gallery, publicName } = this.communityGalleryFor(m);
    const image = this.store.get(`${gallery.id}/images/${m[4]}`);
    if (!image || image.properties.provisioningState !== 'Succeeded') {
      throw new ArmError(404, 'ResourceNotFound', `The community gallery image '${m[4]}' was not found in gallery '${publicName}'.`);
    }
    return { gallery, publicName, image };
  }

  private communityImage(_req: Req, m: string[]): Res {
    const { publicName, image } = this.communityImageFor(m);
    return { status: 200, body: this.renderCommunityImage(publicName, m[2]!, image) };
  }

  /** A community version is visible in a region once it has replicated there. */
  private visibleInRegion(v: StoredResource, location: string): boolean {
    if (v.properties.provisioningState !== 'Succeeded') return false;
    const status = this.replicationStatus(v).summary as { region: string; state: string }[];
    return status.some((s) => normalizeRegion(s.region) === normalizeRegion(location) && s.state === 'Completed');
  }

  private renderCommunityVersion(publicName: string, location: string, image: StoredResource, v: StoredResource): Record<string, unknown> {
    const pp = (v.properties.publishingProfile ?? {}) as Record<string, unknown>;
    const sp = (v.properties.storageProfile ?? {}) as Record<string, Record<string, unknown>>;
    return {
      location, name: v.name, type: 'Microsoft.Compute/locations/communityGalleryImageVersion',
      identifier: { uniqueId: `/CommunityGalleries/${publicName}/Images/${image.name}/Versions/${v.name}` },
      properties: {
        publishedDate: pp.publishedDate, endOfLifeDate: pp.endOfLifeDate, excludeFromLatest: pp.excludeFromLatest ?? false,
        storageProfile: { osDiskImage: { diskSizeGB: sp.osDiskImage?.sizeInGB, hostCaching: sp.osDiskImage?.hostCaching ?? 'ReadOnly' } },
        artifactTags: { 'ShareTag-CommunityGallery': 'CommunityGallery' },
      },
    };
  }

  private communityVersions(req: Req, m: string[]): Res {
    const { publicName, image } = this.communityImageFor(m);
    const items = this.store.children(image.id, T.version).filter((v) => this.visibleInRegion(v, m[2]!)).map((v) => this.renderCommunityVersion(publicName, m[2]!, image, v));
    return this.page(req, items);
  }

  private communityVersion(_req: Req, m: string[]): Res {
    const { publicName, image } = this.communityImageFor(m);
    const v = this.store.get(`${image.id}/versions/${m[5]}`);
    if (!v || !this.visibleInRegion(v, m[2]!)) {
      throw new ArmError(404, 'ResourceNotFound', `The community gallery image version '${m[5]}' was not found in region '${m[2]}'.`);
    }
    return { status: 200, body: this.renderCommunityVersion(publicName, m[2]!, image, v) };
  }

  /** Everything stored, for the admin API and tests. */
  dump(): Record<string, unknown>[] {
    return this.store.all().map((r) => this.render(r, 'ReplicationStatus'));
  }

  newId(): string {
    return randomUUID();
  }
}

function splitId(id: string): { rg: string; typeAndName: string } {
  const rg = id.match(/resourceGroups\/([^/]+)/i)?.[1] ?? '';
  const after = id.split(/\/providers\//i)[1] ?? id;
  return { rg, typeAndName: after };
}
