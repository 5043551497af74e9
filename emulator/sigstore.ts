/**
 * The stand-in's Sigstore: a certificate authority that issues Fulcio-shaped code-signing
 * certificates, and a timestamp authority that countersigns signatures (RFC 3161), both offline.
 * It is shaped like GitHub's own Sigstore instance, the one that signs attestations of private
 * repositories: certificates carry no SCT, bundles no transparency-log entry, and a signed
 * timestamp is what proves the short-lived certificate was valid when it signed.
 *
 * - The root CA's subject names the organization `GitHub, Inc.`: verifiers (gh attestation
 *   verify, our src/provenance) choose their policy by the leaf's issuer organization
 *   (cli/cli pkg/cmd/attestation/verification/sigstore.go, `chooseVerifier`), so bundles from
 *   here get the policy GitHub's own get. Its common name says it is the stand-in, with a
 *   suffix of its own per data dir.
 * - A leaf per signature: an ephemeral ECDSA P-256 key, valid ten minutes (Fulcio's lifetime),
 *   an empty subject, the SAN URI and the OID extensions Fulcio derives from a GitHub Actions ID
 *   token (sigstore/fulcio config/identity/config.yaml, `ci-issuer-metadata` → `github-workflow`;
 *   OIDs in docs/oid-info.md: 1.3.6.1.4.1.57264.1.8 to .1.24 are DER UTF8Strings).
 * - A timestamp: a TimeStampResp (RFC 3161 §2.4.2) over the SHA-256 of the signature, signed by
 *   a TSA leaf under the same root; @sigstore/verify checks it against the trusted root's
 *   `timestampAuthorities` (@sigstore/verify dist/timestamp/tsa.js).
 * - `trustedRoot()`: the Sigstore `trusted_root.json` (protobuf-specs
 *   `dev.sigstore.trustedroot.v1.TrustedRoot`, JSON form) a verifier is given to trust this CA
 *   and TSA, as `gh attestation trusted-root` prints one per instance.
 *
 * Keys and certificates live in the data dir (`sigstore-ca.json`), made once, so every stand-in
 * process on a data dir issues under the same root.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  bits,
  boolean,
  contentOf,
  explicit,
  generalizedTime,
  implicitConstructed,
  implicitPrimitive,
  integer,
  name,
  namedBits,
  octets,
  oid,
  sequence,
  set,
  time,
  utf8,
  type Der,
} from './der.js';

export const STANDIN_CA_ORGANIZATION = 'GitHub, Inc.';
/** Fulcio's certificates live ten minutes. */
export const LEAF_LIFETIME_MS = 10 * 60_000;

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const IN_TOTO = 'application/vnd.in-toto+json';
const SHA256 = '2.16.840.1.101.3.4.2.1';

/** Fulcio's OIDs (sigstore/fulcio docs/oid-info.md). */
export const FULCIO_OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  sourceRepositoryIdentifier: '1.3.6.1.4.1.57264.1.15',
  sourceRepositoryOwnerUri: '1.3.6.1.4.1.57264.1.16',
  sourceRepositoryOwnerIdentifier: '1.3.6.1.4.1.57264.1.17',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
  buildConfigDigest: '1.3.6.1.4.1.57264.1.19',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
  runInvocationUri: '1.3.6.1.4.1.57264.1.21',
  sourceRepositoryVisibility: '1.3.6.1.4.1.57264.1.22',
  deploymentEnvironment: '1.3.6.1.4.1.57264.1.23',
} as const;

/** The claims of a GitHub Actions ID token Fulcio reads (docs.github.com OIDC reference). */
export type WorkflowClaims = Record<string, string | undefined> & {
  iss: string;
  repository: string;
  job_workflow_ref: string;
};

interface Material {
  rootKeyPem: string;
  rootCert: string;
  tsaKeyPem: string;
  tsaCert: string;
  notBefore: string;
  /** Names this data dir's root and TSA apart from another stand-in's. */
  suffix: string;
  organization: string;
}

interface Loaded {
  rootKey: KeyObject;
  rootCert: Buffer;
  rootSubject: Der;
  tsaKey: KeyObject;
  tsaCert: Buffer;
  tsaSerial: Buffer;
  notBefore: Date;
  suffix: string;
  organization: string;
}

export interface SignOptions {
  /** The signing time (the leaf's start and the timestamp); default now. */
  now?: Date;
  /** When the timestamp says the signature was seen; default `now`. */
  timestampAt?: Date;
  /** `https://github.com`, or a GHES/ghe.com host: Fulcio's `url` template value. */
  serverUrl?: string;
}

export class StandInSigstore {
  private readonly file: string;
  private loaded?: Loaded;

  /**
   * `organization` names the issuer of the certificates made on a new data dir (tests make a
   * `sigstore.dev` one to take the public-good path).
   */
  constructor(
    dataDir: string,
    private readonly organization = STANDIN_CA_ORGANIZATION,
  ) {
    this.file = join(dataDir, 'sigstore-ca.json');
  }

  /**
   * Signs `payload` (a DSSE PAE, or any bytes) with a fresh key certified for `claims`, and
   * timestamps the signature. Returns the DER leaf certificate, the signature and the DER
   * TimeStampResp.
   */
  sign(
    pae: Buffer,
    claims: WorkflowClaims,
    options: SignOptions = {},
  ): { certificate: Buffer; signature: Buffer; timestamp: Buffer } {
    const m = this.material();
    const now = options.now ?? new Date();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certificate = this.leaf(m, publicKey, claims, now, options.serverUrl);
    const signature = sign('sha256', pae, privateKey);
    const timestamp = this.timestamp(m, signature, options.timestampAt ?? now);
    return { certificate, signature, timestamp };
  }

  /**
   * An in-toto statement signed as GitHub's Sigstore signs attestations: a v0.3 bundle
   * (sigstore/protobuf-specs `Bundle`) with the leaf in `verificationMaterial.certificate`, the
   * timestamp in `timestampVerificationData`, no log entry, and a DSSE envelope.
   */
  bundle(
    statement: unknown,
    claims: WorkflowClaims,
    options: SignOptions = {},
  ): Record<string, unknown> {
    const payload = Buffer.from(JSON.stringify(statement));
    const signed = this.sign(dssePae(IN_TOTO, payload), claims, options);
    return {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        certificate: { rawBytes: signed.certificate.toString('base64') },
        tlogEntries: [],
        timestampVerificationData: {
          rfc3161Timestamps: [{ signedTimestamp: signed.timestamp.toString('base64') }],
        },
      },
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: IN_TOTO,
        signatures: [{ sig: signed.signature.toString('base64'), keyid: '' }],
      },
    };
  }

  /** The trusted_root.json that trusts this CA and TSA. */
  trustedRoot(): Record<string, unknown> {
    const m = this.material();
    const start = m.notBefore.toISOString();
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      certificateAuthorities: [
        {
          subject: { organization: m.organization, commonName: this.commonName('root') },
          uri: 'https://fulcio.stand-in.local',
          certChain: { certificates: [{ rawBytes: m.rootCert.toString('base64') }] },
          validFor: { start },
        },
      ],
      ctlogs: [],
      timestampAuthorities: [
        {
          subject: { organization: m.organization, commonName: this.commonName('tsa') },
          uri: 'https://timestamp.stand-in.local',
          certChain: {
            certificates: [
              { rawBytes: m.tsaCert.toString('base64') },
              { rawBytes: m.rootCert.toString('base64') },
            ],
          },
          validFor: { start },
        },
      ],
    };
  }

  private commonName(what: 'root' | 'tsa'): string {
    return `compute-gallery-actions stand-in ${what === 'tsa' ? 'TSA' : 'root'} ${this.material().suffix}`;
  }

  private leaf(
    m: Loaded,
    publicKey: KeyObject,
    claims: WorkflowClaims,
    now: Date,
    serverUrl = 'https://github.com',
  ): Buffer {
    const url = serverUrl.replace(/\/+$/, '');
    const c = (k: string): string | undefined => claims[k] || undefined;
    const runUri =
      c('run_id') && c('run_attempt')
        ? `${url}/${claims.repository}/actions/runs/${c('run_id')}/attempts/${c('run_attempt')}`
        : undefined;
    // Fulcio's github-workflow templates: value ← claim.
    const values: [string, string | undefined][] = [
      [FULCIO_OID.issuer, claims.iss],
      [FULCIO_OID.buildSignerUri, `${url}/${claims.job_workflow_ref}`],
      [FULCIO_OID.buildSignerDigest, c('job_workflow_sha')],
      [FULCIO_OID.runnerEnvironment, c('runner_environment')],
      [FULCIO_OID.sourceRepositoryUri, `${url}/${claims.repository}`],
      [FULCIO_OID.sourceRepositoryDigest, c('sha')],
      [FULCIO_OID.sourceRepositoryRef, c('ref')],
      [FULCIO_OID.sourceRepositoryIdentifier, c('repository_id')],
      [
        FULCIO_OID.sourceRepositoryOwnerUri,
        `${url}/${c('repository_owner') ?? claims.repository.split('/')[0]}`,
      ],
      [FULCIO_OID.sourceRepositoryOwnerIdentifier, c('repository_owner_id')],
      [FULCIO_OID.buildConfigUri, c('workflow_ref') && `${url}/${c('workflow_ref')}`],
      [FULCIO_OID.buildConfigDigest, c('workflow_sha')],
      [FULCIO_OID.buildTrigger, c('event_name')],
      [FULCIO_OID.runInvocationUri, runUri],
      [FULCIO_OID.sourceRepositoryVisibility, c('repository_visibility')],
      [FULCIO_OID.deploymentEnvironment, c('environment')],
    ];
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const extensions = [
      extension('2.5.29.15', namedBits(0x80), true), // keyUsage: digitalSignature
      extension('2.5.29.37', sequence(oid('1.3.6.1.5.5.7.3.3'))), // extKeyUsage: codeSigning
      extension('2.5.29.14', octets(keyId(spki))),
      extension('2.5.29.35', sequence(implicitPrimitive(0, keyId(rootSpki(m))))),
      // An empty subject makes the SAN critical (RFC 5280 §4.2.1.6); a URI is [6] IA5String.
      extension(
        '2.5.29.17',
        sequence(implicitPrimitive(6, Buffer.from(`${url}/${claims.job_workflow_ref}`))),
        true,
      ),
      // The deprecated issuer extension, a raw string, which Fulcio still writes.
      extension(FULCIO_OID.issuerV1, Buffer.from(claims.iss)),
      ...values
        .filter((v): v is [string, string] => typeof v[1] === 'string' && v[1].length > 0)
        .map(([id, v]) => extension(id, utf8(v))),
    ];
    return certificate(m.rootKey, {
      serial: randomBytes(16),
      issuer: m.rootSubject,
      subject: sequence(),
      notBefore: now,
      notAfter: new Date(now.getTime() + LEAF_LIFETIME_MS),
      spki,
      extensions,
    });
  }

  private timestamp(m: Loaded, signature: Buffer, at: Date): Buffer {
    const tstInfo = sequence(
      integer(1),
      oid('1.3.6.1.4.1.57264.2'), // the Sigstore TSA's policy OID (fulcio docs/oid-info.md)
      sequence(sequence(oid(SHA256)), octets(createHash('sha256').update(signature).digest())),
      integer(randomBytes(16)),
      generalizedTime(at),
    );
    const attributes = [
      sequence(oid('1.2.840.113549.1.9.3'), set(oid('1.2.840.113549.1.9.16.1.4'))),
      sequence(
        oid('1.2.840.113549.1.9.4'),
        set(octets(createHash('sha256').update(tstInfo).digest())),
      ),
    ];
    // The signature covers the attributes as a SET OF (RFC 5652 §5.4); they are then written
    // under [0] IMPLICIT.
    const signedAttrs = set(...attributes);
    const attrSignature = sign('sha256', signedAttrs, m.tsaKey);
    const signerInfo = sequence(
      integer(1),
      sequence(m.rootSubject, integer(m.tsaSerial)),
      sequence(oid(SHA256)),
      implicitConstructed(0, contentOf(signedAttrs)),
      sequence(oid(ECDSA_WITH_SHA256)),
      octets(attrSignature),
    );
    const signedData = sequence(
      integer(3),
      set(sequence(oid(SHA256))),
      sequence(oid('1.2.840.113549.1.9.16.1.4'), explicit(0, octets(tstInfo))),
      implicitConstructed(0, m.tsaCert),
      set(signerInfo),
    );
    const token = sequence(oid('1.2.840.113549.1.7.2'), explicit(0, signedData));
    return sequence(sequence(integer(0)), token);
  }

  private material(): Loaded {
    if (this.loaded) return this.loaded;
    if (!existsSync(this.file)) {
      mkdirSync(dirname(this.file), { recursive: true });
      try {
        // `wx`: a second stand-in on the same data dir making its own at the same moment loses,
        // and reads the first one's, so both issue under one root.
        writeFileSync(this.file, JSON.stringify(makeMaterial(this.organization)), {
          flag: 'wx',
          mode: 0o600,
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const raw = JSON.parse(readFileSync(this.file, 'utf8')) as Material;
    const rootCert = Buffer.from(raw.rootCert, 'base64');
    const tsaCert = Buffer.from(raw.tsaCert, 'base64');
    this.loaded = {
      rootKey: createPrivateKey(raw.rootKeyPem),
      rootCert,
      rootSubject: subjectOf(rootCert),
      tsaKey: createPrivateKey(raw.tsaKeyPem),
      tsaCert,
      tsaSerial: serialOf(tsaCert),
      notBefore: new Date(raw.notBefore),
      suffix: raw.suffix,
      organization: raw.organization,
    };
    return this.loaded;
  }
}

/** A root CA and a TSA leaf under it, valid ten years from a minute ago. */
function makeMaterial(
  organization: string,
  notBefore = new Date(Date.now() - 60_000),
  years = 10,
): Material {
  const notAfter = new Date(notBefore.getTime() + years * 365 * 24 * 3600_000);
  const suffix = randomBytes(4).toString('hex');
  const root = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rootSpkiDer = root.publicKey.export({ type: 'spki', format: 'der' });
  const rootSubject = name({
    organization,
    commonName: `compute-gallery-actions stand-in root ${suffix}`,
  });
  const rootCert = certificate(root.privateKey, {
    serial: randomBytes(16),
    issuer: rootSubject,
    subject: rootSubject,
    notBefore,
    notAfter,
    spki: rootSpkiDer,
    extensions: [
      extension('2.5.29.15', namedBits(0x06), true), // keyCertSign, cRLSign
      extension('2.5.29.19', sequence(boolean(true)), true),
      extension('2.5.29.14', octets(keyId(rootSpkiDer))),
    ],
  });
  const tsa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tsaSpki = tsa.publicKey.export({ type: 'spki', format: 'der' });
  const tsaCert = certificate(root.privateKey, {
    serial: randomBytes(16),
    issuer: rootSubject,
    subject: name({
      organization,
      commonName: `compute-gallery-actions stand-in TSA ${suffix}`,
    }),
    notBefore,
    notAfter,
    spki: tsaSpki,
    extensions: [
      extension('2.5.29.15', namedBits(0x80), true), // digitalSignature
      extension('2.5.29.37', sequence(oid('1.3.6.1.5.5.7.3.8')), true), // timeStamping
      extension('2.5.29.14', octets(keyId(tsaSpki))),
      extension('2.5.29.35', sequence(implicitPrimitive(0, keyId(rootSpkiDer)))),
    ],
  });
  return {
    rootKeyPem: root.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    rootCert: rootCert.toString('base64'),
    tsaKeyPem: tsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    tsaCert: tsaCert.toString('base64'),
    notBefore: notBefore.toISOString(),
    suffix,
    organization,
  };
}

/** DSSE's pre-authentication encoding (DSSE spec v1, "Protocol"): what is signed. */
export function dssePae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
    payload,
  ]);
}

function certificate(
  issuerKey: KeyObject,
  c: {
    serial: Buffer;
    issuer: Der;
    subject: Der;
    notBefore: Date;
    notAfter: Date;
    spki: Buffer;
    extensions: Der[];
  },
): Buffer {
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(c.serial),
    algorithm,
    c.issuer,
    sequence(time(c.notBefore), time(c.notAfter)),
    c.subject,
    c.spki,
    explicit(3, sequence(...c.extensions)),
  );
  return sequence(tbs, algorithm, bits(sign('sha256', tbs, issuerKey)));
}

function extension(id: string, value: Buffer, critical = false): Der {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octets(value));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (here: of the whole SPKI). */
function keyId(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

function rootSpki(m: Loaded): Buffer {
  return createPublicKey(m.rootKey).export({ type: 'spki', format: 'der' });
}

/** Walks a DER certificate to its tbsCertificate's fields. */
function tbsFields(cert: Buffer): Buffer[] {
  const tbs = children(contentOf(cert))[0]!;
  return children(contentOf(tbs));
}

function children(content: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < content.length;) {
    const first = content[i + 1]!;
    let len = first;
    let header = 2;
    if (first >= 0x80) {
      const n = first & 0x7f;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + content[i + 2 + k]!;
      header = 2 + n;
    }
    out.push(content.subarray(i, i + header + len));
    i += header + len;
  }
  return out;
}

function subjectOf(cert: Buffer): Der {
  return Buffer.from(tbsFields(cert)[5]!);
}

function serialOf(cert: Buffer): Buffer {
  return Buffer.from(contentOf(tbsFields(cert)[1]!));
}
