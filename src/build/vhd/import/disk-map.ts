/**
 * A disk image's contents as a list of allocated extents: where each range of the virtual disk
 * comes from in the file, and how to get its bytes (read them, or read and decompress). Every
 * range not listed reads as zeros. The format readers build one without reading the data; the
 * writer then reads only the extents.
 */
import { DiskFormatError } from './image-file.js';

/** Bytes stored as they are: `length` bytes at `fileOffset`. */
export interface StoredExtent {
  readonly kind: 'stored';
  /** Offset in the virtual disk. */
  readonly offset: number;
  readonly length: number;
  readonly fileOffset: number;
}

/** One compressed unit (a qcow2 cluster, a VMDK grain) that expands to `length` bytes. */
export interface CompressedExtent {
  readonly kind: 'compressed';
  readonly offset: number;
  readonly length: number;
  readonly fileOffset: number;
  /** Bytes to read at `fileOffset`: at least the compressed stream, possibly a little more. */
  readonly storedLength: number;
  /** `deflate-raw` (qcow2 zlib), `vmdk-grain` (LBA, size, then a zlib stream), `zstd` (qcow2 compression type 1). */
  readonly codec: 'deflate-raw' | 'zstd' | 'vmdk-grain';
}

export type Extent = StoredExtent | CompressedExtent;

export interface DiskMap {
  /** The format as qemu-img names it (`raw`, `qcow2`, `vpc`, `vhdx`, `vmdk`), for messages. */
  readonly format: string;
  /** A more specific description, e.g. `qcow2 v3, 64 KiB clusters`. */
  readonly description: string;
  /** The virtual size the image declares, in bytes. */
  readonly virtualSize: number;
  /** Sorted by `offset`, non-overlapping, inside `virtualSize`. */
  readonly extents: readonly Extent[];
  /**
   * For a fixed, MiB-aligned VHD whose footer is valid: that footer, kept as it is (today's path
   * uploads such a file unchanged).
   */
  readonly footer?: Buffer;
}

/** Collects extents in virtual order, merging stored ones that continue each other. */
export class ExtentList {
  readonly extents: Extent[] = [];
  private end = 0;
  /** Bytes of stored extents, checked against the file size to stop hostile tables. */
  storedBytes = 0;

  constructor(
    private readonly virtualSize: number,
    private readonly what: string,
  ) {}

  stored(offset: number, length: number, fileOffset: number): void {
    this.checkRange(offset, length);
    this.storedBytes += length;
    const last = this.extents.at(-1);
    if (
      last?.kind === 'stored' &&
      last.offset + last.length === offset &&
      last.fileOffset + last.length === fileOffset
    ) {
      this.extents[this.extents.length - 1] = { ...last, length: last.length + length };
    } else {
      this.extents.push({ kind: 'stored', offset, length, fileOffset });
    }
    this.end = offset + length;
  }

  compressed(
    offset: number,
    length: number,
    fileOffset: number,
    storedLength: number,
    codec: CompressedExtent['codec'],
  ): void {
    this.checkRange(offset, length);
    this.extents.push({ kind: 'compressed', offset, length, fileOffset, storedLength, codec });
    this.end = offset + length;
  }

  private checkRange(offset: number, length: number): void {
    if (offset < this.end || offset + length > this.virtualSize) {
      throw new DiskFormatError(
        `${this.what} maps virtual bytes ${offset}-${offset + length} out of order or past the ` +
          `virtual size of ${this.virtualSize} bytes.`,
      );
    }
  }
}

/** Bytes the extents hold once expanded: the data to send, before zero blocks are skipped. */
export function dataBytes(map: DiskMap): number {
  return map.extents.reduce((n, e) => n + e.length, 0);
}

/** Largest virtual size we take: Azure's largest managed disk is 32 TiB. */
export const MAX_VIRTUAL_SIZE = 32 * 1024 ** 4;

/** Throws unless `size` is a plausible virtual size for an image. */
export function checkVirtualSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new DiskFormatError(`${what} declares a virtual size of ${size} bytes.`);
  }
  if (size > MAX_VIRTUAL_SIZE) {
    throw new DiskFormatError(
      `${what} declares a virtual size of ${size} bytes, more than the 32 TiB an Azure disk can have.`,
    );
  }
}

/** A 64-bit field as a number, refusing values past 2^53 (no real image has them). */
export function u64(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DiskFormatError(`${what} is ${value}, too large to be real.`);
  }
  return Number(value);
}
