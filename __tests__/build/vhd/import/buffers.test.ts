/**
 * The streamed import reads and sends from a fixed pool of buffers: memory stays bounded however
 * large the disk, and a buffer is never handed out again while a page write made from it is in
 * flight (or being retried).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferPool, isAligned } from '../../../../src/build/vhd/import/buffer-pool.js';
import { openDiskImage } from '../../../../src/build/vhd/import/open-image.js';
import type { RawMapOptions } from '../../../../src/build/vhd/import/raw.js';
import { streamToPageBlob } from '../../../../src/build/vhd/import/stream-upload.js';
import { RecordingLogger } from '../../../../src/common/logger.js';
import { MemoryPageBlob, MiB, writeRaw } from './helpers.js';

describe('BufferPool', () => {
  it('hands out at most its count, then serves waiters in order as buffers come back', async () => {
    const pool = new BufferPool(64 * 1024, 2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(a.length).toBe(64 * 1024);
    expect(a.buffer).toBe(b.buffer);
    expect(a.byteOffset).not.toBe(b.byteOffset);
    const served: string[] = [];
    const c = pool.acquire().then((x) => served.push('c') && x);
    const d = pool.acquire().then((x) => served.push('d') && x);
    await new Promise((r) => setImmediate(r));
    expect(served).toEqual([]);
    pool.release(b);
    expect(await c).toBe(b);
    pool.release(a);
    expect(await d).toBe(a);
    expect(served).toEqual(['c', 'd']);
    expect(pool.peakInUse).toBe(2);
  });

  it('gives page-aligned memory, which O_DIRECT reads need; ordinary Buffers are not known to be', () => {
    const pool = new BufferPool(4 * MiB, 3);
    return Promise.all([pool.acquire(), pool.acquire()]).then(([x, y]) => {
      expect(isAligned(x!, 4096)).toBe(true);
      expect(isAligned(y!.subarray(8192), 4096)).toBe(true);
      expect(isAligned(y!.subarray(512), 4096)).toBe(false);
      expect(isAligned(Buffer.alloc(8192), 4096)).toBe(false);
    });
  });
});

let work: string;
let raw: string;
/** 20 windows of 4 MiB, each with data near its start and its end: 40 or more page writes. */
const SIZE = 80 * MiB;
const RANGES = Array.from({ length: 20 }, (_, i) => [
  { offset: i * 4 * MiB, length: 64 * 1024 },
  { offset: i * 4 * MiB + 3 * MiB, length: 512 * 1024 },
]).flat();

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-buffers-'));
  raw = writeRaw(join(work, 'disk.raw'), SIZE, RANGES);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A page blob whose writes land after a delay, checking their data did not change meanwhile. */
class SlowPageBlob extends MemoryPageBlob {
  changedInFlight = 0;
  /** Window buffers (memory and 4 MiB slot) page writes came from. */
  readonly sources = new Set<string>();
  private calls = 0;
  /** Offsets written at least once: only a first attempt fails, so a retry always lands. */
  private readonly attempted = new Set<number>();
  constructor(private readonly failFirstAttemptEvery = 0) {
    super();
  }
  override async uploadPages(data: Buffer, offset: number): Promise<void> {
    const call = ++this.calls;
    const copy = Buffer.from(data);
    if (data.length !== 512) this.sources.add(`${Math.floor(data.byteOffset / (4 * MiB))}`);
    await new Promise((r) => setTimeout(r, 1 + (call % 7)));
    if (!data.equals(copy)) this.changedInFlight++;
    const first = !this.attempted.has(offset);
    this.attempted.add(offset);
    if (this.failFirstAttemptEvery && first && call % this.failFirstAttemptEvery === 0) {
      throw Object.assign(new Error('connection reset'), { statusCode: undefined });
    }
    return super.uploadPages(data, offset);
  }
}

async function stream(blob: MemoryPageBlob, concurrency: number, options: RawMapOptions) {
  const opened = await openDiskImage(raw, 'source-disk', raw, options);
  if (opened.kind !== 'native') throw new Error('fell back');
  try {
    return await streamToPageBlob({
      file: opened.file,
      map: opened.map,
      target: blob,
      seed: 's',
      logger: new RecordingLogger(),
      concurrency,
      mergeGap: 0,
      retry: { attempts: 3, baseDelayMs: 1 },
    });
  } finally {
    await opened.file.close();
  }
}

describe('streamed import buffers', () => {
  it.each([
    ['the kernel asked for the data ranges', {}],
    ['the whole file read, holes directly', { seekData: false }],
  ] as [string, RawMapOptions][])(
    'never reuses a buffer while its write is in flight, and holds at most concurrency + 2 (%s)',
    async (_name, options) => {
      const blob = new SlowPageBlob(5);
      const result = await stream(blob, 3, options);
      expect(blob.changedInFlight).toBe(0);
      expect(result.retries).toBeGreaterThan(0);
      expect(blob.data!.subarray(0, SIZE).equals(readFileSync(raw))).toBe(true);
      expect(result.pageWrites).toBeGreaterThanOrEqual(40);
      expect(blob.sources.size).toBeLessThanOrEqual(3 + 2);
    },
  );

  it('stops at a write that keeps failing, leaving the blob marked as uploading', async () => {
    const blob = new SlowPageBlob();
    blob.beforeWrite = (offset) => {
      if (offset >= 40 * MiB) throw Object.assign(new Error('forbidden'), { statusCode: 403 });
    };
    await expect(stream(blob, 4, {})).rejects.toThrow(/Could not write .*: forbidden/);
    expect(blob.metadata.uploadstate).toBe('uploading');
  });
});
