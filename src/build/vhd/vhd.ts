/**
 * The VHD footer, and the one kind of VHD Azure accepts as an image source: a *fixed* VHD whose
 * virtual size is a whole number of MiB, stored as that many bytes followed by the 512-byte
 * footer (Microsoft's "Virtual Hard Disk Image Format Specification", and the Azure docs on
 * uploading a VHD).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const MiB = 1024 * 1024;
export const VHD_FOOTER_SIZE = 512;

/** Disk types of the footer's field at offset 60. */
export const VHD_DISK_TYPES: Readonly<Record<number, string>> = {
  2: 'fixed',
  3: 'dynamic',
  4: 'differencing',
};

export interface VhdFooter {
  /** `conectix` in a VHD. */
  readonly cookie: string;
  /** 2 fixed, 3 dynamic, 4 differencing. */
  readonly diskType: number;
  /** The virtual size the disk has now (offset 48). */
  readonly currentSize: number;
  /** Whether the one's-complement checksum at offset 64 matches. */
  readonly checksumValid: boolean;
}

/** Reads the fields of a 512-byte footer; says nothing about whether they are acceptable. */
export function parseVhdFooter(footer: Buffer): VhdFooter {
  if (footer.length !== VHD_FOOTER_SIZE) {
    throw new Error(`A VHD footer is ${VHD_FOOTER_SIZE} bytes, not ${footer.length}.`);
  }
  let sum = 0;
  for (let i = 0; i < VHD_FOOTER_SIZE; i++) if (i < 64 || i >= 68) sum += footer[i]!;
  return {
    cookie: footer.toString('latin1', 0, 8),
    diskType: footer.readUInt32BE(60),
    currentSize: Number(footer.readBigUInt64BE(48)),
    checksumValid: ~sum >>> 0 === footer.readUInt32BE(64),
  };
}

/** What is wrong with `footer` for a file of `fileSize` bytes as an Azure image, or undefined. */
export function fixedVhdProblem(footer: VhdFooter, fileSize: number): string | undefined {
  if (footer.cookie !== 'conectix') {
    return `its last 512 bytes are no VHD footer (cookie '${printable(footer.cookie)}', expected 'conectix')`;
  }
  if (!footer.checksumValid) return 'its VHD footer checksum is wrong';
  if (footer.diskType !== 2) {
    const kind = VHD_DISK_TYPES[footer.diskType] ?? `type ${footer.diskType}`;
    return `it is a ${kind} VHD; Azure takes fixed VHDs only`;
  }
  if (footer.currentSize % MiB !== 0) {
    return `its virtual size of ${footer.currentSize} bytes is not a whole number of MiB`;
  }
  if (fileSize !== footer.currentSize + VHD_FOOTER_SIZE) {
    return (
      `it is ${fileSize} bytes long, but a fixed VHD of ${footer.currentSize} bytes ` +
      `is ${footer.currentSize + VHD_FOOTER_SIZE} (the disk and a 512-byte footer)`
    );
  }
  return undefined;
}

export interface FixedVhdCheck {
  /** Bytes in the file: virtual size + 512. */
  readonly fileSize: number;
  readonly footer?: VhdFooter;
  /** Why Azure would refuse the file, or undefined when it is a fixed, aligned VHD. */
  readonly problem?: string;
}

/** Reads the last 512 bytes of `path` and checks them as {@link fixedVhdProblem} does. */
export async function checkFixedVhd(path: string): Promise<FixedVhdCheck> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size < VHD_FOOTER_SIZE + MiB) {
      return { fileSize: size, problem: `it is only ${size} bytes long` };
    }
    const tail = Buffer.alloc(VHD_FOOTER_SIZE);
    await file.read(tail, 0, VHD_FOOTER_SIZE, size - VHD_FOOTER_SIZE);
    const footer = parseVhdFooter(tail);
    const problem = fixedVhdProblem(footer, size);
    return { fileSize: size, footer, ...(problem ? { problem } : {}) };
  } finally {
    await file.close();
  }
}

/**
 * Makes a VHD we converted a function of its content and `seed` alone. qemu-img stamps the
 * footer with the time of conversion and a random unique ID, so converting the same disk twice
 * gave two SHA-256s, and a re-run could never recognise its own upload. The time becomes 0
 * (2000-01-01, the format's epoch) and the ID a UUID derived from `seed` (the image's name and
 * version): Hyper-V tells disks apart by that ID, and different images keep different ones.
 */
export async function normaliseVhdFooter(path: string, seed: string): Promise<void> {
  const file = await open(path, 'r+');
  try {
    const { size } = await file.stat();
    const footer = Buffer.alloc(VHD_FOOTER_SIZE);
    await file.read(footer, 0, VHD_FOOTER_SIZE, size - VHD_FOOTER_SIZE);
    if (footer.toString('latin1', 0, 8) !== 'conectix') {
      throw new Error(`${path} has no VHD footer to normalise.`);
    }
    footer.writeUInt32BE(0, 24);
    const id = createHash('sha256').update(seed).digest().subarray(0, 16);
    id[6] = (id[6]! & 0x0f) | 0x40; // RFC 9562 version 4 layout, variant 10
    id[8] = (id[8]! & 0x3f) | 0x80;
    id.copy(footer, 68);
    footer.writeUInt32BE(0, 64);
    let sum = 0;
    for (const byte of footer) sum += byte;
    footer.writeUInt32BE(~sum >>> 0, 64);
    await file.write(footer, 0, VHD_FOOTER_SIZE, size - VHD_FOOTER_SIZE);
  } finally {
    await file.close();
  }
}

/** `size` rounded up to a whole number of MiB. */
export function roundUpToMiB(size: number): number {
  return Math.ceil(size / MiB) * MiB;
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '.');
}
