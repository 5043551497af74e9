import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { inlineSha256Stream, sha256Stream } from '../../../src/build/upload/sha256-stream.js';

describe.each([
  ['on a worker thread', sha256Stream],
  ['inline', inlineSha256Stream],
])('sha256Stream %s', (_name, make) => {
  it('hashes data and zero runs in order, as one SHA-256 of the whole', async () => {
    const parts = [
      randomBytes(1000),
      Buffer.alloc(5 * 1024 * 1024 + 7),
      randomBytes(3 * 1024 * 1024),
    ];
    const stream = make();
    await stream.data(parts[0]!);
    stream.zeros(parts[1]!.length);
    await stream.data(parts[2]!);
    stream.zeros(0);
    expect(await stream.digest()).toBe(
      createHash('sha256').update(Buffer.concat(parts)).digest('hex'),
    );
  });

  it('waits when far behind rather than queueing without bound, and still gets it right', async () => {
    const stream = make();
    const expected = createHash('sha256');
    for (let i = 0; i < 40; i++) {
      const chunk = Buffer.alloc(4 * 1024 * 1024, i);
      expected.update(chunk);
      await stream.data(chunk);
    }
    expect(await stream.digest()).toBe(expected.digest('hex'));
  });

  it('leaves the caller its buffer', async () => {
    const stream = make();
    const data = Buffer.from('still mine');
    await stream.data(data);
    expect(data.toString()).toBe('still mine');
    await stream.close();
  });
});
