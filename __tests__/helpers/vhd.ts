import { BlobServiceClient } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';

const MiB = 1024 * 1024;

/** A 512-byte VHD footer as the spec lays it out (big-endian, one's-complement checksum). */
export function vhdFooter(
  virtualSize: number,
  options: { diskType?: number; cookie?: string } = {},
): Buffer {
  const f = Buffer.alloc(512);
  f.write(options.cookie ?? 'conectix', 0, 'latin1');
  f.writeUInt32BE(2, 8); // features: reserved bit set
  f.writeUInt32BE(0x00010000, 12); // format version 1.0
  f.writeBigUInt64BE(
    options.diskType === 2 || options.diskType === undefined ? 0xffffffffffffffffn : 512n,
    16,
  );
  f.writeUInt32BE(0, 24);
  f.write('qemu', 28, 'latin1');
  f.writeUInt32BE(0x00050003, 32);
  f.write('Wi2k', 36, 'latin1');
  f.writeBigUInt64BE(BigInt(virtualSize), 40);
  f.writeBigUInt64BE(BigInt(virtualSize), 48);
  f.writeUInt32BE(0, 56);
  f.writeUInt32BE(options.diskType ?? 2, 60);
  let sum = 0;
  for (const byte of f) sum += byte;
  f.writeUInt32BE(~sum >>> 0, 64);
  return f;
}

/**
 * Uploads `virtualSize` bytes of disk (a marker at the start) plus a footer as a page blob, the
 * way build-image will, and returns its URL. Options make the broken variants Azure refuses.
 */
export async function uploadVhd(
  blobEndpoint: string,
  account: string,
  credential: TokenCredential,
  name: string,
  options: {
    virtualSize?: number;
    diskType?: number;
    cookie?: string;
    blockBlob?: boolean;
    pad?: number;
  } = {},
): Promise<string> {
  const virtualSize = options.virtualSize ?? 2 * MiB;
  const footer = vhdFooter(virtualSize, options);
  const service = new BlobServiceClient(`${blobEndpoint}/${account}`, credential);
  const container = service.getContainerClient('vhds');
  await container.createIfNotExists();
  if (options.blockBlob) {
    const blob = container.getBlockBlobClient(name);
    await blob.upload(Buffer.concat([Buffer.alloc(virtualSize), footer]), virtualSize + 512);
    return blob.url;
  }
  const total = virtualSize + 512 + (options.pad ?? 0);
  const blob = container.getPageBlobClient(name);
  await blob.create(total);
  const marker = Buffer.alloc(512, 0x41);
  await blob.uploadPages(marker, 0, 512);
  await blob.uploadPages(footer, total - 512, 512);
  return blob.url;
}
