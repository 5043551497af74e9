/**
 * The inputs that point an action at GitHub's attestations API and say what to trust:
 * - `github-api-url` (default the runner's GITHUB_API_URL) and `github-token`;
 * - `trusted-root`: Sigstore trusted roots for certificate-signed bundles (GitHub's), inline or
 *   as a path; without it, the roots are fetched through Sigstore's TUF repositories;
 * - `certificate-oidc-issuer` and `signer-workflow`: who must have signed (the issuer of the
 *   signing job's ID token, and the workflow it ran in), as `gh attestation verify`'s
 *   `--cert-oidc-issuer` and `--signer-workflow` say;
 * - `attestation-public-key`: a key trusted to sign key-signed bundles.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigurationError, InputError } from '../../common/errors.js';
import { getOptionalInput, type InputReader, parseHttpsUrl } from '../../common/inputs.js';
import type { AttestationSource } from '../../provenance/github.js';
import { defaultOidcIssuer, type ExpectedSigner } from '../../provenance/identity.js';
import {
  parseTrustedRoots,
  TrustedRoots,
  tufTrustedRoot,
  type FetchTrustedRoot,
} from '../../provenance/trusted-root.js';
import type { TrustedKey } from '../../provenance/verify.js';

export const ATTESTATION_INPUTS = [
  'github-api-url',
  'github-token',
  'attestation-public-key',
  'trusted-root',
  'certificate-oidc-issuer',
  'signer-workflow',
] as const;

/** What attestations are checked against, whatever API they come from. */
export interface AttestationTrust {
  trustedKeys: TrustedKey[];
  roots: TrustedRoots;
  signer: Omit<ExpectedSigner, 'repository'>;
}

/** Where attestations are looked up, or undefined when no GitHub API is known. */
export function readAttestationSource(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  fetchRoot?: FetchTrustedRoot,
): AttestationSource | undefined {
  const raw = getOptionalInput(read, 'github-api-url') ?? env.GITHUB_API_URL;
  const trust = readAttestationTrust(read, env, fetchRoot);
  const token = getOptionalInput(read, 'github-token');
  if (raw === undefined) return undefined;
  return {
    apiUrl: parseHttpsUrl('github-api-url', raw),
    ...(token !== undefined ? { token } : {}),
    ...trust,
  };
}

/**
 * `trusted-root`, `certificate-oidc-issuer`, `signer-workflow` and `attestation-public-key`.
 * `fetchRoot` (tests) replaces the TUF client used when no `trusted-root` is given.
 */
export function readAttestationTrust(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  fetchRoot?: FetchTrustedRoot,
): AttestationTrust {
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  const given = readTrustedRoot(getOptionalInput(read, 'trusted-root'));
  const roots = new TrustedRoots({
    ...(given ? { given } : {}),
    fetch:
      fetchRoot ?? tufTrustedRoot(path.join(env.RUNNER_TEMP ?? tmpdir(), 'sigstore-tuf-cache')),
  });
  const signerWorkflow = readSignerWorkflow(
    getOptionalInput(read, 'signer-workflow'),
    serverUrl,
    env,
  );
  return {
    trustedKeys: readTrustedKey(getOptionalInput(read, 'attestation-public-key')),
    roots,
    signer: {
      issuer: readIssuer(getOptionalInput(read, 'certificate-oidc-issuer'), serverUrl),
      serverUrl,
      ...(signerWorkflow ? { signerWorkflow } : {}),
    },
  };
}

/** `trusted-root`: trusted_root.json text (one or one a line), or the path of such a file. */
function readTrustedRoot(
  value: string | undefined,
): ReturnType<typeof parseTrustedRoots> | undefined {
  if (value === undefined) return undefined;
  let text = value;
  if (!value.trimStart().startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (err) {
      throw new InputError(
        'trusted-root',
        value,
        `Expected a Sigstore trusted_root.json, or the path of one; cannot read it: ${(err as Error).message}`,
      );
    }
  }
  try {
    return parseTrustedRoots(text);
  } catch (err) {
    if (err instanceof ConfigurationError) {
      throw new InputError('trusted-root', value, err.message.replace(/^trusted-root: /, ''));
    }
    throw err;
  }
}

function readIssuer(value: string | undefined, serverUrl: string): string {
  if (value === undefined) return defaultOidcIssuer(serverUrl);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(
      'certificate-oidc-issuer',
      value,
      'Expected the URL of an OIDC issuer, such as https://token.actions.githubusercontent.com.',
    );
  }
  return value.replace(/\/+$/, '');
}

/**
 * `signer-workflow`: `owner/repo/path/to/workflow.yml`, optionally after the server URL. Default:
 * this project's image.yml, in the repository the running action comes from
 * (GITHUB_ACTION_REPOSITORY, set by the runner for an action used from a repository).
 */
function readSignerWorkflow(
  value: string | undefined,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (value === undefined) {
    const own = env.GITHUB_ACTION_REPOSITORY;
    return own ? `${own}/.github/workflows/image.yml` : undefined;
  }
  const bare = value.trim().replace(new RegExp(`^${escapeRegExp(serverUrl)}/`, 'i'), '');
  if (!/^[\w.-]+\/[\w.-]+\/[^@\s]+\.ya?ml$/.test(bare)) {
    throw new InputError(
      'signer-workflow',
      value,
      'Expected the workflow that signs attestations as owner/repo/.github/workflows/<file>.yml.',
    );
  }
  return bare;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
