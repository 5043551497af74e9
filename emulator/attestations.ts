/**
 * GitHub's artifact attestations on the stand-in: what `actions/attest-build-provenance` leaves
 * behind and what a consumer reads back.
 *
 * - `GET  /api/v3/repos/{owner}/{repo}/attestations/{subject_digest}`: `{attestations: [{bundle,
 *   repository_id, bundle_url, initiator}]}`, paged with `per_page` (≤ 100, default 30) and an
 *   `after` cursor in a `Link: <…>; rel="next"` header; 404 when nothing is attested. The shape
 *   is GitHub's `repos/list-attestations` (docs.github.com/en/rest/repos/attestations).
 * - `POST /api/v3/repos/{owner}/{repo}/attestations {bundle}` → 201 `{id}`: stores a bundle.
 * - Admin `POST /_emulator/attestations {repository, subjectName, subjectDigest, predicate?}`:
 *   what the attest action does on GitHub (sign an in-toto statement, store it), with the
 *   stand-in's own key: an ECDSA P-256 key kept in the data dir, named by the hint
 *   `KEY_HINT` in the bundle's `verificationMaterial.publicKey`. Answers `{id, url, bundle}`.
 * - Admin `GET /_emulator/attestations/key`: `{hint, pem}`, the public key to trust.
 *
 * GitHub signs with a short-lived Fulcio certificate and a transparency-log or TSA timestamp;
 * the stand-in signs with a plain key, which is what lets a verifier check it offline.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GITHUB_API_PREFIX } from './github.js';
import type { Req, Res } from './http.js';

export const KEY_HINT = 'cga-standin-attestations';
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

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

  constructor(dataDir: string) {
    this.file = join(dataDir, 'attestations.json');
    this.keyFile = join(dataDir, 'attestation-key.pem');
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
    if (path !== '/_emulator/attestations') return undefined;
    if (req.method === 'DELETE') {
      this.save([]);
      return { status: 200, body: {} };
    }
    if (req.method !== 'POST') return undefined;
    const body = (parseJson(req.rawBody) ?? {}) as Record<string, unknown>;
    const { repository, subjectName, subjectDigest } = body;
    if (
      typeof repository !== 'string' ||
      !/^[\w.-]+\/[\w.-]+$/.test(repository) ||
      typeof subjectName !== 'string' ||
      typeof subjectDigest !== 'string' ||
      !/^sha256:[0-9a-f]{64}$/i.test(subjectDigest)
    ) {
      return {
        status: 400,
        body: {
          error: {
            code: 'BadRequest',
            message:
              "an attestation needs 'repository' (owner/name), 'subjectName' and 'subjectDigest' (sha256:<hex>)",
          },
        },
      };
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
    const bundle = this.sign(statement);
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

  reset(): void {
    this.save([]);
  }

  /** Signs an in-toto statement into a DSSE envelope (PAE, DSSE spec v1) inside a bundle. */
  private sign(statement: unknown): Record<string, unknown> {
    const payload = Buffer.from(JSON.stringify(statement));
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${PAYLOAD_TYPE.length} ${PAYLOAD_TYPE} ${payload.length} `),
      payload,
    ]);
    const sig = sign('sha256', pae, this.privateKey());
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
