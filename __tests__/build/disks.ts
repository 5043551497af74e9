/**
 * Test disks with data at known offsets: written as sparse raw files (random bytes, so no 4 KiB
 * block of data is all zeros), then converted with the real qemu-img when another format is
 * wanted. A machine without qemu-img still gets a qcow2 (our own writer) and a fixed VHD (raw
 * plus our footer); other formats need qemu-img, and the tests that use them say so.
 */
import { describe } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  ftruncateSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { writeQcow2 } from '../../scripts/lib/demo-qcow2.js';
import { fixedVhdFooter } from '../../src/build/vhd/import/footer.js';
import { QemuImg } from '../../src/build/vhd/qemu-img.js';

/** Whether qemu-img is on PATH. */
export const hasQemuImg: boolean = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

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
  if (!hasQemuImg) return withoutQemuImg(raw, path, format, size, options);
  await new QemuImg().convert({ path: raw, format: 'raw' }, path, format, options);
  return path;
}

export const dataBytes = (ranges: readonly DataRange[]): number =>
  ranges.reduce((n, r) => n + r.length, 0);

function withoutQemuImg(
  raw: string,
  path: string,
  format: string,
  size: number,
  options: readonly string[],
): string {
  if (format === 'qcow2' && options.length === 0) {
    writeFileSync(path, writeQcow2(readFileSync(raw)));
    return path;
  }
  if (format === 'vpc' && options.includes('subformat=fixed') && size % MiB === 0) {
    copyFileSync(raw, path);
    appendFileSync(path, fixedVhdFooter(size, path));
    return path;
  }
  throw new Error(
    `A ${format} test disk (${options.join(' ')}) needs qemu-img, which is not on PATH.`,
  );
}

/**
 * `describe` where qemu-img is on PATH, otherwise `describe.skip` with one line saying why:
 * for the tests of what build-image does with qemu-img (its fallback conversion), or that compare
 * with it.
 */
export function describeWithQemuImg(title: string): typeof describe | typeof describe.skip {
  if (hasQemuImg) return describe;
  process.stderr.write(`skipped: ${title}: qemu-img is not on PATH (apt-get install qemu-utils)\n`);
  return describe.skip;
}
