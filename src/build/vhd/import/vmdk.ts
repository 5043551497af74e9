/**
 * VMDK (monolithicSparse and streamOptimized) mapped without reading its data, after VMware's
 * "Virtual Disk Format 5.0" technical note ("Hosted Sparse Extents", "Stream-Optimized
 * Compressed Sparse Extents"). All fields little-endian:
 *
 * - The sparse header (magic `KDMV`): flags at 8 (bit 2 zeroed-grain GTEs, bit 16 compressed
 *   grains, bit 17 markers), capacity at 12 and grain size at 20 (both in sectors), the embedded
 *   descriptor's offset and size at 28 and 36, GTEs per GT at 44, the grain directory at 56
 *   (sectors; all ones in a streamOptimized file: the real header is the footer, 1024 bytes
 *   before the end, ahead of the end-of-stream marker), compression algorithm at 77 (1: deflate).
 * - The grain directory holds a u32 sector offset per grain table; a grain table a u32 sector
 *   offset per grain: 0 unallocated (zeros without a parent), 1 a zeroed grain when flag bit 2
 *   is set.
 * - A compressed grain starts with its LBA (u64, sectors) and the compressed size (u32), then a
 *   zlib stream that expands to the grain.
 * - The embedded descriptor names the extents; a monolithic file has one, itself. More extents,
 *   or a text descriptor file, read other files: refused. So is a parent (parentCID).
 */
import { checkVirtualSize, type DiskMap, ExtentList, u64 } from './disk-map.js';
import { RefusedImageError, UnsupportedVariantError } from './errors.js';
import { DiskFormatError, type ImageFile } from './image-file.js';

export const VMDK_MAGIC = 0x564d444b; // "KDMV" read little-endian
const GD_AT_END = 0xffffffffffffffffn;
const FLAG = { zeroedGrain: 1 << 2, compressed: 1 << 16, markers: 1 << 17 };

/** A text descriptor file: always points at other files. */
export function refuseDescriptorFile(text: string): never {
  const extents = [...text.matchAll(/^\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+\w+\s+"([^"]*)"/gm)].map(
    (m) => m[1],
  );
  throw new RefusedImageError(
    `It is a VMDK descriptor that reads other files (${extents.join(', ') || 'its extents'}). ` +
      'Expected a monolithic VMDK (one file).',
  );
}

export async function mapVmdk(file: ImageFile): Promise<DiskMap> {
  let header = await file.read(0, 512, 'The VMDK header');
  if (header.readUInt32LE(0) !== VMDK_MAGIC) throw new DiskFormatError('It has no VMDK header.');
  const version = header.readUInt32LE(4);
  if (version < 1 || version > 3)
    throw new UnsupportedVariantError(`VMDK sparse version ${version}`);
  await checkDescriptor(file, header);
  if (header.readBigUInt64LE(56) === GD_AT_END) {
    header = await file.read(file.size - 1024, 512, 'The VMDK footer');
    if (header.readUInt32LE(0) !== VMDK_MAGIC || header.readBigUInt64LE(56) === GD_AT_END) {
      throw new DiskFormatError(
        'Its header says the grain directory is at the end, but there is no footer there (truncated?).',
      );
    }
  }
  const flags = header.readUInt32LE(8);
  const capacity = u64(header.readBigUInt64LE(12), 'The VMDK capacity') * 512;
  checkVirtualSize(capacity, 'The VMDK header');
  const grainSectors = u64(header.readBigUInt64LE(20), 'The VMDK grain size');
  if (grainSectors < 1 || grainSectors > 2048 || (grainSectors & (grainSectors - 1)) !== 0) {
    throw new DiskFormatError(
      `Its grain size, ${grainSectors} sectors, is not a power of two up to 1 MiB.`,
    );
  }
  const grainBytes = grainSectors * 512;
  const perTable = header.readUInt32LE(44);
  if (perTable < 1 || perTable > 65536) {
    throw new DiskFormatError(`It claims ${perTable} entries per grain table.`);
  }
  const compressed = (flags & FLAG.compressed) !== 0;
  if (compressed && header.readUInt16LE(77) !== 1) {
    throw new UnsupportedVariantError(`VMDK compression algorithm ${header.readUInt16LE(77)}`);
  }
  const gdOffset = u64(header.readBigUInt64LE(56), 'The grain directory offset') * 512;
  const tables = Math.ceil(capacity / grainBytes / perTable);
  const gd = await file.read(gdOffset, tables * 4, 'The grain directory').catch((err: unknown) => {
    throw new DiskFormatError(`Its grain directory is out of range: ${(err as Error).message}`);
  });

  const list = new ExtentList(capacity, 'The VMDK grain table');
  const pending: { offset: number; length: number; fileOffset: number }[] = [];
  const boundaries: number[] = [gdOffset, file.size];
  const gt = Buffer.allocUnsafe(perTable * 4);
  for (let t = 0; t < tables; t++) {
    const gtSector = gd.readUInt32LE(t * 4);
    if (gtSector === 0) continue;
    await file.readInto(gt, gtSector * 512, `Grain table ${t} (per the grain directory)`);
    boundaries.push(gtSector * 512);
    for (let g = 0; g < perTable; g++) {
      const offset = (t * perTable + g) * grainBytes;
      if (offset >= capacity) break;
      const entry = gt.readUInt32LE(g * 4);
      if (entry === 0 || (entry === 1 && flags & FLAG.zeroedGrain)) continue;
      const length = Math.min(grainBytes, capacity - offset);
      const fileOffset = entry * 512;
      if (compressed) {
        file.check(fileOffset, 12, `The compressed grain of virtual byte ${offset}`);
        pending.push({ offset, length, fileOffset });
        boundaries.push(fileOffset);
      } else {
        file.check(fileOffset, length, `The grain of virtual byte ${offset} (per its grain table)`);
        list.stored(offset, length, fileOffset);
      }
    }
    if (list.storedBytes > file.size) {
      throw new DiskFormatError('Its grain tables map more grains than the file holds.');
    }
  }
  if (pending.length > file.size / 12) {
    throw new DiskFormatError(
      'Its grain tables map more compressed grains than the file can hold.',
    );
  }
  if (pending.length > 0) {
    // A compressed grain ends where the next structure in the file starts.
    const sorted = Float64Array.from(new Set(boundaries)).sort();
    for (const grain of pending) {
      let lo = 0;
      let hi = sorted.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! <= grain.fileOffset) lo = mid + 1;
        else hi = mid;
      }
      const next = sorted[lo]! > grain.fileOffset ? sorted[lo]! : file.size;
      const stored = Math.min(next - grain.fileOffset, grainBytes + 64 * 1024);
      list.compressed(grain.offset, grain.length, grain.fileOffset, stored, 'vmdk-grain');
    }
  }
  const kind = compressed ? 'streamOptimized' : 'monolithicSparse';
  return {
    format: 'vmdk',
    description: `VMDK ${kind}, ${grainBytes / 1024} KiB grains`,
    virtualSize: capacity,
    extents: list.extents,
  };
}

/** The embedded descriptor: one extent (this file), no parent. */
async function checkDescriptor(file: ImageFile, header: Buffer): Promise<void> {
  const offset = u64(header.readBigUInt64LE(28), 'The descriptor offset') * 512;
  const size = u64(header.readBigUInt64LE(36), 'The descriptor size') * 512;
  if (offset === 0 || size === 0) return;
  if (size > 1024 * 1024) throw new DiskFormatError(`Its descriptor claims ${size} bytes.`);
  const text = (await file.read(offset, size, 'The VMDK descriptor'))
    .toString('latin1')
    .replace(/\0.*$/s, '');
  const parent = /^\s*parentCID\s*=\s*"?([0-9a-fA-F]+)"?/m.exec(text)?.[1];
  if (parent && parent.toLowerCase() !== 'ffffffff') {
    const hint = /^\s*parentFileNameHint\s*=\s*"([^"]*)"/m.exec(text)?.[1];
    throw new RefusedImageError(
      `It is a VMDK delta disk on the parent '${hint ?? parent}'. Expected a self-contained image ` +
        '(qemu-img convert it to one first).',
    );
  }
  const extents = [...text.matchAll(/^\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+(\w+)\s+"([^"]*)"/gm)];
  if (extents.length > 1) refuseDescriptorFile(text);
  const type = extents[0]?.[1];
  if (type && type !== 'SPARSE') throw new UnsupportedVariantError(`VMDK ${type} extent`);
}
