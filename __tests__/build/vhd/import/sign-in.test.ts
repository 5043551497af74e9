/**
 * importDisk signs in while it reads the image (the sign-in overlaps the mapping), yet sends
 * nothing to the blob before the image is known good.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBlobContainerUrl } from '../../../../src/build/upload/blob-location.js';
import { importDisk } from '../../../../src/build/vhd/import-disk.js';
import { RecordingLogger } from '../../../../src/common/logger.js';
import { MemoryPageBlob, MiB, writeRaw } from './helpers.js';

/** A page blob recording the order of sign-in and requests. */
class SignInPageBlob extends MemoryPageBlob {
  readonly calls: string[] = [];
  signIn(): void {
    this.calls.push('signIn');
  }
  override async getState() {
    this.calls.push('getState');
    return super.getState();
  }
  override async create(size: number, metadata: Record<string, string>) {
    this.calls.push('create');
    return super.create(size, metadata);
  }
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-sign-in-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function request(location: string) {
  return {
    location,
    destination: {
      container: parseBlobContainerUrl(
        'blob-container-url',
        'https://account.blob.core.windows.net/vhds',
      ),
      blobName: 'node.vhd',
      storageAccountId: 'id',
      concurrency: 2,
    },
    name: 'node',
    metadata: {},
  };
}

describe('importDisk and the sign-in', () => {
  it('starts signing in before it reads the blob or maps the image', async () => {
    const disk = writeRaw(join(work, 'disk.raw'), 2 * MiB, [{ offset: 0, length: 4096 }]);
    const blob = new SignInPageBlob();
    const logger = new RecordingLogger();
    await importDisk(request(disk), { workDir: join(work, 'w1'), target: () => blob, logger });
    expect(blob.calls.slice(0, 3)).toEqual(['signIn', 'getState', 'create']);
    const phases = logger.messages('debug').filter((m) => m.startsWith('Import phase:'));
    expect(phases.map((m) => m.replace(/ at \d+ ms\.$/, ''))).toEqual([
      'Import phase: import started',
      'Import phase: image mapped',
      'Import phase: blob state read',
      'Import phase: blob created',
      'Import phase: first page write landed',
      'Import phase: data written',
      'Import phase: blob marked complete',
    ]);
  });

  it('sends nothing to the blob for an image it refuses, naming source-disk', async () => {
    const bad = join(work, 'bad.raw');
    writeFileSync(bad, Buffer.alloc(1000, 1)); // not whole 512-byte sectors
    const blob = new SignInPageBlob();
    await expect(
      importDisk(request(bad), {
        workDir: join(work, 'w2'),
        target: () => blob,
        logger: new RecordingLogger(),
      }),
    ).rejects.toThrow(/source-disk/);
    expect(blob.calls).toEqual(['signIn']);
  });
});
