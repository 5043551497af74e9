/**
 * Reads a disk map's extents window by window: the bytes of each extent that falls in
 * [start, end), read or decompressed. Compressed units in a window are expanded in parallel on
 * libuv's thread pool.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { CompressedExtent, Extent } from './disk-map.js';
import { DiskFormatError, type ImageFile } from './image-file.js';

const inflateRaw = promisify(zlib.inflateRaw);
const inflate = promisify(zlib.inflate);
type Decompress = (
  data: Buffer,
  options: zlib.ZlibOptions & { maxOutputLength: number },
) => Promise<Buffer>;
const zstd = (
  'zstdDecompress' in zlib
    ? promisify((zlib as unknown as { zstdDecompress: typeof zlib.inflate }).zstdDecompress)
    : undefined
) as Decompress | undefined;

/** A piece of the virtual disk: `data` at virtual `offset`. */
export interface Piece {
  readonly offset: number;
  readonly data: Buffer;
}

/** Expands one compressed extent to exactly `extent.length` bytes. */
export async function expand(file: ImageFile, extent: CompressedExtent): Promise<Buffer> {
  const where = `the compressed ${extent.codec === 'vmdk-grain' ? 'grain' : 'cluster'} of virtual byte ${extent.offset}`;
  let stored = await file.read(extent.fileOffset, extent.storedLength, `The data of ${where}`);
  // Room for the whole unit even when the image's last unit is cut by the virtual size.
  const limit = Math.max(extent.length, 2 * 1024 * 1024);
  let out: Buffer;
  try {
    if (extent.codec === 'vmdk-grain') {
      if (stored.length < 12) throw new Error('no grain marker');
      const lba = Number(stored.readBigUInt64LE(0));
      const size = stored.readUInt32LE(8);
      if (lba * 512 !== extent.offset) throw new Error(`its marker says sector ${lba}`);
      if (12 + size > stored.length) throw new Error(`its marker claims ${size} bytes`);
      stored = stored.subarray(12, 12 + size);
      out = await inflate(stored, {
        maxOutputLength: limit,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
    } else if (extent.codec === 'zstd') {
      if (!zstd) throw new Error('this Node.js has no zstd');
      out = await zstd(stored, { maxOutputLength: limit });
    } else {
      out = await inflateRaw(stored, {
        maxOutputLength: limit,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
    }
  } catch (err) {
    throw new DiskFormatError(`Could not decompress ${where}: ${(err as Error).message}.`);
  }
  if (out.length < extent.length) {
    throw new DiskFormatError(
      `Decompressing ${where} gave ${out.length} bytes, not ${extent.length}: the image is corrupt.`,
    );
  }
  return out.length === extent.length ? out : out.subarray(0, extent.length);
}

/**
 * Walks `extents` (sorted) in windows of `window` bytes aligned to it, yielding each window's
 * pieces in order. An extent crossing a window's end is cut there and continued in the next.
 * The next window is read while the caller works on the current one.
 */
export async function* windows(
  file: ImageFile,
  extents: readonly Extent[],
  window: number,
): AsyncGenerator<{ start: number; pieces: Piece[] }> {
  let i = 0;
  let resume = 0;
  let cached: { extent: CompressedExtent; data: Promise<Buffer> } | undefined;
  const plan = (): { start: number; pieces: Promise<Piece[]> } | undefined => {
    if (i >= extents.length) return undefined;
    const start = Math.floor(Math.max(extents[i]!.offset, resume) / window) * window;
    const end = start + window;
    const jobs: Promise<Piece>[] = [];
    while (i < extents.length && extents[i]!.offset < end) {
      const e = extents[i]!;
      const from = Math.max(e.offset, start);
      const to = Math.min(e.offset + e.length, end);
      if (e.kind === 'stored') {
        const at = e.fileOffset + (from - e.offset);
        const what = `The data of virtual bytes ${from}-${to}`;
        jobs.push(file.read(at, to - from, what).then((data) => ({ offset: from, data })));
      } else {
        if (cached?.extent !== e) cached = { extent: e, data: expand(file, e) };
        const data = cached.data;
        jobs.push(
          data.then((d) => ({ offset: from, data: d.subarray(from - e.offset, to - e.offset) })),
        );
      }
      if (e.offset + e.length > end) break; // continued in the next window
      i++;
    }
    resume = end;
    const pieces = Promise.all(jobs);
    pieces.catch(() => {}); // read ahead: its failure is reported when it is awaited
    return { start, pieces };
  };
  let next = plan();
  try {
    while (next) {
      const current = next;
      next = plan();
      yield { start: current.start, pieces: await current.pieces };
    }
  } finally {
    // Stopped early (a failed write): let the read ahead settle before the file is closed.
    await next?.pieces.catch(() => {});
  }
}
