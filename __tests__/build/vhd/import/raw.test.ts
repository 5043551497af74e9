/**
 * How a raw image finds its data: SEEK_DATA/SEEK_HOLE asked through perl (Linux) or python3,
 * whichever answers first; Node alone (the whole file, holes read directly) where neither does.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seekDataRanges, seekHelpers } from '../../../../src/build/vhd/import/raw.js';
import { MiB, writeRaw } from './helpers.js';

const has = (command: string): boolean => {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

let work: string;
let raw: string;
const SIZE = 64 * MiB;
const RANGES = [
  { offset: 0, length: 64 * 1024 },
  { offset: 5 * MiB, length: 2 * MiB },
  { offset: SIZE - 4096, length: 4096 },
];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-raw-'));
  raw = writeRaw(join(work, 'disk.raw'), SIZE, RANGES);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every byte of `RANGES` inside the ranges found. */
function covers(found: readonly { start: number; end: number }[]): boolean {
  return RANGES.every((r) =>
    found.some((f) => f.start <= r.offset && f.end >= r.offset + r.length),
  );
}

describe('seekDataRanges', () => {
  it('asks perl first on Linux, python3 elsewhere', () => {
    expect(seekHelpers('linux').map((h) => h.command)).toEqual(['perl', 'python3']);
    expect(seekHelpers('darwin').map((h) => h.command)).toEqual(['python3']);
  });

  for (const helper of seekHelpers('linux')) {
    const run = has(helper.command) ? it : it.skip;
    if (!has(helper.command)) console.log(`raw.test.ts: ${helper.command} is not installed`);
    run(
      `finds the data ranges through ${helper.command}, and no more than a block around them`,
      async () => {
        const found = await seekDataRanges(raw, SIZE, [helper]);
        expect(found).toBeDefined();
        expect(covers(found!)).toBe(true);
        const bytes = found!.reduce((n, f) => n + f.end - f.start, 0);
        expect(bytes).toBeLessThan(2 * MiB + 64 * 1024 + 4096 + 3 * 64 * 1024);
        expect(found!.every((f) => f.start % 512 === 0 && f.end % 512 === 0)).toBe(true);
      },
    );
  }

  it('goes on to the next helper when one is missing or answers nonsense, and gives up after the last', async () => {
    const missing = { command: 'cga-no-such-interpreter', flag: '-e', script: '' };
    const nonsense = { command: 'node', flag: '-e', script: 'console.log("12 banana")' };
    const backwards = { command: 'node', flag: '-e', script: 'console.log("8192 4096")' };
    const good = {
      command: 'node',
      flag: '-e',
      script: `console.log("0 65536\\n${5 * MiB} ${7 * MiB}\\n${SIZE - 4096} ${SIZE}")`,
    };
    expect(await seekDataRanges(raw, SIZE, [missing, nonsense, backwards, good])).toEqual([
      { start: 0, end: 65536 },
      { start: 5 * MiB, end: 7 * MiB },
      { start: SIZE - 4096, end: SIZE },
    ]);
    expect(await seekDataRanges(raw, SIZE, [missing, nonsense])).toBeUndefined();
  });
});
