/**
 * The disk (or stemcell) a build imports: a local path, or an https URL downloaded and checked
 * against `source-checksum` as azimuth manifests carry it (`sha256:<hex>` or `sha512:<hex>`).
 * Everything here fails with an InputError naming `source-disk` or `source-checksum` before
 * anything is uploaded.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, open, rm, stat } from 'node:fs/promises';
import { refuseLfsPointer } from './lfs-pointer.js';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { redactCredentials } from '../common/redact.js';
import { parseUrlInput, type UrlInput } from '../common/url-input.js';
import { formatBytes, formatDuration } from './progress.js';

export const CHECKSUM_ALGORITHMS = ['sha256', 'sha512'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Checksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Lower-case hex digits. */
  readonly hex: string;
}

const HEX_LENGTH: Readonly<Record<ChecksumAlgorithm, number>> = { sha256: 64, sha512: 128 };

/** `sha256:<64 hex>` or `sha512:<128 hex>`, the algorithm in any case. */
export function parseChecksum(input: string, value: string): Checksum {
  const match = /^(sha256|sha512):([0-9a-f]+)$/i.exec(value);
  const algorithm = match?.[1]?.toLowerCase() as ChecksumAlgorithm | undefined;
  if (!match || !algorithm || match[2]!.length !== HEX_LENGTH[algorithm]) {
    throw new InputError(
      input,
      value,
      'Expected sha256:<64 hexadecimal digits> or sha512:<128 hexadecimal digits>.',
    );
  }
  return { algorithm, hex: match[2]!.toLowerCase() };
}

export function formatChecksum(checksum: Checksum): string {
  return `${checksum.algorithm}:${checksum.hex}`;
}

/** Where a source came from and what is known of its content. */
export interface SourceFile {
  /** The local file to read: the given path, or the download. */
  readonly path: string;
  /** The input as the user gave it. */
  readonly location: string;
  readonly kind: 'path' | 'url';
  readonly size: number;
  /** `source-checksum`, verified; undefined when none was given. */
  readonly checksum?: Checksum;
  /** Whether `path` is ours to delete (a download). */
  readonly temporary: boolean;
}

/** A fetch as the platform has it; tests pass their own. */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export interface ResolveSourceOptions {
  /** Name of the input holding `location`, for messages: `source-disk`. */
  readonly input: string;
  readonly checksum?: Checksum;
  /** Name of the checksum input: `source-checksum`. */
  readonly checksumInput: string;
  /** Where a download goes. */
  readonly workDir: string;
  readonly logger: Logger;
  readonly fetch?: Fetch;
  /** Milliseconds between progress lines while downloading. */
  readonly progressIntervalMs?: number;
}

/**
 * Makes `location` a readable local file with a verified checksum. An https URL needs a
 * checksum: whatever it serves becomes an image that clusters boot, so it is pinned.
 */
export async function resolveSource(
  location: string,
  options: ResolveSourceOptions,
): Promise<SourceFile> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    // A SAS token is how such a URL is usually shared: accepted, masked, never shown.
    const url = parseUrlInput(options.input, location, {
      query: 'sas',
      expected:
        'Expected a local path or an https:// URL; plain http and other schemes are refused.',
    });
    return download(url, options);
  }
  const path = resolve(location);
  const size = await readableFileSize(options.input, location, path);
  await refuseLfsPointer(options.input, location, path, size);
  const checksum = options.checksum;
  if (checksum) {
    options.logger.info(`Verifying the ${checksum.algorithm} of ${location}.`);
    await verify(path, checksum, options);
  }
  return {
    path,
    location,
    kind: 'path',
    size,
    ...(checksum ? { checksum } : {}),
    temporary: false,
  };
}

async function readableFileSize(input: string, location: string, path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
    await access(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'No file exists at that path.'
        : code === 'EACCES'
          ? 'The file exists but cannot be read (permission denied).'
          : `The file cannot be read (${code ?? (err as Error).message}).`;
    throw new InputError(input, location, `${why} Expected a readable disk image file.`);
  }
  if (!info.isFile()) {
    throw new InputError(input, location, 'It is not a regular file. Expected a disk image file.');
  }
  if (info.size === 0) throw new InputError(input, location, 'The file is empty.');
  return info.size;
}

async function verify(path: string, expected: Checksum, options: ResolveSourceOptions) {
  const hash = createHash(expected.algorithm);
  await pipeline(createReadStream(path, { highWaterMark: 4 * 1024 * 1024 }), hash);
  checkDigest(hash.digest('hex'), expected, options);
}

function checkDigest(actual: string, expected: Checksum, options: ResolveSourceOptions): void {
  if (actual !== expected.hex) {
    throw new InputError(
      options.checksumInput,
      formatChecksum(expected),
      `It does not match the ${options.input} file, whose ${expected.algorithm} is ${actual}. ` +
        'Nothing was uploaded.',
    );
  }
}

async function download(source: UrlInput, options: ResolveSourceOptions): Promise<SourceFile> {
  const { href, display: url } = source;
  const checksum = options.checksum;
  if (!checksum) {
    throw new InputError(
      options.checksumInput,
      '',
      `Required when ${options.input} is a URL: sha256:<hex> or sha512:<hex> of the file, ` +
        'so that what is downloaded is what you meant.',
    );
  }
  const fetchImpl = options.fetch ?? (globalThis.fetch as Fetch);
  const name = basename(new URL(href).pathname) || 'download';
  const path = join(options.workDir, `download-${name}`);
  options.logger.info(`Downloading ${url}.`);
  let response: Response;
  try {
    response = await fetchImpl(href);
  } catch (err) {
    const reason = redactCredentials((err as Error).message);
    throw new Error(`Downloading ${options.input} ${url} failed: ${reason}`, {
      cause: err,
    });
  }
  if (!response.ok || !response.body) {
    const status = `${response.status} ${response.statusText}`.trim();
    const message = `The download answered HTTP ${status}. Expected a URL that serves the file.`;
    if (response.status >= 400 && response.status < 500) {
      throw new InputError(options.input, url, message);
    }
    throw new Error(`Downloading ${options.input} ${url}: ${message}`);
  }
  try {
    const received = await save(response, url, path, checksum, options);
    if (received === 0) throw new InputError(options.input, url, 'The download is empty.');
    return { path, location: url, kind: 'url', size: received, checksum, temporary: true };
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}

/** Streams the response to `path`, hashing on the way; returns the bytes received. */
async function save(
  response: Response,
  url: string,
  path: string,
  checksum: Checksum,
  options: ResolveSourceOptions,
): Promise<number> {
  // With a content-encoding, the length is that of the encoded body, not of the file.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const total = encoded ? Number.NaN : Number(response.headers.get('content-length') ?? Number.NaN);
  const hash = createHash(checksum.algorithm);
  let received = 0;
  const started = Date.now();
  let lastReport = started;
  const interval = options.progressIntervalMs ?? 10_000;
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    received += chunk.length;
    const now = Date.now();
    if (now - lastReport >= interval) {
      lastReport = now;
      const of = Number.isFinite(total) ? ` of ${formatBytes(total)}` : '';
      options.logger.info(`Downloaded ${formatBytes(received)}${of}.`);
    }
  });
  await pipeline(body, createWriteStream(path));
  if (Number.isFinite(total) && received !== total) {
    throw new Error(
      `Downloading ${url} stopped after ${received} of ${total} bytes; run the build again.`,
    );
  }
  options.logger.info(
    `Downloaded ${formatBytes(received)} in ${formatDuration(Date.now() - started)}.`,
  );
  checkDigest(hash.digest('hex'), checksum, options);
  options.logger.info(
    `The ${checksum.algorithm} of the download matches ${options.checksumInput}.`,
  );
  return received;
}

/** Compressed files qemu-img would take for raw disks; say what they are instead. */
const COMPRESSED_MAGIC: readonly [string, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]],
];

/** The compression `path` starts with, if any. */
export async function compressionOf(path: string): Promise<string | undefined> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    await file.read(head, 0, head.length, 0);
    return COMPRESSED_MAGIC.find(([, magic]) => magic.every((b, i) => head[i] === b))?.[0];
  } finally {
    await file.close();
  }
}
