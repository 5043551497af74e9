import type { BlobFacts } from './blob.js';

const MiB = 1024 * 1024;
const DISK_TYPES: Record<number, string> = { 2: 'fixed', 3: 'dynamic', 4: 'differencing' };

/** Why Azure would refuse this blob as a VHD source, or undefined when it is acceptable. */
export function vhdProblem(
  uri: string,
  facts: BlobFacts,
): { code: string; message: string } | undefined {
  if (!facts.exists) {
    return { code: 'InvalidParameter', message: `The source blob '${uri}' does not exist.` };
  }
  if (facts.blobType !== 'PageBlob') {
    return {
      code: 'InvalidParameter',
      message: `The source blob '${uri}' is a ${facts.blobType || 'non-page'} blob. Only page blobs are supported as VHD sources.`,
    };
  }
  const tail = facts.tail ?? Buffer.alloc(0);
  if (tail.length < 512 || tail.subarray(0, 8).toString('latin1') !== 'conectix') {
    return {
      code: 'InvalidVhd',
      message: `The specified cookie value in VHD footer indicates that disk with blob ${uri} is not a supported VHD. Disk is expected to have cookie value 'conectix'.`,
    };
  }
  const diskType = tail.readUInt32BE(60);
  if (diskType !== 2) {
    return {
      code: 'InvalidVhd',
      message: `The VHD ${uri} is a ${DISK_TYPES[diskType] ?? `type-${diskType}`} VHD. Only fixed VHDs are supported; convert it with 'qemu-img convert -O vpc -o subformat=fixed,force_size'.`,
    };
  }
  const virtualSize = Number(tail.readBigUInt64BE(48));
  if (virtualSize % MiB !== 0) {
    return {
      code: 'InvalidVhd',
      message: `The VHD ${uri} has an unsupported virtual size of ${virtualSize} bytes. The size must be a whole number (in MBs).`,
    };
  }
  if (facts.length !== virtualSize + 512) {
    return {
      code: 'InvalidVhd',
      message: `The VHD ${uri} is ${facts.length} bytes long but its footer declares a virtual size of ${virtualSize} bytes; a fixed VHD is the virtual size plus a 512-byte footer.`,
    };
  }
  return undefined;
}
