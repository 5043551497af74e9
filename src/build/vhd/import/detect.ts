/**
 * Which reader an image needs, from its magic numbers (the specifications cited in each reader;
 * VDI's and QED's from qemu's block drivers' probe notes), without trusting the file name.
 */
import { QCOW2_MAGIC } from './qcow2.js';
import type { ImageFile } from './image-file.js';
import { VMDK_MAGIC } from './vmdk.js';

export type DetectedFormat =
  | { readonly kind: 'native'; readonly format: 'raw' | 'qcow2' | 'vpc' | 'vhdx' | 'vmdk' }
  /** A VMDK text descriptor: it always names other files. */
  | { readonly kind: 'descriptor'; readonly text: string }
  /** A format only qemu-img reads (VDI, QED, qcow v1, ...). */
  | { readonly kind: 'other'; readonly name: string };

export async function detectFormat(file: ImageFile): Promise<DetectedFormat> {
  const head = await file.read(0, Math.min(file.size, 512), 'The first sector');
  const word = head.length >= 4 ? head.readUInt32BE(0) : 0;
  if (word === QCOW2_MAGIC) return { kind: 'native', format: 'qcow2' };
  if (head.length >= 4 && head.readUInt32LE(0) === VMDK_MAGIC)
    return { kind: 'native', format: 'vmdk' };
  if (head.toString('latin1', 0, 8) === 'vhdxfile') return { kind: 'native', format: 'vhdx' };
  if (head.toString('latin1', 0, 8) === 'conectix') return { kind: 'native', format: 'vpc' };
  if (head.toString('latin1', 0, 21) === '# Disk DescriptorFile') {
    return {
      kind: 'descriptor',
      text: (await file.read(0, Math.min(file.size, 64 * 1024), 'The descriptor')).toString(
        'latin1',
      ),
    };
  }
  if (head.toString('latin1', 0, 4) === 'QED\0') return { kind: 'other', name: 'qed' };
  if (head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f)
    return { kind: 'other', name: 'vdi' };
  if (
    head.toString('latin1', 0, 16) === 'WithoutFreeSpace' ||
    head.toString('latin1', 0, 16) === 'WithouFreSpacExt'
  ) {
    return { kind: 'other', name: 'parallels' };
  }
  if (file.size >= 1024) {
    const tail = await file.read(file.size - 512, 512, 'The last sector');
    if (tail.toString('latin1', 0, 8) === 'conectix') return { kind: 'native', format: 'vpc' };
  }
  return { kind: 'native', format: 'raw' };
}
