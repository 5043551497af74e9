/**
 * Signed provenance end to end on the stand-in: a staging version attested (the stand-in signs
 * as actions/attest-build-provenance would, with a certificate and a timestamp), the attestation
 * recorded on it, verified and carried to production by promote; and versions whose content
 * digest is not what was attested, or whose attestation someone else signed, refused.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BlobClient } from '@azure/storage-blob';
import { getPromoteInputs } from '../../src/actions/promote/inputs.js';
import { RecordingLogger } from '../../src/common/logger.js';
import { recordInputReader } from '../../src/common/inputs.js';
import { recordAttestation } from '../../src/gallery/attestation-tags.js';
import { parseGalleryImageVersionId } from '../../src/gallery/identifiers.js';
import { promote } from '../../src/gallery/promote.js';
import { publish } from '../../src/gallery/publish.js';
import type { AttestationSource } from '../../src/provenance/github.js';
import { subjectDigestOf } from '../../src/provenance/subject.js';
import { TrustedRoots } from '../../src/provenance/trusted-root.js';
import { verifyAttestation } from '../../src/provenance/verify.js';
import { standInAttestations, standInRoots, standInSigner } from '../helpers/attestations.js';
import {
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
  CLIENT,
} from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { publishContext, settingsFor } from '../helpers/publish.js';
import { uploadVhd } from '../helpers/vhd.js';

const REPO = 'capz-images/compute-gallery-actions';
let emu: TestEmulator;
let storageAccountId: string;
let key: string;
let attestations: AttestationSource;

async function stage(version: string, sha: string): Promise<string> {
  const uri = await uploadVhd(emu.blobEndpoint, 'attestore', emu.credential(), `s-${version}.vhd`);
  await new BlobClient(uri, emu.credential()).setMetadata({ sha256: sha });
  const settings = settingsFor(emu, {
    'kubernetes-version': version,
    source: uri,
    'source-storage-account-id': storageAccountId,
    'image-definition': 'capi-ubuntu-2404',
    sku: 'ubuntu-2404',
  });
  return (await publish(settings, publishContext(emu, settings))).version.id;
}

/**
 * What image.yml's attest job does: attest the version's digest (the stand-in signs, as
 * actions/attest-build-provenance would), then record-attestation tags the version. Without
 * `record`, only the `attestation` tag is written, by hand.
 */
async function attestAndRecord(
  id: string,
  digest: string,
  record = true,
  claims: Record<string, string> = {},
): Promise<string> {
  const made = await emu.admin<{ url: string }>('POST', '/attestations', {
    repository: REPO,
    subjectName: id,
    subjectDigest: subjectDigestOf(digest),
    claims,
  });
  if (record) {
    await recordAttestation(
      emu.compute(),
      parseGalleryImageVersionId(id)!,
      { url: made.url, subjectDigest: subjectDigestOf(digest) },
      { logger: new RecordingLogger(), pollIntervalMs: 20 },
    );
  } else {
    await setTag(id, 'attestation', made.url);
  }
  return made.url;
}

async function setTag(id: string, name: string, value: string): Promise<void> {
  const [, , , , rg, , , , gallery, , def, , ver] = id.split('/');
  const compute = emu.compute();
  const current = await compute.galleryImageVersions.get(rg!, gallery!, def!, ver!);
  await compute.galleryImageVersions.update(
    rg!,
    gallery!,
    def!,
    ver!,
    { tags: { ...current.tags, [name]: value } },
    { updateIntervalInMs: 20 },
  );
}

const promoteTo = (source: string, gallery: string, logger = new RecordingLogger()) => {
  const settings = getPromoteInputs(
    recordInputReader({
      'subscription-id': SUBSCRIPTION,
      'tenant-id': TENANT,
      'client-id': CLIENT,
      'arm-endpoint': emu.endpoint,
      'authority-host': emu.authorityHost,
      'source-image-version-id': source,
      'resource-group': 'rg-prod',
      location: 'westus2',
      gallery,
      sharing: 'private',
      // The test's production gallery is made by its first promotion.
      'create-gallery': 'true',
      'end-of-life-date': 'none',
      'poll-interval-seconds': '1',
    }),
    new Date('2024-11-01'),
  );
  const ctx = publishContext(emu, settingsFor(emu, { 'image-version': '0.0.1', source }));
  return promote(settings, { ...ctx, logger, attestations });
};

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 20, replicationMs: 40 } });
  storageAccountId = await seedStorage(emu, 'rg-publish', 'attestore');
  key = (await emu.admin<{ pem: string }>('GET', '/attestations/key')).pem;
  attestations = await standInAttestations(emu, REPO);
});
afterAll(async () => {
  await emu?.dispose();
});

describe('attestations on the stand-in', () => {
  it("serves GitHub's list shape, paged, with certificate-signed bundles that verify against its root", async () => {
    const digest = `sha256:${'c3'.repeat(32)}`;
    for (let i = 0; i < 3; i++)
      await emu.admin('POST', '/attestations', {
        repository: REPO,
        subjectName: `x${i}`,
        subjectDigest: digest,
      });
    const res = await fetch(`${emu.githubApiUrl}/repos/${REPO}/attestations/${digest}?per_page=2`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      attestations: { bundle: unknown; repository_id: number }[];
    };
    expect(body.attestations).toHaveLength(2);
    expect(res.headers.get('link')).toMatch(/after=\d+>; rel="next"/);
    const bundle = body.attestations[0]!.bundle as {
      verificationMaterial: Record<string, unknown>;
    };
    // GitHub's shape: a certificate and an RFC 3161 timestamp, no log entry.
    expect(Object.keys(bundle.verificationMaterial).sort()).toEqual([
      'certificate',
      'timestampVerificationData',
      'tlogEntries',
    ]);
    const trust = { roots: await standInRoots(emu), signer: standInSigner(REPO) };
    expect((await verifyAttestation(bundle, digest, trust)).status).toBe('verified');
    expect((await verifyAttestation(bundle, `sha256:${'d4'.repeat(32)}`, trust)).status).toBe(
      'mismatch',
    );
    // No root at hand: the signature is not checked, and the result says so.
    expect((await verifyAttestation(bundle, digest)).status).toBe('digest-matches');
    const none = await fetch(
      `${emu.githubApiUrl}/repos/${REPO}/attestations/sha256:${'0'.repeat(64)}`,
    );
    expect(none.status).toBe(404);
  });

  it('still signs with its plain key when asked, verified against that key only', async () => {
    const digest = `sha256:${'c5'.repeat(32)}`;
    const made = await emu.admin<{ bundle: unknown }>('POST', '/attestations', {
      repository: REPO,
      subjectName: 'keyed',
      subjectDigest: digest,
      signing: 'public-key',
    });
    const trusted = [{ hint: '*', pem: key }];
    expect((await verifyAttestation(made.bundle, digest, { trustedKeys: trusted })).status).toBe(
      'verified',
    );
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const wrong = [{ hint: '*', pem: other }];
    expect((await verifyAttestation(made.bundle, digest, { trustedKeys: wrong })).status).toBe(
      'invalid',
    );
  });

  it('refuses to file a bundle under a repository the signing run is not of', async () => {
    const res = await fetch(`${emu.adminEndpoint}/attestations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        repository: REPO,
        subjectName: 'x',
        subjectDigest: `sha256:${'c6'.repeat(32)}`,
        claims: { repository: 'mallory/images' },
      }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain(
      `a run of mallory/images cannot write attestations of ${REPO}`,
    );
  });

  it('promote carries the attestation of a matching version to production', async () => {
    const sha = 'e'.repeat(64);
    const staged = await stage('1.31.4', sha);
    const url = await attestAndRecord(staged, `sha256:${sha}`);
    const logger = new RecordingLogger();
    const result = await promoteTo(staged, 'prod_attested', logger);
    expect(logger.messages('info').join('\n')).toMatch(
      /attestation verified: signed by https:\/\/github\.com\/capz-images\/compute-gallery-actions\/\.github\/workflows\/image\.yml@refs\/heads\/main/,
    );
    const copy = await emu
      .compute()
      .galleryImageVersions.get('rg-prod', 'prod_attested', 'capi-ubun2-2404', '1.31.4');
    expect(result.version.digest).toBe(`sha256:${sha}`);
    // What promote's job summary shows in its Attestation row.
    expect(result.attestation).toMatchObject({
      status: 'verified',
      reason: expect.stringContaining(
        `for https://github.com/${REPO}, chained to the given trusted root`,
      ),
    });
    expect(copy.tags).toMatchObject({
      attestation: url,
      'attestation-digest': `sha256:${sha}`,
      'content-digest': `sha256:${sha}`,
    });
  });

  it('record-attestation tags once, and refuses an attestation of other content', async () => {
    const sha = '5'.repeat(64);
    const staged = await stage('1.31.7', sha);
    const url = await attestAndRecord(staged, `sha256:${sha}`);
    const logger = new RecordingLogger();
    const again = await recordAttestation(
      emu.compute(),
      parseGalleryImageVersionId(staged)!,
      { url, subjectDigest: `sha256:${sha}` },
      { logger, pollIntervalMs: 20 },
    );
    expect(again.changed).toBe(false);
    await expect(
      recordAttestation(
        emu.compute(),
        parseGalleryImageVersionId(staged)!,
        { url, subjectDigest: `sha256:${'6'.repeat(64)}` },
        { logger, pollIntervalMs: 20 },
      ),
    ).rejects.toThrow(/holds sha256:5{64} .*not the attested sha256:6{64}: it changed after/);
    const tags = (
      await emu
        .compute()
        .galleryImageVersions.get('rg-publish', 'staging_gallery', 'capi-ubuntu-2404', '1.31.7')
    ).tags;
    expect(tags).toMatchObject({ attestation: url, 'attestation-digest': `sha256:${sha}` });
  });

  it('promote refuses a version whose content digest does not match its attestation', async () => {
    const staged = await stage('1.31.5', '1'.repeat(64));
    await attestAndRecord(staged, `sha256:${'1'.repeat(64)}`);
    // The version now claims other content than was attested.
    await setTag(staged, 'content-digest', `sha256:${'2'.repeat(64)}`);
    await expect(promote_(staged)).rejects.toThrow(
      /does not match its attestation .*is not the attested sha256:1{64}/,
    );

    // No digest recorded beside it: GitHub's API has no attestation for the digest it carries.
    const other = await stage('1.31.6', '3'.repeat(64));
    await attestAndRecord(other, `sha256:${'4'.repeat(64)}`, false);
    await expect(promote_(other)).rejects.toThrow(
      /GitHub holds no attestation of capz-images\/compute-gallery-actions for sha256:3{64}/,
    );
    const prod = [];
    for await (const v of emu
      .compute()
      .galleryImageVersions.listByGalleryImage('rg-prod', 'prod_attested', 'capi-ubun2-2404'))
      prod.push(v.name);
    expect(prod).toEqual(['1.31.4']);
  });
});

describe('promote and who signed the attestation', () => {
  const prodVersions = async (gallery: string): Promise<string[]> => {
    const out: string[] = [];
    try {
      for await (const v of emu
        .compute()
        .galleryImageVersions.listByGalleryImage('rg-prod', gallery, 'capi-ubun2-2404'))
        out.push(v.name!);
    } catch {
      // no such gallery or definition yet
    }
    return out;
  };

  it('refuses a version attested by another workflow, naming both', async () => {
    const sha = '7'.repeat(64);
    const staged = await stage('1.31.8', sha);
    await attestAndRecord(staged, `sha256:${sha}`, true, {
      job_workflow_ref: `${REPO}/.github/workflows/release.yml@refs/heads/main`,
    });
    await expect(promoteTo(staged, 'prod_signers')).rejects.toThrow(
      `signer not trusted: it was signed by workflow https://github.com/${REPO}/.github/workflows/release.yml@refs/heads/main, not by https://github.com/${REPO}/.github/workflows/image.yml`,
    );
    expect(await prodVersions('prod_signers')).toEqual([]);
  });

  it('refuses a version published by one repository and attested by another', async () => {
    const sha = '8'.repeat(64);
    const staged = await stage('1.31.9', sha);
    await attestAndRecord(staged, `sha256:${sha}`);
    await setTag(staged, 'repository', 'someone/else');
    await expect(promoteTo(staged, 'prod_signers')).rejects.toThrow(
      `it was signed by a run of https://github.com/${REPO}, but the version was published by https://github.com/someone/else`,
    );
    expect(await prodVersions('prod_signers')).toEqual([]);
  });

  it('copies with a warning when no trusted root can be had (digest-matches), never as verified', async () => {
    const sha = '9'.repeat(64);
    const staged = await stage('1.31.10', sha);
    await attestAndRecord(staged, `sha256:${sha}`);
    const logger = new RecordingLogger();
    const settings = getPromoteInputs(
      recordInputReader({
        'subscription-id': SUBSCRIPTION,
        'tenant-id': TENANT,
        'client-id': CLIENT,
        'arm-endpoint': emu.endpoint,
        'authority-host': emu.authorityHost,
        'source-image-version-id': staged,
        'resource-group': 'rg-prod',
        location: 'westus2',
        gallery: 'prod_unchecked',
        sharing: 'private',
        'create-gallery': 'true',
        'end-of-life-date': 'none',
        'poll-interval-seconds': '1',
      }),
      new Date('2024-11-01'),
    );
    const ctx = publishContext(emu, settingsFor(emu, { 'image-version': '0.0.1', source: staged }));
    await promote(settings, {
      ...ctx,
      logger,
      attestations: {
        ...attestations,
        roots: new TrustedRoots({
          fetch: () => Promise.reject(new Error('tuf-repo.github.com is unreachable (test)')),
        }),
      },
    });
    expect(await prodVersions('prod_unchecked')).toEqual(['1.31.10']);
    expect(logger.messages('warning').join('\n')).toMatch(
      /attestation digest-matches: subject digest matches; signature not checked: the trusted root of GitHub's Sigstore instance could not be fetched through TUF from https:\/\/tuf-repo\.github\.com: tuf-repo\.github\.com is unreachable \(test\)/,
    );
  });
});

const promote_ = (source: string) => promoteTo(source, 'prod_attested');
