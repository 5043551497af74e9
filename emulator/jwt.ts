import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Claims = Record<string, unknown> & { exp?: number; nbf?: number; aud?: string };

/** An RS256 signing key with a key id, kept in the data dir so tokens survive a restart. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function loadOrCreateSigningKey(dataDir: string, name: string): SigningKey {
  const path = join(dataDir, `${name}-signing-key.pem`);
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const privateKey = createPrivateKey(readFileSync(path, 'utf8'));
  return { kid: `${name}-1`, privateKey, publicKey: createPublicKey(privateKey) };
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export function signJwt(key: SigningKey, claims: Claims): string {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

export type JwtCheck =
  | { ok: true; claims: Claims }
  | {
      ok: false;
      reason: 'malformed' | 'unsigned' | 'bad-signature' | 'expired' | 'not-yet-valid';
      claims?: Claims;
    };

/** Decodes and checks a compact JWT: RS256 signature by `key`, `exp` and `nbf` against `now`. */
export function checkJwt(token: string, key: SigningKey, nowSeconds: number): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: Claims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Claims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (header.alg !== 'RS256' || s === '') return { ok: false, reason: 'unsigned', claims };
  const good = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    key.publicKey,
    Buffer.from(s, 'base64url'),
  );
  if (!good) return { ok: false, reason: 'bad-signature', claims };
  if (typeof claims.exp === 'number' && claims.exp < nowSeconds) {
    return { ok: false, reason: 'expired', claims };
  }
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + 300) {
    return { ok: false, reason: 'not-yet-valid', claims };
  }
  return { ok: true, claims };
}

/** The public half of `key` as a JWKS document, for discovery endpoints. */
export function jwks(key: SigningKey): { keys: Record<string, unknown>[] } {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: key.kid, use: 'sig', alg: 'RS256' }] };
}
