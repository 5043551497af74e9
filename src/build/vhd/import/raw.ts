/**
 * A raw image (and the data part of a fixed VHD) is the disk itself: its extents are where the
 * file system holds data. Node has no lseek(SEEK_DATA/SEEK_HOLE), so a small python3 helper asks
 * the kernel; where python3 is missing (or the file system cannot say), the whole range counts
 * as data and the writer skips the zero blocks it reads: slower, never wrong.
 */
import { execFile } from 'node:child_process';
import type { DiskMap } from './disk-map.js';
import { DiskFormatError } from './image-file.js';

/** Prints "start end" for each data range of argv[1], up to argv[2] bytes. */
const SEEK_SCRIPT = `
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

/** Data ranges of `path` in [0, end) by SEEK_DATA/SEEK_HOLE, or undefined if unavailable. */
export function seekDataRanges(path: string, end: number): Promise<Range[] | undefined> {
  return new Promise((resolve) => {
    execFile(
      'python3',
      ['-c', SEEK_SCRIPT, path, String(end)],
      { maxBuffer: 512 * 1024 * 1024 },
      (err, stdout) => {
        if (err) return resolve(undefined);
        const ranges: Range[] = [];
        for (const line of stdout.split('\n')) {
          if (!line) continue;
          const [a, b] = line.split(' ').map(Number);
          // SEEK_DATA works in file system blocks; page writes want 512-byte sectors.
          const start = Math.floor(a! / 512) * 512;
          const stop = Math.min(end, Math.ceil(b! / 512) * 512);
          const last = ranges.at(-1);
          if (last && start <= last.end)
            ranges[ranges.length - 1] = { start: last.start, end: stop };
          else ranges.push({ start, end: stop });
        }
        resolve(ranges);
      },
    );
  });
}

/** The raw image at `path`, of `size` bytes: its data ranges as stored extents. */
export async function mapRaw(
  path: string,
  size: number,
  format = 'raw',
  description = 'raw',
): Promise<DiskMap> {
  if (size % 512 !== 0) {
    throw new DiskFormatError(
      `Its size, ${size} bytes, is not a whole number of 512-byte sectors, so it is no raw disk.`,
    );
  }
  const ranges = (await seekDataRanges(path, size)) ?? [{ start: 0, end: size }];
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
