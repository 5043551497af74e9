/** Issue 13 item 2: no value forges a workflow command in the log. */
import { describe, expect, it } from '@jest/globals';
import { escapeLogText } from '../../src/common/log-escape.js';

describe('escapeLogText', () => {
  it.each([
    ['::add-mask::x', '\\::add-mask::x'],
    ['reason\n::error title=t::pwned', 'reason\n\\::error title=t::pwned'],
    ['a\r\n  ::stop-commands::tok', 'a\n  \\::stop-commands::tok'],
    ['a\r::warning::w', 'a\n\\::warning::w'],
    ['a\u2028::debug::d', 'a\n\\::debug::d'],
    ['##[group]forged', '\\##[group]forged'],
    ['\t##[error]x', '\t\\##[error]x'],
  ])('neutralises %j', (text, escaped) => {
    expect(escapeLogText(text)).toBe(escaped);
  });

  it.each(['Creating gallery g1.', 'a :: b', 'ratio 1::2', '#[x]', 'url https://h/::x'])(
    'leaves %j as it is',
    (text) => {
      expect(escapeLogText(text)).toBe(text);
    },
  );
});
