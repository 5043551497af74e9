/**
 * Turns a disk image in any format we take into the one Azure accepts: a fixed VHD whose virtual
 * size is a whole number of MiB. qemu-img does the work; this module decides what to ask it,
 * refuses images that would read other files (backing files, VMDK extents), and checks the
 * result's footer before anything is uploaded.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { formatBytes, formatDuration } from '../progress.js';
import { QemuImg, type QemuSource } from './qemu-img.js';
import { compressionOf, type SourceFile } from '../source.js';
import { checkFixedVhd, MiB, normaliseVhdFooter, roundUpToMiB, VHD_FOOTER_SIZE } from './vhd.js';

/** Formats `builder: disk` imports, as qemu-img names them (`vpc` is VHD). */
export const DISK_FORMATS = ['qcow2', 'raw', 'vmdk', 'vpc', 'vhdx'] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];

const FORMAT_NAMES: Readonly<Record<DiskFormat, string>> = {
  qcow2: 'qcow2',
  raw: 'raw',
  vmdk: 'VMDK',
  vpc: 'VHD',
  vhdx: 'VHDX',
};

const EXPECTED_FORMATS = 'Expected a qcow2, raw, VMDK, VHD or VHDX disk image.';

export interface PreparedVhd {
  /** The fixed VHD to upload. */
  readonly path: string;
  /** Its virtual size: a whole number of MiB. The file is 512 bytes longer. */
  readonly virtualSize: number;
  /** What the source was: `qcow2`, `raw`, `vmdk`, `vpc` (dynamic VHD), `vpc-fixed`, `vhdx`. */
  readonly sourceFormat: string;
  /** The source's own virtual size, before rounding up to a MiB. */
  readonly sourceVirtualSize: number;
  /** False when the source already was an acceptable fixed VHD and is uploaded as it is. */
  readonly converted: boolean;
  /** Whether `path` is ours to delete. */
  readonly temporary: boolean;
}

export interface PrepareOptions {
  readonly qemu?: QemuImg;
  /** Where converted files go; needs room for a sparse file of the disk's size. */
  readonly workDir: string;
  /**
   * File name stem for the VHD, e.g. `capi-ubuntu-2404-1.31.2`; also the seed of the VHD's
   * unique ID, so that the same disk under the same name converts to the same bytes.
   */
  readonly name: string;
  readonly logger: Logger;
  /** The input naming the source, for messages. */
  readonly input: string;
}

/**
 * Detects the source's format, converts it to a fixed, MiB-aligned VHD if it is not one, and
 * checks the footer of what will be uploaded.
 * @throws InputError naming `options.input` when the source is no disk image we take.
 */
export async function prepareFixedVhd(
  source: SourceFile,
  options: PrepareOptions,
): Promise<PreparedVhd> {
  const qemu = options.qemu ?? new QemuImg();
  const { input, logger } = options;
  const compression = await compressionOf(source.path);
  if (compression) {
    throw new InputError(
      input,
      source.location,
      `It is a ${compression}-compressed file, not a disk image. Decompress it first ` +
        '(or use builder: stemcell for a BOSH stemcell tarball).',
    );
  }
  const info = await qemu.info(source.path);
  refuseIndirection(input, source, info.backingFilename, info.extentFiles);

  if (info.format === 'raw') {
    const fixed = await checkFixedVhd(source.path);
    if (fixed.footer?.cookie === 'conectix' && fixed.footer.diskType === 2) {
      return fromFixedVhd(source, fixed, options, qemu);
    }
    if (source.size % 512 !== 0) {
      throw new InputError(
        input,
        source.location,
        `Its size, ${source.size} bytes, is not a whole number of 512-byte sectors, so it is no raw disk. ${EXPECTED_FORMATS}`,
      );
    }
  }
  if (!(DISK_FORMATS as readonly string[]).includes(info.format)) {
    throw new InputError(
      input,
      source.location,
      `qemu-img reads it as a '${info.format}' image, which build-image does not take. ${EXPECTED_FORMATS}`,
    );
  }
  const format = info.format as DiskFormat;
  logger.info(
    `${source.location} is a ${FORMAT_NAMES[format]} image of ${formatBytes(info.virtualSize)} ` +
      `(${info.virtualSize} bytes).`,
  );
  const path = await convertToFixedVhd(
    { path: source.path, format },
    info.virtualSize,
    options,
    qemu,
  );
  return {
    path,
    virtualSize: roundUpToMiB(info.virtualSize),
    sourceFormat: format,
    sourceVirtualSize: info.virtualSize,
    converted: true,
    temporary: true,
  };
}

/** Images that read through to other files could expose anything on the runner: refuse them. */
function refuseIndirection(
  input: string,
  source: SourceFile,
  backing: string | undefined,
  extents: readonly string[],
): void {
  if (backing) {
    throw new InputError(
      input,
      source.location,
      `It is an overlay on the backing file '${backing}'. Expected a self-contained image ` +
        '(qemu-img convert it to one first).',
    );
  }
  const foreign = extents.filter((file) => resolve(file) !== resolve(source.path));
  if (foreign.length > 0) {
    throw new InputError(
      input,
      source.location,
      `It is a VMDK descriptor that reads other files (${foreign.join(', ')}). Expected a ` +
        'monolithic VMDK (one file).',
    );
  }
}

/** A fixed VHD: upload as it is when aligned, else convert its data part as raw. */
async function fromFixedVhd(
  source: SourceFile,
  fixed: Awaited<ReturnType<typeof checkFixedVhd>>,
  options: PrepareOptions,
  qemu: QemuImg,
): Promise<PreparedVhd> {
  const dataSize = fixed.fileSize - VHD_FOOTER_SIZE;
  if (!fixed.problem) {
    options.logger.info(
      `${source.location} is already a fixed VHD of ${formatBytes(dataSize)}, a whole number ` +
        'of MiB: it is uploaded as it is.',
    );
    return {
      path: source.path,
      virtualSize: dataSize,
      sourceFormat: 'vpc-fixed',
      sourceVirtualSize: dataSize,
      converted: false,
      temporary: false,
    };
  }
  options.logger.info(`${source.location} is a fixed VHD, but ${fixed.problem}: converting it.`);
  // The data part, read as raw: qemu's VHD driver would derive the size from a CHS geometry.
  const path = await convertToFixedVhd(
    { path: source.path, format: 'raw', offset: 0, size: dataSize },
    dataSize,
    options,
    qemu,
  );
  return {
    path,
    virtualSize: roundUpToMiB(dataSize),
    sourceFormat: 'vpc-fixed',
    sourceVirtualSize: dataSize,
    converted: true,
    temporary: true,
  };
}

/**
 * `qemu-img convert -O vpc -o subformat=fixed,force_size`, after resizing a raw copy up to a
 * MiB multiple when the size is not one (force_size keeps the exact size; without it qemu
 * rounds to a CHS geometry). The output is sparse: qemu leaves zeros as holes.
 */
async function convertToFixedVhd(
  source: QemuSource,
  virtualSize: number,
  options: PrepareOptions,
  qemu: QemuImg,
): Promise<string> {
  const target = join(options.workDir, `${options.name}.vhd`);
  const aligned = roundUpToMiB(virtualSize);
  const started = Date.now();
  const vhdOptions = ['subformat=fixed', 'force_size'];
  if (aligned === virtualSize) {
    await qemu.convert(source, target, 'vpc', vhdOptions);
  } else {
    options.logger.info(
      `Its size, ${virtualSize} bytes, is not a whole number of MiB: padding it to ${aligned} bytes.`,
    );
    const raw = join(options.workDir, `${options.name}.raw`);
    try {
      await qemu.convert(source, raw, 'raw');
      await qemu.resize(raw, 'raw', aligned);
      await qemu.convert({ path: raw, format: 'raw' }, target, 'vpc', vhdOptions);
    } finally {
      await rm(raw, { force: true });
    }
  }
  await normaliseVhdFooter(target, options.name);
  const check = await checkFixedVhd(target);
  if (check.problem || check.footer?.currentSize !== aligned) {
    throw new Error(
      `qemu-img made a VHD Azure would refuse (${check.problem ?? `virtual size ${check.footer?.currentSize}, expected ${aligned}`}).`,
    );
  }
  options.logger.info(
    `Converted to a fixed VHD of ${aligned / MiB} MiB in ${formatDuration(Date.now() - started)}.`,
  );
  return target;
}
