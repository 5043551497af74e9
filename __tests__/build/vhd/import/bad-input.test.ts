/**
 * Images that lie: every one is refused with an error naming `source-disk`, from the map alone,
 * before a page blob is touched; one that breaks only while its data is read leaves a blob
 * marked as uploading, never complete.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedVhdFooter } from '../../../../src/build/vhd/import/footer.js';
import { openDiskImage } from '../../../../src/build/vhd/import/open-image.js';
import { streamToPageBlob } from '../../../../src/build/vhd/import/stream-upload.js';
import { onesComplementChecksum } from '../../../../src/build/vhd/import/vhd.js';
import { RecordingLogger } from '../../../../src/common/logger.js';
import { hasQemuImg, MemoryPageBlob, MiB, qemuImg, writeRaw } from './helpers.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-bad-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function refusal(path: string): Promise<string> {
  try {
    const opened = await openDiskImage(path, 'source-disk', path);
    if (opened.kind === 'native') await opened.file.close();
    return `accepted (${opened.kind})`;
  } catch (err) {
    return (err as Error).message;
  }
}

function patch(path: string, edit: (b: Buffer) => void): string {
  const bytes = readFileSync(path);
  edit(bytes);
  writeFileSync(path, bytes);
  return path;
}

describe('VHD without qemu-img', () => {
  function fixedVhd(name: string): string {
    const path = join(work, name);
    writeRaw(path, 2 * MiB, [{ offset: 0, length: 4096 }]);
    const footer = fixedVhdFooter(2 * MiB, 'seed');
    writeFileSync(path, footer, { flag: 'a' });
    return path;
  }

  it('takes a good fixed VHD', async () => {
    expect(await refusal(fixedVhd('good.vhd'))).toBe('accepted (native)');
  });

  it('refuses a footer with a bad checksum', async () => {
    const path = patch(fixedVhd('bad-sum.vhd'), (b) => {
      b.writeUInt8(b.readUInt8(b.length - 512 + 40) ^ 1, b.length - 512 + 40); // original size, checksum left as it was
    });
    expect(await refusal(path)).toMatch(
      /^Invalid input 'source-disk'.*VHD footer checksum is wrong/,
    );
  });

  it('refuses a fixed VHD whose footer claims more data than the file has', async () => {
    const path = patch(fixedVhd('short.vhd'), (b) => {
      const footer = b.subarray(b.length - 512);
      footer.writeBigUInt64BE(BigInt(4 * MiB), 48);
      footer.writeUInt32BE(onesComplementChecksum(footer, 64), 64);
    });
    expect(await refusal(path)).toMatch(/source-disk.*says the disk is 4194304 bytes.*truncated/);
  });

  it('refuses a VMDK text descriptor that reads other files', async () => {
    const path = join(work, 'desc.vmdk');
    writeFileSync(path, '# Disk DescriptorFile\nversion=1\nRW 2048 SPARSE "other-s001.vmdk"\n');
    expect(await refusal(path)).toMatch(/source-disk.*reads other files \(other-s001.vmdk\)/);
  });
});

const describeQemu = hasQemuImg ? describe : describe.skip;
if (!hasQemuImg)
  console.log('bad-input.test.ts: qemu-img cases skipped, qemu-img is not installed');

describeQemu('images made by qemu-img, then damaged', () => {
  let raw: string;
  beforeAll(() => {
    raw = writeRaw(join(work, 'src.raw'), 8 * MiB, [
      { offset: 0, length: MiB },
      { offset: 5 * MiB, length: MiB },
    ]);
  });
  const make = (name: string, ...args: string[]) => {
    const path = join(work, name);
    qemuImg('convert', '-f', 'raw', ...args, raw, path);
    return path;
  };
  /** Offset of the first L2 table of a qcow2. */
  const firstL2 = (b: Buffer) =>
    Number(b.readBigUInt64BE(Number(b.readBigUInt64BE(40))) & 0x00fffffffffffe00n);

  it('qcow2: an L2 entry pointing past the end', async () => {
    const path = patch(make('past.qcow2', '-O', 'qcow2'), (b) => {
      b.writeBigUInt64BE(BigInt(b.length + 64 * 1024 * 16) | (1n << 63n), firstL2(b));
    });
    expect(await refusal(path)).toMatch(
      /source-disk.*data cluster of virtual byte 0.*past the end/,
    );
  });

  it('qcow2: truncated', async () => {
    const path = make('cut.qcow2', '-O', 'qcow2');
    truncateSync(path, readFileSync(path).length - 512 * 1024);
    expect(await refusal(path)).toMatch(/source-disk.*past the end/);
  });

  it('qcow2: a virtual size its L1 table does not cover', async () => {
    const path = patch(make('size.qcow2', '-O', 'qcow2'), (b) =>
      b.writeBigUInt64BE(BigInt(8 * 1024 ** 4), 24),
    );
    expect(await refusal(path)).toMatch(/source-disk.*L1 table has 1 entries.*needs 16384/);
  });

  it('qcow2: a hostile header asking for terabytes of tables', async () => {
    const path = patch(make('huge.qcow2', '-O', 'qcow2'), (b) => {
      b.writeBigUInt64BE(BigInt(30 * 1024 ** 4), 24);
      b.writeUInt32BE(0x7fffffff, 36);
    });
    expect(await refusal(path)).toMatch(/source-disk.*L1 table would be .* more than 32 MiB/);
  });

  it('qcow2: a virtual size past 32 TiB', async () => {
    const path = patch(make('pb.qcow2', '-O', 'qcow2'), (b) => b.writeBigUInt64BE(2n ** 52n, 24));
    expect(await refusal(path)).toMatch(/source-disk.*more than the 32 TiB/);
  });

  it('qcow2: a backing file', async () => {
    const base = make('base.qcow2', '-O', 'qcow2');
    const overlay = join(work, 'overlay.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', overlay);
    expect(await refusal(overlay)).toMatch(
      /source-disk.*overlay on the backing file '.*base.qcow2'/,
    );
  });

  it('qcow2: encryption', async () => {
    const path = patch(make('enc.qcow2', '-O', 'qcow2'), (b) => b.writeUInt32BE(2, 32));
    expect(await refusal(path)).toMatch(/source-disk.*encrypted \(LUKS\)/);
  });

  it('VMDK: a grain directory out of range', async () => {
    const path = patch(make('gd.vmdk', '-O', 'vmdk'), (b) => b.writeBigUInt64BE(1n << 40n, 56));
    expect(await refusal(path)).toMatch(/source-disk.*grain directory is out of range/);
  });

  it('dynamic VHD: a size its block table does not cover', async () => {
    const path = patch(make('size.vhd', '-O', 'vpc', '-o', 'subformat=dynamic,force_size'), (b) => {
      for (const at of [0, b.length - 512]) {
        const footer = b.subarray(at, at + 512);
        footer.writeBigUInt64BE(BigInt(64 * 1024 ** 3), 48);
        footer.writeUInt32BE(onesComplementChecksum(footer, 64), 64);
      }
    });
    expect(await refusal(path)).toMatch(
      /source-disk.*block allocation table has \d+ entries.*fewer than/,
    );
  });

  it('VHDX: a size its BAT does not cover', async () => {
    const source = writeRaw(join(work, 'twelve.raw'), 12 * MiB, [{ offset: 0, length: MiB }]);
    const path = join(work, 'size.vhdx');
    qemuImg('convert', '-f', 'raw', '-O', 'vhdx', source, path);
    // The virtual disk size item: found by its value, 12 MiB, in the metadata region.
    patch(path, (b) => {
      const at = b.indexOf(Buffer.from([0, 0, 0xc0, 0, 0, 0, 0, 0]), 1024 * 1024);
      expect(at).toBeGreaterThan(0);
      b.writeBigUInt64LE(BigInt(20 * 1024 ** 4), at);
    });
    expect(await refusal(path)).toMatch(/source-disk.*BAT holds \d+ entries, fewer than/);
  });

  it('a corrupt compressed cluster leaves the blob marked as uploading', async () => {
    const text = join(work, 'text.raw');
    writeFileSync(text, Buffer.alloc(2 * MiB, 'compressible node image text '));
    const path = join(work, 'bad-deflate.qcow2');
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', '-c', text, path);
    patch(path, (b) => {
      expect(b.readUInt8(firstL2(b)) & 0x40).toBe(0x40);
      const entry = b.readBigUInt64BE(firstL2(b)); // the first cluster, compressed
      const x = 62n - (16n - 8n);
      const offset = Number(entry & ((1n << x) - 1n));
      b.fill(0xff, offset, offset + 64);
    });
    const opened = await openDiskImage(path, 'source-disk', path);
    if (opened.kind !== 'native') throw new Error('fell back');
    expect(opened.map.format).toBe('qcow2');
    const blob = new MemoryPageBlob();
    try {
      await expect(
        streamToPageBlob({
          file: opened.file,
          map: opened.map,
          target: blob,
          seed: 's',
          logger: new RecordingLogger(),
          hashing: 'inline',
        }),
      ).rejects.toThrow(/Could not decompress the compressed cluster/);
    } finally {
      await opened.file.close();
    }
    expect(blob.metadata.uploadstate).toBe('uploading');
  });
});
