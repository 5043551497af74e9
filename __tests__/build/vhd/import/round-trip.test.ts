/**
 * The streamed import against today's path, per format: the blob written from the image's
 * extents equals, byte for byte, the fixed VHD `prepareFixedVhd` makes with qemu-img from the
 * same file (convert -O vpc -o subformat=fixed,force_size, then the footer normalised); and
 * the content digest is the same whatever format the disk came in. Skipped, with one line,
 * where qemu-img is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareFixedVhd } from '../../../../src/build/vhd/disk.js';
import { contentDigestOf } from '../../../../src/build/vhd/import/content-digest.js';
import { openDiskImage } from '../../../../src/build/vhd/import/open-image.js';
import type { RawMapOptions } from '../../../../src/build/vhd/import/raw.js';
import { streamToPageBlob } from '../../../../src/build/vhd/import/stream-upload.js';
import { resolveSource } from '../../../../src/build/source.js';
import { RecordingLogger } from '../../../../src/common/logger.js';
import { hasQemuImg, MemoryPageBlob, MiB, qemuImg, writeRaw } from './helpers.js';

const describeQemu = hasQemuImg ? describe : describe.skip;
if (!hasQemuImg) console.log('round-trip.test.ts: skipped, qemu-img is not installed');

let work: string;
let raw: string;
/** Not a whole number of MiB, so every path pads. */
const SIZE = 9 * MiB + 3 * 512;
const RANGES = [
  { offset: 0, length: 70 * 1024 },
  { offset: 1 * MiB + 512, length: 300 * 1024 },
  { offset: 4 * MiB - 8192, length: 16384 }, // across a 4 MiB window
  { offset: 6 * MiB, length: 1200 * 1024 },
  { offset: SIZE - 1536, length: 1536 },
];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-import-'));
  raw = writeRaw(join(work, 'disk.raw'), SIZE, RANGES);
  // Compressible text in one range, so that compressed formats hold compressed clusters.
  const fd = openSync(raw, 'r+');
  writeSync(fd, Buffer.alloc(1200 * 1024, 'node image text '), 0, 1200 * 1024, 6 * MiB);
  closeSync(fd);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function streamed(path: string, seed: string, options: RawMapOptions = {}) {
  const opened = await openDiskImage(path, 'source-disk', path, options);
  if (opened.kind !== 'native') throw new Error(`fell back: ${opened.reason}`);
  const blob = new MemoryPageBlob();
  try {
    const result = await streamToPageBlob({
      file: opened.file,
      map: opened.map,
      target: blob,
      seed,
      logger: new RecordingLogger(),
      concurrency: 3,
      hashing: 'inline',
      fullSha256: true,
    });
    return { blob, result, map: opened.map };
  } finally {
    await opened.file.close();
  }
}

async function reference(path: string, seed: string): Promise<Buffer> {
  const logger = new RecordingLogger();
  const source = await resolveSource(path, {
    input: 'source-disk',
    checksumInput: 'source-checksum',
    workDir: work,
    logger,
  });
  const dir = mkdtempSync(join(work, 'ref-'));
  const vhd = await prepareFixedVhd(source, {
    workDir: dir,
    name: seed,
    logger,
    input: 'source-disk',
  });
  return readFileSync(vhd.path);
}

// Every row has its three values: jest takes a callback with more parameters than the row
// has values for a `done` callback, and waits for it.
const FORMATS: [string, string[], RawMapOptions][] = [
  ['raw', [], {}],
  // Node alone: no python3 asked for the data ranges; the whole file read, holes directly.
  ['raw, read whole', [], { seekData: false }],
  ['qcow2 v3', ['-O', 'qcow2'], {}],
  ['qcow2 v2', ['-O', 'qcow2', '-o', 'compat=0.10'], {}],
  ['qcow2 compressed', ['-O', 'qcow2', '-c'], {}],
  ['qcow2 4 KiB clusters', ['-O', 'qcow2', '-o', 'cluster_size=4096'], {}],
  ['dynamic VHD', ['-O', 'vpc', '-o', 'subformat=dynamic,force_size'], {}],
  ['VHDX', ['-O', 'vhdx'], {}],
  ['VMDK monolithicSparse', ['-O', 'vmdk'], {}],
  ['VMDK streamOptimized', ['-O', 'vmdk', '-o', 'subformat=streamOptimized'], {}],
];

describeQemu('streamed import equals qemu-img conversion', () => {
  const digests = new Map<string, string>();
  it.each(FORMATS)('%s', async (name, args, options) => {
    const path = args.length ? join(work, `disk-${name.replace(/\W+/g, '-')}`) : raw;
    if (args.length) qemuImg('convert', '-f', 'raw', ...args, raw, path);
    const seed = 'capi-ubuntu-2404-1.31.2';
    const { blob, result, map } = await streamed(path, seed, options);
    if (options.seekData === false) expect(map.extents).toHaveLength(1);
    if (/compressed|streamOptimized/.test(name)) {
      expect(map.extents.some((e) => e.kind === 'compressed')).toBe(true);
    }
    const expected = await reference(path, seed);
    expect(blob.data!.length).toBe(expected.length);
    expect(blob.data!.equals(expected)).toBe(true);
    expect(blob.metadata.uploadstate).toBe('complete');
    expect(result.contentDigest).toBe(contentDigestOf(expected.subarray(0, expected.length - 512)));
    expect(blob.metadata.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
    // only data crosses: the ranges, merged within windows, and the footer
    expect(blob.bytesSent).toBeLessThan(3 * MiB);
    digests.set(name, result.contentDigest);
  });

  it('gives one content digest for the disk in every format', () => {
    expect(digests.size).toBe(FORMATS.length);
    expect(new Set(digests.values()).size).toBe(1);
  });

  it('reads qcow2 clusters stored past 2 GiB into the file', async () => {
    // A cluster moved to host offset 2 GiB + 1 MiB (the file sparse) and its L2 entry patched:
    // offsets with bit 31 set once came out negative through 32-bit bitwise arithmetic.
    const path = join(work, 'far.qcow2');
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', raw, path);
    const opened = await openDiskImage(path, 'source-disk', path);
    if (opened.kind !== 'native') throw new Error(opened.reason);
    const first = opened.map.extents[0]!;
    await opened.file.close();
    if (first.kind !== 'stored') throw new Error('expected a stored cluster');
    const file = readFileSync(path);
    const entry = Buffer.alloc(8);
    entry.writeBigUInt64BE(BigInt(first.fileOffset) | (1n << 63n));
    const at = file.indexOf(entry);
    expect(at % 8).toBe(0);
    const far = 2 ** 31 + MiB;
    const moved = Buffer.alloc(8);
    moved.writeBigUInt64BE(BigInt(far) | (1n << 63n));
    const fd = openSync(path, 'r+');
    writeSync(fd, file.subarray(first.fileOffset, first.fileOffset + 65536), 0, 65536, far);
    writeSync(fd, moved, 0, 8, at);
    closeSync(fd);
    const { result } = await streamed(path, 'seed', {});
    expect(result.contentDigest).toBe(digests.get('raw'));
  });

  it('keeps a fixed, aligned VHD as it is, footer included', async () => {
    const aligned = writeRaw(join(work, 'aligned.raw'), 4 * MiB, [{ offset: MiB, length: 4096 }]);
    const fixed = join(work, 'fixed.vhd');
    qemuImg(
      'convert',
      '-f',
      'raw',
      '-O',
      'vpc',
      '-o',
      'subformat=fixed,force_size',
      aligned,
      fixed,
    );
    const { blob } = await streamed(fixed, 'seed');
    expect(blob.data!.equals(readFileSync(fixed))).toBe(true);
  });
});
