/**
 * The streaming import: a disk map's extents straight into a page blob, then the fixed-VHD
 * footer, with no file in between.
 *
 * Writes are shaped for the service: the disk is walked in 4 MiB windows on a fixed grid (a
 * Put Page takes at most 4 MiB); in each, 4 KiB blocks of zeros are dropped (a new page blob
 * reads as zeros) and the data runs left are merged across holes smaller than `mergeGap`, so a
 * fragmented image costs a few large writes rather than many small ones, for a few more bytes.
 * At most `concurrency` writes are in flight, each retried on transient failures as the
 * upload of a VHD file is.
 *
 * The content digest (./content-digest.ts) is computed on the way; the SHA-256 of the whole
 * VHD only when asked (it hashes every zero). Completeness is marked as for a VHD file: the
 * blob is created with `uploadstate: uploading` and gets `complete`, with the digests, only
 * after the footer, the last write, has landed. A re-run that finds a complete blob of the
 * same size and content digest sends nothing.
 */
import type { Logger } from '../../../common/logger.js';
import { explain, type PageBlobTarget } from '../../upload/page-blob.js';
import { formatBytes, formatDuration, formatRate } from '../../progress.js';
import { inlineSha256Stream, type Sha256Stream, sha256Stream } from '../../upload/sha256-stream.js';
import {
  type RetryPolicy,
  UPLOAD_METADATA,
  type UploadState,
  retryPolicy,
  withRetries,
} from '../../upload/upload.js';
import { MiB, roundUpToMiB, VHD_FOOTER_SIZE } from '../vhd.js';
import { ContentDigest } from './content-digest.js';
import { type DiskMap, dataBytes } from './disk-map.js';
import { fixedVhdFooter } from './footer.js';
import type { ImageFile } from './image-file.js';
import { BufferPool } from './buffer-pool.js';
import { type Piece, type Window, windows } from './read-extents.js';

export const PUT_PAGE_MAX = 4 * MiB;

/**
 * Says in the debug log when a phase of the import ended, in ms since the process started, so a
 * slow import can be broken down (fixed costs before the first page write and after the last,
 * against the streaming between); bench:import reads these lines.
 */
export function logPhase(logger: Logger, phase: string): void {
  logger.debug(`Import phase: ${phase} at ${Math.round(performance.now())} ms.`);
}
/** Zero-detection granularity. */
const ZERO_BLOCK = 4096;
/** Holes under this inside a 4 MiB window are sent as zeros rather than split into writes. */
export const DEFAULT_MERGE_GAP = 256 * 1024;
/** Metadata name of the content digest (Azure metadata names are C# identifiers). */
export const CONTENT_DIGEST_METADATA = 'contentdigest';

export interface StreamUploadOptions {
  readonly file: ImageFile;
  readonly map: DiskMap;
  readonly target: PageBlobTarget;
  /** Seed of the synthesised footer's unique ID (the image's name), as `normaliseVhdFooter`. */
  readonly seed: string;
  readonly concurrency?: number;
  readonly mergeGap?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly logger: Logger;
  readonly progressIntervalMs?: number;
  readonly now?: () => number;
  /** Also compute the SHA-256 of the whole VHD (zeros and footer included). */
  readonly fullSha256?: boolean;
  readonly hashing?: 'worker' | 'inline';
}

export interface StreamUploadResult {
  readonly url: string;
  /** Bytes in the blob: virtual size + 512. */
  readonly size: number;
  /** The VHD's virtual size: a whole number of MiB. */
  readonly virtualSize: number;
  /** `content-v1:<hex>`. */
  readonly contentDigest: string;
  /** SHA-256 of the whole VHD, hex, when asked for (or already recorded on a reused blob). */
  readonly sha256?: string;
  /** Bytes of the image's extents (read, expanded). */
  readonly dataBytes: number;
  /** Bytes sent in page writes, the footer included. */
  readonly bytesSent: number;
  readonly pageWrites: number;
  readonly retries: number;
  readonly ms: number;
  readonly reused: boolean;
  readonly replacedPartial: boolean;
}

/** The blob size and footer a map becomes. */
export function vhdLayout(map: DiskMap, seed: string): { virtualSize: number; footer: Buffer } {
  if (map.footer) return { virtualSize: map.virtualSize, footer: map.footer };
  const virtualSize = roundUpToMiB(map.virtualSize);
  return { virtualSize, footer: fixedVhdFooter(virtualSize, seed) };
}

export async function streamToPageBlob(options: StreamUploadOptions): Promise<StreamUploadResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const { target, logger, map } = options;
  const { virtualSize, footer } = vhdLayout(map, options.seed);
  const size = virtualSize + VHD_FOOTER_SIZE;
  const retry = retryPolicy(options.retry);
  const base = { url: target.url, size, virtualSize, dataBytes: dataBytes(map) };

  const existing = await withRetries('read', () => target.getState(), retry);
  logPhase(logger, 'blob state read');
  let replacedPartial = false;
  if (existing) {
    const state = existing.metadata[UPLOAD_METADATA.state];
    const digest = existing.metadata[CONTENT_DIGEST_METADATA];
    const sha = existing.metadata[UPLOAD_METADATA.sha256];
    if (
      state === 'complete' &&
      digest &&
      existing.size === size &&
      existing.blobType === 'PageBlob'
    ) {
      logger.info(
        `${target.url} exists and is complete; comparing its content digest with the image's.`,
      );
      const local = await scan(options, virtualSize, footer, options.fullSha256 === true && !sha);
      if (local.contentDigest === digest && (!local.sha256 || !sha || local.sha256 === sha)) {
        logger.info(
          `Same content digest (${digest}): the blob is already uploaded, nothing to send.`,
        );
        return {
          ...base,
          contentDigest: digest,
          ...((sha ?? local.sha256) ? { sha256: sha ?? local.sha256 } : {}),
          bytesSent: 0,
          pageWrites: 0,
          retries: 0,
          ms: now() - started,
          reused: true,
          replacedPartial,
        };
      }
      logger.warning(
        `${target.url} holds other content (content digest ${digest}, the image's is ${local.contentDigest}); replacing it.`,
      );
    } else if (state !== 'complete') {
      replacedPartial = true;
      const since = existing.metadata[UPLOAD_METADATA.started];
      logger.warning(
        `${target.url} is a partial upload (${state ? `state '${state}'` : 'no completion mark'}` +
          `${since ? `, started ${since}` : ''}), left by a run that stopped; uploading it again.`,
      );
    } else {
      logger.warning(
        `${target.url} exists with another size, type or no content digest; replacing it.`,
      );
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
  logPhase(logger, 'blob created');
  const sent = await send(options, retry, virtualSize, footer, now, started);
  await withRetries(
    'set metadata',
    () =>
      target.setMetadata({
        ...metadata,
        [UPLOAD_METADATA.state]: 'complete' satisfies UploadState,
        [CONTENT_DIGEST_METADATA]: sent.contentDigest,
        ...(sent.sha256 ? { [UPLOAD_METADATA.sha256]: sent.sha256 } : {}),
      }),
    retry,
  ).catch((err: unknown) => {
    throw explain(err, 'set the metadata of', target.url);
  });
  logPhase(logger, 'blob marked complete');
  return { ...base, ...sent, ms: now() - started, reused: false, replacedPartial };
}

/** The digests of the image as it would be uploaded, reading only its extents. */
async function scan(
  options: StreamUploadOptions,
  virtualSize: number,
  footer: Buffer,
  full: boolean,
): Promise<{ contentDigest: string; sha256?: string }> {
  const digest = new ContentDigest(virtualSize);
  const sha = full ? newSha(options) : undefined;
  const pool = new BufferPool(PUT_PAGE_MAX, 2);
  let position = 0;
  try {
    for await (const window of windows(options.file, options.map.extents, pool)) {
      digestRuns(digest, window, windowRuns(window.start, window.pieces, 0));
      if (sha) {
        for (const p of window.pieces) {
          sha.zeros(p.offset - position);
          await sha.data(p.data);
          position = p.offset + p.data.length;
        }
      }
    }
    if (!sha) return { contentDigest: digest.digest() };
    sha.zeros(virtualSize - position);
    await sha.data(footer);
    return { contentDigest: digest.digest(), sha256: await sha.digest() };
  } catch (err) {
    await sha?.close();
    throw err;
  }
}

/**
 * Feeds the content digest a window's data runs alone: what they leave out is zeros, which the
 * digest skips anyway (./content-digest.ts), so the zeros are never looked at twice.
 */
function digestRuns(
  digest: ContentDigest,
  window: Window,
  runs: readonly { start: number; end: number }[],
): void {
  for (const run of runs) {
    digest.update(window.start + run.start, window.buffer.subarray(run.start, run.end));
  }
}

function newSha(options: StreamUploadOptions): Sha256Stream {
  return options.hashing === 'inline' ? inlineSha256Stream() : sha256Stream();
}

/** Data runs of a window, in window-relative bytes: zeros dropped, small holes bridged. */
export function windowRuns(
  start: number,
  pieces: readonly Piece[],
  mergeGap: number,
): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  for (const p of pieces) {
    const base = p.offset - start;
    if (
      p.data.length <= ZERO_BUFFER.length &&
      p.data.equals(ZERO_BUFFER.subarray(0, p.data.length))
    )
      continue;
    for (let at = 0; at < p.data.length; at += ZERO_BLOCK) {
      const end = Math.min(p.data.length, at + ZERO_BLOCK);
      if (p.data.compare(ZERO_BUFFER, 0, end - at, at, end) === 0) continue;
      const last = runs.at(-1);
      const hole = last ? base + at - last.end : 0;
      // Contiguous blocks are always one run; a hole is bridged when under mergeGap.
      if (last && (hole === 0 || hole < mergeGap)) last.end = base + end;
      else runs.push({ start: base + at, end: base + end });
    }
  }
  return runs;
}
const ZERO_BUFFER = Buffer.alloc(PUT_PAGE_MAX);

async function send(
  options: StreamUploadOptions,
  retry: RetryPolicy,
  virtualSize: number,
  footer: Buffer,
  now: () => number,
  started: number,
): Promise<{
  contentDigest: string;
  sha256?: string;
  bytesSent: number;
  pageWrites: number;
  retries: number;
}> {
  const { target, logger, map } = options;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const mergeGap = options.mergeGap ?? DEFAULT_MERGE_GAP;
  const digest = new ContentDigest(virtualSize);
  const sha = options.fullSha256 ? newSha(options) : undefined;
  const total = dataBytes(map);
  const interval = options.progressIntervalMs ?? 10_000;
  const stats = { read: 0, bytesSent: 0, pageWrites: 0, retries: 0 };
  let lastReport = started;
  const report = (force = false) => {
    const t = now();
    if (!force && t - lastReport < interval) return;
    lastReport = t;
    const elapsed = t - started;
    const share = total === 0 ? 1 : stats.read / total;
    const eta = share > 0 ? (elapsed / share) * (1 - share) : Number.POSITIVE_INFINITY;
    logger.info(
      `Import: ${formatBytes(stats.read)} of ${formatBytes(total)} data read (${Math.floor(share * 100)}%), ` +
        `${formatBytes(stats.bytesSent)} sent in ${stats.pageWrites} writes, ` +
        `${formatRate(stats.bytesSent, elapsed)}, ETA ${formatDuration(eta)}`,
    );
  };

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  /** Sends `data` at `offset`; `window`, which `data` is a view of, is released once it landed. */
  const put = (data: Buffer, offset: number, window?: Window) => {
    window?.retain();
    const write = withRetries(
      `page at ${offset}`,
      () => target.uploadPages(data, offset),
      retry,
      (err, attempt) => {
        stats.retries++;
        logger.warning(
          `Page write of ${formatBytes(data.length)} at offset ${offset} failed (attempt ${attempt}: ` +
            `${(err as Error).message.split('\n')[0]}); retrying.`,
        );
      },
    ).then(
      () => {
        stats.bytesSent += data.length;
        if (++stats.pageWrites === 1) logPhase(logger, 'first page write landed');
      },
      (err: unknown) => {
        failure ??= explain(err, `write ${data.length} bytes at offset ${offset} of`, target.url);
      },
    );
    const tracked = write.finally(() => {
      inFlight.delete(tracked);
      window?.release();
    });
    inFlight.add(tracked);
  };
  const slot = async () => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
  };

  // A window for each write in flight, the one being cut into writes and the next being read.
  const pool = new BufferPool(PUT_PAGE_MAX, concurrency + 2);
  let position = 0;
  try {
    for await (const window of windows(options.file, map.extents, pool)) {
      const { start, pieces, buffer } = window;
      const runs = windowRuns(start, pieces, mergeGap);
      digestRuns(digest, window, runs);
      for (const p of pieces) {
        if (sha) {
          sha.zeros(p.offset - position);
          await sha.data(p.data);
        }
        position = p.offset + p.data.length;
        stats.read += p.data.length;
      }
      for (const run of runs) {
        await slot();
        if (failure !== undefined) break;
        put(buffer.subarray(run.start, run.end), start + run.start, window);
      }
      if (failure !== undefined) break;
      report();
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    logPhase(logger, 'data written');
    // The footer last: until it and the completion mark are there, the blob is no VHD.
    put(footer, virtualSize);
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    let sha256: string | undefined;
    if (sha) {
      sha.zeros(virtualSize - position);
      await sha.data(footer);
      sha256 = await sha.digest();
    }
    const ms = now() - started;
    logger.info(
      `Imported ${formatBytes(virtualSize + VHD_FOOTER_SIZE)} VHD in ${formatDuration(ms)}: ` +
        `${formatBytes(stats.read)} of data read, ${formatBytes(stats.bytesSent)} sent in ` +
        `${stats.pageWrites} page writes (${formatRate(stats.bytesSent, ms)})` +
        (stats.retries ? `, ${stats.retries} retries` : '') +
        '.',
    );
    return { contentDigest: digest.digest(), ...(sha256 ? { sha256 } : {}), ...stats };
  } catch (err) {
    await Promise.all(inFlight);
    await sha?.close();
    throw err;
  }
}
