import { COMPUTE, GAL, SUB, T } from './arm-core.js';
import type { ArmCore, Route } from './arm-core.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import * as rules from './rules.js';
import type { StoredResource } from './store.js';

/** Galleries (with sharing and the `share` POST) and gallery image definitions. */
export function galleryRoutes(core: ArmCore, r: Route): void {
  const galleryId = (m: string[]): string => core.galleryId(m);
  r('GET', `${SUB}/providers/microsoft\\.compute/galleries`, (q, m) =>
    core.list(q, `/subscriptions/${m[1]}`, T.gallery),
  );
  r('GET', `${COMPUTE}/galleries`, (q, m) => core.list(q, core.rgId(m), T.gallery));
  r('GET', GAL, (q, m) => core.view(q, core.mustGet(galleryId(m), 'gallery')));
  r('PUT', GAL, (q, m) => putGallery(core, q, m));
  r('PATCH', GAL, (q, m) => patchGallery(core, q, m));
  r('DELETE', GAL, (q, m) => core.deleteResource(q, galleryId(m), 'gallery', T.image));
  r('POST', `${GAL}/share`, (q, m) => share(core, q, m));

  const IMG = `${GAL}/images/([^/]+)`;
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
function putGallery(core: ArmCore, req: Req, m: string[]): Res {
  core.requireRg(m);
  rules.checkName('galleryName', m[3]!, rules.GALLERY);
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
    name: m[3]!,
    location,
    properties: {
      ...props,
      identifier: { uniqueName: `${m[1]}-${m[3]!.toUpperCase()}` },
      ...(sharing ? { sharingProfile: sharing } : {}),
    },
    internal: { createdAt: Date.now() },
  };
  core.applyTags(r, body);
  return core.startWrite(req, r, 'create', core.settings.operationMs);
}

function patchGallery(core: ArmCore, req: Req, m: string[]): Res {
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
function share(core: ArmCore, req: Req, m: string[]): Res {
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

function putImage(core: ArmCore, req: Req, m: string[]): Res {
  const gallery = core.mustGet(core.galleryId(m), 'gallery');
  rules.checkName('galleryImageName', m[4]!, rules.IMAGE_DEFINITION);
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
    name: m[4]!,
    location,
    properties: props,
    internal: { createdAt: Date.now() },
  };
  core.applyTags(r, body);
  return core.startWrite(req, r, 'create', core.settings.operationMs);
}

function patchImage(core: ArmCore, req: Req, m: string[]): Res {
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
