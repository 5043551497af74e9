/**
 * qcow2 (versions 2 and 3) mapped without reading its data, after qemu's specification,
 * docs/interop/qcow2.txt ("Header", "Cluster mapping", "Compressed Clusters Descriptor"):
 *
 * - The big-endian header gives the cluster size (1 << cluster_bits), the virtual size, and the
 *   L1 table (l1_size entries at l1_table_offset). Each L1 entry's bits 9-55 locate an L2 table
 *   of one cluster (cluster_size / 8 entries); 0 means the whole range is unallocated.
 * - A standard L2 entry: bit 62 clear; bits 9-55 the host offset of the data cluster; in
 *   version 3, bit 0 set means "reads as zeros". Offset 0 is unallocated: with no backing file,
 *   zeros.
 * - A compressed L2 entry (bit 62 set): with x = 62 - (cluster_bits - 8), bits 0..x-1 are the
 *   byte offset of the compressed data and bits x..61 the number of 512-byte sectors it spans
 *   beyond the one holding that offset. The data is a raw deflate stream (compression type 0)
 *   or a zstd frame (compression type 1, header byte 104) that expands to one cluster.
 *
 * Backing files, encryption and external data files read other files or need keys: refused.
 * Extended L2 entries (subclusters) are left to qemu-img.
 */
import { checkVirtualSize, type DiskMap, ExtentList, u64 } from './disk-map.js';
import { DiskFormatError, type ImageFile } from './image-file.js';
import { RefusedImageError, UnsupportedVariantError } from './errors.js';

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

/** qemu refuses L1 tables over 32 MiB (qcow2.txt, on `size`); so do we. */
const MAX_L1_BYTES = 32 * 1024 * 1024;

const INCOMPATIBLE = { dirty: 1, corrupt: 2, externalData: 4, compressionType: 8, extendedL2: 16 };

export async function mapQcow2(file: ImageFile): Promise<DiskMap> {
  const header = await file.read(0, Math.min(file.size, 112), 'The qcow2 header');
  if (header.length < 72 || header.readUInt32BE(0) !== QCOW2_MAGIC) {
    throw new DiskFormatError('It has no qcow2 header.');
  }
  const version = header.readUInt32BE(4);
  if (version !== 2 && version !== 3) {
    throw new UnsupportedVariantError(`qcow version ${version}`);
  }
  const backingOffset = header.readBigUInt64BE(8);
  if (backingOffset !== 0n) {
    const length = Math.min(header.readUInt32BE(16), 1023);
    let name = '(unreadable name)';
    try {
      name = (
        await file.read(
          u64(backingOffset, 'The backing file name offset'),
          length,
          'The backing file name',
        )
      ).toString('utf8');
    } catch {
      // the name is only for the message
    }
    throw new RefusedImageError(
      `It is an overlay on the backing file '${name}'. Expected a self-contained image ` +
        '(qemu-img convert it to one first).',
    );
  }
  const clusterBits = header.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) {
    throw new DiskFormatError(`Its cluster_bits is ${clusterBits}; qcow2 allows 9 to 21.`);
  }
  const clusterSize = 2 ** clusterBits;
  const virtualSize = u64(header.readBigUInt64BE(24), 'The qcow2 virtual size');
  checkVirtualSize(virtualSize, 'The qcow2 header');
  const cryptMethod = header.readUInt32BE(32);
  if (cryptMethod !== 0) {
    throw new RefusedImageError(
      `It is encrypted (${cryptMethod === 2 ? 'LUKS' : 'AES'}). Expected an unencrypted image.`,
    );
  }
  const l1Size = header.readUInt32BE(36);
  const l1Offset = u64(header.readBigUInt64BE(40), 'The L1 table offset');

  let compression: 'deflate-raw' | 'zstd' = 'deflate-raw';
  if (version === 3) {
    if (header.length < 104) throw new DiskFormatError('Its version 3 header is cut short.');
    const incompatible = header.readBigUInt64BE(72);
    const known = BigInt(Object.values(INCOMPATIBLE).reduce((a, b) => a | b, 0));
    if (incompatible & ~known) {
      throw new UnsupportedVariantError(
        `qcow2 incompatible features 0x${incompatible.toString(16)}`,
      );
    }
    const bits = Number(incompatible);
    if (bits & INCOMPATIBLE.corrupt) {
      throw new DiskFormatError('Its header is marked corrupt (incompatible feature bit 1).');
    }
    if (bits & INCOMPATIBLE.externalData) {
      throw new RefusedImageError(
        'Its data lives in an external data file. Expected a self-contained image.',
      );
    }
    if (bits & INCOMPATIBLE.extendedL2)
      throw new UnsupportedVariantError('qcow2 extended L2 entries');
    const headerLength = header.readUInt32BE(100);
    if (bits & INCOMPATIBLE.compressionType) {
      const type = headerLength > 104 && header.length > 104 ? header[104]! : 0;
      if (type === 1) compression = 'zstd';
      else throw new UnsupportedVariantError(`qcow2 compression type ${type}`);
    }
  }

  const l2Entries = clusterSize / 8;
  const bytesPerL2 = l2Entries * clusterSize;
  const needed = Math.ceil(virtualSize / bytesPerL2);
  if (l1Size < needed) {
    throw new DiskFormatError(
      `Its L1 table has ${l1Size} entries, but its virtual size of ${virtualSize} bytes needs ` +
        `${needed}: the header's size is not what its tables describe.`,
    );
  }
  if (l1Size * 8 > MAX_L1_BYTES) {
    throw new DiskFormatError(`Its L1 table would be ${l1Size * 8} bytes, more than 32 MiB.`);
  }
  if (l1Offset % clusterSize !== 0) {
    throw new DiskFormatError(`Its L1 table offset ${l1Offset} is not cluster-aligned.`);
  }
  const l1 = await file.read(l1Offset, needed * 8, 'The L1 table');
  const list = new ExtentList(virtualSize, 'The qcow2 L2 table');
  const x = 62 - (clusterBits - 8); // compressed descriptor: offset bits, from 0
  const l2 = Buffer.allocUnsafe(clusterSize);
  let compressedCount = 0;

  for (let i = 0; i < needed; i++) {
    const hi1 = l1.readUInt32BE(i * 8);
    const lo1 = l1.readUInt32BE(i * 8 + 4);
    const l2Offset = (hi1 & 0x00ffffff) * 2 ** 32 + ((lo1 & 0xfffffe00) >>> 0);
    if (l2Offset === 0) continue;
    if (l2Offset % clusterSize !== 0) {
      throw new DiskFormatError(`L1 entry ${i} points at ${l2Offset}, not a cluster boundary.`);
    }
    await file.readInto(l2, l2Offset, `The L2 table of L1 entry ${i}`);
    const base = i * bytesPerL2;
    for (let j = 0; j < l2Entries; j++) {
      const offset = base + j * clusterSize;
      if (offset >= virtualSize) break;
      const hi = l2.readUInt32BE(j * 8);
      const lo = l2.readUInt32BE(j * 8 + 4);
      if (hi === 0 && lo === 0) continue;
      const length = Math.min(clusterSize, virtualSize - offset);
      if (hi & 0x40000000) {
        // compressed; x >= 49 for cluster_bits <= 21, so the offset's top bits are in `hi`
        const hostOffset = (hi & (2 ** (x - 32) - 1)) * 2 ** 32 + lo;
        const sectors = ((hi & 0x3fffffff) >>> (x - 32)) + 1;
        const stored = Math.min(sectors * 512 - (hostOffset % 512), file.size - hostOffset);
        file.check(
          hostOffset,
          Math.max(stored, 1),
          `The compressed cluster at virtual byte ${offset}`,
        );
        list.compressed(offset, length, hostOffset, stored, compression);
        if (++compressedCount > file.size) {
          throw new DiskFormatError('It maps more compressed clusters than the file has bytes.');
        }
        continue;
      }
      if (version === 3 && lo & 1) continue; // reads as zeros
      const hostOffset = (hi & 0x00ffffff) * 2 ** 32 + ((lo & 0xfffffe00) >>> 0);
      if (hostOffset === 0) continue;
      if (hostOffset % clusterSize !== 0) {
        throw new DiskFormatError(
          `The L2 entry for virtual byte ${offset} points at ${hostOffset}, not a cluster boundary.`,
        );
      }
      file.check(
        hostOffset,
        length,
        `The data cluster of virtual byte ${offset} (per its L2 entry)`,
      );
      list.stored(offset, length, hostOffset);
    }
    if (list.storedBytes > file.size) {
      throw new DiskFormatError(
        'Its L2 tables map more data clusters than the file holds (clusters used twice?).',
      );
    }
  }
  return {
    format: 'qcow2',
    description: `qcow2 v${version}, ${clusterSize / 1024} KiB clusters${compressedCount ? `, ${compressedCount} compressed` : ''}`,
    virtualSize,
    extents: list.extents,
  };
}
