import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Fetch, parseChecksum, resolveSource } from '../../src/build/source.js';
import { InputError } from '../../src/common/errors.js';
import { RecordingLogger } from '../../src/common/logger.js';

let work: string;
const content = Buffer.from('a disk image, or so we say'.repeat(1000));
const sha256 = createHash('sha256').update(content).digest('hex');
const sha512 = createHash('sha512').update(content).digest('hex');

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-source-'));
  writeFileSync(join(work, 'disk.img'), content);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const options = (extra: Partial<Parameters<typeof resolveSource>[1]> = {}) => ({
  input: 'source-disk',
  checksumInput: 'source-checksum',
  workDir: work,
  logger: new RecordingLogger(),
  ...extra,
});

/** A fetch serving `body` with `status`, and the URLs it was asked for. */
function fakeFetch(body: Buffer, status = 200, headers: Record<string, string> = {}) {
  const urls: string[] = [];
  const fetch: Fetch = async (url) => {
    urls.push(url);
    return new Response(status === 200 ? new Uint8Array(body) : 'no', {
      status,
      headers: { 'content-length': String(body.length), ...headers },
    });
  };
  return { fetch, urls };
}

async function inputError(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('parseChecksum', () => {
  it('takes sha256 and sha512 in either case', () => {
    expect(parseChecksum('c', `SHA256:${sha256.toUpperCase()}`)).toEqual({
      algorithm: 'sha256',
      hex: sha256,
    });
    expect(parseChecksum('c', `sha512:${sha512}`)).toEqual({ algorithm: 'sha512', hex: sha512 });
  });
  it.each(['md5:abc', `sha256:${sha512}`, sha256, 'sha512:xyz'])('refuses %s', (value) => {
    expect(() => parseChecksum('source-checksum', value)).toThrow(
      /Invalid input 'source-checksum'/,
    );
  });
});

describe('resolveSource', () => {
  it('takes a readable path and verifies its checksum', async () => {
    const source = await resolveSource(
      join(work, 'disk.img'),
      options({ checksum: { algorithm: 'sha512', hex: sha512 } }),
    );
    expect(source).toMatchObject({ kind: 'path', size: content.length, temporary: false });
  });

  it('refuses a path whose checksum does not match, naming source-checksum', async () => {
    const error = await inputError(
      resolveSource(
        join(work, 'disk.img'),
        options({ checksum: { algorithm: 'sha256', hex: '0'.repeat(64) } }),
      ),
    );
    expect(error.input).toBe('source-checksum');
    expect(error.message).toContain(`whose sha256 is ${sha256}`);
  });

  it('refuses a missing file, a directory and an empty file', async () => {
    expect((await inputError(resolveSource(join(work, 'nope.img'), options()))).message).toContain(
      'No file exists',
    );
    expect((await inputError(resolveSource(work, options()))).message).toContain(
      'not a regular file',
    );
    writeFileSync(join(work, 'empty.img'), '');
    expect((await inputError(resolveSource(join(work, 'empty.img'), options()))).message).toContain(
      'empty',
    );
  });

  it('downloads an https URL, checking the checksum on the way', async () => {
    const { fetch, urls } = fakeFetch(content);
    const source = await resolveSource(
      'https://images.example.com/capi/ubuntu-2404.qcow2',
      options({ fetch, checksum: { algorithm: 'sha256', hex: sha256 } }),
    );
    expect(urls).toEqual(['https://images.example.com/capi/ubuntu-2404.qcow2']);
    expect(source).toMatchObject({ kind: 'url', temporary: true, size: content.length });
    expect(readFileSync(source.path).equals(content)).toBe(true);
  });

  it('refuses a download whose checksum does not match', async () => {
    const { fetch } = fakeFetch(Buffer.concat([content, Buffer.from('x')]));
    const error = await inputError(
      resolveSource(
        'https://images.example.com/a.qcow2',
        options({ fetch, checksum: { algorithm: 'sha512', hex: sha512 } }),
      ),
    );
    expect(error.input).toBe('source-checksum');
  });

  it('needs a checksum for a URL, refuses http and says what a 404 means', async () => {
    const { fetch, urls } = fakeFetch(content);
    expect(
      (await inputError(resolveSource('https://images.example.com/a.qcow2', options({ fetch }))))
        .input,
    ).toBe('source-checksum');
    expect(
      (await inputError(resolveSource('http://images.example.com/a.qcow2', options({ fetch }))))
        .input,
    ).toBe('source-disk');
    expect(urls).toEqual([]);
    const missing = fakeFetch(content, 404);
    const error = await inputError(
      resolveSource(
        'https://images.example.com/gone.qcow2',
        options({ fetch: missing.fetch, checksum: { algorithm: 'sha256', hex: sha256 } }),
      ),
    );
    expect(error.message).toContain('HTTP 404');
    expect(existsSync(join(work, 'download-gone.qcow2'))).toBe(false);
  });

  it('fails when the download stops short of its content-length', async () => {
    const { fetch } = fakeFetch(content, 200, { 'content-length': String(content.length + 10) });
    await expect(
      resolveSource(
        'https://images.example.com/short.qcow2',
        options({ fetch, checksum: { algorithm: 'sha256', hex: sha256 } }),
      ),
    ).rejects.toThrow(/stopped after|terminated|content-length/i);
  });
});
