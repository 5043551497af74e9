/**
 * The content digest: a SHA-256 that costs O(data), the same for the same disk whatever format
 * it arrives in. Defined over the fixed VHD's virtual disk (its virtual size V, a whole number
 * of MiB, the disk padded with zeros to it; the footer is not part of it):
 *
 *   digest = SHA-256( "compute-gallery-actions content digest v1\n"
 *                     ‖ u64be(V)
 *                     ‖ for each 64 KiB chunk, in offset order, that is not all zeros:
 *                         u64be(offset) ‖ SHA-256(chunk) )
 *
 * written `content-v1:<64 hex digits>`. All-zero chunks are left out, so the zeros between the
 * data are never hashed; reading the image's extents is enough.
 */
import { createHash, type Hash } from 'node:crypto';

export const CONTENT_DIGEST_CHUNK = 64 * 1024;
export const CONTENT_DIGEST_PREFIX = 'content-v1:';
const DOMAIN = 'compute-gallery-actions content digest v1\n';
const ZEROS = Buffer.alloc(CONTENT_DIGEST_CHUNK);

export class ContentDigest {
  private readonly outer: Hash;
  /** Index of the chunk being assembled in `partial`, or -1. */
  private chunk = -1;
  private readonly partial = Buffer.alloc(CONTENT_DIGEST_CHUNK);
  private position = 0;
  private readonly label = Buffer.alloc(8);

  constructor(private readonly virtualSize: number) {
    this.outer = createHash('sha256').update(DOMAIN);
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(virtualSize));
    this.outer.update(size);
  }

  /** Appends `data` at virtual `offset`; calls come in increasing, non-overlapping order. */
  update(offset: number, data: Buffer): void {
    if (offset < this.position) throw new Error(`Content digest fed out of order at ${offset}.`);
    let at = 0;
    while (at < data.length) {
      const virtual = offset + at;
      const index = Math.floor(virtual / CONTENT_DIGEST_CHUNK);
      const within = virtual - index * CONTENT_DIGEST_CHUNK;
      const take = Math.min(CONTENT_DIGEST_CHUNK - within, data.length - at);
      if (index !== this.chunk) {
        this.flush();
        if (within === 0 && take === CONTENT_DIGEST_CHUNK) {
          this.emit(index, data.subarray(at, at + take));
          at += take;
          continue;
        }
        this.chunk = index;
        this.partial.fill(0);
      }
      data.copy(this.partial, within, at, at + take);
      at += take;
    }
    this.position = offset + data.length;
  }

  /** The digest, `content-v1:<hex>`. */
  digest(): string {
    this.flush();
    return CONTENT_DIGEST_PREFIX + this.outer.digest('hex');
  }

  private flush(): void {
    if (this.chunk >= 0) this.emit(this.chunk, this.partial);
    this.chunk = -1;
  }

  private emit(index: number, chunk: Buffer): void {
    if (chunk.equals(ZEROS)) return;
    const offset = index * CONTENT_DIGEST_CHUNK;
    if (offset >= this.virtualSize)
      throw new Error(`Content digest fed past the disk at ${offset}.`);
    this.label.writeBigUInt64BE(BigInt(offset));
    this.outer.update(this.label);
    this.outer.update(createHash('sha256').update(chunk).digest());
  }
}

/** The digest of `disk` held whole in memory: for tests and small disks. */
export function contentDigestOf(disk: Buffer, virtualSize = disk.length): string {
  const digest = new ContentDigest(virtualSize);
  digest.update(0, disk);
  return digest.digest();
}
