/**
 * Why an image is not imported natively, besides corruption ({@link DiskFormatError}).
 */

/** The image reads other files or needs secrets (backing files, extents elsewhere, encryption). */
export class RefusedImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedImageError';
  }
}

/** A variant our readers do not handle (qcow v1, subclusters...): qemu-img may read it. */
export class UnsupportedVariantError extends Error {
  constructor(readonly variant: string) {
    super(`${variant} is not read natively`);
    this.name = 'UnsupportedVariantError';
  }
}
