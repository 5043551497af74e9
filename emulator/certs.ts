import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type forgeModule from 'node-forge';

/**
 * node-forge builds the certificates (node:crypto makes keys but cannot issue an X.509
 * certificate). It is loaded only when a data dir needs new ones: on an existing data dir the
 * stand-in starts without it.
 */
const loadForge = (): typeof forgeModule =>
  createRequire(import.meta.url)('node-forge') as typeof forgeModule;
let forge: typeof forgeModule;

/** The TLS material the stand-in serves with; clients trust `caCertPath` via NODE_EXTRA_CA_CERTS. */
export interface TlsMaterial {
  caCertPath: string;
  caCertPem: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

function newKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  // Node's native generator: node-forge's pure-JS RSA takes seconds per key.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function serial(): string {
  // Positive, non-zero serial: a leading 0x00..0x7f byte keeps the DER integer positive.
  return '01' + randomBytes(15).toString('hex');
}

function makeCa(): { cert: forgeModule.pki.Certificate; key: forgeModule.pki.rsa.PrivateKey } {
  const pair = newKeyPair();
  const key = forge.pki.privateKeyFromPem(pair.privateKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKeyPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600_000);
  // A name of its own per CA: a client trusting two stand-ins' CAs (two data dirs) must not
  // mistake one for the other, which OpenSSL does when issuers share a subject name.
  const attrs = [
    {
      name: 'commonName',
      value: `compute-gallery-actions local Azure stand-in CA ${randomBytes(4).toString('hex')}`,
    },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { cert, key };
}

function makeLeaf(
  ca: { cert: forgeModule.pki.Certificate; key: forgeModule.pki.rsa.PrivateKey },
  hostnames: string[],
): { certPem: string; keyPem: string } {
  const pair = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKeyPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 365 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: hostnames[0] ?? 'localhost' }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes(),
    },
    {
      name: 'subjectAltName',
      altNames: hostnames.map((h) =>
        /^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h },
      ),
    },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: pair.privateKeyPem };
}

/**
 * Loads the CA and server certificate from `dataDir`, creating them on first start. Keeping
 * them across restarts lets a client that already trusts the CA keep talking to a restarted
 * stand-in.
 */
export function ensureTlsMaterial(dataDir: string): TlsMaterial {
  const caCertPath = join(dataDir, 'ca.pem');
  const caKeyPath = join(dataDir, 'ca-key.pem');
  const certPath = join(dataDir, 'server.pem');
  const keyPath = join(dataDir, 'server-key.pem');
  if (![caCertPath, caKeyPath, certPath, keyPath].every((p) => existsSync(p))) {
    forge ??= loadForge();
    const ca = makeCa();
    const leaf = makeLeaf(ca, ['127.0.0.1', 'localhost', '::1']);
    writeFileSync(caCertPath, forge.pki.certificateToPem(ca.cert));
    writeFileSync(caKeyPath, forge.pki.privateKeyToPem(ca.key), { mode: 0o600 });
    writeFileSync(certPath, leaf.certPem);
    writeFileSync(keyPath, leaf.keyPem, { mode: 0o600 });
  }
  return {
    caCertPath,
    caCertPem: readFileSync(caCertPath, 'utf8'),
    certPath,
    keyPath,
    certPem: readFileSync(certPath, 'utf8'),
    keyPem: readFileSync(keyPath, 'utf8'),
  };
}
