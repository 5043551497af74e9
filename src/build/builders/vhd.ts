/**
 * The builders that end in a VHD upload: `disk` (any disk image, converted) and `stemcell` (a
 * BOSH stemcell's root.vhd, as it is).
 */
import { mkdir, rm } from 'node:fs/promises';
import { importDisk } from '../vhd/import-disk.js';
import { formatChecksum, resolveSource } from '../source.js';
import { extractStemcell, stemcellImage } from '../vhd/stemcell.js';
import { type UploadedVhd, uploadVhdFile } from '../upload/vhd-upload.js';
import { BLOB_MANAGED_BY_KEY, MANAGED_BY } from '../../gallery/retention/leftovers.js';
import {
  type BuildContext,
  type BuilderOutcome,
  type BuiltImage,
  identity,
  type Provenance,
} from './context.js';
import type { BuildRequest, UploadSettings } from './request.js';

export async function buildFromDisk(
  settings: BuildRequest,
  builder: Extract<BuildRequest['builder'], { kind: 'disk' }>,
  ctx: BuildContext,
): Promise<BuilderOutcome> {
  const image = identity(settings);
  const name = `${image.definition}-${image.version}`;
  const imported = await importDisk(
    {
      location: builder.source.location,
      ...(builder.source.checksum ? { checksum: builder.source.checksum } : {}),
      destination: destination(builder.upload, name),
      name,
      metadata: blobMetadata(settings, image, ctx.provenance),
      ...(builder.upload.fullSha256 ? { fullSha256: true } : {}),
    },
    {
      workDir: ctx.workDir,
      target: ctx.pageBlob,
      logger: ctx.logger,
      ...(ctx.qemu ? { qemu: ctx.qemu } : {}),
      ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
      ...(ctx.retry ? { retry: ctx.retry } : {}),
      ...(ctx.progressIntervalMs !== undefined
        ? { progressIntervalMs: ctx.progressIntervalMs }
        : {}),
    },
  );
  const { uploaded, vhd, source, contentDigest } = imported;
  return {
    image,
    vhd: vhdOutcome(uploaded, contentDigest),
    manifest: {
      source: {
        location: source.location,
        ...(source.checksum ? { checksum: formatChecksum(source.checksum) } : {}),
        format: vhd.sourceFormat,
        virtualSize: vhd.sourceVirtualSize,
      },
      vhd: manifestVhd(uploaded, contentDigest),
    },
  };
}

/** A BOSH stemcell: its root.vhd, checked fixed and aligned, uploaded as it is. */
export async function buildFromStemcell(
  settings: BuildRequest,
  builder: Extract<BuildRequest['builder'], { kind: 'stemcell' }>,
  ctx: BuildContext,
): Promise<BuilderOutcome> {
  await mkdir(ctx.workDir, { recursive: true });
  const tarball = await resolveSource(builder.source.location, {
    input: 'source-disk',
    checksumInput: 'source-checksum',
    workDir: ctx.workDir,
    logger: ctx.logger,
    ...(builder.source.checksum ? { checksum: builder.source.checksum } : {}),
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
  });
  try {
    const stemcell = await extractStemcell(tarball, { workDir: ctx.workDir, logger: ctx.logger });
    try {
      const image = stemcellImage(stemcell.manifest, tarball.location, {
        ...(settings.image.definition ? { definition: settings.image.definition } : {}),
        ...(settings.image.version ? { version: settings.image.version } : {}),
      });
      const uploaded = await uploadVhdFile(
        stemcell.vhdPath,
        destination(builder.upload, `${image.definition}-${image.version}`),
        {
          ...blobMetadata(settings, image, ctx.provenance),
          stemcellname: stemcell.manifest.name,
          stemcellversion: stemcell.manifest.version,
        },
        uploadDependencies(ctx),
      );
      const { manifest } = stemcell;
      return {
        image,
        vhd: vhdOutcome(uploaded),
        manifest: {
          source: {
            location: tarball.location,
            ...(tarball.checksum ? { checksum: formatChecksum(tarball.checksum) } : {}),
            format: 'stemcell',
            virtualSize: uploaded.virtualSize,
          },
          vhd: manifestVhd(uploaded),
          stemcell: {
            name: manifest.name,
            version: manifest.version,
            os: manifest.operatingSystem,
          },
        },
      };
    } finally {
      await rm(stemcell.dir, { recursive: true, force: true });
    }
  } finally {
    if (tarball.temporary) await rm(tarball.path, { force: true });
  }
}

function uploadDependencies(ctx: BuildContext) {
  return {
    target: ctx.pageBlob,
    logger: ctx.logger,
    ...(ctx.qemu ? { qemu: ctx.qemu } : {}),
    ...(ctx.retry ? { retry: ctx.retry } : {}),
    ...(ctx.progressIntervalMs !== undefined ? { progressIntervalMs: ctx.progressIntervalMs } : {}),
  };
}

function manifestVhd(uploaded: UploadedVhd, contentDigest?: string) {
  return {
    uri: uploaded.vhdUri,
    storageAccountId: uploaded.storageAccountId,
    sha256: uploaded.upload.sha256,
    ...(contentDigest ? { contentDigest } : {}),
    size: uploaded.upload.size,
    bytesSent: uploaded.upload.bytesSent,
    reused: uploaded.upload.reused,
  };
}

function destination(upload: UploadSettings, name: string) {
  return {
    container: upload.container,
    blobName: upload.blobName ?? `${name}.vhd`,
    storageAccountId: upload.storageAccountId,
    concurrency: upload.concurrency,
  };
}

function vhdOutcome(uploaded: UploadedVhd, contentDigest?: string) {
  const u = uploaded.upload;
  return {
    uri: uploaded.vhdUri,
    storageAccountId: uploaded.storageAccountId,
    sha256: u.sha256,
    ...(contentDigest ? { contentDigest } : {}),
    size: u.size,
    dataBytes: u.dataBytes,
    bytesSent: u.bytesSent,
    ms: u.ms,
    reused: u.reused,
    replacedPartial: u.replacedPartial,
  };
}

/** Blob metadata names are C# identifiers; values are ASCII header text. */
function blobMetadata(
  settings: BuildRequest,
  image: BuiltImage,
  provenance: Provenance,
): Record<string, string> {
  const entries: [string, string | undefined][] = [
    // cleanup removes staging VHDs with this mark once they are older than its cut-off.
    [BLOB_MANAGED_BY_KEY, MANAGED_BY.value],
    ['imagedefinition', image.definition],
    ['imageversion', image.version],
    ['kubernetesversion', settings.kubernetesVersion],
    ['ostarget', settings.os],
    ['builder', settings.builder.kind],
    ['buildrun', provenance.runUrl],
    ['commit', provenance.commit],
  ];
  return Object.fromEntries(
    entries.filter((e): e is [string, string] => e[1] !== undefined && /^[\x20-\x7e]*$/.test(e[1])),
  );
}
