/**
 * GitHub's artifact attestations on the stand-in: what `actions/attest-build-provenance` leaves
 * behind and what a consumer reads back.
 *
 * - `GET  /api/v3/repos/{owner}/{repo}/attestations/{subject_digest}`: `{attestations: [{bundle,
 *   repository_id, bundle_url, initiator}]}`, paged with `per_page` (≤ 100, default 30) and an
 *   `after` cursor in a `Link: <…>; rel="next"` header; 404 when nothing is attested. The shape
 *   is GitHub's `repos/list-attestations` (docs.github.com/en/rest/repos/attestations).
 * - `POST /api/v3/repos/{owner}/{repo}/attestations {bundle}` → 201 `{id}`: stores a bundle.
 * - Admin `POST /_emulator/attestations {subjectName, subjectDigest, predicate?, idToken?,
 *   claims?, repository?, signing?}`: what the attest action does on GitHub. It signs an in-toto
 *   statement into a DSSE envelope and stores the bundle; answers `{id, url, bundle}`.
 *   - By default as GitHub's Sigstore does (sigstore.ts): a certificate for the signing job's
 *     identity and an RFC 3161 timestamp. The identity is read from `idToken`, an ID token the
 *     stand-in issued with audience `sigstore` (what Fulcio accepts: its issuers' `client-id`,
 *     sigstore/fulcio config/identity/config.yaml), or else from `claims` over defaults:
 *     GitHub's issuer, `repository`, and that repository's `.github/workflows/image.yml` as the
 *     signing workflow. The bundle is filed under the identity's repository (the job token can
 *     write attestations only there); a `repository` that differs is refused.
 *   - `signing: 'public-key'`: the stand-in's own ECDSA P-256 key (hint `KEY_HINT`), for the
 *     key-signed path (`attestation-public-key`).
 * - Admin `GET /_emulator/attestations/trusted-root`: the trusted_root.json that trusts the
 *   stand-in's CA and TSA, what a verifier is given (`trusted-root`).
 * - Admin `GET /_emulator/attestations/key`: `{hint, pem}`, the public key of the key-signed path.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GITHUB_API_PREFIX } from './github.js';
import type { Req, Res } from './http.js';
import { checkJwt, type SigningKey } from './jwt.js';
import { dssePae, StandInSigstore, type WorkflowClaims } from './sigstore.js';

export const KEY_HINT = 'cga-standin-attestations';
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** GitHub Actions' OIDC issuer, for claims given without a token. */
const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
/** The audience Fulcio accepts (sigstore/fulcio config/identity/config.yaml, `client-id`). */
const FULCIO_AUDIENCE = 'sigstore';

interface StoredAttestation {
  id: number;
  repository: string;
  repositoryId: number;
  /** `sha256:<hex>` of every subject. */
  digests: string[];
  bundle: Record<string, unknown>;
}

export class AttestationsApi {
  private readonly file: string;
  private readonly keyFile: string;
  readonly sigstore: StandInSigstore;

  /** `oidcKey`: the key the stand-in signs GitHub Actions ID tokens with, to check `idToken`. */
  constructor(
    dataDir: string,
    private readonly oidcKey?: SigningKey,
  ) {
    this.file = join(dataDir, 'attestations.json');
    this.keyFile = join(dataDir, 'attestation-key.pem');
    this.sigstore = new StandInSigstore(dataDir);
  }

  /** GitHub API routes under `/api/v3/repos/…/attestations`; undefined for any other path. */
  handle(req: Req): Res | undefined {
    if (!req.path.toLowerCase().startsWith(GITHUB_API_PREFIX)) return undefined;
    const path = req.path.slice(GITHUB_API_PREFIX.length);
    const list = /^\/repos\/([^/]+)\/([^/]+)\/attestations\/([^/]+)$/i.exec(path);
    if (list && req.method === 'GET') return this.list(req, `${list[1]}/${list[2]}`, list[3]!);
    const create = /^\/repos\/([^/]+)\/([^/]+)\/attestations$/i.exec(path);
    if (create && req.method === 'POST') {
      const body = parseJson(req.rawBody) as { bundle?: Record<string, unknown> } | undefined;
      if (!body?.bundle) return error(422, 'Validation Failed: bundle is required');
      const digests = subjectDigests(body.bundle);
      if (digests.length === 0) return error(422, 'Validation Failed: no subject digest');
      const stored = this.store(`${create[1]}/${create[2]}`, digests, body.bundle);
      return { status: 201, headers: githubHeaders(), body: { id: stored.id } };
    }
    return undefined;
  }

  /** Admin routes under `/_emulator/attestations`; undefined for any other path. */
  admin(req: Req): Res | undefined {
    const path = req.path.toLowerCase();
    if (path === '/_emulator/attestations/key' && req.method === 'GET') {
      return { status: 200, body: { hint: KEY_HINT, pem: this.publicKeyPem() } };
    }
    if (path === '/_emulator/attestations/trusted-root' && req.method === 'GET') {
      return { status: 200, body: this.sigstore.trustedRoot() };
    }
    if (path !== '/_emulator/attestations') return undefined;
    if (req.method === 'DELETE') {
      this.save([]);
      return { status: 200, body: {} };
    }
    if (req.method !== 'POST') return undefined;
    const body = (parseJson(req.rawBody) ?? {}) as Record<string, unknown>;
    const { subjectName, subjectDigest } = body;
    if (
      typeof subjectName !== 'string' ||
      typeof subjectDigest !== 'string' ||
      !/^sha256:[0-9a-f]{64}$/i.test(subjectDigest)
    ) {
      return badRequest("an attestation needs 'subjectName' and 'subjectDigest' (sha256:<hex>)");
    }
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: subjectName, digest: { sha256: subjectDigest.slice(7).toLowerCase() } }],
      predicateType: SLSA_PROVENANCE_V1,
      predicate: body.predicate ?? {
        buildDefinition: { buildType: 'https://actions.github.io/buildtypes/workflow/v1' },
        runDetails: { builder: { id: 'https://github.com/actions/runner' } },
      },
    };
    let repository: string;
    let bundle: Record<string, unknown>;
    if (body.signing === 'public-key') {
      if (typeof body.repository !== 'string' || !REPOSITORY.test(body.repository)) {
        return badRequest("a key-signed attestation needs 'repository' (owner/name)");
      }
      repository = body.repository;
      bundle = this.sign(statement);
    } else {
      const identity = this.identity(body);
      if ('error' in identity) return identity.error;
      repository = identity.claims.repository;
      bundle = this.sigstore.bundle(statement, identity.claims, {
        ...(typeof body.serverUrl === 'string' ? { serverUrl: body.serverUrl } : {}),
      });
    }
    const stored = this.store(repository, [subjectDigest.toLowerCase()], bundle);
    return {
      status: 201,
      body: {
        id: stored.id,
        url: `https://github.com/${repository}/attestations/${stored.id}`,
        bundle,
      },
    };
  }

  /** The signing job's identity: a checked ID token's claims, or claims given over defaults. */
  private identity(body: Record<string, unknown>): { claims: WorkflowClaims } | { error: Res } {
    let claims: Record<string, unknown>;
    if (typeof body.idToken === 'string') {
      if (!this.oidcKey) return { error: badRequest('this stand-in checks no ID tokens') };
      const checked = checkJwt(body.idToken, this.oidcKey, Math.floor(Date.now() / 1000));
      if (!checked.ok) {
        return { error: unauthorized(`the ID token is not valid (${checked.reason})`) };
      }
      if (checked.claims.aud !== FULCIO_AUDIENCE) {
        return {
          error: unauthorized(
            `the ID token's audience is '${String(checked.claims.aud)}', not '${FULCIO_AUDIENCE}'`,
          ),
        };
      }
      claims = checked.claims;
    } else {
      const given = (body.claims ?? {}) as Record<string, unknown>;
      const repository = given.repository ?? body.repository;
      if (typeof repository !== 'string' || !REPOSITORY.test(repository)) {
        return {
          error: badRequest("an attestation needs 'repository' (owner/name) or an idToken"),
        };
      }
      claims = {
        iss: GITHUB_OIDC_ISSUER,
        repository,
        repository_owner: repository.split('/')[0],
        job_workflow_ref: `${repository}/.github/workflows/image.yml@refs/heads/main`,
        ref: 'refs/heads/main',
        event_name: 'workflow_dispatch',
        runner_environment: 'github-hosted',
        ...given,
      };
    }
    const { iss, repository, job_workflow_ref } = claims;
    if (
      typeof iss !== 'string' ||
      typeof repository !== 'string' ||
      typeof job_workflow_ref !== 'string'
    ) {
      return { error: badRequest("the identity needs 'iss', 'repository' and 'job_workflow_ref'") };
    }
    if (
      typeof body.repository === 'string' &&
      body.repository.toLowerCase() !== repository.toLowerCase()
    ) {
      return {
        error: {
          status: 403,
          body: {
            error: {
              code: 'Forbidden',
              message: `a run of ${repository} cannot write attestations of ${body.repository}`,
            },
          },
        },
      };
    }
    const strings = Object.fromEntries(
      Object.entries(claims).filter(([, v]) => typeof v === 'string'),
    ) as Record<string, string>;
    return { claims: { ...strings, iss, repository, job_workflow_ref } };
  }

  reset(): void {
    this.save([]);
  }

  /** Signs an in-toto statement into a DSSE envelope with the stand-in's plain key. */
  private sign(statement: unknown): Record<string, unknown> {
    const payload = Buffer.from(JSON.stringify(statement));
    const sig = sign('sha256', dssePae(PAYLOAD_TYPE, payload), this.privateKey());
    return {
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: KEY_HINT }, tlogEntries: [] },
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: PAYLOAD_TYPE,
        signatures: [{ sig: sig.toString('base64'), keyid: KEY_HINT }],
      },
    };
  }

  private privateKey(): ReturnType<typeof createPrivateKey> {
    if (!existsSync(this.keyFile)) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(this.keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
      });
    }
    return createPrivateKey(readFileSync(this.keyFile, 'utf8'));
  }

  private publicKeyPem(): string {
    return createPublicKey(this.privateKey()).export({ type: 'spki', format: 'pem' }).toString();
  }

  private list(req: Req, repository: string, rawDigest: string): Res {
    const digest = decodeURIComponent(rawDigest).toLowerCase();
    const all = this.load().filter(
      (a) => a.repository.toLowerCase() === repository.toLowerCase() && a.digests.includes(digest),
    );
    if (all.length === 0) return error(404, 'Not Found');
    const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30));
    const after = Number(req.query.get('after') ?? 0) || 0;
    const page = all.filter((a) => a.id > after).slice(0, perPage);
    const last = page.at(-1);
    const more = last !== undefined && all.some((a) => a.id > last.id);
    const base = `${req.origin}${GITHUB_API_PREFIX}/repos/${repository}/attestations/${encodeURIComponent(digest)}`;
    return {
      status: 200,
      headers: {
        ...githubHeaders(),
        ...(more ? { link: `<${base}?per_page=${perPage}&after=${last.id}>; rel="next"` } : {}),
      },
      body: {
        attestations: page.map((a) => ({
          bundle: a.bundle,
          repository_id: a.repositoryId,
          bundle_url: `${req.origin}${GITHUB_API_PREFIX}/_bundles/${a.id}`,
          initiator: 'github',
        })),
      },
    };
  }

  private store(
    repository: string,
    digests: string[],
    bundle: Record<string, unknown>,
  ): StoredAttestation {
    const all = this.load();
    const id = (all.at(-1)?.id ?? 1_000_000) + 1;
    const known = all.find((a) => a.repository.toLowerCase() === repository.toLowerCase());
    const repositoryId = known?.repositoryId ?? 70_000_000 + all.length;
    const stored = { id, repository, repositoryId, digests, bundle };
    this.save([...all, stored]);
    return stored;
  }

  private load(): StoredAttestation[] {
    if (!existsSync(this.file)) return [];
    return JSON.parse(readFileSync(this.file, 'utf8')) as StoredAttestation[];
  }

  private save(all: StoredAttestation[]): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(all));
    renameSync(temp, this.file);
  }
}

/** `sha256:<hex>` of every subject of the in-toto statement inside a bundle's DSSE envelope. */
function subjectDigests(bundle: Record<string, unknown>): string[] {
  try {
    const envelope = bundle.dsseEnvelope as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      subject?: { digest?: { sha256?: string } }[];
    };
    return (statement.subject ?? [])
      .map((s) => s.digest?.sha256)
      .filter((d): d is string => typeof d === 'string')
      .map((d) => `sha256:${d.toLowerCase()}`);
  } catch {
    return [];
  }
}

const REPOSITORY = /^[\w.-]+\/[\w.-]+$/;

function badRequest(message: string): Res {
  return { status: 400, body: { error: { code: 'BadRequest', message } } };
}

function unauthorized(message: string): Res {
  return { status: 401, body: { error: { code: 'Unauthorized', message } } };
}

function parseJson(raw: string | undefined): unknown {
  try {
    return raw === undefined || raw.length === 0 ? undefined : JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function githubHeaders(): Record<string, string> {
  return { 'x-github-api-version-selected': '2022-11-28' };
}

function error(status: number, message: string): Res {
  return {
    status,
    headers: githubHeaders(),
    body: {
      message,
      documentation_url: 'https://docs.github.com/rest/repos/attestations',
      status: String(status),
    },
  };
}
