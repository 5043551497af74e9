import { GAL, seg, T } from './arm-core.js';
import type { ActionResult, ArmCore, Params, Route } from './arm-core.js';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import { normalizeRegion } from './regions.js';
import { failingRegion, replicationRemaining, retimeReplication } from './replication.js';
import * as rules from './rules.js';
import type { StoredResource } from './store.js';
import { vhdProblem } from './vhd.js';

type Json = Record<string, unknown>;
type Disk = Record<string, unknown>;

/** Gallery image versions: sources checked the way Azure checks them, replication over time. */
export function versionRoutes(core: ArmCore, r: Route): void {
  const V = `${GAL}/images/${seg('image')}/versions`;
  r('GET', V, (q, m) => core.list(q, core.imageId(m), T.version));
  r('GET', `${V}/${seg('version')}`, (q, m) =>
    core.view(q, core.mustGet(core.versionId(m), 'galleryImageVersion')),
  );
  r('PUT', `${V}/${seg('version')}`, (q, m) => putVersion(core, q, m));
  r('PATCH', `${V}/${seg('version')}`, (q, m) => patchVersion(core, q, m));
  r('DELETE', `${V}/${seg('version')}`, (q, m) =>
    core.deleteResource(q, core.versionId(m), 'galleryImageVersion'),
  );
}

/** `safetyProfile` as Azure returns it: the caller's two switches, and what Azure reports. */
function safetyProfile(requested: unknown, before?: unknown): Json {
  const req = { ...((before ?? {}) as Json), ...((requested ?? {}) as Json) };
  return {
    reportedForPolicyViolation: false,
    allowDeletionOfReplicatedLocations: req.allowDeletionOfReplicatedLocations === true,
    ...(req.blockDeletionBeforeEndOfLife !== undefined
      ? { blockDeletionBeforeEndOfLife: req.blockDeletionBeforeEndOfLife === true }
      : {}),
  };
}

async function putVersion(core: ArmCore, req: Req, m: Params): Promise<Res> {
  const image = core.mustGet(core.imageId(m), 'galleryImage');
  rules.checkVersionName(m.version);
  const body = core.body(req);
  const location = core.location(body, T.version);
  const props = (body.properties ?? {}) as Json;
  const id = core.versionId(m);
  const existing = core.store.get(id);
  if (existing) {
    // An update: a PUT with only location and tags keeps everything (seen in recorded traffic).
    core.assertIdle(existing);
    rules.sameLocation(existing, location);
    // A storage profile without a source keeps the stored one: `az sig image-version update`
    // drops the source on purpose and Azure answers 200 Updating (issue 12, item 1; the
    // 2025-12-03 spec makes `storageProfile.source` optional).
    if (rules.hasSource(props.storageProfile))
      rules.sameSource(existing.properties.storageProfile, props.storageProfile);
    const before = existing.properties.publishingProfile as Json;
    const publishing = props.publishingProfile
      ? rules.publishingProfile(props.publishingProfile, location, before)
      : before;
    return update(core, req, existing, props, publishing, body);
  }
  const publishing = rules.publishingProfile(props.publishingProfile, location);
  const source = rules.versionSource(props.storageProfile);
  const { storageProfile, failure } = await checkSource(core, source, image, location);
  // Reading the blob yields to other requests: a concurrent PUT may have created it meanwhile.
  const raced = core.store.get(id);
  if (raced) {
    core.assertIdle(raced);
    throw new ArmError(
      409,
      'Conflict',
      `Gallery image version '${m.version}' was created by another request while this one was being validated. Retry the request.`,
    );
  }
  const r: StoredResource = {
    id,
    type: T.version,
    name: m.version,
    location,
    properties: {
      ...props,
      publishingProfile: { ...publishing, publishedDate: new Date().toISOString() },
      storageProfile,
      safetyProfile: safetyProfile(props.safetyProfile),
      validationsProfile: { validationOperationStatus: 'NotExecuted' },
    },
    internal: { createdAt: Date.now() },
  };
  delete r.properties.provisioningState;
  retimeReplication(r, publishing.targetRegions as never, core.settings);
  core.applyTags(r, body);
  const duration = failure
    ? core.settings.operationMs
    : replicationRemaining(r, core.settings.operationMs);
  return core.startWrite(req, r, 'create', duration, failure ?? failingRegion(r));
}

function patchVersion(core: ArmCore, req: Req, m: Params): Res {
  const existing = core.mustGet(core.versionId(m), 'galleryImageVersion');
  core.assertIdle(existing);
  const body = core.body(req);
  const props = (body.properties ?? {}) as Json;
  if (rules.hasSource(props.storageProfile))
    rules.sameSource(existing.properties.storageProfile, props.storageProfile);
  const before = existing.properties.publishingProfile as Json;
  const publishing = props.publishingProfile
    ? rules.publishingProfile(
        { ...before, ...(props.publishingProfile as Json) },
        existing.location,
        before,
      )
    : before;
  return update(core, req, existing, props, publishing, body);
}

/** Applies an update; regions added start replicating, the operation lasts until they finish. */
function update(
  core: ArmCore,
  req: Req,
  r: StoredResource,
  props: Json,
  publishing: Json,
  body: Json,
): Res {
  r.properties = {
    ...r.properties,
    ...props,
    storageProfile: r.properties.storageProfile,
    publishingProfile: publishing,
    safetyProfile: safetyProfile(props.safetyProfile, r.properties.safetyProfile),
  };
  retimeReplication(r, publishing.targetRegions as never, core.settings);
  core.applyTags(r, body);
  const duration = replicationRemaining(r, core.settings.operationMs);
  return core.startWrite(req, r, 'update', duration, failingRegion(r));
}

/**
 * Checks a version's source the way Azure does and works out the storage profile Azure reports
 * (disk sizes and caching from the source). Request errors throw; a source Azure only finds bad
 * while creating (a broken VHD) comes back as `failure`, which ends the operation Failed.
 */
async function checkSource(
  core: ArmCore,
  source: rules.VersionSource,
  image: StoredResource,
  location: string,
): Promise<{ storageProfile: Json; failure?: ActionResult }> {
  const raw = source.raw as Record<string, Json>;
  if (source.kind === 'vhd') {
    const osDisk = await checkVhd(
      core,
      source.uri,
      source.storageAccountId,
      'storageProfile.osDiskImage.source',
    );
    const data = ((raw.dataDiskImages ?? []) as unknown as Disk[]).map(async (d, i) => {
      const src = (d.source ?? {}) as Record<string, string>;
      const where = `storageProfile.dataDiskImages[${i}].source`;
      const accountId = src.storageAccountId ?? src.id;
      if (!src.uri || !accountId) {
        throw new ArmError(
          400,
          'InvalidParameter',
          `Required parameter '${where}' needs uri and storageAccountId.`,
          where,
        );
      }
      return { disk: d, ...(await checkVhd(core, src.uri, accountId, where)) };
    });
    const dataDisks = await Promise.all(data);
    const failure = osDisk.failure ?? dataDisks.find((d) => d.failure)?.failure;
    // Caching Azure reports when none was sent: ReadWrite for the OS disk, ReadOnly for data
    // disks (issue 12, item 3: read back from Azure at api 2023-07-03).
    const storageProfile: Json = {
      ...raw,
      osDiskImage: { hostCaching: 'ReadWrite', ...raw.osDiskImage, sizeInGB: osDisk.sizeInGB },
    };
    if (dataDisks.length) {
      storageProfile.dataDiskImages = dataDisks.map(({ disk, sizeInGB }) => ({
        hostCaching: 'ReadOnly',
        ...disk,
        sizeInGB,
      }));
    }
    return { storageProfile, ...(failure ? { failure } : {}) };
  }
  const from = core.store.get(source.id);
  if (!from) {
    throw new ArmError(
      404,
      'NotFound',
      `The source resource '${source.id}' was not found.`,
      'storageProfile.source.id',
    );
  }
  if (from.type === T.managedImage) {
    if (normalizeRegion(from.location) !== normalizeRegion(location)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The managed image '${source.id}' is in region '${from.location}'; the gallery image version must be created in the same region.`,
        'storageProfile.source.id',
      );
    }
    const sp = (from.properties.storageProfile ?? {}) as Json;
    const os = (sp.osDisk ?? {}) as Disk;
    if (os.osType && os.osType !== image.properties.osType) {
      throw new ArmError(
        400,
        'InvalidParameter',
        `The OS type '${String(os.osType)}' of the source image does not match the OS type '${String(image.properties.osType)}' of gallery image '${image.name}'.`,
      );
    }
    // Azure reports an empty `osDiskImage.source` for a version made from a managed image
    // (issue 12, item 7).
    const osDiskImage = {
      sizeInGB: Number(os.diskSizeGB ?? 30),
      hostCaching: os.caching ?? 'ReadOnly',
      source: {},
    };
    const dataDiskImages = ((sp.dataDisks ?? []) as Disk[]).map((d) => ({
      lun: d.lun,
      sizeInGB: Number(d.diskSizeGB ?? 32),
      hostCaching: d.caching ?? 'None',
    }));
    return { storageProfile: withDisks(raw, osDiskImage, dataDiskImages) };
  }
  if (from.type === T.version) {
    if (from.properties.provisioningState !== 'Succeeded') {
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `The source gallery image version '${source.id}' is in provisioning state '${String(from.properties.provisioningState)}'; it must be 'Succeeded'.`,
      );
    }
    const sourceImage = core.store.get(from.id.replace(/\/versions\/[^/]+$/i, ''));
    if (sourceImage) rules.compatibleDefinitions(sourceImage, image);
    const sp = (from.properties.storageProfile ?? {}) as Json;
    const os = (sp.osDiskImage ?? {}) as Disk;
    const dataDiskImages = ((sp.dataDiskImages ?? []) as Disk[]).map(({ source: _s, ...d }) => d);
    return {
      storageProfile: withDisks(
        raw,
        { sizeInGB: os.sizeInGB, hostCaching: os.hostCaching ?? 'ReadOnly' },
        dataDiskImages,
      ),
    };
  }
  throw new ArmError(
    400,
    'InvalidParameter',
    `The source '${source.id}' is not a managed image or a gallery image version.`,
    'storageProfile.source.id',
  );
}

function withDisks(raw: Record<string, Json>, osDiskImage: Json, dataDiskImages: Json[]): Json {
  return {
    ...raw,
    osDiskImage: { ...osDiskImage, ...raw.osDiskImage },
    ...(dataDiskImages.length ? { dataDiskImages } : {}),
  };
}

/** One VHD source: the account must exist and hold the blob; the blob must be a fixed VHD. */
async function checkVhd(
  core: ArmCore,
  uri: string,
  storageAccountId: string,
  where: string,
): Promise<{ sizeInGB: number; failure?: ActionResult }> {
  const account = core.store.get(storageAccountId);
  if (!account || account.type !== T.storage) {
    throw new ArmError(
      404,
      'StorageAccountNotFound',
      `The storage account '${storageAccountId}' was not found.`,
      `${where}.storageAccountId`,
    );
  }
  const parsed = core.blob.parseBlobUrl(uri);
  if (!parsed || parsed.account.toLowerCase() !== account.name.toLowerCase()) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The blob URI '${uri}' is not in storage account '${account.name}'.`,
      `${where}.uri`,
    );
  }
  const facts = await core.blob.inspect(uri);
  const failure = vhdProblem(uri, facts);
  const sizeInGB = !failure && facts.length ? Math.ceil((facts.length - 512) / 2 ** 30) : 0;
  return { sizeInGB, ...(failure ? { failure } : {}) };
}
