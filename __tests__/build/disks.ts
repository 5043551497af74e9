/**
 * Test disks with data at known offsets: written as sparse raw files (random bytes, so no 4 KiB
 * block of data is all zeros), then converted with the real qemu-img when another format is
 * wanted.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { QemuImg } from '../../src/build/vhd/qemu-img.js';

export const MiB = 1024 * 1024;

export interface DataRange {
  readonly offset: number;
  readonly length: number;
}

/** Writes a sparse raw file of `size` bytes with random data in `ranges`; returns its path. */
export function writeRawDisk(path: string, size: number, ranges: readonly DataRange[]): string {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (const r of ranges) writeSync(fd, randomBytes(r.length), 0, r.length, r.offset);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** A disk in `format` (qcow2, vmdk, vhdx, vpc, raw) made from a raw one with the real qemu-img. */
export async function makeDisk(
  path: string,
  format: string,
  size: number,
  ranges: readonly DataRange[],
  options: readonly string[] = [],
): Promise<string> {
  const raw = writeRawDisk(`${path}.src.raw`, size, ranges);
  if (format === 'raw') return raw;
  await new QemuImg().convert({ path: raw, format: 'raw' }, path, format, options);
  return path;
}

export const dataBytes = (ranges: readonly DataRange[]): number =>
  ranges.reduce((n, r) => n + r.length, 0);
