/** Issue 13 items 1 and 3: every URL input goes through one parser that refuses or masks. */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { InputError } from '../../src/common/errors.js';
import { setSecretMasker } from '../../src/common/secrets.js';
import { maskCredentialsIn, parseUrlInput } from '../../src/common/url-input.js';

let masked: string[] = [];
const restore = setSecretMasker((s) => masked.push(s));
afterEach(() => {
  masked = [];
});
afterAll(() => {
  setSecretMasker(restore);
});

const refusal = (name: string, value: string, query: 'none' | 'sas' | 'public' = 'none') => {
  try {
    parseUrlInput(name, value, { query, expected: 'Expected an https URL.' });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error(`${value} was accepted`);
};

describe('parseUrlInput', () => {
  it.each([
    ['user:password@', 'https://admin:pa55word@example.com/', 'pa55word'],
    ['a token as user', 'https://tok3n-secret@example.com/', 'tok3n-secret'],
    ['percent-encoded user info', 'https://us%3Aer:p%40ss-secret@example.com', 'p%40ss-secret'],
    ['a signature in the fragment', 'https://h/x.vhd#sig=frag-secret', 'frag-secret'],
    ['a second URL', 'https://h/a?sig=two-secret https://h/b', 'two-secret'],
  ])('refuses %s, masked and redacted', (_what, value, secret) => {
    const message = refusal('publisher-uri', value, 'public');
    expect(message).toMatch(/^Invalid input 'publisher-uri'/);
    expect(message).not.toContain(secret);
    expect(masked.some((m) => m.includes(secret))).toBe(true);
  });

  it('refuses a line break, so nothing after it is read as a command', () => {
    expect(refusal('arm-endpoint', 'https://h\n::error::x')).toContain('\\n::error::x');
  });

  it('refuses a query where none belongs and plain http', () => {
    expect(refusal('arm-endpoint', 'https://h/?a=1')).toMatch(/Expected no \?query/);
    expect(refusal('arm-endpoint', 'http://h')).toMatch(/Expected an https URL/);
  });

  it('refuses a secret in a public query', () => {
    expect(refusal('publisher-uri', 'https://h/?sig=pub-secret', 'public')).toMatch(
      /Expected no secret in the query \(sig\)/,
    );
  });

  it('keeps a SAS where one is expected, masked, and displays it redacted', () => {
    const url = parseUrlInput('source-disk', 'https://h/d.qcow2?sv=2024&sig=sas-secret', {
      query: 'sas',
      expected: '',
    });
    expect(url.href).toBe('https://h/d.qcow2?sv=2024&sig=sas-secret');
    expect(url.display).toBe('https://h/d.qcow2?<redacted>');
    expect(masked).toEqual(expect.arrayContaining(['sas-secret', 'sv=2024&sig=sas-secret']));
  });

  it('accepts a plain URL and masks nothing', () => {
    expect(
      parseUrlInput('arm-endpoint', 'https://management.azure.com', { query: 'none', expected: '' })
        .href,
    ).toBe('https://management.azure.com/');
    expect(masked).toEqual([]);
  });
});

describe('maskCredentialsIn', () => {
  it('masks the credentials of every URL in free text', () => {
    maskCredentialsIn('EULA at https://u:eula-secret@h/e and 1https://v:w-secret@h2, done');
    expect(masked).toEqual(expect.arrayContaining(['eula-secret', 'w-secret']));
  });

  it('takes linear time on 100 KB without a URL', () => {
    const started = performance.now();
    maskCredentialsIn('x'.repeat(100 * 1024));
    expect(performance.now() - started).toBeLessThan(500);
  });
});
