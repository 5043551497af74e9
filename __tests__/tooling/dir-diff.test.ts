import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareTrees } from '../../scripts/lib/dir-diff.js';

describe('compareTrees', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'dir-diff-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function tree(name: string, files: Record<string, string>): Promise<string> {
    const dir = path.join(base, name);
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    }
    return dir;
  }

  it('finds nothing between equal trees, and treats a missing tree as empty', async () => {
    const a = await tree('a', { 'x/index.js': '1', 'README.md': 'r' });
    const b = await tree('b', { 'x/index.js': '1', 'README.md': 'r' });
    expect(await compareTrees(a, b)).toEqual([]);
    expect(await compareTrees(path.join(base, 'none'), path.join(base, 'neither'))).toEqual([]);
  });

  it('names changed, missing, unexpected files and a lost executable bit', async () => {
    const built = await tree('built', { 'a.js': '1', 'b.js': '2', 'common/xdg-open': '#!/bin/sh' });
    const committed = await tree('committed', {
      'a.js': 'changed',
      'c.js': '3',
      'common/xdg-open': '#!/bin/sh',
    });
    await chmod(path.join(built, 'common/xdg-open'), 0o755);
    await chmod(path.join(committed, 'common/xdg-open'), 0o644);
    expect(await compareTrees(built, committed)).toEqual([
      { file: 'a.js', kind: 'changed' },
      { file: 'b.js', kind: 'missing' },
      { file: 'c.js', kind: 'unexpected' },
      { file: 'common/xdg-open', kind: 'mode' },
    ]);
  });
});
