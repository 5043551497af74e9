/**
 * `builder: disk`: a disk image (path or URL) checked, converted to a fixed VHD and uploaded.
 * Temporary files (the download, the converted VHD) are removed whatever happens; the user's
 * own file is never changed.
 */
import { mkdir, rm } from 'node:fs/promises';
import { InputError } from '../../common/errors.js';
import { type PreparedVhd, prepareFixedVhd } from './disk.js';
import { blobUrl } from '../upload/blob-location.js';
import type { PageBlobTarget } from '../upload/page-blob.js';
import { explainReadError, openDiskImage } from './import/open-image.js';
import { logPhase, streamToPageBlob, vhdLayout } from './import/stream-upload.js';
import { formatBytes } from '../progress.js';
import { roundUpToMiB } from './vhd.js';
import {
  type Checksum,
  compressionOf,
  type Fetch,
  resolveSource,
  type SourceFile,
} from '../source.js';
import {
  type UploadedVhd,
  uploadVhdFile,
  type VhdDestination,
  type VhdUploadDependencies,
} from '../upload/vhd-upload.js';

export interface DiskImportRequest {
  /** `source-disk`: a path or an https URL. */
  readonly location: string;
  /** `source-checksum`. */
  readonly checksum?: Checksum;
  readonly destination: VhdDestination;
  /** File name stem for converted files, e.g. `capi-ubuntu-2404-1.31.2`. */
  readonly name: string;
  /** Blob metadata besides the upload state and SHA-256. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Also compute the SHA-256 of the whole VHD (it hashes every zero); off by default. */
  readonly fullSha256?: boolean;
}

export interface DiskImportDependencies extends VhdUploadDependencies {
  /** Scratch space for downloads and conversions; created if missing. */
  readonly workDir: string;
  readonly fetch?: Fetch;
}

export interface ImportedDisk {
  readonly source: SourceFile;
  readonly vhd: PreparedVhd;
  readonly uploaded: UploadedVhd;
  /** `content-v1:<hex>` (see import/content-digest.ts) when the image was streamed natively. */
  readonly contentDigest?: string;
}

export async function importDisk(
  request: DiskImportRequest,
  deps: DiskImportDependencies,
): Promise<ImportedDisk> {
  logPhase(deps.logger, 'import started');
  await mkdir(deps.workDir, { recursive: true });
  // Signing in (a GitHub ID token, then Entra's token for Storage) overlaps finding, checking
  // and mapping the image; nothing is sent to the blob until the image is known good.
  const url = blobUrl(request.destination.container, request.destination.blobName);
  const target = deps.target(url);
  target.signIn?.();
  const source = await resolveSource(request.location, {
    input: 'source-disk',
    checksumInput: 'source-checksum',
    workDir: deps.workDir,
    logger: deps.logger,
    ...(request.checksum ? { checksum: request.checksum } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.progressIntervalMs !== undefined
      ? { progressIntervalMs: deps.progressIntervalMs }
      : {}),
  });
  try {
    const streamed = await streamImport(source, request, deps, target);
    if (streamed) return streamed;
    const vhd = await prepareFixedVhd(source, {
      workDir: deps.workDir,
      name: request.name,
      logger: deps.logger,
      input: 'source-disk',
      ...(deps.qemu ? { qemu: deps.qemu } : {}),
    }).catch((err: unknown) => {
      throw (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? new InputError(
            'source-disk',
            source.location,
            'It is in a format build-image reads only through qemu-img, which is not installed ' +
              '(apt-get install qemu-utils), or convert it to qcow2, raw, VMDK, VHD or VHDX first.',
          )
        : err;
    });
    try {
      const uploaded = await uploadVhdFile(vhd.path, request.destination, request.metadata, deps);
      return { source, vhd, uploaded };
    } finally {
      if (vhd.temporary) await rm(vhd.path, { force: true });
    }
  } finally {
    if (source.temporary) await rm(source.path, { force: true });
  }
}

/**
 * The native path: formats our readers take are streamed from their extents into the page
 * blob, with no conversion file; anything else returns undefined for qemu-img to handle.
 */
async function streamImport(
  source: SourceFile,
  request: DiskImportRequest,
  deps: DiskImportDependencies,
  target: PageBlobTarget,
): Promise<ImportedDisk | undefined> {
  const compression = await compressionOf(source.path);
  if (compression) return undefined; // prepareFixedVhd says what to do about it
  const opened = await openDiskImage(source.path, 'source-disk', source.location);
  logPhase(deps.logger, 'image mapped');
  if (opened.kind === 'fallback') {
    deps.logger.info(`${source.location} is ${opened.reason}: converting it with qemu-img.`);
    return undefined;
  }
  const { file, map } = opened;
  try {
    const { virtualSize } = vhdLayout(map, request.name);
    const { url } = target;
    const data = map.extents.reduce((n, e) => n + e.length, 0);
    deps.logger.info(
      `${source.location} is a ${map.description} image of ${formatBytes(map.virtualSize)} ` +
        `(${map.virtualSize} bytes), ${formatBytes(data)} of it in ${map.extents.length} extents: ` +
        `streaming it to ${url} as a fixed VHD of ${formatBytes(virtualSize)}, ` +
        `${request.destination.concurrency} page writes at a time.`,
    );
    const result = await streamToPageBlob({
      file,
      map,
      target,
      seed: request.name,
      concurrency: request.destination.concurrency,
      metadata: request.metadata,
      logger: deps.logger,
      ...(request.fullSha256 ? { fullSha256: true } : {}),
      ...(deps.retry ? { retry: deps.retry } : {}),
      ...(deps.progressIntervalMs !== undefined
        ? { progressIntervalMs: deps.progressIntervalMs }
        : {}),
    }).catch((err: unknown) => {
      throw explainReadError(err, 'source-disk', source.location);
    });
    return {
      source,
      vhd: {
        path: source.path,
        virtualSize,
        sourceFormat: map.footer ? 'vpc-fixed' : map.format,
        sourceVirtualSize: map.virtualSize,
        converted: map.virtualSize !== roundUpToMiB(map.virtualSize) || !map.footer,
        temporary: false,
      },
      contentDigest: result.contentDigest,
      uploaded: {
        vhdUri: url,
        storageAccountId: request.destination.storageAccountId,
        virtualSize,
        upload: {
          url,
          sha256: result.sha256 ?? '',
          size: result.size,
          dataBytes: result.dataBytes,
          bytesSent: result.bytesSent,
          pageWrites: result.pageWrites,
          retries: result.retries,
          ms: result.ms,
          reused: result.reused,
          replacedPartial: result.replacedPartial,
        },
      },
    };
  } finally {
    await file.close();
  }
}
