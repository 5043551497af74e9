import { COMPUTE, RG, rgNotFound, seg, SUB, T } from './arm-core.js';
import type { ArmCore, Params, Route } from './arm-core.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import { normalizeRegion } from './regions.js';
import * as rules from './rules.js';
import { key } from './store.js';
import type { StoredResource } from './store.js';

const STORAGE = `${RG}/providers/microsoft\\.storage/storageaccounts`;

/**
 * Resource groups (Microsoft.Resources), and the sources tests make versions from: managed
 * images (Microsoft.Compute/images) and storage accounts backed by Azurite.
 */
export function resourceRoutes(core: ArmCore, r: Route): void {
  const managedImageId = (m: Params): string =>
    core.canonical(`${core.rgId(m)}/providers/Microsoft.Compute/images/${m.name}`);
  const storageId = (m: Params): string =>
    core.canonical(`${core.rgId(m)}/providers/Microsoft.Storage/storageAccounts/${m.name}`);

  r('GET', `${SUB}/resourcegroups`, (q, m) => core.list(q, `/subscriptions/${m.sub}`, T.rg));
  r('GET', RG, (q, m) => core.view(q, core.mustGet(core.rgId(m), 'resourceGroup')));
  r('HEAD', RG, (_q, m) => ({ status: core.store.get(core.rgId(m)) ? 204 : 404 }));
  r('PUT', RG, (q, m) => putResourceGroup(core, q, m));
  r('PATCH', RG, (q, m) => patchTags(core, q, core.mustGet(core.rgId(m), 'resourceGroup')));
  r('DELETE', RG, (q, m) => deleteResourceGroup(core, q, m));
  r('GET', `${RG}/operationresults/${seg('operation')}`, (q, m) => core.monitor(q, m.operation));

  r('GET', `${SUB}/providers/microsoft\\.compute/images`, (q, m) =>
    core.list(q, `/subscriptions/${m.sub}`, T.managedImage),
  );
  r('GET', `${COMPUTE}/images`, (q, m) => core.list(q, core.rgId(m), T.managedImage));
  r('GET', `${COMPUTE}/images/${seg('name')}`, (q, m) =>
    core.view(q, core.mustGet(managedImageId(m), 'image')),
  );
  r('PUT', `${COMPUTE}/images/${seg('name')}`, (q, m) =>
    putManagedImage(core, q, m, managedImageId(m)),
  );
  r('DELETE', `${COMPUTE}/images/${seg('name')}`, (q, m) =>
    core.deleteResource(q, managedImageId(m), 'image'),
  );

  r('GET', STORAGE, (q, m) => core.list(q, core.rgId(m), T.storage));
  r('GET', `${STORAGE}/${seg('name')}`, (q, m) =>
    core.view(q, core.mustGet(storageId(m), 'storageAccount')),
  );
  r('PUT', `${STORAGE}/${seg('name')}`, (q, m) => putStorageAccount(core, q, m, storageId(m)));
  r('DELETE', `${STORAGE}/${seg('name')}`, (_q, m) => deleteStorageAccount(core, storageId(m)));
}

function patchTags(core: ArmCore, req: Req, r: StoredResource): Res {
  core.applyTags(r, core.body(req));
  core.store.save();
  return { status: 200, body: core.render(r) };
}

/** PUT resourcegroups/{name}: synchronous, 201 new / 200 existing, as Microsoft.Resources does. */
function putResourceGroup(core: ArmCore, req: Req, m: Params): Res {
  rules.checkName('resourceGroupName', m.rg, rules.RESOURCE_GROUP);
  const body = core.body(req);
  const location = core.location(body, T.rg);
  const existing = core.store.get(core.rgId(m));
  if (existing) {
    if (normalizeRegion(existing.location) !== normalizeRegion(location)) {
      throw new ArmError(
        409,
        'InvalidResourceGroupLocation',
        `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`,
      );
    }
    core.applyTags(existing, body);
    core.store.save();
    return { status: 200, body: core.render(existing) };
  }
  const id = `/subscriptions/${m.sub}/resourceGroups/${m.rg}`;
  const r: StoredResource = {
    id,
    type: T.rg,
    name: m.rg,
    location,
    properties: {},
    internal: { createdAt: Date.now() },
  };
  core.applyTags(r, body);
  core.store.put(r);
  core.store.save();
  return { status: 201, body: core.render(r) };
}

/** DELETE resourcegroups/{name}: 202 + Location; everything in the group goes with it. */
function deleteResourceGroup(core: ArmCore, req: Req, m: Params): Res {
  const r = core.store.get(core.rgId(m));
  if (!r) throw rgNotFound(m.rg);
  r.internal.deleting = true;
  const op = core.startOp(
    req,
    {
      kind: 'delete',
      resourceId: r.id,
      location: r.location,
      durationMs: core.settings.operationMs,
    },
    r,
  );
  core.store.save();
  const location = `${req.origin}/subscriptions/${m.sub}/resourcegroups/${r.name}/operationresults/${op.id}?api-version=${req.query.get('api-version')}`;
  return { status: 202, headers: { location, 'retry-after': '1' } };
}

function putManagedImage(core: ArmCore, req: Req, m: Params, id: string): Res {
  core.requireRg(m);
  rules.checkName('imageName', m.name, rules.MANAGED_IMAGE);
  const body = core.body(req);
  const location = core.location(body, T.managedImage);
  const props = (body.properties ?? {}) as Record<string, unknown>;
  const osDisk = ((props.storageProfile ?? {}) as Record<string, Record<string, unknown>>).osDisk;
  if (!osDisk || !['Linux', 'Windows'].includes(String(osDisk.osType))) {
    throw new ArmError(
      400,
      'InvalidParameter',
      "Required parameter 'storageProfile.osDisk.osType' is missing or invalid (Linux or Windows).",
      'storageProfile.osDisk.osType',
    );
  }
  const existing = core.store.get(id);
  if (existing) {
    core.assertIdle(existing);
    rules.sameSource(
      existing.properties.storageProfile,
      props.storageProfile,
      'image.properties.storageProfile',
    );
  }
  const r: StoredResource = {
    id,
    type: T.managedImage,
    name: m.name,
    location,
    properties: { hyperVGeneration: 'V1', ...props },
    internal: { createdAt: existing?.internal.createdAt ?? Date.now() },
  };
  core.applyTags(r, body);
  return core.startWrite(req, r, existing ? 'update' : 'create', core.settings.operationMs);
}

/**
 * PUT storageAccounts/{name}: the account becomes an Azurite account at once. Azure answers
 * 202 and provisions for a while; the stand-in answers 200 synchronously (on purpose).
 */
function putStorageAccount(core: ArmCore, req: Req, m: Params, id: string): Res {
  core.requireRg(m);
  rules.checkName('accountName', m.name, rules.STORAGE_ACCOUNT);
  const body = core.body(req);
  const location = core.location(body, T.storage);
  const name = m.name.toLowerCase();
  const taken = core.store
    .all()
    .find((x) => x.type === T.storage && x.name.toLowerCase() === name && key(x.id) !== key(id));
  if (taken)
    throw new ArmError(
      409,
      'StorageAccountAlreadyTaken',
      `The storage account named ${m.name} is already taken.`,
    );
  const existing = core.store.get(id);
  const r: StoredResource = {
    id,
    type: T.storage,
    name: m.name,
    location,
    sku: (body.sku as Record<string, unknown> | undefined) ?? {
      name: 'Standard_LRS',
      tier: 'Standard',
    },
    kind: typeof body.kind === 'string' ? body.kind : 'StorageV2',
    properties: {
      ...((body.properties ?? {}) as object),
      provisioningState: 'Succeeded',
      primaryEndpoints: { blob: core.blob.registerAccount(m.name) },
      primaryLocation: normalizeRegion(location),
      statusOfPrimary: 'available',
      allowBlobPublicAccess: false,
    },
    internal: { createdAt: existing?.internal.createdAt ?? Date.now() },
  };
  core.applyTags(r, body);
  core.store.put(r);
  core.store.save();
  return { status: 200, body: core.render(r) };
}

function deleteStorageAccount(core: ArmCore, id: string): Res {
  if (!core.store.get(id)) return { status: 204 };
  core.store.delete(id);
  core.store.save();
  return { status: 200 };
}
