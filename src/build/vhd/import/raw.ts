/**
 * A raw image (and the data part of a fixed VHD) is the disk itself: its extents are where the
 * file system holds data, which lseek(2) SEEK_DATA/SEEK_HOLE tells. Node has no such lseek (nor
 * has node:wasi, whose fd_seek knows only SET, CUR and END).
 *
 * So a few lines of another interpreter ask the kernel, and only the data is read, from the page
 * cache where it is: perl first on Linux (perl-base is an Essential package of Debian and
 * Ubuntu, and starts in a few ms), python3 otherwise (GitHub's runners have both). Measured on
 * the 30 GiB ext4 image of bench:import (29 data ranges): perl 3 ms, /usr/bin/python3 10 ms,
 * python3 behind a pyenv shim 90-100 ms.
 *
 * Node alone, where neither is there: the whole range counts as one extent, read through
 * O_DIRECT where the file system allows (see ImageFile.readHolesDirectly: a hole then costs no
 * I/O and no page cache), and the writer drops the zero blocks it reads. Never wrong, and it
 * needs nothing but Node; it costs a kernel zero-fill and one compare per byte of the disk.
 */
import { execFile } from 'node:child_process';
import type { DiskMap } from './disk-map.js';
import { DiskFormatError, type ImageFile } from './image-file.js';

/**
 * Prints "start end" for each data range of argv[0], up to argv[1] bytes. 3 and 4 are Linux's
 * SEEK_DATA and SEEK_HOLE (include/uapi/linux/fs.h); perl's Fcntl does not export them.
 * `sysseek` returns undef when no data follows (ENXIO).
 */
const PERL_SCRIPT = `
open(my $f, '<', $ARGV[0]) or exit 2;
my ($end, $pos, @out) = ($ARGV[1], 0);
while ($pos < $end) {
  my $start = sysseek($f, $pos, 3);
  last unless defined $start;
  $start += 0;
  last if $start >= $end;
  my $stop = sysseek($f, $start, 4);
  exit 3 unless defined $stop;
  $stop += 0;
  $stop = $end if $stop > $end;
  push @out, "$start $stop";
  $pos = $stop;
}
print join("\\n", @out);
`;

/** The same in python3, whose os module has the platform's SEEK_DATA and SEEK_HOLE. */
const PYTHON_SCRIPT = `
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
end = int(sys.argv[2])
pos = 0
out = []
while pos < end:
    try:
        start = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError:
        break
    if start >= end:
        break
    stop = min(os.lseek(fd, start, os.SEEK_HOLE), end)
    out.append("%d %d" % (start, stop))
    pos = stop
sys.stdout.write("\\n".join(out))
`;

export interface Range {
  readonly start: number;
  readonly end: number;
}

/** An interpreter that runs a script given on its command line (`-e` for perl, `-c` python). */
export interface SeekHelper {
  readonly command: string;
  readonly flag: string;
  readonly script: string;
}

/** The helpers asked, in order: perl only on Linux, where its seek constants are known. */
export function seekHelpers(platform: string = process.platform): SeekHelper[] {
  return [
    ...(platform === 'linux' ? [{ command: 'perl', flag: '-e', script: PERL_SCRIPT }] : []),
    { command: 'python3', flag: '-c', script: PYTHON_SCRIPT },
  ];
}

/** Data ranges of `path` in [0, end) by SEEK_DATA/SEEK_HOLE, or undefined if unavailable. */
export async function seekDataRanges(
  path: string,
  end: number,
  helpers: readonly SeekHelper[] = seekHelpers(),
): Promise<Range[] | undefined> {
  for (const helper of helpers) {
    const stdout = await new Promise<string | undefined>((resolve) => {
      execFile(
        helper.command,
        [helper.flag, helper.script, path, `${end}`],
        { maxBuffer: 512 * 1024 * 1024 },
        (err, out) => resolve(err ? undefined : out),
      );
    });
    const ranges = stdout === undefined ? undefined : parseRanges(stdout, end);
    if (ranges) return ranges;
  }
  return undefined;
}

/** The helper's lines as sector-aligned, merged ranges; undefined unless every line makes sense. */
function parseRanges(stdout: string, end: number): Range[] | undefined {
  const ranges: Range[] = [];
  let previous = 0;
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [a, b, extra] = line.split(' ').map(Number);
    if (extra !== undefined || !(Number.isSafeInteger(a) && Number.isSafeInteger(b)))
      return undefined;
    if (a! < previous || b! <= a! || b! > end) return undefined;
    previous = b!;
    // SEEK_DATA works in file system blocks; page writes want 512-byte sectors.
    const start = Math.floor(a! / 512) * 512;
    const stop = Math.min(end, Math.ceil(b! / 512) * 512);
    const last = ranges.at(-1);
    if (last && start <= last.end) ranges[ranges.length - 1] = { start: last.start, end: stop };
    else ranges.push({ start, end: stop });
  }
  return ranges;
}

export interface RawMapOptions {
  /** Ask the kernel for the data ranges through perl or python3 when there (default true). */
  readonly seekData?: boolean;
}

/** The first `size` bytes of `file` as a raw disk: its data ranges as stored extents. */
export async function mapRaw(
  file: ImageFile,
  size: number,
  format = 'raw',
  description = 'raw',
  options: RawMapOptions = {},
): Promise<DiskMap> {
  if (size % 512 !== 0) {
    throw new DiskFormatError(
      `Its size, ${size} bytes, is not a whole number of 512-byte sectors, so it is no raw disk.`,
    );
  }
  const seeked =
    options.seekData === false || size === 0 ? undefined : await seekDataRanges(file.path, size);
  if (!seeked) await file.readHolesDirectly();
  const ranges = seeked ?? [{ start: 0, end: size }];
  return {
    format,
    description,
    virtualSize: size,
    extents: ranges
      .filter((r) => r.end > r.start)
      .map((r) => ({
        kind: 'stored',
        offset: r.start,
        length: r.end - r.start,
        fileOffset: r.start,
      })),
  };
}
