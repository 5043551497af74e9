/**
 * The uploader against an in-memory page blob: what it sends, what it skips, how it retries,
 * and how it treats a blob an earlier run left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RestError } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PageBlobState, PageBlobTarget } from '../../../src/build/upload/page-blob.js';
import { nonZeroRuns, uploadFixedVhd, UPLOAD_METADATA } from '../../../src/build/upload/upload.js';
import { ConfigurationError } from '../../../src/common/errors.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { MiB, writeRawDisk } from '../disks.js';

/** A page blob in memory that records every write and can fail on demand. */
class MemoryPageBlob implements PageBlobTarget {
  readonly url = 'https://store.blob.core.windows.net/vhds/test.vhd';
  data?: Buffer;
  metadata: Record<string, string> = {};
  writes: { offset: number; length: number }[] = [];
  /** Errors thrown by the next page writes, in order. */
  failures: unknown[] = [];
  inFlight = 0;
  maxInFlight = 0;

  async getState(): Promise<PageBlobState | undefined> {
    return this.data
      ? { size: this.data.length, blobType: 'PageBlob', metadata: { ...this.metadata } }
      : undefined;
  }
  async create(size: number, metadata: Record<string, string>) {
    this.data = Buffer.alloc(size);
    this.metadata = { ...metadata };
  }
  async uploadPages(data: Buffer, offset: number) {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 1));
    this.inFlight--;
    const failure = this.failures.shift();
    if (failure) throw failure;
    expect(offset % 512).toBe(0);
    expect(data.length % 512).toBe(0);
    expect(data.length).toBeLessThanOrEqual(4 * MiB);
    data.copy(this.data!, offset);
    this.writes.push({ offset, length: data.length });
  }
  async setMetadata(metadata: Record<string, string>) {
    this.metadata = { ...metadata };
  }
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-upload-unit-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SIZE = 16 * MiB + 512;
const RANGES = [
  { offset: 0, length: 8192 },
  { offset: 4 * MiB - 4096, length: 8192 }, // across a page boundary
  { offset: 9 * MiB, length: 3 * MiB },
  { offset: 16 * MiB, length: 512 }, // the footer's place
];
const noSleep = { sleep: async () => undefined, baseDelayMs: 1 };

function disk(name: string) {
  const path = writeRawDisk(join(work, name), SIZE, RANGES);
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

describe('uploadFixedVhd', () => {
  it('sends only non-zero blocks of the extents, in pages on a 4 MiB grid, and hashes the whole file', async () => {
    const { path, sha256 } = disk('a.vhd');
    const target = new MemoryPageBlob();
    // Extents wider than the data: the zero blocks inside them are still skipped.
    const extents = [
      { start: 0, length: 5 * MiB },
      { start: 8 * MiB, length: SIZE - 8 * MiB },
    ];
    const result = await uploadFixedVhd({
      path,
      target,
      extents,
      concurrency: 3,
      logger: new RecordingLogger(),
      metadata: { kubernetesversion: 'v1.31.2' },
    });
    expect(result.sha256).toBe(sha256);
    expect(result.bytesSent).toBe(RANGES.reduce((n, r) => n + r.length, 0));
    expect(result.dataBytes).toBe(5 * MiB + SIZE - 8 * MiB);
    expect(target.data!.equals(readFileSync(path))).toBe(true);
    expect(
      target.writes.every(
        (w) =>
          Math.floor(w.offset / (4 * MiB)) === Math.floor((w.offset + w.length - 1) / (4 * MiB)),
      ),
    ).toBe(true);
    expect(target.maxInFlight).toBeLessThanOrEqual(3);
    expect(target.metadata).toEqual({
      kubernetesversion: 'v1.31.2',
      [UPLOAD_METADATA.state]: 'complete',
      [UPLOAD_METADATA.sha256]: sha256,
    });
  });

  it('reads the whole file when no extents are given, and still sends only the data', async () => {
    const { path, sha256 } = disk('b.vhd');
    const target = new MemoryPageBlob();
    const result = await uploadFixedVhd({ path, target, logger: new RecordingLogger() });
    expect(result).toMatchObject({
      sha256,
      dataBytes: SIZE,
      bytesSent: 8192 + 8192 + 3 * MiB + 512,
    });
  });

  it('retries a page that fails with 503 or a reset connection, and says so', async () => {
    const { path, sha256 } = disk('c.vhd');
    const target = new MemoryPageBlob();
    target.failures = [
      new RestError('Server busy', { statusCode: 503 }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    ];
    const logger = new RecordingLogger();
    const result = await uploadFixedVhd({ path, target, logger, retry: noSleep, concurrency: 1 });
    expect(result.sha256).toBe(sha256);
    expect(result.retries).toBe(2);
    expect(target.data!.equals(readFileSync(path))).toBe(true);
    expect(logger.messages('warning').filter((m) => m.includes('retrying'))).toHaveLength(2);
  });

  it('gives up after the last attempt, leaving the blob marked as uploading', async () => {
    const { path } = disk('d.vhd');
    const target = new MemoryPageBlob();
    target.failures = Array.from(
      { length: 3 },
      () => new RestError('Server busy', { statusCode: 500 }),
    );
    await expect(
      uploadFixedVhd({
        path,
        target,
        logger: new RecordingLogger(),
        retry: { ...noSleep, attempts: 3 },
        concurrency: 1,
      }),
    ).rejects.toThrow(/Could not write .* \(HTTP 500 .*gave up after 3 attempts/);
    expect(target.metadata[UPLOAD_METADATA.state]).toBe('uploading');
  });

  it('does not retry a 403, and says which role is missing', async () => {
    const { path } = disk('e.vhd');
    const target = new MemoryPageBlob();
    target.failures = [
      new RestError('not allowed', { statusCode: 403, code: 'AuthorizationPermissionMismatch' }),
    ];
    const error = await uploadFixedVhd({
      path,
      target,
      logger: new RecordingLogger(),
      retry: noSleep,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain("'Storage Blob Data Contributor'");
  });

  it('uploads again over a partial upload a killed run left', async () => {
    const { path, sha256 } = disk('f.vhd');
    const target = new MemoryPageBlob();
    await target.create(SIZE, {
      [UPLOAD_METADATA.state]: 'uploading',
      [UPLOAD_METADATA.started]: '2026-11-20T10:00:00.000Z',
    });
    target.data!.fill(0xee, 0, MiB); // garbage a half-finished run wrote
    const logger = new RecordingLogger();
    const result = await uploadFixedVhd({ path, target, logger });
    expect(result).toMatchObject({ replacedPartial: true, reused: false, sha256 });
    expect(target.data!.equals(readFileSync(path))).toBe(true);
    expect(logger.messages('warning')).toContain(
      `${target.url} is a partial upload (state 'uploading', started 2026-11-20T10:00:00.000Z), left by a run that stopped; uploading it again.`,
    );
  });

  it('treats a blob without the completion mark as partial', async () => {
    const { path } = disk('g.vhd');
    const target = new MemoryPageBlob();
    await target.create(SIZE, {});
    const result = await uploadFixedVhd({ path, target, logger: new RecordingLogger() });
    expect(result.replacedPartial).toBe(true);
  });

  it('sends nothing when the complete blob has the same SHA-256, and replaces one that differs', async () => {
    const { path, sha256 } = disk('h.vhd');
    const target = new MemoryPageBlob();
    await uploadFixedVhd({ path, target, logger: new RecordingLogger() });
    target.writes = [];
    const again = await uploadFixedVhd({ path, target, logger: new RecordingLogger() });
    expect(again).toMatchObject({ reused: true, bytesSent: 0, sha256 });
    expect(target.writes).toEqual([]);

    target.metadata[UPLOAD_METADATA.sha256] = 'f'.repeat(64);
    const logger = new RecordingLogger();
    const replaced = await uploadFixedVhd({ path, target, logger });
    expect(replaced.reused).toBe(false);
    expect(target.writes.length).toBeGreaterThan(0);
    expect(logger.messages('warning')[0]).toContain('holds other content');
  });

  it('logs progress with bytes, MiB/s and an ETA', async () => {
    const { path } = disk('i.vhd');
    const logger = new RecordingLogger();
    let clock = 0;
    await uploadFixedVhd({
      path,
      target: new MemoryPageBlob(),
      logger,
      progressIntervalMs: 1000,
      now: () => (clock += 400),
    });
    const progress = logger.messages('info').filter((m) => m.startsWith('Upload: '));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatch(
      /^Upload: [\d.]+ MiB of 16\.0 MiB data \(\d+%\), [\d.]+ (KiB|MiB) sent in \d+ pages, [\d.]+ MiB\/s, ETA /,
    );
    expect(logger.messages('info').at(-1)).toMatch(
      /^Uploaded 16\.0 MiB VHD in .*, 13\.0 MiB of zeros not sent\.$/,
    );
  });
});

describe('nonZeroRuns', () => {
  const zeros = Buffer.alloc(4 * MiB);
  it('finds nothing in zeros and bridges gaps under 64 KiB', () => {
    const chunk = Buffer.alloc(MiB);
    expect(nonZeroRuns(chunk, zeros)).toEqual([]);
    chunk[10] = 1; // block 0
    chunk[40 * 1024] = 1; // block 10: 36 KiB gap, bridged
    chunk[512 * 1024 + 5] = 1; // far away: a run of its own
    expect(nonZeroRuns(chunk, zeros)).toEqual([
      { start: 0, end: 44 * 1024 },
      { start: 512 * 1024, end: 516 * 1024 },
    ]);
  });
  it('keeps a short last block', () => {
    const chunk = Buffer.alloc(4096 + 512);
    chunk[4096] = 9;
    expect(nonZeroRuns(chunk, zeros)).toEqual([{ start: 4096, end: 4608 }]);
  });
});
