/**
 * Random access to a disk image file for the format readers, with every read checked against
 * the file's end: a table or a cluster that points past it is a corrupt or truncated image, and
 * says so, rather than being read as zeros or as an exception with no context.
 */
import { open } from 'node:fs/promises';

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

export class ImageFile {
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

  /** Fills `buffer` from `offset`; see {@link read}. */
  async readInto(buffer: Buffer, offset: number, what: string): Promise<void> {
    this.check(offset, buffer.length, what);
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await this.handle.read(
        buffer,
        done,
        buffer.length - done,
        offset + done,
      );
      if (bytesRead === 0) {
        throw new DiskFormatError(`${what} ends early at byte ${offset + done} (truncated?).`);
      }
      done += bytesRead;
    }
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
    await this.handle.close();
  }
}
