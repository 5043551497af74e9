/** How a window's data becomes page writes: zero blocks dropped, small holes bridged. */
import { describe, expect, it } from '@jest/globals';
import { windowRuns } from '../../../../src/build/vhd/import/stream-upload.js';

const KiB = 1024;
/** 64 KiB at window offset 0: data in the blocks listed, zeros elsewhere. */
function piece(blocks: number[]) {
  const data = Buffer.alloc(64 * KiB);
  for (const b of blocks) data.fill(1, b * 4 * KiB, (b + 1) * 4 * KiB);
  return [{ offset: 0, data }];
}

describe('windowRuns', () => {
  it('keeps contiguous data one run even with no merging', () => {
    expect(windowRuns(0, piece([0, 1, 2, 3]), 0)).toEqual([{ start: 0, end: 16 * KiB }]);
  });

  it('splits at a hole as large as the merge gap, bridges a smaller one', () => {
    // blocks 0 and 3: a hole of 8 KiB between them
    expect(windowRuns(0, piece([0, 3]), 8 * KiB)).toEqual([
      { start: 0, end: 4 * KiB },
      { start: 12 * KiB, end: 16 * KiB },
    ]);
    expect(windowRuns(0, piece([0, 3]), 8 * KiB + 1)).toEqual([{ start: 0, end: 16 * KiB }]);
  });

  it('drops an all-zero window', () => {
    expect(windowRuns(0, piece([]), 256 * KiB)).toEqual([]);
  });
});
