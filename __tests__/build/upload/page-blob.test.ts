/** The page blob target's early sign-in: one token asked for ahead, handed to the first request. */
import { describe, expect, it } from '@jest/globals';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { prefetchingCredential } from '../../../src/build/upload/page-blob.js';

const STORAGE = 'https://storage.azure.com/.default';

/** A credential counting its calls; fails the first `failures` of them. */
function counting(failures = 0): TokenCredential & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async getToken(scopes: string | string[], options?: GetTokenOptions) {
      calls.push(`${[scopes].flat().join(' ')}${options?.claims ? ' +claims' : ''}`);
      await new Promise((r) => setTimeout(r, 5));
      if (calls.length <= failures) throw new Error('AADSTS700213: no matching federated identity');
      return {
        token: `t${calls.length}`,
        expiresOnTimestamp: Date.now() + 3600_000,
      } as AccessToken;
    },
  };
}

describe('prefetchingCredential', () => {
  it('hands the token asked for early to the first request, without asking twice', async () => {
    const inner = counting();
    const c = prefetchingCredential(inner);
    c.prefetch();
    c.prefetch();
    expect(inner.calls).toEqual([STORAGE]);
    expect((await c.credential.getToken(STORAGE))?.token).toBe('t1');
    expect(inner.calls).toEqual([STORAGE]);
    // Later requests ask as usual (the credential under it caches, see maskingCredential).
    expect((await c.credential.getToken(STORAGE))?.token).toBe('t2');
  });

  it('lets the first request ask again, and fail with the real error, when the early sign-in failed', async () => {
    const inner = counting(2);
    const c = prefetchingCredential(inner);
    c.prefetch();
    await expect(c.credential.getToken(STORAGE)).rejects.toThrow(/AADSTS700213/);
    expect(inner.calls).toEqual([STORAGE, STORAGE]);
  });

  it('does not hand the early token to a claims challenge or another scope', async () => {
    const inner = counting();
    const c = prefetchingCredential(inner);
    c.prefetch();
    expect((await c.credential.getToken(STORAGE, { claims: 'e30=' }))?.token).toBe('t2');
    const other = prefetchingCredential(inner);
    other.prefetch();
    expect((await other.credential.getToken('https://management.azure.com/.default'))?.token).toBe(
      't4',
    );
  });

  it('asks nothing early unless told to, and never after the first request', async () => {
    const inner = counting();
    const c = prefetchingCredential(inner);
    expect(inner.calls).toEqual([]);
    await c.credential.getToken(STORAGE);
    c.prefetch();
    expect(inner.calls).toEqual([STORAGE]);
  });
});
