import { COMPUTE, GAL, seg, SUB, T } from './arm-core.js';
import type { ArmCore, Params, Route } from './arm-core.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import * as rules from './rules.js';
import type { StoredResource } from './store.js';

/** Galleries (with sharing and the `share` POST) and gallery image definitions. */
export function galleryRoutes(core: ArmCore, r: Route): void {
  const galleryId = (m: Params): string => core.galleryId(m);
  r('GET', `${SUB}/providers/microsoft\\.compute/galleries`, (q, m) =>
    core.list(q, `/subscriptions/${m.sub}`, T.gallery),
  );
  r('GET', `${COMPUTE}/galleries`, (q, m) => core.list(q, core.rgId(m), T.gallery));
  r('GET', GAL, (q, m) => core.view(q, core.mustGet(galleryId(m), 'gallery')));
  r('PUT', GAL, (q, m) => putGallery(core, q, m));
  r('PATCH', GAL, (q, m) => patchGallery(core, q, m));
  r('DELETE', GAL, (q, m) => core.deleteResource(q, galleryId(m), 'gallery', T.image));
  r('POST', `${GAL}/share`, (q, m) => share(core, q, m));

  const IMG = `${GAL}/images/${seg('image')}`;
  r('GET', `${GAL}/images`, (q, m) => core.list(q, galleryId(m), T.image));
  r('GET', IMG, (q, m) => core.view(q, core.mustGet(core.imageId(m), 'galleryImage')));
  r('PUT', IMG, (q, m) => putImage(core, q, m));
  r('PATCH', IMG, (q, m) => patchImage(core, q, m));
  r('DELETE', IMG, (q, m) => core.deleteResource(q, core.imageId(m), 'galleryImage', T.version));
}

/**
 * PUT galleries/{name}. Properties the stand-in has no behaviour for (description,
 * softDeletePolicy…) are stored and returned as sent; `identifier.uniqueName` is Azure's.
 */
function putGallery(core: ArmCore, req: Req, m: Params): Res {
  core.requireRg(m);
  rules.checkName('galleryName', m.gallery, rules.GALLERY);
  const body = core.body(req);
  const location = core.location(body, T.gallery);
  const props = (body.properties ?? {}) as Record<string, unknown>;
  const id = core.galleryId(m);
  const existing = core.store.get(id);
  const sharing = rules.gallerySharing(props.sharingProfile, existing?.properties.sharingProfile);
  if (existing) {
    core.assertIdle(existing);
    rules.sameLocation(existing, location);
    existing.properties = {
      ...existing.properties,
      ...props,
      identifier: existing.properties.identifier,
      ...(sharing ? { sharingProfile: sharing } : {}),
    };
    core.applyTags(existing, body);
    return core.startWrite(req, existing, 'update', core.settings.operationMs);
  }
  const r: StoredResource = {
    id,
    type: T.gallery,
    name: m.gallery,
    location,
    properties: {
      ...props,
      identifier: { uniqueName: `${m.sub}-${m.gallery.toUpperCase()}` },
      ...(sharing ? { sharingProfile: sharing } : {}),
    },
    internal: { createdAt: Date.now() },
  };
  core.applyTags(r, body);
  return core.startWrite(req, r, 'create', core.settings.operationMs);
}

function patchGallery(core: ArmCore, req: Req, m: Params): Res {
  const existing = core.mustGet(core.galleryId(m), 'gallery');
  core.assertIdle(existing);
  const body = core.body(req);
  const props = (body.properties ?? {}) as Record<string, unknown>;
  const sharing = rules.gallerySharing(props.sharingProfile, existing.properties.sharingProfile);
  existing.properties = {
    ...existing.properties,
    ...props,
    identifier: existing.properties.identifier,
    ...(sharing ? { sharingProfile: sharing } : {}),
  };
  core.applyTags(existing, body);
  return core.startWrite(req, existing, 'update', core.settings.operationMs);
}

/**
 * POST galleries/{name}/share. `EnableCommunity` publishes a community gallery under its public
 * names (the gallery needs `permissions: Community` first); `Reset` makes it private again.
 * Answers 202 with the operation URLs; the monitor URL ends with `{operationType}`.
 */
function share(core: ArmCore, req: Req, m: Params): Res {
  const gallery = core.mustGet(core.galleryId(m), 'gallery');
  core.assertIdle(gallery);
  const operationType = String(core.body(req).operationType ?? '');
  const allowed = ['Add', 'Remove', 'Reset', 'EnableCommunity'];
  if (!allowed.includes(operationType)) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value '${operationType}' of parameter 'sharingUpdate.operationType' is not valid. Allowed values are ${allowed.map((a) => `'${a}'`).join(', ')}.`,
      'sharingUpdate.operationType',
    );
  }
  const sharing = (gallery.properties.sharingProfile ?? {}) as Record<string, unknown>;
  if (operationType === 'EnableCommunity') {
    if (sharing.permissions !== 'Community') {
      throw new ArmError(
        400,
        'InvalidParameter',
        `Gallery '${gallery.name}' must have sharingProfile.permissions set to 'Community' before community sharing can be enabled.`,
        'sharingUpdate.operationType',
      );
    }
    (sharing.communityGalleryInfo as Record<string, unknown>).communityGalleryEnabled = true;
  } else if (operationType === 'Reset') {
    gallery.properties.sharingProfile = { permissions: 'Private' };
  } else {
    gallery.properties.sharingProfile = shareGroups(
      sharing,
      operationType as 'Add' | 'Remove',
      core.body(req).groups,
    );
  }
  const op = core.startOp(
    req,
    {
      kind: 'action',
      resourceId: gallery.id,
      location: gallery.location,
      durationMs: core.settings.operationMs,
    },
    gallery,
  );
  op.result = { operationType };
  core.store.save();
  return { status: 202, headers: core.asyncHeaders(req, op, true), body: { operationType } };
}

type Group = { type: string; ids: string[] };
const GROUP_TYPES = ['Subscriptions', 'AADTenants'];

/**
 * `Add` / `Remove` of subscription and tenant groups, applied as Azure applies them (issue 12,
 * item 4): the gallery becomes `permissions: Groups`, IDs are added to or taken out of their
 * group, and a group left empty is dropped. Group types are the spec's SharingProfileGroupTypes
 * (GalleryRP.2025-12-03.json, definitions.SharingProfileGroup).
 */
function shareGroups(
  sharing: Record<string, unknown>,
  operationType: 'Add' | 'Remove',
  raw: unknown,
): Record<string, unknown> {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `Parameter 'sharingUpdate.groups' is required for operation type '${operationType}'.`,
      'sharingUpdate.groups',
    );
  }
  const groups = new Map<string, string[]>(
    ((sharing.groups ?? []) as Group[]).map((g) => [g.type, [...g.ids]]),
  );
  for (const g of raw as Partial<Group>[]) {
    if (!GROUP_TYPES.includes(String(g.type)) || !Array.isArray(g.ids)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The value '${String(g.type)}' of parameter 'sharingUpdate.groups.type' is not valid. Allowed values are 'Subscriptions', 'AADTenants'.`,
        'sharingUpdate.groups',
      );
    }
    const have = groups.get(g.type!) ?? [];
    const ids = g.ids.map(String);
    const next =
      operationType === 'Add'
        ? [...have, ...ids.filter((id) => !have.some((h) => h.toLowerCase() === id.toLowerCase()))]
        : have.filter((h) => !ids.some((id) => id.toLowerCase() === h.toLowerCase()));
    if (next.length) groups.set(g.type!, next);
    else groups.delete(g.type!);
  }
  return {
    ...sharing,
    permissions: sharing.permissions === 'Community' ? 'Community' : 'Groups',
    groups: [...groups].map(([type, ids]) => ({ type, ids })),
  };
}

function putImage(core: ArmCore, req: Req, m: Params): Res {
  const gallery = core.mustGet(core.galleryId(m), 'gallery');
  rules.checkName('galleryImageName', m.image, rules.IMAGE_DEFINITION);
  const body = core.body(req);
  const location = core.location(body, T.image);
  const props = rules.imageDefinitionProperties(body.properties);
  const id = core.imageId(m);
  const existing = core.store.get(id);
  rules.uniqueIdentifier(
    core.store.children(gallery.id, T.image),
    id,
    props.identifier as Record<string, string>,
  );
  if (existing) {
    core.assertIdle(existing);
    rules.sameLocation(existing, location);
    rules.immutableImageDefinition(existing.properties, props);
    existing.properties = { ...existing.properties, ...props };
    delete existing.properties.allowUpdateImage;
    core.applyTags(existing, body);
    return core.startWrite(req, existing, 'update', core.settings.operationMs);
  }
  delete props.allowUpdateImage;
  const r: StoredResource = {
    id,
    type: T.image,
    name: m.image,
    location,
    properties: props,
    internal: { createdAt: Date.now() },
  };
  core.applyTags(r, body);
  return core.startWrite(req, r, 'create', core.settings.operationMs);
}

function patchImage(core: ArmCore, req: Req, m: Params): Res {
  const existing = core.mustGet(core.imageId(m), 'galleryImage');
  core.assertIdle(existing);
  const body = core.body(req);
  const props = (body.properties ?? {}) as Record<string, unknown>;
  const merged = { ...existing.properties, ...props };
  rules.immutableImageDefinition(existing.properties, merged);
  delete merged.allowUpdateImage;
  existing.properties = merged;
  core.applyTags(existing, body);
  return core.startWrite(req, existing, 'update', core.settings.operationMs);
}
