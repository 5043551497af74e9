/**
 * A small qcow2 (version 3, 64 KiB clusters) written in Node, so the demo needs no qemu-img to
 * make its disk. Layout after qemu's docs/interop/qcow2.txt: header (cluster 0), refcount table
 * (1), one refcount block of 16-bit counts (2), the L1 table (3), L2 tables, then the data
 * clusters that are not all zeros, each counted once. Enough for disks up to a few GiB.
 */
const CLUSTER = 64 * 1024;
const COPIED = 1n << 63n;

export function writeQcow2(disk: Buffer): Buffer {
  const clusters = Math.ceil(disk.length / CLUSTER);
  const zero = Buffer.alloc(CLUSTER);
  const data: number[] = [];
  for (let i = 0; i < clusters; i++) {
    const chunk = Buffer.alloc(CLUSTER);
    disk.copy(chunk, 0, i * CLUSTER, Math.min(disk.length, (i + 1) * CLUSTER));
    if (!chunk.equals(zero)) data.push(i);
  }
  const perL2 = CLUSTER / 8;
  const l1Size = Math.max(1, Math.ceil(clusters / perL2));
  const l2Tables = [...new Set(data.map((i) => Math.floor(i / perL2)))];
  const first = 4 + l2Tables.length; // first data cluster
  const total = first + data.length;
  if (total > CLUSTER / 2 || l1Size * 8 > CLUSTER)
    throw new Error('disk too large for this writer');
  const out = Buffer.alloc(total * CLUSTER);
  out.writeUInt32BE(0x514649fb, 0);
  out.writeUInt32BE(3, 4);
  out.writeUInt32BE(16, 20);
  out.writeBigUInt64BE(BigInt(disk.length), 24);
  out.writeUInt32BE(l1Size, 36);
  out.writeBigUInt64BE(BigInt(3 * CLUSTER), 40);
  out.writeBigUInt64BE(BigInt(CLUSTER), 48);
  out.writeUInt32BE(1, 56);
  out.writeUInt32BE(4, 96); // refcount_order: 16-bit counts
  out.writeUInt32BE(104, 100); // header_length; an end-of-extensions marker (zeros) follows
  out.writeBigUInt64BE(BigInt(2 * CLUSTER), CLUSTER); // refcount table → block
  for (let c = 0; c < total; c++) out.writeUInt16BE(1, 2 * CLUSTER + c * 2);
  l2Tables.forEach((t, k) => {
    out.writeBigUInt64BE(BigInt((4 + k) * CLUSTER) | COPIED, 3 * CLUSTER + t * 8);
  });
  data.forEach((i, k) => {
    const l2 = 4 + l2Tables.indexOf(Math.floor(i / perL2));
    const at = (first + k) * CLUSTER;
    out.writeBigUInt64BE(BigInt(at) | COPIED, l2 * CLUSTER + (i % perL2) * 8);
    disk.copy(out, at, i * CLUSTER, Math.min(disk.length, (i + 1) * CLUSTER));
  });
  return out;
}
