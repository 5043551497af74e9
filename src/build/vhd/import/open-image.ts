/**
 * Opens a disk image for the streaming import: detects its format, maps its extents and turns
 * what is wrong with it into an error naming the input, before anything is written anywhere.
 * Formats and variants the native readers do not handle come back as `fallback`: qemu-img's
 * business.
 */
import { InputError } from '../../../common/errors.js';
import { detectFormat } from './detect.js';
import type { DiskMap } from './disk-map.js';
import { RefusedImageError, UnsupportedVariantError } from './errors.js';
import { DiskFormatError, ImageFile } from './image-file.js';
import { mapQcow2 } from './qcow2.js';
import { mapRaw, type RawMapOptions } from './raw.js';
import { mapVhd } from './vhd.js';
import { mapVhdx } from './vhdx.js';
import { mapVmdk, refuseDescriptorFile } from './vmdk.js';

export type OpenedImage =
  | { readonly kind: 'native'; readonly file: ImageFile; readonly map: DiskMap }
  | { readonly kind: 'fallback'; readonly reason: string };

/**
 * @param input the action input naming the image (`source-disk`), for messages
 * @param location what the user gave (path or URL), for messages
 */
export async function openDiskImage(
  path: string,
  input: string,
  location: string,
  options: RawMapOptions = {},
): Promise<OpenedImage> {
  const file = await ImageFile.open(path);
  try {
    const detected = await detectFormat(file);
    if (detected.kind === 'other') {
      // What qemu-img would read as VDI, QED or Parallels is refused after the conversion anyway
      // (../disk.ts): say so now, without needing qemu-img to find out.
      throw new InputError(
        input,
        location,
        `It is a ${detected.name.toUpperCase()} image, which build-image does not take. ` +
          'Expected a qcow2, raw, VMDK, VHD or VHDX disk image.',
      );
    }
    if (detected.kind === 'descriptor') refuseDescriptorFile(detected.text);
    const map = await mapFormat(file, detected.format, options);
    return { kind: 'native', file, map };
  } catch (err) {
    await file.close();
    if (err instanceof UnsupportedVariantError) return { kind: 'fallback', reason: err.variant };
    if (err instanceof DiskFormatError) {
      throw new InputError(
        input,
        location,
        `It is not a readable disk image: ${err.message} Expected a qcow2, raw, VMDK, VHD or VHDX disk image.`,
      );
    }
    if (err instanceof RefusedImageError) throw new InputError(input, location, err.message);
    throw err;
  }
}

function mapFormat(
  file: ImageFile,
  format: 'raw' | 'qcow2' | 'vpc' | 'vhdx' | 'vmdk',
  options: RawMapOptions,
): Promise<DiskMap> {
  switch (format) {
    case 'raw':
      return mapRaw(file, file.size, 'raw', 'raw', options);
    case 'qcow2':
      return mapQcow2(file);
    case 'vpc':
      return mapVhd(file);
    case 'vhdx':
      return mapVhdx(file);
    case 'vmdk':
      return mapVmdk(file);
  }
}

/** Errors met while reading data (decompression): the same wording as mapping errors. */
export function explainReadError(err: unknown, input: string, location: string): unknown {
  if (err instanceof DiskFormatError) {
    return new InputError(input, location, `It is not a readable disk image: ${err.message}`);
  }
  return err;
}
