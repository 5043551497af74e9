/** Issue 13 items 1 and "a 100 KB value": what an error may quote of a value. */
import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../src/common/errors.js';
import {
  holdsCredentials,
  MAX_QUOTED_LENGTH,
  oneLine,
  quoteValue,
  redactCredentials,
} from '../../src/common/redact.js';

describe('redactCredentials', () => {
  it.each([
    ['https://user:pw@host/p', 'https://<redacted>@host/p'],
    ['https://tok3n@host/p', 'https://<redacted>@host/p'],
    ['x https://u:p@a and https://v:q@b', 'x https://<redacted>@a and https://<redacted>@b'],
    [
      'https://a.blob.core.windows.net/c/d.vhd?sv=1&sp=r&sig=abc',
      'https://a.blob.core.windows.net/c/d.vhd?<redacted>',
    ],
    ['https://h/d.vhd#sig=abc', 'https://h/d.vhd?<redacted>'],
    ['https://h/a?sig=x https://h/b', 'https://h/a?<redacted> https://h/b'],
    ['see ?client_secret=s3cr3t&x=1', 'see ?client_secret=<redacted>&x=1'],
    ["'https://h/x?token=abc'", "'https://h/x?<redacted>'"],
  ])('%s', (text, redacted) => {
    expect(redactCredentials(text)).toBe(redacted);
    expect(holdsCredentials(text)).toBe(true);
  });

  it.each(['https://host/path?a=1', 'v1.31.2', 'https://example.com/monkey=1', 'plain text'])(
    'leaves %s alone',
    (text) => {
      expect(redactCredentials(text)).toBe(text);
      expect(holdsCredentials(text)).toBe(false);
    },
  );

  // Was quadratic: a 100 KB run of letters (or slashes) took 10-15 s per call, and an action
  // quoted it several times (the hostile suite spent 3 of its 4 minutes there).
  it.each([
    ['letters', 'x'.repeat(100 * 1024)],
    ['slashes', '/'.repeat(100 * 1024)],
    ['schemes', 'https://'.repeat(12_800)],
    ['queries without a secret', '//a?b'.repeat(20_000)],
    ['user info look-alikes', 'a://b:c'.repeat(15_000)],
  ])('takes linear time on 100 KB of %s', (_what, text) => {
    const started = performance.now();
    redactCredentials(text);
    quoteValue(text);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('quoteValue', () => {
  it('puts a value on one line, with its control characters shown', () => {
    expect(oneLine('a\nb\r\tc\u0000\u2028')).toBe('a\\nb\\r\\tc\\u0000\\u2028');
    expect(quoteValue('v1\n::error::x')).toBe('v1\\n::error::x');
  });

  it('quotes a readable prefix and the length of a huge value', () => {
    const quoted = quoteValue('y'.repeat(100 * 1024));
    expect(quoted).toBe(`${'y'.repeat(MAX_QUOTED_LENGTH)}… (102400 characters in all)`);
  });

  it('redacts before cutting, so a secret at the cut is not shown in part', () => {
    const value = `${'p'.repeat(MAX_QUOTED_LENGTH - 20)} https://u:${'S'.repeat(40)}@h`;
    expect(quoteValue(value)).not.toContain('S');
  });

  it('is what InputError quotes', () => {
    const err = new InputError(
      'source',
      'https://u:pw0rd@h/x.vhd\n::add-mask::x',
      'Expected a URL.',
    );
    expect(err.message).toBe(
      "Invalid input 'source': 'https://<redacted>@h/x.vhd\\n::add-mask::x'. Expected a URL.",
    );
  });
});
