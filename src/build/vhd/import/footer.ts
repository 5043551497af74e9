/**
 * The fixed-VHD footer a streamed import ends with, field for field what
 * `qemu-img convert -O vpc -o subformat=fixed,force_size` writes followed by
 * `normaliseVhdFooter` (../vhd.ts), so a disk imported either way gives the same blob:
 *
 * cookie `conectix`; features 2; version 1.0; data offset all ones (fixed); time stamp 0
 * (normalised); creator `qem2` version 5.3 on `Wi2k` (qemu's marks for a force_size image);
 * original and current size the virtual size; geometry 65535/16/255 (qemu's with force_size);
 * disk type 2; checksum; unique ID from the seed (normalised); saved state 0.
 * (Field layout: Microsoft's "Virtual Hard Disk Image Format Specification", "Hard Disk Footer
 * Format".)
 */
import { createHash } from 'node:crypto';
import { VHD_FOOTER_SIZE } from '../vhd.js';
import { onesComplementChecksum } from './vhd.js';

export function fixedVhdFooter(virtualSize: number, seed: string): Buffer {
  const footer = Buffer.alloc(VHD_FOOTER_SIZE);
  footer.write('conectix', 0, 'latin1');
  footer.writeUInt32BE(2, 8);
  footer.writeUInt32BE(0x00010000, 12);
  footer.writeBigUInt64BE(0xffffffffffffffffn, 16);
  footer.writeUInt32BE(0, 24);
  footer.write('qem2', 28, 'latin1');
  footer.writeUInt32BE(0x00050003, 32);
  footer.write('Wi2k', 36, 'latin1');
  footer.writeBigUInt64BE(BigInt(virtualSize), 40);
  footer.writeBigUInt64BE(BigInt(virtualSize), 48);
  footer.writeUInt16BE(65535, 56);
  footer.writeUInt8(16, 58);
  footer.writeUInt8(255, 59);
  footer.writeUInt32BE(2, 60);
  const id = createHash('sha256').update(seed).digest().subarray(0, 16);
  id[6] = (id[6]! & 0x0f) | 0x40; // RFC 9562 version 4 layout, variant 10, as normaliseVhdFooter
  id[8] = (id[8]! & 0x3f) | 0x80;
  id.copy(footer, 68);
  footer.writeUInt32BE(onesComplementChecksum(footer, 64), 64);
  return footer;
}
