/**
 * The hot path: a fixed VHD to a page blob, sending only what is not zero.
 *
 * A 30 GiB node image holds a few GiB of data; the rest is holes. We ask the file system where
 * the data is (`qemu-img map` on the raw file: SEEK_DATA/SEEK_HOLE), read only those extents,
 * and skip any 4 KiB block in them that is all zeros: a new page blob reads as zeros already.
 * Pages of at most 4 MiB go out in parallel, each retried on its own. The SHA-256 of the whole
 * VHD, holes included and in order, is computed on the way and stored as blob metadata with
 * the completion mark, so a run killed half-way leaves a blob that the next run recognises as
 * partial and uploads again, and a finished identical blob is not sent twice.
 */
import { open } from 'node:fs/promises';
import type { Logger } from '../../common/logger.js';
import { type PageBlobTarget, explain, isRetryable } from './page-blob.js';
import { formatBytes, formatDuration, formatRate } from '../progress.js';
import type { QemuImg } from '../vhd/qemu-img.js';
import { inlineSha256Stream, type Sha256Stream, sha256Stream } from './sha256-stream.js';

export const PAGE_BLOB_MAX_WRITE = 4 * 1024 * 1024;
/** Zero detection granularity: a page blob is written in 512-byte pages; 4 KiB blocks are cheap to test. */
const ZERO_BLOCK = 4096;
/** Zero gaps shorter than this inside a page are sent rather than split into more requests. */
const MIN_GAP = 64 * 1024;

/** Metadata names on the blob (Azure metadata names are C# identifiers: no dashes). */
export const UPLOAD_METADATA = {
  state: 'uploadstate',
  sha256: 'sha256',
  started: 'uploadstarted',
} as const;
export type UploadState = 'uploading' | 'complete';

/** A byte range of the file: [start, start + length). */
export interface Extent {
  readonly start: number;
  readonly length: number;
}

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; doubled for each further one. */
  readonly baseDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface UploadOptions {
  /** The fixed VHD. */
  readonly path: string;
  readonly target: PageBlobTarget;
  /** Where the data is; from {@link dataExtents}. Unset: the whole file is read. */
  readonly extents?: readonly Extent[];
  /** Page writes in flight at once. */
  readonly concurrency?: number;
  /** Largest write; at most 4 MiB, a multiple of 512. */
  readonly pageSize?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Metadata stored with the blob besides the upload state and the SHA-256. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly progressIntervalMs?: number;
  readonly now?: () => number;
  /** Hash on a worker thread (default), overlapping the upload, or on this one. */
  readonly hashing?: 'worker' | 'inline';
}

export interface UploadResult {
  readonly url: string;
  /** SHA-256 of the whole VHD, hex. */
  readonly sha256: string;
  /** Bytes in the blob: the VHD's size. */
  readonly size: number;
  /** Bytes in the data extents, i.e. read from disk. */
  readonly dataBytes: number;
  /** Bytes sent in page writes (zeros inside extents skipped). */
  readonly bytesSent: number;
  /** Page write requests that succeeded. */
  readonly pageWrites: number;
  /** Page writes that were sent again after a transient failure. */
  readonly retries: number;
  readonly ms: number;
  /** An identical, complete blob was already there: nothing was sent. */
  readonly reused: boolean;
  /** A partial upload from an earlier run was found and replaced. */
  readonly replacedPartial: boolean;
}

/**
 * Data extents of `path` per `qemu-img map` on the raw file, merged and sorted. When the map
 * cannot be had, the whole file counts as data: slower, never wrong.
 */
export async function dataExtents(
  path: string,
  size: number,
  qemu: QemuImg,
  logger: Logger,
): Promise<Extent[]> {
  try {
    const entries = await qemu.map(path, 'raw');
    const extents: Extent[] = [];
    for (const e of entries) {
      if (!e.data || e.zero) continue;
      const last = extents.at(-1);
      if (last && last.start + last.length === e.start) {
        extents[extents.length - 1] = { start: last.start, length: last.length + e.length };
      } else {
        extents.push({ start: e.start, length: e.length });
      }
    }
    return extents;
  } catch (err) {
    logger.warning(
      `Could not map the data of ${path} (${(err as Error).message}); reading all of it.`,
    );
    return [{ start: 0, length: size }];
  }
}

/** Uploads the VHD at `options.path` to `options.target`; see the module comment. */
export async function uploadFixedVhd(options: UploadOptions): Promise<UploadResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const file = await open(options.path, 'r');
  try {
    const { size } = await file.stat();
    if (size % 512 !== 0)
      throw new Error(`${options.path} is ${size} bytes, not a multiple of 512.`);
    const extents = normaliseExtents(options.extents ?? [{ start: 0, length: size }], size);
    const retry = retryPolicy(options.retry);
    const { target, logger } = options;

    const existing = await withRetries('read', () => target.getState(), retry);
    let replacedPartial = false;
    if (existing) {
      const state = existing.metadata[UPLOAD_METADATA.state];
      const sha = existing.metadata[UPLOAD_METADATA.sha256];
      if (
        state === 'complete' &&
        sha &&
        existing.size === size &&
        existing.blobType === 'PageBlob'
      ) {
        logger.info(`${target.url} exists and is complete; comparing its SHA-256 with the VHD's.`);
        const local = await hashFile(file, size, extents, newHash(options));
        if (local === sha) {
          logger.info(`Same SHA-256 (${sha}): the blob is already uploaded, nothing to send.`);
          return result({ sha256: local, reused: true, replacedPartial });
        }
        logger.warning(
          `${target.url} holds other content (SHA-256 ${sha}, the VHD's is ${local}); replacing it.`,
        );
      } else if (state !== 'complete') {
        replacedPartial = true;
        const since = existing.metadata[UPLOAD_METADATA.started];
        logger.warning(
          `${target.url} is a partial upload (${state ? `state '${state}'` : 'no completion mark'}` +
            `${since ? `, started ${since}` : ''}), left by a run that stopped; uploading it again.`,
        );
      } else {
        logger.warning(`${target.url} exists with another size or type; replacing it.`);
      }
    }

    const metadata = { ...options.metadata };
    await withRetries(
      'create',
      () =>
        target.create(size, {
          ...metadata,
          [UPLOAD_METADATA.state]: 'uploading' satisfies UploadState,
          [UPLOAD_METADATA.started]: new Date(started).toISOString(),
        }),
      retry,
    );
    const stats = await writePages(file, size, extents, options, retry, now, started);
    await withRetries(
      'set metadata',
      () =>
        target.setMetadata({
          ...metadata,
          [UPLOAD_METADATA.state]: 'complete' satisfies UploadState,
          [UPLOAD_METADATA.sha256]: stats.sha256,
        }),
      retry,
    ).catch((err: unknown) => {
      throw explain(err, 'set the metadata of', target.url);
    });
    return result({ ...stats, reused: false, replacedPartial });

    function result(
      r: Partial<UploadResult> & Pick<UploadResult, 'sha256' | 'reused' | 'replacedPartial'>,
    ): UploadResult {
      return {
        url: target.url,
        size,
        dataBytes: extents.reduce((n, e) => n + e.length, 0),
        bytesSent: 0,
        pageWrites: 0,
        retries: 0,
        ms: now() - started,
        ...r,
      };
    }
  } finally {
    await file.close();
  }
}

type FileHandle = Awaited<ReturnType<typeof open>>;

function newHash(options: UploadOptions): Sha256Stream {
  return options.hashing === 'inline' ? inlineSha256Stream() : sha256Stream();
}

/** Sorted, non-overlapping, within the file, on 512-byte boundaries. */
function normaliseExtents(extents: readonly Extent[], size: number): Extent[] {
  const sorted = [...extents]
    .map((e) => ({
      start: Math.max(0, Math.floor(e.start / 512) * 512),
      end: Math.min(size, Math.ceil((e.start + e.length) / 512) * 512),
    }))
    .filter((e) => e.end > e.start)
    .sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const e of sorted) {
    const last = merged.at(-1);
    if (last && e.start <= last.end) last.end = Math.max(last.end, e.end);
    else merged.push({ ...e });
  }
  return merged.map((e) => ({ start: e.start, length: e.end - e.start }));
}

/** The retry policy of a page-blob upload: 5 attempts, 1 s doubling, unless told otherwise. */
export function retryPolicy(given: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    attempts: given.attempts ?? 5,
    baseDelayMs: given.baseDelayMs ?? 1000,
    sleep: given.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  };
}

/** Calls `fn` until it succeeds, a failure is not transient, or attempts run out. */
export async function withRetries<T>(
  what: string,
  fn: () => Promise<T>,
  retry: RetryPolicy,
  onRetry?: (err: unknown, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retry.attempts || !isRetryable(err)) {
        if (attempt > 1) (err as Error).message += ` (${what}: gave up after ${attempt} attempts)`;
        throw err;
      }
      onRetry?.(err, attempt);
      await retry.sleep!(retry.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}

/** Counts what the walk did, and reports progress at most every interval. */
class Progress {
  dataDone = 0;
  bytesSent = 0;
  pageWrites = 0;
  retries = 0;
  private lastReport: number;

  constructor(
    private readonly dataTotal: number,
    private readonly size: number,
    private readonly options: UploadOptions,
    private readonly now: () => number,
    private readonly started: number,
  ) {
    this.lastReport = started;
  }

  maybeReport(): void {
    const t = this.now();
    if (t - this.lastReport < (this.options.progressIntervalMs ?? 10_000)) return;
    this.lastReport = t;
    const elapsed = t - this.started;
    const share = this.dataTotal === 0 ? 1 : this.dataDone / this.dataTotal;
    const eta = share > 0 ? (elapsed / share) * (1 - share) : Number.POSITIVE_INFINITY;
    this.options.logger.info(
      `Upload: ${formatBytes(this.dataDone)} of ${formatBytes(this.dataTotal)} data ` +
        `(${Math.floor(share * 100)}%), ${formatBytes(this.bytesSent)} sent in ${this.pageWrites} pages, ` +
        `${formatRate(this.dataDone, elapsed)}, ETA ${formatDuration(eta)}`,
    );
  }

  summary(ms: number): string {
    return (
      `Uploaded ${formatBytes(this.size)} VHD in ${formatDuration(ms)}: ${formatBytes(this.dataDone)} ` +
      `of data read, ${formatBytes(this.bytesSent)} sent in ${this.pageWrites} page writes ` +
      `(${formatRate(this.dataDone, ms)}), ${formatBytes(this.size - this.bytesSent)} of zeros not sent` +
      (this.retries ? `, ${this.retries} retries` : '') +
      '.'
    );
  }
}

/**
 * Reads the extents in order, hashing everything (holes as zeros) and handing non-zero runs to
 * at most `concurrency` page writes at a time. Reading waits for a free slot, so memory stays at
 * about `concurrency` pages.
 */
async function writePages(
  file: FileHandle,
  size: number,
  extents: readonly Extent[],
  options: UploadOptions,
  retry: RetryPolicy,
  now: () => number,
  started: number,
): Promise<{ sha256: string; bytesSent: number; pageWrites: number; retries: number; ms: number }> {
  const pageSize = options.pageSize ?? PAGE_BLOB_MAX_WRITE;
  if (pageSize % 512 !== 0 || pageSize > PAGE_BLOB_MAX_WRITE || pageSize <= 0) {
    throw new Error(`pageSize ${pageSize} must be a multiple of 512 up to 4 MiB.`);
  }
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const dataTotal = extents.reduce((n, e) => n + e.length, 0);
  const progress = new Progress(dataTotal, size, options, now, started);
  const hash = newHash(options);
  const zeros = Buffer.alloc(Math.max(pageSize, ZERO_BLOCK));

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const send = (data: Buffer, offset: number) => {
    const write = withRetries(
      `page at ${offset}`,
      () => options.target.uploadPages(data, offset),
      retry,
      (err, attempt) => {
        progress.retries++;
        options.logger.warning(
          `Page write of ${formatBytes(data.length)} at offset ${offset} failed (attempt ${attempt}: ` +
            `${(err as Error).message.split('\n')[0]}); retrying.`,
        );
      },
    ).then(
      () => {
        progress.bytesSent += data.length;
        progress.pageWrites++;
        progress.maybeReport();
      },
      (err: unknown) => {
        failure ??= explain(
          err,
          `write ${data.length} bytes at offset ${offset} of`,
          options.target.url,
        );
      },
    );
    const tracked = write.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  try {
    let position = 0;
    for (const extent of extents) {
      hash.zeros(extent.start - position);
      const end = extent.start + extent.length;
      for (let offset = extent.start; offset < end && failure === undefined;) {
        // Pages follow a fixed grid so a resumed or repeated upload writes the same requests.
        const next = Math.min(end, (Math.floor(offset / pageSize) + 1) * pageSize);
        const chunk = await readFully(file, offset, next - offset);
        await hash.data(chunk);
        for (const run of nonZeroRuns(chunk, zeros)) {
          while (inFlight.size >= concurrency) await Promise.race(inFlight);
          if (failure !== undefined) break;
          send(chunk.subarray(run.start, run.end), offset + run.start);
        }
        progress.dataDone += chunk.length;
        progress.maybeReport();
        offset = next;
      }
      position = end;
      if (failure !== undefined) break;
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    hash.zeros(size - position);
    const sha256 = await hash.digest();
    const ms = now() - started;
    options.logger.info(progress.summary(ms));
    return {
      sha256,
      bytesSent: progress.bytesSent,
      pageWrites: progress.pageWrites,
      retries: progress.retries,
      ms,
    };
  } catch (err) {
    await Promise.all(inFlight);
    await hash.close();
    throw err;
  }
}

async function readFully(file: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) throw new Error(`Unexpected end of file at ${offset + done}.`);
    done += bytesRead;
  }
  return buffer;
}

/**
 * Ranges of `chunk` that are not all zeros, at 4 KiB granularity (the last block may be
 * shorter), with zero gaps under 64 KiB bridged to save requests. Comparisons against a zero
 * buffer are memcmp calls, so a 4 MiB page is checked in microseconds.
 */
export function nonZeroRuns(chunk: Buffer, zeros: Buffer): { start: number; end: number }[] {
  if (chunk.length <= zeros.length && chunk.compare(zeros, 0, chunk.length) === 0) return [];
  const runs: { start: number; end: number }[] = [];
  for (let start = 0; start < chunk.length; start += ZERO_BLOCK) {
    const end = Math.min(chunk.length, start + ZERO_BLOCK);
    if (chunk.compare(zeros, 0, end - start, start, end) === 0) continue;
    const last = runs.at(-1);
    if (last && start - last.end < MIN_GAP) last.end = end;
    else runs.push({ start, end });
  }
  return runs;
}

/** SHA-256 of the file, reading only `extents` (the rest is zeros by the file system's word). */
async function hashFile(
  file: FileHandle,
  size: number,
  extents: readonly Extent[],
  hash: Sha256Stream,
): Promise<string> {
  let position = 0;
  for (const e of extents) {
    hash.zeros(e.start - position);
    for (let offset = e.start; offset < e.start + e.length; offset += PAGE_BLOB_MAX_WRITE) {
      const length = Math.min(PAGE_BLOB_MAX_WRITE, e.start + e.length - offset);
      await hash.data(await readFully(file, offset, length));
    }
    position = e.start + e.length;
  }
  hash.zeros(size - position);
  return hash.digest();
}
