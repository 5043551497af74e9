/**
 * A fixed VHD on disk to a page blob, as `builder: disk` and `builder: stemcell` both end: map
 * the data, upload it, and say where it went (blob URL and storage account ID).
 */
import type { Logger } from '../../common/logger.js';
import { type BlobContainerLocation, blobUrl } from './blob-location.js';
import type { PageBlobTarget } from './page-blob.js';
import { formatBytes } from '../progress.js';
import { QemuImg } from '../vhd/qemu-img.js';
import { dataExtents, type RetryPolicy, uploadFixedVhd, type UploadResult } from './upload.js';
import { checkFixedVhd } from '../vhd/vhd.js';

/** Where and how to upload. */
export interface VhdDestination {
  readonly container: BlobContainerLocation;
  readonly blobName: string;
  /** The account's resource ID, which publish-to-gallery passes with the blob URL. */
  readonly storageAccountId: string;
  /** Page writes in flight. */
  readonly concurrency: number;
}

export interface VhdUploadDependencies {
  /** The page blob at `url`, signed in; `azurePageBlobTarget` in the action. */
  readonly target: (url: string) => PageBlobTarget;
  readonly logger: Logger;
  readonly qemu?: QemuImg;
  readonly retry?: Partial<RetryPolicy>;
  readonly progressIntervalMs?: number;
}

export interface UploadedVhd {
  readonly vhdUri: string;
  readonly storageAccountId: string;
  /** The VHD's virtual size (file size - 512). */
  readonly virtualSize: number;
  readonly upload: UploadResult;
}

/** Checks the footer once more, maps the data and uploads; see `uploadFixedVhd`. */
export async function uploadVhdFile(
  path: string,
  destination: VhdDestination,
  metadata: Readonly<Record<string, string>>,
  deps: VhdUploadDependencies,
): Promise<UploadedVhd> {
  const check = await checkFixedVhd(path);
  if (check.problem) throw new Error(`${path} cannot be uploaded as an image: ${check.problem}.`);
  const qemu = deps.qemu ?? new QemuImg();
  const extents = await dataExtents(path, check.fileSize, qemu, deps.logger);
  const data = extents.reduce((n, e) => n + e.length, 0);
  const url = blobUrl(destination.container, destination.blobName);
  deps.logger.info(
    `Uploading ${formatBytes(check.fileSize)} VHD to ${url}: ${formatBytes(data)} of it in ` +
      `${extents.length} data extents, ${destination.concurrency} page writes at a time.`,
  );
  const upload = await uploadFixedVhd({
    path,
    target: deps.target(url),
    extents,
    concurrency: destination.concurrency,
    metadata,
    logger: deps.logger,
    ...(deps.retry ? { retry: deps.retry } : {}),
    ...(deps.progressIntervalMs !== undefined
      ? { progressIntervalMs: deps.progressIntervalMs }
      : {}),
  });
  return {
    vhdUri: url,
    storageAccountId: destination.storageAccountId,
    virtualSize: check.fileSize - 512,
    upload,
  };
}
