/**
 * Reads a disk map's extents window by window into pooled buffers: the bytes of each extent
 * that falls in [start, end), read or decompressed. Compressed units in a window are expanded in
 * parallel on libuv's thread pool.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { CompressedExtent, Extent } from './disk-map.js';
import type { BufferPool } from './buffer-pool.js';
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

/** A window of the virtual disk, read into a buffer of a {@link BufferPool}. */
export interface Window {
  /** Virtual offset of `buffer`'s first byte: a multiple of the window size. */
  readonly start: number;
  /** The window's bytes: each piece's data in place, zeros between pieces, anything elsewhere. */
  readonly buffer: Buffer;
  /** The extents' bytes inside the window, in order: views of `buffer`. */
  readonly pieces: readonly Piece[];
  /** Keeps `buffer` out of the pool (a page write in flight) until a matching {@link release}. */
  retain(): void;
  release(): void;
}

class PooledWindow implements Window {
  pieces: Piece[] = [];
  private holds = 1;

  constructor(
    readonly start: number,
    readonly buffer: Buffer,
    private readonly pool: BufferPool,
  ) {}

  retain(): void {
    this.holds++;
  }

  release(): void {
    if (--this.holds === 0) this.pool.release(this.buffer);
    if (this.holds < 0) throw new Error(`Window at ${this.start} released more than held.`);
  }
}

/**
 * Walks `extents` (sorted) in windows of `pool.size` bytes aligned to it, yielding each window
 * read into a buffer of `pool`, in order. An extent crossing a window's end is cut there and
 * continued in the next. The next window is read while the caller works on the current one.
 *
 * A yielded window is the caller's until it asks for the next one (or stops): then it goes back
 * to the pool, unless the caller retained it for writes still in flight. So the pool needs room
 * for the caller's retained windows plus two.
 */
export async function* windows(
  file: ImageFile,
  extents: readonly Extent[],
  pool: BufferPool,
): AsyncGenerator<Window> {
  const size = pool.size;
  let i = 0;
  let resume = 0;
  let cached: { extent: CompressedExtent; data: Promise<Buffer> } | undefined;
  const plan = (): Promise<PooledWindow> | undefined => {
    if (i >= extents.length) return undefined;
    const start = Math.floor(Math.max(extents[i]!.offset, resume) / size) * size;
    const end = start + size;
    const parts: { from: number; to: number; load: (into: Buffer) => Promise<void> }[] = [];
    while (i < extents.length && extents[i]!.offset < end) {
      const e = extents[i]!;
      const from = Math.max(e.offset, start);
      const to = Math.min(e.offset + e.length, end);
      if (e.kind === 'stored') {
        const at = e.fileOffset + (from - e.offset);
        const what = `The data of virtual bytes ${from}-${to}`;
        parts.push({ from, to, load: (into) => file.readInto(into, at, what) });
      } else {
        if (cached?.extent !== e) cached = { extent: e, data: expand(file, e) };
        const data = cached.data;
        parts.push({
          from,
          to,
          load: async (into) => {
            (await data).copy(into, 0, from - e.offset, to - e.offset);
          },
        });
      }
      if (e.offset + e.length > end) break; // continued in the next window
      i++;
    }
    resume = end;
    const loaded = pool.acquire().then(async (buffer) => {
      const window = new PooledWindow(start, buffer, pool);
      try {
        await Promise.all(parts.map((p) => p.load(buffer.subarray(p.from - start, p.to - start))));
        // Page writes may bridge the holes between pieces: they must read as zeros.
        for (let k = 1; k < parts.length; k++) {
          buffer.fill(0, parts[k - 1]!.to - start, parts[k]!.from - start);
        }
        window.pieces = parts.map((p) => ({
          offset: p.from,
          data: buffer.subarray(p.from - start, p.to - start),
        }));
        return window;
      } catch (err) {
        window.release();
        throw err;
      }
    });
    loaded.catch(() => {}); // read ahead: its failure is reported when it is awaited
    return loaded;
  };
  let next = plan();
  let current: PooledWindow | undefined;
  try {
    while (next) {
      const loading = next;
      next = plan();
      current = await loading;
      yield current;
      const done = current;
      current = undefined;
      done.release();
    }
  } finally {
    // Stopped early (a failed write, a read error): the windows held here go back to the pool,
    // and the read ahead settles before the file is closed.
    current?.release();
    await next?.then(
      (w) => w.release(),
      () => {},
    );
  }
}
