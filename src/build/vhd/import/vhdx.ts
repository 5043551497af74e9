/**
 * VHDX mapped without reading its data, after Microsoft's [MS-VHDX] "Virtual Hard Disk v2
 * (VHDX) File Format" (little-endian throughout; checksums are CRC-32C with the field zeroed):
 *
 * - §2.1-2.2: the file type identifier `vhdxfile` at 0; two 4 KiB headers (`head`) at 64 KiB and
 *   128 KiB, the current one being the valid one with the larger sequence number (at 8); its log
 *   GUID (at 48) is zero unless the log holds entries to replay.
 * - §2.2.3: the region table (`regi`, 64 KiB at 192 KiB): entry count at 8, then 32-byte entries
 *   (GUID, file offset u64, length u32, flags u32; bit 0 "required").
 * - §2.6: the metadata region: `metadata` table, entry count at 10, 32-byte entries from 32 (item
 *   GUID, offset from the region start u32, length u32, flags u32). File Parameters give the
 *   block size and flags (bit 1: has a parent), Virtual Disk Size and Logical Sector Size.
 * - §2.5: the BAT holds a u64 per payload block, with a sector bitmap entry after every
 *   chunk-ratio payload entries (chunk ratio = 2^23 × logical sector size ÷ block size). State
 *   in bits 0-2 (6 fully present; 0-3 read as zeros without a parent; 7 only in differencing
 *   disks), file offset in MiB in bits 20-63.
 */
import { MiB } from '../vhd.js';
import { checkVirtualSize, type DiskMap, ExtentList } from './disk-map.js';
import { crc32c } from './crc32c.js';
import { RefusedImageError } from './errors.js';
import { DiskFormatError, type ImageFile } from './image-file.js';

const KiB = 1024;
const GUID = {
  bat: '2dc27766-f623-4200-9d64-115e9bfd4a08',
  metadata: '8b7ca206-4790-4b9a-b8fe-575f050f886e',
  fileParameters: 'caa16737-fa36-4d43-b3b6-33f0aa44e76b',
  virtualDiskSize: '2fa54224-cd1b-4876-b211-5dbed83bf4b8',
  logicalSectorSize: '8141bf1d-a96f-4709-ba47-f233a8faab5f',
};

/** An MS GUID as stored: the first three fields little-endian. */
function guid(bytes: Buffer, at: number): string {
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = [...bytes.subarray(at + from, at + to)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return [
    hex(0, 4, true),
    hex(4, 6, true),
    hex(6, 8, true),
    hex(8, 10, false),
    hex(10, 16, false),
  ].join('-');
}

function checksumOk(block: Buffer): boolean {
  const copy = Buffer.from(block);
  const stored = copy.readUInt32LE(4);
  copy.writeUInt32LE(0, 4);
  return crc32c(copy) === stored;
}

export async function mapVhdx(file: ImageFile): Promise<DiskMap> {
  const ident = await file.read(0, 8, 'The VHDX file identifier');
  if (ident.toString('latin1') !== 'vhdxfile')
    throw new DiskFormatError('It has no VHDX identifier.');

  let current: Buffer | undefined;
  let sequence = -1n;
  for (const at of [64 * KiB, 128 * KiB]) {
    const h = await file.read(at, 4 * KiB, 'A VHDX header');
    if (h.toString('latin1', 0, 4) !== 'head' || !checksumOk(h)) continue;
    const seq = h.readBigUInt64LE(8);
    if (seq > sequence) [current, sequence] = [h, seq];
  }
  if (!current)
    throw new DiskFormatError('Neither VHDX header is valid (bad signature or checksum).');
  if (current.subarray(48, 64).some((b) => b !== 0)) {
    throw new RefusedImageError(
      'Its VHDX log holds changes that were never applied (the disk was not closed cleanly). ' +
        'Open it once in Hyper-V, or run qemu-img check -r all on it, then import it again.',
    );
  }

  const regions = await file.read(192 * KiB, 64 * KiB, 'The VHDX region table');
  if (regions.toString('latin1', 0, 4) !== 'regi' || !checksumOk(regions)) {
    throw new DiskFormatError('Its VHDX region table is corrupt (bad signature or checksum).');
  }
  const count = regions.readUInt32LE(8);
  if (count > 2047) throw new DiskFormatError(`Its region table claims ${count} entries.`);
  let bat: { offset: number; length: number } | undefined;
  let metadata: { offset: number; length: number } | undefined;
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 32;
    const id = guid(regions, at);
    const region = {
      offset: Number(regions.readBigUInt64LE(at + 16)),
      length: regions.readUInt32LE(at + 24),
    };
    if (id === GUID.bat) bat = region;
    else if (id === GUID.metadata) metadata = region;
    else if (regions.readUInt32LE(at + 28) & 1) {
      throw new DiskFormatError(`It requires a VHDX region we do not know (${id}).`);
    }
  }
  if (!bat || !metadata)
    throw new DiskFormatError('Its region table lacks the BAT or the metadata.');
  file.check(bat.offset, bat.length, 'The VHDX BAT region');
  if (metadata.length > 64 * MiB)
    throw new DiskFormatError('Its metadata region is implausibly large.');
  const meta = await file.read(metadata.offset, metadata.length, 'The VHDX metadata region');
  if (meta.toString('latin1', 0, 8) !== 'metadata') {
    throw new DiskFormatError('Its VHDX metadata table has no signature.');
  }
  const items = new Map<string, Buffer>();
  const entries = meta.readUInt16LE(10);
  for (let i = 0; i < entries; i++) {
    const at = 32 + i * 32;
    if (at + 32 > meta.length) throw new DiskFormatError('Its VHDX metadata table is cut short.');
    const offset = meta.readUInt32LE(at + 16);
    const length = meta.readUInt32LE(at + 20);
    if (offset + length > meta.length) {
      throw new DiskFormatError('A VHDX metadata item lies outside the metadata region.');
    }
    items.set(guid(meta, at), meta.subarray(offset, offset + length));
  }
  const params = items.get(GUID.fileParameters);
  const sizeItem = items.get(GUID.virtualDiskSize);
  const sectorItem = items.get(GUID.logicalSectorSize);
  if (
    !params ||
    params.length < 8 ||
    !sizeItem ||
    sizeItem.length < 8 ||
    !sectorItem ||
    sectorItem.length < 4
  ) {
    throw new DiskFormatError(
      'Its VHDX metadata lacks the file parameters, disk size or sector size.',
    );
  }
  const blockSize = params.readUInt32LE(0);
  if (params.readUInt32LE(4) & 2) {
    throw new RefusedImageError(
      'It is a differencing VHDX, an overlay on a parent disk. Expected a self-contained image ' +
        '(qemu-img convert it to one first).',
    );
  }
  if (blockSize < MiB || blockSize > 256 * MiB || (blockSize & (blockSize - 1)) !== 0) {
    throw new DiskFormatError(
      `Its block size, ${blockSize}, is not a power of two from 1 to 256 MiB.`,
    );
  }
  const virtualSize = Number(sizeItem.readBigUInt64LE(0));
  checkVirtualSize(virtualSize, 'The VHDX metadata');
  const sectorSize = sectorItem.readUInt32LE(0);
  if (sectorSize !== 512 && sectorSize !== 4096) {
    throw new DiskFormatError(`Its logical sector size, ${sectorSize}, is neither 512 nor 4096.`);
  }
  const chunkRatio = (2 ** 23 * sectorSize) / blockSize;
  const blocks = Math.ceil(virtualSize / blockSize);
  const batEntries = blocks + Math.floor((blocks - 1) / chunkRatio);
  if (batEntries * 8 > bat.length) {
    throw new DiskFormatError(
      `Its BAT holds ${Math.floor(bat.length / 8)} entries, fewer than the ${batEntries} its ` +
        `virtual size of ${virtualSize} bytes needs.`,
    );
  }
  const table = await file.read(bat.offset, batEntries * 8, 'The VHDX BAT');
  const list = new ExtentList(virtualSize, 'The VHDX BAT');
  for (let i = 0; i < blocks; i++) {
    const at = (i + Math.floor(i / chunkRatio)) * 8;
    const lo = table.readUInt32LE(at);
    const hi = table.readUInt32LE(at + 4);
    const state = lo & 7;
    if (state <= 3) continue; // not present, undefined, zero, unmapped: zeros without a parent
    if (state !== 6) {
      throw new DiskFormatError(
        `BAT entry ${i} has state ${state}, which a dynamic VHDX cannot have.`,
      );
    }
    const fileOffset = (hi * 4096 + (lo >>> 20)) * MiB;
    const offset = i * blockSize;
    const length = Math.min(blockSize, virtualSize - offset);
    file.check(fileOffset, length, `Payload block ${i} (per the BAT)`);
    list.stored(offset, length, fileOffset);
  }
  if (list.storedBytes > file.size) {
    throw new DiskFormatError('Its BAT maps more payload blocks than the file holds.');
  }
  return {
    format: 'vhdx',
    description: `VHDX, ${blockSize / MiB} MiB blocks`,
    virtualSize,
    extents: list.extents,
  };
}
