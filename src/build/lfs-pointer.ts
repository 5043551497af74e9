/**
 * A disk image kept in Git LFS and checked out without LFS is a small text "pointer" file, not
 * the image: the build would then fail later with a checksum or sector-size error that does not
 * say why. Facts from the Git LFS pointer format (git-lfs/git-lfs, docs/spec.md): a pointer is
 * UTF-8 text under 1024 bytes whose first line is `version https://git-lfs.github.com/spec/v1`
 * (older clients wrote `version https://hawser.github.com/spec/v1`), with `oid sha256:<hex>` and
 * `size <bytes>` lines.
 */
import { open } from 'node:fs/promises';
import { InputError } from '../common/errors.js';

/** Pointer files are smaller than this. */
export const LFS_POINTER_MAX_BYTES = 1024;

export interface LfsPointer {
  oid: string;
  size: number;
}

/** The pointer a text holds, or undefined when it is not a Git LFS pointer. */
export function parseLfsPointer(text: string): LfsPointer | undefined {
  const lines = text.split('\n');
  if (!/^version https:\/\/(git-lfs|hawser)\.github\.com\/spec\/v1$/.test(lines[0] ?? '')) {
    return undefined;
  }
  const oid = /^oid (sha256:[0-9a-f]{64})$/m.exec(text)?.[1];
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return oid && size ? { oid, size: Number(size) } : undefined;
}

/** Throws an InputError naming `input` when the file at `path` is a Git LFS pointer. */
export async function refuseLfsPointer(
  input: string,
  location: string,
  path: string,
  size: number,
): Promise<void> {
  if (size >= LFS_POINTER_MAX_BYTES) return;
  const file = await open(path, 'r');
  let text: string;
  try {
    const buffer = Buffer.alloc(size);
    await file.read(buffer, 0, size, 0);
    text = buffer.toString('utf8');
  } finally {
    await file.close();
  }
  const pointer = parseLfsPointer(text);
  if (!pointer) return;
  throw new InputError(
    input,
    location,
    `This is a Git LFS pointer (${pointer.oid}, ${pointer.size} bytes), not the disk image: ` +
      'the repository was checked out without Git LFS. Call image.yml with `lfs: true` ' +
      '(or check out with actions/checkout `lfs: true`).',
  );
}
