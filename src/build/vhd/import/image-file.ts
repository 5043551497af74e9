/**
 * Random access to a disk image file for the format readers, with every read checked against
 * the file's end: a table or a cluster that points past it is a corrupt or truncated image, and
 * says so, rather than being read as zeros or as an exception with no context.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { alignedMemory, isAligned } from './buffer-pool.js';

type FileHandle = Awaited<ReturnType<typeof open>>;

/**
 * What is wrong with an image, found while mapping or reading it. The importer turns it into an
 * `InputError` naming `source-disk` and the file.
 */
export class DiskFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskFormatError';
  }
}

/** O_DIRECT wants offsets, lengths and memory aligned to the device's block; 4 KiB covers all. */
const DIRECT_ALIGN = 4096;

export class ImageFile {
  /** An O_DIRECT handle on the image, once readHolesDirectly has opened one. */
  private direct?: FileHandle;

  private constructor(
    private readonly handle: FileHandle,
    /** The file's path, for the raw hole map. */
    readonly path: string,
    /** Bytes in the file. */
    readonly size: number,
  ) {}

  static async open(path: string): Promise<ImageFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      return new ImageFile(handle, path, size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * `length` bytes at `offset`; `what` names the structure for the message when they are not
   * all in the file.
   */
  async read(offset: number, length: number, what: string): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    await this.readInto(buffer, offset, what);
    return buffer;
  }

  /**
   * Fills `buffer` from `offset`; see {@link read}. Through the O_DIRECT handle when there is
   * one and `buffer` (page-aligned memory, see ./buffer-pool.ts), offset and length allow it.
   */
  async readInto(buffer: Buffer, offset: number, what: string): Promise<void> {
    this.check(offset, buffer.length, what);
    const handle =
      this.direct &&
      offset % DIRECT_ALIGN === 0 &&
      buffer.length % DIRECT_ALIGN === 0 &&
      isAligned(buffer, DIRECT_ALIGN)
        ? this.direct
        : this.handle;
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, offset + done);
      if (bytesRead === 0) {
        throw new DiskFormatError(`${what} ends early at byte ${offset + done} (truncated?).`);
      }
      done += bytesRead;
    }
  }

  /**
   * Serves aligned reads through an O_DIRECT handle from now on, where the file system allows.
   * For a raw image whose holes the kernel cannot be asked about (no lseek SEEK_DATA in Node):
   * a buffered read of a hole makes the kernel fill the page cache with zero pages, 4 KiB at a
   * time (12 s for 4 GiB of holes here, 0.7 s once cached), while a direct read of a hole is
   * answered without any I/O (0.2-0.4 s). Data then comes from the device, not the cache.
   * Returns whether direct reads are on; on false, reads stay buffered, as before.
   */
  async readHolesDirectly(): Promise<boolean> {
    if (this.direct || !constants.O_DIRECT) return this.direct !== undefined;
    let handle: FileHandle;
    try {
      handle = await open(this.path, constants.O_RDONLY | constants.O_DIRECT);
    } catch {
      return false; // tmpfs and some others refuse O_DIRECT
    }
    try {
      await handle.read(alignedMemory(65536), 0, DIRECT_ALIGN, 0);
    } catch {
      await handle.close();
      return false; // alignment or file system refused: stay buffered
    }
    this.direct = handle;
    return true;
  }

  /** Throws unless [offset, offset + length) is inside the file. */
  check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new DiskFormatError(
        `${what} at byte ${offset} (${length} bytes) lies past the end of the ${this.size}-byte ` +
          'file: the image is truncated or corrupt.',
      );
    }
  }

  async close(): Promise<void> {
    await this.direct?.close();
    this.direct = undefined;
    await this.handle.close();
  }
}
