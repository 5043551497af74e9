/**
 * Who signed a certificate-signed attestation, and whether that is who should have: the checks
 * `gh attestation verify --owner/--repo --signer-workflow` makes on the Fulcio certificate once
 * its chain and signature verify.
 *
 * - OIDC issuer (OID 1.3.6.1.4.1.57264.1.8, or the deprecated raw .1.1): GitHub Actions'
 *   `https://token.actions.githubusercontent.com`, `https://token.actions.<tenant>.ghe.com` on a
 *   GHE.com tenant, or what the action is told (cli/cli pkg/cmd/attestation/verification/
 *   extensions.go, `verifyCertExtensions`, lines 61–80).
 * - Source Repository URI (.1.12) and Source Repository Owner URI (.1.16): the repository whose
 *   run published the version, `<server>/<owner>/<repo>` and `<server>/<owner>`, compared
 *   case-insensitively (same file, lines 35–59).
 * - The signer workflow: the certificate's SAN is `<server>/<job_workflow_ref>` (Fulcio's
 *   github-workflow `subject-alternative-name-template`, sigstore/fulcio
 *   config/identity/config.yaml), the reusable workflow the signing job ran in. gh matches it
 *   against `^https://<host>/<owner>/<repo>/<path>` (pkg/cmd/attestation/verify/policy.go,
 *   `validateSignerWorkflow`, lines 110–127); here the whole path up to the `@ref` must match.
 *
 * The OIDs and their encodings: sigstore/fulcio docs/oid-info.md (1.1–1.6 raw strings, 1.8–1.24
 * DER UTF8Strings).
 */
import type { Signer } from '@sigstore/verify';

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

const OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryOwnerUri: '1.3.6.1.4.1.57264.1.16',
} as const;

/** What a certificate must say for the attestation to count. */
export interface ExpectedSigner {
  /** The OIDC issuer of the signing job's token. */
  issuer: string;
  /** `https://github.com`, or a GHES/GHE.com host: the prefix of every URI in the certificate. */
  serverUrl: string;
  /** `owner/repo` whose run published the version. */
  repository: string;
  /**
   * `owner/repo/.github/workflows/image.yml`: the workflow the signing job ran in. Undefined when
   * not known: then any repository's `.github/workflows/image.yml` is accepted, and the result
   * says so.
   */
  signerWorkflow?: string;
}

/** What the certificate says, as read from its extensions. */
export interface CertificateIdentity {
  issuer?: string;
  san?: string;
  buildSignerUri?: string;
  sourceRepositoryUri?: string;
  sourceRepositoryOwnerUri?: string;
}

/** The default issuer for a server: GHE.com tenants have their own (extensions.go, 63–71). */
export function defaultOidcIssuer(serverUrl: string): string {
  const tenant = /^https:\/\/([^./]+)\.ghe\.com\/?$/i.exec(serverUrl)?.[1];
  return tenant ? `https://token.actions.${tenant}.ghe.com` : GITHUB_OIDC_ISSUER;
}

/** Reads the signer's Fulcio extensions (@sigstore/verify gives each OID's raw value). */
export function identityOf(signer: Signer): CertificateIdentity {
  const raw = new Map<string, Buffer>();
  for (const o of signer.identity?.oids ?? []) {
    if (o.oid) raw.set(o.oid.id.join('.'), Buffer.from(o.value));
  }
  const v2 = (oid: string): string | undefined => {
    const b = raw.get(oid);
    return b === undefined ? undefined : derString(b);
  };
  const out: CertificateIdentity = {};
  const issuer = v2(OID.issuer) ?? raw.get(OID.issuerV1)?.toString('utf8');
  if (issuer !== undefined) out.issuer = issuer;
  const san = signer.identity?.subjectAlternativeName;
  if (san !== undefined) out.san = san;
  const set = (k: keyof CertificateIdentity, oid: string): void => {
    const value = v2(oid);
    if (value !== undefined) out[k] = value;
  };
  set('buildSignerUri', OID.buildSignerUri);
  set('sourceRepositoryUri', OID.sourceRepositoryUri);
  set('sourceRepositoryOwnerUri', OID.sourceRepositoryOwnerUri);
  return out;
}

/**
 * Why `got` is not `want`'s signer, or undefined when it is. Each reason names what was expected
 * and what the certificate says.
 */
export function identityMismatch(
  got: CertificateIdentity,
  want: ExpectedSigner,
): string | undefined {
  const same = (a: string | undefined, b: string): boolean =>
    a !== undefined && a.toLowerCase() === b.toLowerCase();
  const server = want.serverUrl.replace(/\/+$/, '');
  if (!same(got.issuer, want.issuer)) {
    return `it was signed with an ID token of ${got.issuer ?? 'no issuer'}, not of ${want.issuer}`;
  }
  const repoUri = `${server}/${want.repository}`;
  if (!same(got.sourceRepositoryUri, repoUri)) {
    return `it was signed by a run of ${got.sourceRepositoryUri ?? 'no repository'}, but the version was published by ${repoUri}`;
  }
  const ownerUri = `${server}/${want.repository.split('/')[0]}`;
  if (got.sourceRepositoryOwnerUri !== undefined && !same(got.sourceRepositoryOwnerUri, ownerUri)) {
    return `its repository owner is ${got.sourceRepositoryOwnerUri}, not ${ownerUri}`;
  }
  const workflow = (got.san ?? '').replace(/@.*$/, '');
  if (want.signerWorkflow !== undefined) {
    const expected = `${server}/${want.signerWorkflow}`;
    if (!same(workflow, expected)) {
      return `it was signed by workflow ${got.san ?? '(no SAN)'}, not by ${expected}`;
    }
  } else if (
    !/\/\.github\/workflows\/image\.yml$/i.test(workflow) ||
    !workflow.startsWith(server)
  ) {
    return `it was signed by workflow ${got.san ?? '(no SAN)'}, not by an image.yml of this project`;
  }
  if (got.buildSignerUri !== undefined && got.san !== undefined && got.buildSignerUri !== got.san) {
    return `its Build Signer URI ${got.buildSignerUri} is not its SAN ${got.san}`;
  }
  return undefined;
}

/** The string in a DER UTF8String (or any short-form/long-form primitive string). */
function derString(b: Buffer): string {
  if (b.length < 2) return b.toString('utf8');
  const first = b[1]!;
  const offset = first < 0x80 ? 2 : 2 + (first & 0x7f);
  return b.subarray(offset).toString('utf8');
}
