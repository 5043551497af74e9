/** Issue 13 items 6 and 7: galleries and definitions treat 409 and Failed alike. */
import { describe, expect, it } from '@jest/globals';
import { RecordingLogger } from '../../src/common/logger.js';
import { ensureResource } from '../../src/gallery/ensure-resource.js';
import type { EnsureResourceSteps } from '../../src/gallery/ensure-resource.js';

interface R {
  provisioningState?: string;
  sku?: string;
}

/** Steps over a scripted sequence of reads and creates. */
function steps(reads: (R | undefined)[], creates: (R | Error)[], check?: (r: R) => void) {
  const calls = { get: 0, create: 0 };
  const s: EnsureResourceSteps<R> = {
    what: "gallery 'g1'",
    get: async () => reads[Math.min(calls.get++, reads.length - 1)],
    create: async () => {
      const next = creates[calls.create++];
      if (!next) throw new Error('no more creates scripted');
      if (next instanceof Error) throw next;
      return next;
    },
    check: check ?? (() => undefined),
  };
  return { s, calls };
}
const conflict = () => Object.assign(new Error('Conflict'), { statusCode: 409, code: 'Conflict' });
const text = (logger: RecordingLogger, level?: string) =>
  logger.lines
    .filter((l) => !level || l.level === level)
    .map((l) => l.message)
    .join('\n');
const options = (logger: RecordingLogger) => ({ logger, pollIntervalMs: 1, sleep: async () => {} });

describe('ensureResource', () => {
  it('creates what is missing: created', async () => {
    const logger = new RecordingLogger();
    const { s } = steps([undefined], [{ provisioningState: 'Succeeded' }]);
    expect(await ensureResource(s, options(logger))).toEqual({
      resource: { provisioningState: 'Succeeded' },
      created: true,
    });
  });

  it('uses what is there: not created', async () => {
    const { s, calls } = steps([{ provisioningState: 'Succeeded' }], []);
    expect((await ensureResource(s, options(new RecordingLogger()))).created).toBe(false);
    expect(calls.create).toBe(0);
  });

  it('reads again after a 409 from a racing create, and does not claim it', async () => {
    const logger = new RecordingLogger();
    const { s, calls } = steps(
      [undefined, { provisioningState: 'Creating' }, { provisioningState: 'Succeeded' }],
      [conflict()],
    );
    expect((await ensureResource(s, options(logger))).created).toBe(false);
    expect(calls.create).toBe(1);
    expect(text(logger)).toMatch(/Another run is creating gallery 'g1' \(409 Conflict\)/);
    expect(text(logger)).toMatch(/Found gallery 'g1' in state Creating; waiting/);
  });

  it('creates a Failed one again, with a warning, rather than use it', async () => {
    const logger = new RecordingLogger();
    const { s, calls } = steps(
      [{ provisioningState: 'Failed' }],
      [{ provisioningState: 'Succeeded' }],
    );
    expect((await ensureResource(s, options(logger))).created).toBe(true);
    expect(calls.create).toBe(1);
    expect(text(logger, 'warning')).toMatch(/Gallery 'g1' exists in state Failed/);
  });

  it('gives up when it is Failed again after creating it again', async () => {
    const { s } = steps(
      [{ provisioningState: 'Failed' }],
      [Object.assign(new Error('Conflict'), { statusCode: 409 })],
    );
    await expect(ensureResource(s, options(new RecordingLogger()))).rejects.toThrow(
      /Gallery 'g1' is still in state Failed after creating it again/,
    );
  });

  it("says what was refused, with Azure's words, on any other error", async () => {
    const refused = Object.assign(new Error('Name taken'), { statusCode: 400, code: 'BadName' });
    const { s } = steps([undefined], [refused]);
    await expect(ensureResource(s, options(new RecordingLogger()))).rejects.toThrow(
      /Azure refused creating gallery 'g1': 400 BadName Name taken/,
    );
  });

  it('checks what it finds, Failed or not, before anything else', async () => {
    const { s, calls } = steps([{ provisioningState: 'Failed', sku: 'other' }], [], (r) => {
      if (r.sku === 'other') throw new Error('a different sku');
    });
    await expect(ensureResource(s, options(new RecordingLogger()))).rejects.toThrow(
      'a different sku',
    );
    expect(calls.create).toBe(0);
  });
});
