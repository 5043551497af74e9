/**
 * The few `qemu-img` commands a disk import needs, with JSON output parsed into types. Paths are
 * made absolute first: qemu-img reads `name:rest` (no slash before the colon) as a protocol
 * such as `nbd:` or `json:`, which a file name from a user must never become.
 */
import { resolve } from 'node:path';
import { type RunCommand, runCommand } from '../../common/exec.js';

/** Image formats qemu-img names them; `vpc` is VHD. */
export type QemuFormat = string;

/**
 * An image to read: a file in a format, or a window of a file read as raw (`offset`, `size`),
 * which is how the data part of a fixed VHD is read without trusting qemu's VHD geometry.
 */
export type QemuSource =
  | { readonly path: string; readonly format: QemuFormat }
  | {
      readonly path: string;
      readonly format: 'raw';
      readonly offset: number;
      readonly size: number;
    };

/** How qemu-img is told what `source` is (`flags`) and where it is (`name`). */
function sourceArgs(source: QemuSource): { flags: string[]; name: string } {
  if (!('size' in source)) return { flags: ['-f', source.format], name: resolve(source.path) };
  // --image-opts takes key=value pairs; a comma inside a value is written twice.
  const filename = resolve(source.path).replace(/,/g, ',,');
  return {
    flags: ['--image-opts'],
    name: `driver=raw,offset=${source.offset},size=${source.size},file.driver=file,file.filename=${filename}`,
  };
}

export interface QemuImageInfo {
  readonly format: QemuFormat;
  readonly virtualSize: number;
  readonly actualSize?: number;
  /** A backing file the image would read through (qcow2 overlays); we refuse those. */
  readonly backingFilename?: string;
  /** For VMDK: the files the descriptor points at. */
  readonly extentFiles: readonly string[];
}

/** One row of `qemu-img map --output json`. */
export interface QemuMapEntry {
  readonly start: number;
  readonly length: number;
  readonly data: boolean;
  readonly zero: boolean;
}

export class QemuImgError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`qemu-img ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no message'}`);
    this.name = 'QemuImgError';
  }
}

interface InfoJson {
  format?: string;
  'virtual-size'?: number;
  'actual-size'?: number;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  'format-specific'?: { type?: string; data?: { extents?: { filename?: string }[] } };
}

export class QemuImg {
  constructor(
    private readonly run: RunCommand = runCommand,
    private readonly binary = 'qemu-img',
  ) {}

  /** `qemu-img info`; `format` skips probing (always pass it when you know it). */
  async info(path: string, format?: QemuFormat): Promise<QemuImageInfo> {
    const args = ['info', '--output', 'json', ...(format ? ['-f', format] : []), resolve(path)];
    const json = JSON.parse(await this.call(args)) as InfoJson;
    const extents = json['format-specific']?.data?.extents ?? [];
    const backing = json['full-backing-filename'] ?? json['backing-filename'];
    return {
      format: json.format ?? 'unknown',
      virtualSize: json['virtual-size'] ?? 0,
      ...(json['actual-size'] !== undefined ? { actualSize: json['actual-size'] } : {}),
      ...(backing ? { backingFilename: backing } : {}),
      extentFiles: extents.map((e) => e.filename ?? '').filter((f) => f !== ''),
    };
  }

  /** `qemu-img convert`, writing zeros as holes (the default) so the output stays sparse. */
  async convert(
    source: QemuSource,
    target: string,
    targetFormat: QemuFormat,
    options: readonly string[] = [],
  ): Promise<void> {
    const { flags, name } = sourceArgs(source);
    await this.call([
      'convert',
      ...flags,
      '-O',
      targetFormat,
      ...(options.length ? ['-o', options.join(',')] : []),
      name,
      resolve(target),
    ]);
  }

  /** `qemu-img resize` to exactly `size` bytes. */
  async resize(path: string, format: QemuFormat, size: number): Promise<void> {
    await this.call(['resize', '-f', format, resolve(path), String(size)]);
  }

  /**
   * Which ranges of `path` hold data. On a raw file this asks the file system (SEEK_DATA /
   * SEEK_HOLE), so holes cost nothing to find.
   */
  async map(path: string, format: QemuFormat): Promise<QemuMapEntry[]> {
    const out = await this.call(['map', '--output', 'json', '-f', format, resolve(path)]);
    return (JSON.parse(out) as QemuMapEntry[]).map(({ start, length, data, zero }) => ({
      start,
      length,
      data,
      zero,
    }));
  }

  /** `qemu-img compare`: true when the guest-visible contents are the same. */
  async compare(a: string, aFormat: QemuFormat, b: string, bFormat: QemuFormat): Promise<boolean> {
    const args = ['compare', '-f', aFormat, '-F', bFormat, resolve(a), resolve(b)];
    const result = await this.run(this.binary, args);
    if (result.code === 0 || result.code === 1) return result.code === 0;
    throw new QemuImgError(args, result.code, result.stderr);
  }

  private async call(args: string[]): Promise<string> {
    const result = await this.run(this.binary, args);
    if (result.code !== 0) throw new QemuImgError(args, result.code, result.stderr);
    return result.stdout;
  }
}
