/** Compares two directory trees file by file: content and the executable bit (what git keeps). */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { listFiles } from './bundler.js';

export interface Difference {
  /** Path relative to both roots, with `/` separators. */
  file: string;
  /**
   * `changed`: different content; `mode`: same content, different executable bit; `missing`:
   * only in the expected tree; `unexpected`: only in the actual tree.
   */
  kind: 'changed' | 'mode' | 'missing' | 'unexpected';
}

/** How `actual` differs from `expected`, sorted by file. A missing directory counts as empty. */
export async function compareTrees(expected: string, actual: string): Promise<Difference[]> {
  const expectedFiles = await listFilesOrNone(expected);
  const actualFiles = new Set(await listFilesOrNone(actual));
  const differences: Difference[] = [];
  for (const file of expectedFiles) {
    if (!actualFiles.delete(file)) {
      differences.push({ file, kind: 'missing' });
      continue;
    }
    const [a, b] = [path.join(expected, file), path.join(actual, file)];
    if (!(await readFile(a)).equals(await readFile(b))) {
      differences.push({ file, kind: 'changed' });
    } else if ((await isExecutable(a)) !== (await isExecutable(b))) {
      differences.push({ file, kind: 'mode' });
    }
  }
  for (const file of actualFiles) differences.push({ file, kind: 'unexpected' });
  return differences.sort((x, y) => (x.file < y.file ? -1 : x.file > y.file ? 1 : 0));
}

async function listFilesOrNone(dir: string): Promise<string[]> {
  try {
    return await listFiles(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  return ((await stat(file)).mode & 0o111) !== 0;
}
