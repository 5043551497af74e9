/**
 * `builder: disk`: a disk image (path or URL) checked, converted to a fixed VHD and uploaded.
 * Temporary files (the download, the converted VHD) are removed whatever happens; the user's
 * own file is never changed.
 */
import { mkdir, rm } from 'node:fs/promises';
import { type PreparedVhd, prepareFixedVhd } from './disk.js';
import { type Checksum, type Fetch, resolveSource, type SourceFile } from '../source.js';
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
}

export async function importDisk(
  request: DiskImportRequest,
  deps: DiskImportDependencies,
): Promise<ImportedDisk> {
  await mkdir(deps.workDir, { recursive: true });
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
    const vhd = await prepareFixedVhd(source, {
      workDir: deps.workDir,
      name: request.name,
      logger: deps.logger,
      input: 'source-disk',
      ...(deps.qemu ? { qemu: deps.qemu } : {}),
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
