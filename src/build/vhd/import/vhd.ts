/**
 * VHD (fixed and dynamic) mapped without reading its data, after Microsoft's "Virtual Hard Disk
 * Image Format Specification" (v1.0, 2006): a 512-byte big-endian footer ends the file (cookie
 * `conectix`; disk type at 60: 2 fixed, 3 dynamic, 4 differencing; current size at 48; a one's
 * complement checksum at 64 over the footer with that field zero).
 *
 * - Fixed: the data is the file's first (size - 512) bytes, read as raw.
 * - Dynamic: the footer's data offset (at 16) locates a 1024-byte dynamic header (cookie
 *   `cxsparse`; table offset at 16, max table entries at 28, block size at 32, checksum at 36).
 *   The block allocation table holds one big-endian sector number per block (0xFFFFFFFF: not
 *   allocated, zeros). An allocated block is a sector bitmap, rounded up to whole sectors, then
 *   the block's data. Like qemu, we read an allocated block whole: the bitmap only matters for
 *   differencing disks.
 * - Differencing disks read a parent file: refused.
 *
 * The virtual size is the footer's current size. (qemu derives it from the CHS geometry for
 * images from some creators; for images qemu made it is the same number.)
 */
import { MiB, VHD_DISK_TYPES } from '../vhd.js';
import { checkVirtualSize, type DiskMap, ExtentList, u64 } from './disk-map.js';
import { RefusedImageError } from './errors.js';
import { DiskFormatError, type ImageFile } from './image-file.js';
import { mapRaw } from './raw.js';

export const VHD_COOKIE = 'conectix';

/** One's complement of the byte sum, skipping the 4-byte checksum field at `at`. */
export function onesComplementChecksum(bytes: Buffer, at: number): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) if (i < at || i >= at + 4) sum += bytes[i]!;
  return ~sum >>> 0;
}

/** Whether the file ends with a VHD footer (as the format detection asks). */
export function isVhdFooter(tail: Buffer): boolean {
  return tail.length === 512 && tail.toString('latin1', 0, 8) === VHD_COOKIE;
}

export async function mapVhd(file: ImageFile): Promise<DiskMap> {
  if (file.size < 512 + 512) throw new DiskFormatError('It is too short to be a VHD.');
  const footer = await file.read(file.size - 512, 512, 'The VHD footer');
  if (!isVhdFooter(footer)) {
    throw new DiskFormatError('Its last 512 bytes are no VHD footer (truncated?).');
  }
  if (onesComplementChecksum(footer, 64) !== footer.readUInt32BE(64)) {
    throw new DiskFormatError('Its VHD footer checksum is wrong: the footer is corrupt.');
  }
  const diskType = footer.readUInt32BE(60);
  const currentSize = u64(footer.readBigUInt64BE(48), 'The VHD current size');
  if (diskType === 2) {
    const dataSize = file.size - 512;
    if (currentSize > dataSize) {
      throw new DiskFormatError(
        `Its footer says the disk is ${currentSize} bytes, but the file holds only ${dataSize} ` +
          'bytes of data: the VHD is truncated.',
      );
    }
    const aligned = currentSize === dataSize && dataSize % MiB === 0;
    const map = await mapRaw(
      file,
      dataSize,
      'vpc',
      aligned ? 'fixed VHD' : 'fixed VHD, size not a whole number of MiB',
    );
    return aligned ? { ...map, footer } : map;
  }
  if (diskType === 4) {
    throw new RefusedImageError(
      'It is a differencing VHD, an overlay on a parent disk. Expected a self-contained image ' +
        '(qemu-img convert it to one first).',
    );
  }
  if (diskType !== 3) {
    throw new DiskFormatError(`Its VHD disk type is ${VHD_DISK_TYPES[diskType] ?? diskType}.`);
  }
  checkVirtualSize(currentSize, 'The VHD footer');
  const headerOffset = u64(footer.readBigUInt64BE(16), 'The dynamic header offset');
  const header = await file.read(headerOffset, 1024, 'The VHD dynamic header');
  if (header.toString('latin1', 0, 8) !== 'cxsparse') {
    throw new DiskFormatError(`There is no dynamic header (cxsparse) at byte ${headerOffset}.`);
  }
  if (onesComplementChecksum(header, 36) !== header.readUInt32BE(36)) {
    throw new DiskFormatError('Its VHD dynamic header checksum is wrong: the header is corrupt.');
  }
  const tableOffset = u64(header.readBigUInt64BE(16), 'The block allocation table offset');
  const entries = header.readUInt32BE(28);
  const blockSize = header.readUInt32BE(32);
  if (blockSize < 512 || (blockSize & (blockSize - 1)) !== 0 || blockSize > 256 * MiB) {
    throw new DiskFormatError(`Its block size, ${blockSize}, is not a power of two of sectors.`);
  }
  const needed = Math.ceil(currentSize / blockSize);
  if (entries < needed) {
    throw new DiskFormatError(
      `Its block allocation table has ${entries} entries of ${blockSize} bytes, fewer than the ` +
        `${needed} its virtual size of ${currentSize} bytes needs.`,
    );
  }
  const bat = await file.read(tableOffset, needed * 4, 'The block allocation table');
  const bitmapBytes = Math.ceil(blockSize / 512 / 8 / 512) * 512;
  const list = new ExtentList(currentSize, 'The VHD block allocation table');
  for (let i = 0; i < needed; i++) {
    const sector = bat.readUInt32BE(i * 4);
    if (sector === 0xffffffff) continue;
    const offset = i * blockSize;
    const length = Math.min(blockSize, currentSize - offset);
    const at = sector * 512 + bitmapBytes;
    file.check(at, length, `Block ${i} (per the block allocation table)`);
    list.stored(offset, length, at);
  }
  if (list.storedBytes > file.size) {
    throw new DiskFormatError('Its block allocation table maps more blocks than the file holds.');
  }
  return {
    format: 'vpc',
    description: `dynamic VHD, ${blockSize / MiB} MiB blocks`,
    virtualSize: currentSize,
    extents: list.extents,
  };
}
