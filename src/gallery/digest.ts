import { createHash } from 'node:crypto';
import type { Logger } from '../common/logger.js';
import type { ImageSource } from './identifiers.js';

/** Azure tag values hold at most 256 characters. */
const TAG_VALUE_MAX = 256;

/** Reads the digest build-image stored on an uploaded VHD blob, if any: see {@link blobDigest}. */
export type BlobDigestReader = (uri: string) => Promise<string | undefined>;

/**
 * The digest in a VHD blob's metadata: build-image's content digest (`contentdigest`,
 * `content-v1:<hex>`, streamed disks) before the SHA-256 of the whole VHD (`sha256`).
 */
export function blobDigest(
  metadata: Readonly<Record<string, string>> | undefined,
): string | undefined {
  return metadata?.contentdigest ?? metadata?.sha256;
}

/**
 * The content digest recorded on a version (docs/design.md, "facts to honour"): the VHD's SHA-256 when known (given, or
 * recorded on the blob at upload), otherwise the source resource ID, which for a managed image or
 * a gallery version names content that cannot change under it.
 */
export async function sourceDigest(
  source: ImageSource,
  options: { sha256?: string; readBlobDigest?: BlobDigestReader; logger: Logger },
): Promise<string> {
  if (source.kind === 'vhd') {
    const sha =
      options.sha256 ??
      (await options.readBlobDigest?.(source.uri).catch((err: unknown) => {
        options.logger.warning(
          `Could not read the sha256 metadata of ${source.uri}: ${(err as Error).message}`,
        );
        return undefined;
      }));
    // build-image's content digest (src/build/vhd/import/content-digest.ts) is kept as it is.
    if (sha?.startsWith('content-v1:')) return sha.toLowerCase();
    if (sha) return `sha256:${sha.toLowerCase().replace(/^sha256:/, '')}`;
    options.logger.warning(
      `No SHA-256 is known for ${source.uri} (no 'source-sha256' input and no 'sha256' blob metadata); ` +
        'the blob URL stands in for its content, so a re-upload under the same name will not be noticed.',
    );
    return bounded(`source:${source.uri}`);
  }
  return bounded(`source:${source.id.toLowerCase()}`);
}

function bounded(value: string): string {
  return value.length <= TAG_VALUE_MAX
    ? value
    : `source-sha256:${createHash('sha256').update(value).digest('hex')}`;
}
