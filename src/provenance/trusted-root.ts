/**
 * Which Sigstore trusted root a certificate-signed bundle is checked against, and how strictly.
 *
 * A trusted root (`trusted_root.json`, sigstore/protobuf-specs `TrustedRoot`) lists an
 * instance's certificate authorities, transparency logs, CT logs and timestamp authorities.
 * GitHub artifact attestations are signed by one of two instances, told apart, as
 * `gh attestation verify` tells them apart, by the organization of the leaf certificate's issuer
 * (cli/cli pkg/cmd/attestation/verification/sigstore.go, `chooseVerifier`, lines 63–161):
 *
 * - `sigstore.dev`: Sigstore's public-good instance (public repositories). Its root comes through
 *   Sigstore's TUF repository, whose first root ships in @sigstore/tuf (`seeds.json`). gh then
 *   asks for an SCT, a transparency-log entry and an observer timestamp
 *   (`newPublicGoodVerifierWithTrustedRoot`, lines 303–309).
 * - `GitHub, Inc.`: GitHub's own instance (private repositories), TUF repository
 *   tuf-repo.github.com. gh asks for one signed (RFC 3161) timestamp only
 *   (`newGitHubVerifierWithTrustedRoot`, lines 280–287). gh embeds that repository's first root
 *   (verification/tuf.go, `GitHubTUFOptions`); no npm package ships it, so here it is read from
 *   the repository itself over HTTPS on first use, and TUF checks every later root against it.
 * - With roots given (`trusted-root`, as `gh attestation trusted-root` prints them, one JSON
 *   document a line), only those are trusted: the one whose certificate authority's lowest
 *   certificate has the same issuer organization as the leaf, with the policy of that
 *   organization, or for another organization a timestamp and, when the root has transparency
 *   logs, a log entry (`newCustomVerifier`, lines 232–253).
 *
 * A root that cannot be had (TUF unreachable) is never taken as a pass: the caller reports the
 * signature as not checked, and why.
 */
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { getTrustedRoot } from '@sigstore/tuf';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

/** What the verifier is asked for (@sigstore/verify `VerifierOptions`). */
export interface Thresholds {
  ctlogThreshold: number;
  tlogThreshold: number;
  timestampThreshold: number;
}

export interface SigstoreInstance {
  /** For messages: "Sigstore's public-good instance". */
  label: string;
  /** The issuer organization of the certificates it issues. */
  organization: string;
  /** Its TUF repository. */
  mirrorUrl: string;
  thresholds: Thresholds;
}

export const PUBLIC_GOOD: SigstoreInstance = {
  label: "Sigstore's public-good instance",
  organization: 'sigstore.dev',
  // @sigstore/tuf `DEFAULT_MIRROR_URL` (sigstore-js packages/tuf/src/index.ts).
  mirrorUrl: 'https://tuf-repo-cdn.sigstore.dev',
  thresholds: { ctlogThreshold: 1, tlogThreshold: 1, timestampThreshold: 1 },
};

export const GITHUB_INSTANCE: SigstoreInstance = {
  label: "GitHub's Sigstore instance",
  organization: 'GitHub, Inc.',
  // cli/cli pkg/cmd/attestation/verification/tuf.go, `GitHubTUFMirror`.
  mirrorUrl: 'https://tuf-repo.github.com',
  thresholds: { ctlogThreshold: 0, tlogThreshold: 0, timestampThreshold: 1 },
};

export type RootChoice =
  | { kind: 'root'; root: TrustedRoot; thresholds: Thresholds; label: string }
  /** No root to check against: the signature is not checked (never a pass). */
  | { kind: 'unavailable'; reason: string }
  /** The given roots do not trust this issuer: the bundle is not to be trusted. */
  | { kind: 'untrusted'; reason: string };

/** Fetches an instance's trusted root (through TUF); injected in tests. */
export type FetchTrustedRoot = (instance: SigstoreInstance) => Promise<TrustedRoot>;

/**
 * Parses `trusted-root`'s text: one trusted_root.json, or several, one a line (JSON Lines, as
 * `gh attestation trusted-root` prints them).
 * @throws ConfigurationError naming `input` when it is not that.
 */
export function parseTrustedRoots(text: string, input = 'trusted-root'): TrustedRoot[] {
  const trimmed = text.trim();
  const docs: unknown[] = [];
  try {
    docs.push(JSON.parse(trimmed));
  } catch {
    for (const [i, line] of trimmed.split(/\r?\n/).entries()) {
      if (!line.trim()) continue;
      try {
        docs.push(JSON.parse(line));
      } catch (err) {
        throw new ConfigurationError(
          `${input}: line ${i + 1} is not JSON (${(err as Error).message}); expected a Sigstore trusted_root.json, or one a line as 'gh attestation trusted-root' prints them.`,
        );
      }
    }
  }
  if (docs.length === 0) throw new ConfigurationError(`${input}: no trusted root in it.`);
  return docs.map((doc, i) => {
    const d = doc as Record<string, unknown> | null;
    if (
      !d ||
      typeof d.mediaType !== 'string' ||
      !d.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot') ||
      !Array.isArray(d.certificateAuthorities)
    ) {
      throw new ConfigurationError(
        `${input}: document ${i + 1} is not a Sigstore trusted root (mediaType application/vnd.dev.sigstore.trustedroot+json with certificateAuthorities).`,
      );
    }
    return TrustedRoot.fromJSON(d);
  });
}

/** The organization (O=) of a DER certificate's issuer, when it has one. */
export function issuerOrganization(certificate: Uint8Array): string | undefined {
  const dn = new X509Certificate(Buffer.from(certificate)).issuer;
  // Node writes one attribute a line, escaping `,` `+` `"` `\` `<` `>` `;` with a backslash.
  const line = dn.split('\n').find((l) => l.startsWith('O='));
  return line?.slice(2).replace(/\\(.)/g, '$1');
}

/**
 * The roots a run trusts: those given, or else the instances' through TUF, each fetched at most
 * once a run.
 */
export class TrustedRoots {
  private readonly fetched = new Map<string, Promise<RootChoice>>();

  constructor(
    private readonly o: {
      /** `trusted-root`'s roots; when given, nothing else is trusted. */
      given?: TrustedRoot[];
      fetch?: FetchTrustedRoot;
    } = {},
  ) {}

  get hasGivenRoots(): boolean {
    return (this.o.given?.length ?? 0) > 0;
  }

  /**
   * The root and policy for a leaf certificate issued by `organization`. A fetch that fails is
   * reported once, on `logger`, as a warning.
   */
  async forIssuer(organization: string | undefined, logger?: Logger): Promise<RootChoice> {
    const org = organization ?? '(none)';
    if (this.o.given && this.o.given.length > 0) return this.fromGiven(org);
    const instance = [PUBLIC_GOOD, GITHUB_INSTANCE].find((i) => i.organization === org);
    if (!instance) {
      return {
        kind: 'unavailable',
        reason: `its certificate was issued by O=${org}, neither Sigstore's public-good instance nor GitHub's; give trusted-root to check it`,
      };
    }
    let pending = this.fetched.get(instance.organization);
    if (!pending) {
      pending = this.fetchRoot(instance, logger);
      this.fetched.set(instance.organization, pending);
    }
    return pending;
  }

  private fromGiven(org: string): RootChoice {
    for (const root of this.o.given!) {
      const matches = root.certificateAuthorities.some((ca) => {
        const lowest = ca.certChain?.certificates[0]?.rawBytes;
        return lowest !== undefined && issuerOrganization(lowest) === org;
      });
      if (!matches) continue;
      const known = [PUBLIC_GOOD, GITHUB_INSTANCE].find((i) => i.organization === org);
      return {
        kind: 'root',
        root,
        thresholds: known?.thresholds ?? {
          ctlogThreshold: 0,
          tlogThreshold: root.tlogs.length > 0 ? 1 : 0,
          timestampThreshold: 1,
        },
        label: `the given trusted root (O=${org})`,
      };
    }
    return {
      kind: 'untrusted',
      reason: `its certificate was issued by O=${org}, which no certificate authority of the given trusted root issues`,
    };
  }

  private async fetchRoot(instance: SigstoreInstance, logger?: Logger): Promise<RootChoice> {
    const fetchRoot = this.o.fetch;
    if (!fetchRoot) {
      return { kind: 'unavailable', reason: `no trusted root of ${instance.label} was given` };
    }
    try {
      const root = await fetchRoot(instance);
      logger?.info(`Fetched the trusted root of ${instance.label} (${instance.mirrorUrl}).`);
      return {
        kind: 'root',
        root,
        thresholds: instance.thresholds,
        label: `${instance.label} (TUF, ${instance.mirrorUrl})`,
      };
    } catch (err) {
      const reason = `the trusted root of ${instance.label} could not be fetched through TUF from ${instance.mirrorUrl}: ${describe(err)}`;
      logger?.warning(
        `${reason}. Signatures it made are not checked in this run (their status stays digest-matches); give trusted-root to check them offline.`,
      );
      return { kind: 'unavailable', reason };
    }
  }
}

/** An error's message and those of its causes (TUF wraps the fetch error that says why). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) {
    if (!parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || String(err);
}

/**
 * Fetches an instance's trusted root with Sigstore's TUF client (@sigstore/tuf, which uses
 * tuf-js and the global `fetch`), caching TUF metadata under `cacheDir`.
 */
export function tufTrustedRoot(
  cacheDir: string,
  options: { timeoutMs?: number } = {},
): FetchTrustedRoot {
  return async (instance) => {
    const cachePath = path.join(cacheDir, encodeURIComponent(new URL(instance.mirrorUrl).host));
    mkdirSync(cachePath, { recursive: true });
    let rootPath: string | undefined;
    if (instance.organization === GITHUB_INSTANCE.organization) {
      rootPath = path.join(cachePath, 'seed-root.json');
      writeFileSync(rootPath, await firstRoot(instance.mirrorUrl, options.timeoutMs ?? 10_000));
    }
    return getTrustedRoot({
      mirrorURL: instance.mirrorUrl,
      cachePath,
      ...(rootPath ? { rootPath } : {}),
      // One try: a run that cannot reach the mirror says so quickly and goes on unverified.
      retry: false,
      timeout: options.timeoutMs ?? 10_000,
    });
  };
}

/**
 * `1.root.json` of a TUF repository (the TUF specification, §5.3: a client walks `N.root.json`
 * from the root it trusts), the root of trust for a repository whose first root no package
 * ships.
 */
async function firstRoot(mirrorUrl: string, timeoutMs: number): Promise<string> {
  const url = `${mirrorUrl}/1.root.json`;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  return res.text();
}
