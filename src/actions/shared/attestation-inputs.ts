/**
 * The inputs that point an action at GitHub's attestations API: `github-api-url` (default the
 * runner's GITHUB_API_URL), `github-token`, and `attestation-public-key`, a key trusted to sign
 * key-signed bundles (the local stand-in's).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../common/errors.js';
import { getOptionalInput, type InputReader, parseHttpsUrl } from '../../common/inputs.js';
import type { AttestationSource } from '../../provenance/github.js';
import type { TrustedKey } from '../../provenance/verify.js';

export const ATTESTATION_INPUTS = [
  'github-api-url',
  'github-token',
  'attestation-public-key',
] as const;

/** Where attestations are looked up, or undefined when no GitHub API is known. */
export function readAttestationSource(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
): AttestationSource | undefined {
  const raw = getOptionalInput(read, 'github-api-url') ?? env.GITHUB_API_URL;
  const trustedKeys = readTrustedKey(getOptionalInput(read, 'attestation-public-key'));
  const token = getOptionalInput(read, 'github-token');
  if (raw === undefined) return undefined;
  return {
    apiUrl: parseHttpsUrl('github-api-url', raw),
    ...(token !== undefined ? { token } : {}),
    trustedKeys,
  };
}

/** `attestation-public-key`: a PEM public key, inline or as a file path; trusted for any hint. */
export function readTrustedKey(value: string | undefined): TrustedKey[] {
  if (value === undefined) return [];
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    try {
      pem = readFileSync(value, 'utf8');
    } catch (err) {
      throw new InputError(
        'attestation-public-key',
        value,
        `Expected a PEM public key or the path of one; cannot read it: ${(err as Error).message}`,
      );
    }
  }
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) {
    throw new InputError(
      'attestation-public-key',
      value,
      'Expected a PEM public key (BEGIN PUBLIC KEY).',
    );
  }
  return [{ hint: '*', pem }];
}
