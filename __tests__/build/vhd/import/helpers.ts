/**
 * Shared pieces of the import tests: an in-memory page blob, test disks, and whether qemu-img
 * is here to make and check them.
 */
import { spawnSync } from 'node:child_process';
import type { PageBlobState, PageBlobTarget } from '../../../../src/build/upload/page-blob.js';

// The test disks and the qemu-img probe every build test uses.
import { hasQemuImg, MiB, writeRawDisk } from '../../disks.js';

export { type DataRange } from '../../disks.js';
export { hasQemuImg, MiB, writeRawDisk as writeRaw };

/** A page blob in memory, counting writes and bytes. */
export class MemoryPageBlob implements PageBlobTarget {
  readonly url = 'https://account.blob.core.windows.net/vhds/test.vhd';
  data?: Buffer;
  metadata: Record<string, string> = {};
  writes: { offset: number; length: number }[] = [];
  /** Called before each write; throw to fail it. */
  beforeWrite?: (offset: number, length: number) => void;

  async getState(): Promise<PageBlobState | undefined> {
    return this.data
      ? { size: this.data.length, blobType: 'PageBlob', metadata: { ...this.metadata } }
      : undefined;
  }
  async create(size: number, metadata: Record<string, string>): Promise<void> {
    if (size % 512 !== 0) throw new Error(`size ${size}`);
    this.data = Buffer.alloc(size);
    this.metadata = { ...metadata };
    this.writes = [];
  }
  async uploadPages(data: Buffer, offset: number): Promise<void> {
    if (!this.data) throw new Error('no blob');
    if (offset % 512 || data.length % 512 || data.length > 4 * MiB || data.length === 0) {
      throw new Error(`bad page write ${offset}+${data.length}`);
    }
    if (offset + data.length > this.data.length) throw new Error('past the end');
    this.beforeWrite?.(offset, data.length);
    data.copy(this.data, offset);
    this.writes.push({ offset, length: data.length });
  }
  async setMetadata(metadata: Record<string, string>): Promise<void> {
    this.metadata = { ...metadata };
  }
  get bytesSent(): number {
    return this.writes.reduce((n, w) => n + w.length, 0);
  }
}

/** Runs qemu-img, throwing its stderr on failure. */
export function qemuImg(...args: string[]): string {
  const result = spawnSync('qemu-img', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`qemu-img ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}
