import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseLfsPointer, refuseLfsPointer } from '../../src/build/lfs-pointer.js';
import { resolveSource } from '../../src/build/source.js';

const OID = 'a'.repeat(64);
const POINTER = `version https://git-lfs.github.com/spec/v1\noid sha256:${OID}\nsize 52428800\n`;

describe('Git LFS pointers', () => {
  it('are recognised', () => {
    expect(parseLfsPointer(POINTER)).toEqual({ oid: `sha256:${OID}`, size: 52428800 });
    expect(parseLfsPointer('QFI\xfb')).toBeUndefined();
    expect(parseLfsPointer('version https://example.com/spec/v1\noid sha256:x\n')).toBeUndefined();
  });

  it('stop the disk source reader with a message that says what happened', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lfs-'));
    const file = path.join(dir, 'node.qcow2');
    writeFileSync(file, POINTER);
    const logger = {
      debug: () => {},
      info: () => {},
      warning: () => {},
      error: () => {},
      group: <T>(_n: string, fn: () => Promise<T>) => fn(),
    };
    await expect(
      resolveSource(file, {
        input: 'source-disk',
        checksumInput: 'source-checksum',
        logger,
      } as never),
    ).rejects.toThrow(
      /source-disk.*This is a Git LFS pointer \(sha256:a+, 52428800 bytes\).*lfs: true/,
    );
  });

  it('leave real files alone', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lfs-'));
    const file = path.join(dir, 'small.raw');
    writeFileSync(file, Buffer.alloc(512, 1));
    await expect(refuseLfsPointer('source-disk', file, file, 512)).resolves.toBeUndefined();
  });
});
