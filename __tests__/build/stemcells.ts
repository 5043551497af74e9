/** BOSH stemcell tarballs for tests, made with the real tar and qemu-img. */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../src/common/exec.js';
import { makeDisk, type DataRange } from './disks.js';

export const STEMCELL_MF = readFileSync(
  new URL('../fixtures/build/stemcell.MF', import.meta.url),
  'utf8',
);

async function tar(args: string[]): Promise<void> {
  const result = await runCommand('tar', args);
  if (result.code !== 0) throw new Error(`tar ${args.join(' ')}: ${result.stderr}`);
}

export interface StemcellOptions {
  /** stemcell.MF text; the fixture by default; null for a tarball without one. */
  manifest?: string | null;
  /** What `image` holds: a fixed VHD (default), a dynamic one, nothing, or a symlink. */
  image?: 'fixed' | 'dynamic' | 'empty' | 'none' | 'symlink';
  size?: number;
  ranges?: readonly DataRange[];
}

/** Writes `<dir>/<name>.tgz` laid out as bosh-linux-stemcell-builder does; returns its path. */
export async function makeStemcell(dir: string, name: string, options: StemcellOptions = {}) {
  const root = join(dir, `${name}-parts`);
  const inner = join(root, 'inner');
  mkdirSync(inner, { recursive: true });
  const size = options.size ?? 8 * 1024 * 1024;
  const ranges = options.ranges ?? [{ offset: 0, length: 65536 }];
  const kind = options.image ?? 'fixed';
  if (kind === 'fixed' || kind === 'dynamic') {
    await makeDisk(join(inner, 'root.vhd'), 'vpc', size, ranges, [
      `subformat=${kind}`,
      ...(kind === 'fixed' ? ['force_size'] : []),
    ]);
    await tar(['-czSf', join(root, 'image'), '-C', inner, 'root.vhd']);
  } else if (kind === 'symlink') {
    symlinkSync('/etc/hostname', join(inner, 'root.vhd'));
    await tar(['-czf', join(root, 'image'), '-C', inner, 'root.vhd']);
  } else if (kind === 'empty') {
    writeFileSync(join(root, 'image'), '');
  }
  const withManifest = options.manifest !== null;
  if (withManifest) writeFileSync(join(root, 'stemcell.MF'), options.manifest ?? STEMCELL_MF);
  const members = [...(withManifest ? ['stemcell.MF'] : []), ...(kind !== 'none' ? ['image'] : [])];
  writeFileSync(join(root, 'packages.txt'), 'ii  openssl 3.0.2\n');
  const tarball = join(dir, `${name}.tgz`);
  await tar(['-czf', tarball, '-C', root, ...members, 'packages.txt']);
  return { tarball, vhd: join(inner, 'root.vhd'), raw: `${join(inner, 'root.vhd')}.src.raw` };
}
