/**
 * prepareFixedVhd with the real qemu-img: every format we take becomes a fixed, MiB-aligned VHD
 * with the source's content; images that would read other files, compressed files and formats
 * we do not take are refused naming the input.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareFixedVhd } from '../../../src/build/vhd/disk.js';
import { runCommand } from '../../../src/common/exec.js';
import { QemuImg } from '../../../src/build/vhd/qemu-img.js';
import { resolveSource } from '../../../src/build/source.js';
import { checkFixedVhd } from '../../../src/build/vhd/vhd.js';
import { InputError } from '../../../src/common/errors.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { describeWithQemuImg, makeDisk, MiB, writeRawDisk } from '../disks.js';

const qemu = new QemuImg();
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-disk-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const RANGES = [
  { offset: 0, length: 128 * 1024 },
  { offset: 3 * MiB, length: 512 * 1024 },
];

async function prepare(path: string, name = `out-${Math.random().toString(36).slice(2)}`) {
  const logger = new RecordingLogger();
  const source = await resolveSource(path, {
    input: 'source-disk',
    checksumInput: 'source-checksum',
    workDir: work,
    logger,
  });
  const vhd = await prepareFixedVhd(source, { workDir: work, name, logger, input: 'source-disk' });
  return { vhd, logger };
}

async function refusal(path: string): Promise<InputError> {
  const error = await prepare(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).input).toBe('source-disk');
  return error as InputError;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describeWithQemuImg('prepareFixedVhd')('prepareFixedVhd', () => {
  it.each([
    ['qcow2', 'qcow2', [] as string[]],
    ['vmdk', 'vmdk', []],
    ['vhdx', 'vhdx', []],
    ['dynamic VHD', 'vpc', ['subformat=dynamic']],
    ['raw', 'raw', []],
  ])('converts a %s to a fixed VHD with the same content', async (_name, format, options) => {
    const source = await makeDisk(join(work, `src.${format}`), format, 8 * MiB, RANGES, options);
    const { vhd } = await prepare(source);
    expect(vhd.converted).toBe(true);
    expect(vhd.sourceFormat).toBe(format);
    const check = await checkFixedVhd(vhd.path);
    expect(check.problem).toBeUndefined();
    expect(check.footer).toMatchObject({ cookie: 'conectix', diskType: 2, checksumValid: true });
    expect(check.footer!.currentSize % MiB).toBe(0);
    expect(await qemu.compare(vhd.path, 'vpc', source, format)).toBe(true);
    // Sparse: the zeros were not written.
    expect(statSync(vhd.path).blocks * 512).toBeLessThan(2 * MiB);
  });

  it('pads a disk whose size is not a whole number of MiB, and keeps the content', async () => {
    const source = writeRawDisk(join(work, 'odd.raw'), 5 * MiB + 3 * 512, [
      { offset: 5 * MiB, length: 1536 },
    ]);
    const { vhd, logger } = await prepare(source);
    expect(vhd).toMatchObject({ virtualSize: 6 * MiB, sourceVirtualSize: 5 * MiB + 1536 });
    expect(statSync(vhd.path).size).toBe(6 * MiB + 512);
    expect(await qemu.compare(vhd.path, 'vpc', source, 'raw')).toBe(true);
    expect(logger.messages('info')).toContain(
      `Its size, ${5 * MiB + 1536} bytes, is not a whole number of MiB: padding it to ${6 * MiB} bytes.`,
    );
  });

  it('converts the same disk under the same name to the same bytes (footer time and ID fixed)', async () => {
    const source = await makeDisk(join(work, 'same.qcow2'), 'qcow2', 4 * MiB, RANGES.slice(0, 1));
    const a = await prepare(source, 'capi-ubuntu-2404-1.31.2');
    const first = sha256(a.vhd.path);
    await new Promise((r) => setTimeout(r, 1100)); // qemu stamps seconds
    const b = await prepare(source, 'capi-ubuntu-2404-1.31.2');
    expect(sha256(b.vhd.path)).toBe(first);
    const c = await prepare(source, 'capi-ubuntu-2404-1.31.3');
    expect(sha256(c.vhd.path)).not.toBe(first);
  });

  it('uploads a fixed, aligned VHD as it is', async () => {
    const source = await makeDisk(join(work, 'fixed.vhd'), 'vpc', 4 * MiB, RANGES.slice(0, 1), [
      'subformat=fixed',
      'force_size',
    ]);
    const { vhd, logger } = await prepare(source);
    expect(vhd).toMatchObject({
      path: source,
      converted: false,
      temporary: false,
      sourceFormat: 'vpc-fixed',
    });
    expect(logger.messages('info').join('\n')).toContain('is uploaded as it is');
  });

  it('converts a fixed VHD whose size is not a whole number of MiB, reading its data part as raw', async () => {
    const source = await makeDisk(
      join(work, 'fixed-odd.vhd'),
      'vpc',
      3 * MiB + 4096,
      RANGES.slice(0, 1),
      ['subformat=fixed', 'force_size'],
    );
    const { vhd } = await prepare(source);
    expect(vhd).toMatchObject({ converted: true, sourceFormat: 'vpc-fixed', virtualSize: 4 * MiB });
    expect(
      await qemu.compare(vhd.path, 'vpc', `${join(work, 'fixed-odd.vhd')}.src.raw`, 'raw'),
    ).toBe(true);
  });

  it('refuses a qcow2 overlay on a backing file', async () => {
    const base = await makeDisk(join(work, 'base.qcow2'), 'qcow2', 4 * MiB, RANGES.slice(0, 1));
    const overlay = join(work, 'overlay.qcow2');
    await runCommand('qemu-img', ['create', '-f', 'qcow2', '-F', 'qcow2', '-b', base, overlay]);
    expect((await refusal(overlay)).message).toContain('backing file');
  });

  it('refuses a VMDK descriptor that reads another file', async () => {
    const secret = join(work, 'secret.bin');
    writeFileSync(secret, Buffer.alloc(MiB, 7));
    const descriptor = join(work, 'evil.vmdk');
    writeFileSync(
      descriptor,
      [
        '# Disk DescriptorFile',
        'version=1',
        'CID=fffffffe',
        'parentCID=ffffffff',
        'createType="monolithicFlat"',
        `RW 2048 FLAT "${secret}" 0`,
        '',
      ].join('\n'),
    );
    expect((await refusal(descriptor)).message).toContain('reads other files');
  });

  it('refuses a compressed file', async () => {
    const path = join(work, 'disk.raw.xz');
    writeFileSync(path, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0, 1, 2]));
    expect((await refusal(path)).message).toContain('xz-compressed');
  });

  it('refuses a format it does not take (VDI)', async () => {
    const path = await makeDisk(join(work, 'disk.vdi'), 'vdi', 2 * MiB, RANGES.slice(0, 1));
    expect((await refusal(path)).message).toContain("reads it as a 'vdi' image");
  });

  it('refuses a file that is no raw disk (not whole sectors)', async () => {
    const path = join(work, 'notes.txt');
    writeFileSync(path, 'not a disk\n');
    expect((await refusal(path)).message).toContain('not a whole number of 512-byte sectors');
  });
});
