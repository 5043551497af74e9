import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobClient } from '@azure/storage-blob';
import { getPromoteInputs } from '../../src/actions/promote/inputs.js';
import { productionDefinitionName, promote } from '../../src/gallery/promote.js';
import { publish } from '../../src/gallery/publish.js';
import { ConfigurationError, InputError } from '../../src/common/errors.js';
import { RecordingLogger } from '../../src/common/logger.js';
import { ensureGallery } from '../../src/gallery/ensure-gallery.js';
import { ensureImageDefinition } from '../../src/gallery/ensure-definition.js';
import { recordInputReader } from '../../src/common/inputs.js';
import {
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
  CLIENT,
} from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { publishContext, settingsFor } from '../helpers/publish.js';
import { runBundledAction } from '../helpers/runner.js';
import { uploadVhd } from '../helpers/vhd.js';

let emu: TestEmulator;
let storageAccountId: string;
const COMMUNITY = {
  sharing: 'community',
  'public-name-prefix': 'ClusterAPI',
  'publisher-uri': 'https://capz.sigs.k8s.io',
  'publisher-contact': 'capz@example.com',
  eula: 'https://www.apache.org/licenses/LICENSE-2.0',
};

function promoteInputs(source: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'subscription-id': SUBSCRIPTION,
    'tenant-id': TENANT,
    'client-id': CLIENT,
    'arm-endpoint': emu.endpoint,
    'authority-host': emu.authorityHost,
    'source-image-version-id': source,
    'resource-group': 'rg-prod',
    location: 'westus2',
    gallery: 'ClusterAPI',
    'target-regions': 'westus2 eastus=2 northeurope',
    'poll-interval-seconds': '1',
    'create-gallery': 'true',
    ...COMMUNITY,
    ...extra,
  };
}
const promoteSettings = (source: string, extra: Record<string, string> = {}) =>
  getPromoteInputs(recordInputReader(promoteInputs(source, extra)), new Date('2024-11-01'));

/** Publishes a confidential-VM image to the private staging gallery, as validate would test it. */
async function stage(version: string, sha: string): Promise<string> {
  const uri = await uploadVhd(
    emu.blobEndpoint,
    'promotestore',
    emu.credential(),
    `stage-${version}-${sha[0]}.vhd`,
  );
  await new BlobClient(uri, emu.credential()).setMetadata({ sha256: sha });
  const settings = settingsFor(emu, {
    'kubernetes-version': version,
    source: uri,
    'source-storage-account-id': storageAccountId,
    'image-definition': 'capi-ubuntu-2404-cvm',
    'security-type': 'ConfidentialVmSupported',
    sku: 'ubuntu-2404-cvm',
    tags: 'image-builder=v0.1.40',
    'if-exists': 'replace',
  });
  return (await publish(settings, publishContext(emu, settings))).version.id;
}

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 30, replicationMs: 120 } });
  storageAccountId = await seedStorage(emu, 'rg-publish', 'promotestore');
});
afterAll(async () => {
  await emu.dispose();
});

describe('promote on the stand-in', () => {
  it('maps staging definition names to CAPZ production names', () => {
    expect(productionDefinitionName('capi-ubuntu-2404-cvm')).toBe('capi-ubun2-2404-cvm');
    expect(productionDefinitionName('capi-windows-2022-containerd')).toBe(
      'capi-win-2022-containerd',
    );
    expect(productionDefinitionName('my-image')).toBe('my-image');
  });

  it('copies the tested staging version into a community gallery, keeping CVM features and the digest', async () => {
    const staged = await stage('1.31.2', 'a'.repeat(64));
    const report = join(tmpdir(), `report-${Date.now()}.json`);
    writeFileSync(report, JSON.stringify({ result: 'passed' }));
    const settings = promoteSettings(staged, {
      'validation-report': report,
      tags: 'channel=stable',
    });
    const ctx = publishContext(emu, settingsFor(emu, { 'image-version': '0.0.1', source: staged }));
    const result = await promote(settings, ctx);

    expect(result.version.action).toBe('created');
    expect(result.settings.imageDefinition).toBe('capi-ubun2-2404-cvm');
    expect(result.version.digest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(result.endOfLifeDate).toBe('2025-11-11'); // 1.31's end of life in our calendar fixture
    expect(result.version.regions.map((r) => [r.region, r.replicas])).toEqual([
      ['West US 2', 3],
      ['East US', 2],
      ['North Europe', 3],
    ]);

    const compute = emu.compute();
    const copy = await compute.galleryImageVersions.get(
      'rg-prod',
      'ClusterAPI',
      'capi-ubun2-2404-cvm',
      '1.31.2',
    );
    expect(copy.storageProfile?.source?.id).toBe(staged);
    expect(copy.tags).toMatchObject({
      'image-builder': 'v0.1.40',
      channel: 'stable',
      'promoted-from': staged,
      'content-digest': `sha256:${'a'.repeat(64)}`,
    });
    expect(copy.tags?.['validation-report-sha256']).toMatch(/^[0-9a-f]{64}$/);
    const definition = await compute.galleryImages.get(
      'rg-prod',
      'ClusterAPI',
      'capi-ubun2-2404-cvm',
    );
    expect(definition.features).toEqual([
      { name: 'SecurityType', value: 'ConfidentialVmSupported' },
    ]);
    expect(definition.hyperVGeneration).toBe('V2');

    const community = await compute.communityGalleryImageVersions.get(
      'northeurope',
      result.publicName!,
      'capi-ubun2-2404-cvm',
      '1.31.2',
    );
    expect(community.uniqueId).toBe(
      `/CommunityGalleries/${result.publicName}/Images/capi-ubun2-2404-cvm/Versions/1.31.2`,
    );
    expect(result.imageReference).toBe(
      `computeGallery:\n  gallery: ${result.publicName}\n  name: capi-ubun2-2404-cvm\n  version: "1.31.2"\n`,
    );
  });

  it('writes nothing when run again, and refuses different staged content unless replace', async () => {
    const staged = await stage('1.30.6', 'b'.repeat(64));
    const ctx = () =>
      publishContext(emu, settingsFor(emu, { 'image-version': '0.0.1', source: staged }));
    await promote(promoteSettings(staged), ctx());
    const seq = (await emu.admin<{ seq: number }[]>('GET', '/requests')).at(-1)!.seq;
    const again = await promote(promoteSettings(staged), ctx());
    expect(again.version.action).toBe('unchanged');
    const writes = (
      await emu.admin<{ method: string; path: string }[]>('GET', `/requests?since=${seq}`)
    ).filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !r.path.startsWith('[login]'));
    expect(writes).toEqual([]);

    const restaged = await stage('1.30.6', 'c'.repeat(64));
    await expect(promote(promoteSettings(restaged), ctx())).rejects.toThrow(ConfigurationError);
    const replaced = await promote(promoteSettings(restaged, { 'if-exists': 'replace' }), ctx());
    expect(replaced.version.action).toBe('replaced');
    expect(replaced.version.gapMs).toBeGreaterThan(0);
  });

  it('runs as a bundle and sets the outputs', async () => {
    const staged = await stage('1.29.10', 'd'.repeat(64));
    const run = await runBundledAction(
      'promote',
      promoteInputs(staged, { 'end-of-life-date': 'none' }),
      {
        NODE_EXTRA_CA_CERTS: emu.caCertPath,
        ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidcRequestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs['image-version-id']).toMatch(
      /galleries\/ClusterAPI\/images\/capi-ubun2-2404-cvm\/versions\/1\.29\.10$/,
    );
    expect(run.outputs['community-image-id']).toMatch(
      /^\/CommunityGalleries\/ClusterAPI-[0-9a-f-]{36}\/Images\/capi-ubun2-2404-cvm\/Versions\/1\.29\.10$/,
    );
    expect(run.outputs.created).toBe('true');
    expect(run.summary).toContain('| Security type | ConfidentialVmSupported |');
  });

  it('refuses a source that is not a version ID, before any request', async () => {
    const bad = await runBundledAction('promote', promoteInputs('/subscriptions/x/images/y'), {
      NODE_EXTRA_CA_CERTS: emu.caCertPath,
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/::error::Invalid input 'source-image-version-id'/);
  });
});

/** What image-builder's init-sig.sh makes in staging: identifier capz/capz-demo/<sku>, V1. */
async function stageFromInitSig(version: string, sha: string): Promise<string> {
  const uri = await uploadVhd(
    emu.blobEndpoint,
    'promotestore',
    emu.credential(),
    `ib-${version}-${sha[0]}.vhd`,
  );
  await new BlobClient(uri, emu.credential()).setMetadata({ sha256: sha });
  const settings = settingsFor(emu, {
    'kubernetes-version': version,
    source: uri,
    'source-storage-account-id': storageAccountId,
    'image-definition': 'capi-ubuntu-2404',
    'hyper-v-generation': 'V1',
    'security-type': 'Standard',
    publisher: 'capz',
    offer: 'capz-demo',
    sku: '24_04-lts',
  });
  return (await publish(settings, publishContext(emu, settings))).version.id;
}

/**
 * A community gallery as image-builder's publishing workflow leaves it (build-azure-sig.yaml
 * l. 721, 760-762): definitions `capi-ubun2-<ver>` with identifier
 * `<publisher>/reference-images/<os>-<ver>`, no SecurityType feature.
 */
async function imageBuilderCommunityGallery(rg: string, gallery: string): Promise<string> {
  const compute = emu.compute();
  const logger = new RecordingLogger();
  const wait = { pollIntervalMs: 25 };
  await emu.admin('POST', '/seed', {
    resources: [{ id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}`, location: 'westus2' }],
  });
  const made = await ensureGallery(
    compute,
    {
      resourceGroup: rg,
      name: gallery,
      location: 'westus2',
      community: {
        publicNamePrefix: 'ClusterAPI',
        publisherUri: 'https://capz.sigs.k8s.io',
        publisherContact: 'capz@example.com',
        eula: 'https://www.apache.org/licenses/LICENSE-2.0',
      },
    },
    logger,
    wait,
  );
  await ensureImageDefinition(
    compute,
    {
      resourceGroup: rg,
      gallery,
      name: 'capi-ubun2-2404',
      location: 'westus2',
      osType: 'Linux',
      osState: 'Generalized',
      hyperVGeneration: 'V1',
      architecture: 'x64',
      securityType: 'Standard',
      identifier: { publisher: 'example-sig', offer: 'reference-images', sku: 'ubuntu-2404' },
    },
    logger,
    wait,
  );
  return made.publicName!;
}

describe('promote into a production gallery image-builder made (issue 10 items 4, 5)', () => {
  it('uses the existing definition with its own identifier, while staging has capz/capz-demo', async () => {
    const publicName = await imageBuilderCommunityGallery('rg-community', 'community_gallery');
    const staged = await stageFromInitSig('1.31.4', 'e'.repeat(64));
    const logger = new RecordingLogger();
    const ctx = {
      ...publishContext(emu, settingsFor(emu, { 'image-version': '0.0.1', source: staged })),
      logger,
    };
    const result = await promote(
      promoteSettings(staged, {
        'resource-group': 'rg-community',
        gallery: 'community_gallery',
        'create-gallery': 'false',
        'community-gallery-public-name': publicName,
        // What the workflows pass for a new definition; the existing one keeps its own.
        publisher: 'someone-else',
        offer: 'reference-images',
        sku: 'ubuntu-2404',
      }),
      ctx,
    );
    expect(result.version.action).toBe('created');
    expect(result.settings.imageDefinition).toBe('capi-ubun2-2404');
    expect(result.definitionExisted).toBe(true);
    expect(result.identifier).toEqual({
      publisher: 'example-sig',
      offer: 'reference-images',
      sku: 'ubuntu-2404',
    });
    expect(logger.lines.map((l) => l.message).join('\n')).toMatch(
      /Input 'publisher' differ.*existing definition's identifier example-sig\/reference-images\/ubuntu-2404/,
    );
  });

  it('gives a new production definition the identifier from the inputs', async () => {
    const staged = await stageFromInitSig('1.31.5', 'f'.repeat(64));
    const result = await promote(
      promoteSettings(staged, {
        'resource-group': 'rg-community',
        gallery: 'community_gallery',
        'create-gallery': 'false',
        'image-definition': 'capi-ubun2-2404-new',
        publisher: 'example-sig',
        offer: 'reference-images',
        sku: 'ubuntu-2404-new',
      }),
      publishContext(emu, settingsFor(emu, { 'image-version': '0.0.1', source: staged })),
    );
    expect(result.definitionExisted).toBe(false);
    const definition = await emu
      .compute()
      .galleryImages.get('rg-community', 'community_gallery', 'capi-ubun2-2404-new');
    expect(definition.identifier).toEqual({
      publisher: 'example-sig',
      offer: 'reference-images',
      sku: 'ubuntu-2404-new',
    });
  });

  it('refuses a mistyped production gallery, naming the input, and creates nothing', async () => {
    const staged = await stageFromInitSig('1.31.6', '1'.repeat(64));
    const seq = (await emu.admin<{ seq: number }[]>('GET', '/requests')).at(-1)!.seq;
    const typo = promote(
      promoteSettings(staged, {
        'resource-group': 'rg-typo',
        gallery: 'ClusterAPl',
        'create-gallery': 'false',
      }),
      publishContext(emu, settingsFor(emu, { 'image-version': '0.0.1', source: staged })),
    );
    await expect(typo).rejects.toThrow(InputError);
    await expect(typo).rejects.toThrow(/Invalid input 'gallery': 'ClusterAPl'.*create-gallery/s);
    const writes = (
      await emu.admin<{ method: string; path: string }[]>('GET', `/requests?since=${seq}`)
    ).filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !r.path.startsWith('[login]'));
    expect(writes).toEqual([]);
  });

  it('refuses a gallery whose public name is not the pinned one', async () => {
    const staged = await stageFromInitSig('1.31.7', '2'.repeat(64));
    await expect(
      promote(
        promoteSettings(staged, {
          'resource-group': 'rg-community',
          gallery: 'community_gallery',
          'create-gallery': 'false',
          'community-gallery-public-name': 'ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019',
        }),
        publishContext(emu, settingsFor(emu, { 'image-version': '0.0.1', source: staged })),
      ),
    ).rejects.toThrow(
      /Invalid input 'community-gallery-public-name': 'ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019'\. Gallery 'community_gallery' .* has public name 'ClusterAPI-/,
    );
  });

  it('fails as a bundle with the default create-gallery when the gallery is mistyped', async () => {
    const staged = await stageFromInitSig('1.31.8', '3'.repeat(64));
    const inputs = promoteInputs(staged, { gallery: 'ClusterAPl', 'resource-group': 'rg-typo2' });
    delete inputs['create-gallery'];
    const run = await runBundledAction('promote', inputs, {
      NODE_EXTRA_CA_CERTS: emu.caCertPath,
      ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidcRequestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::Invalid input 'gallery': 'ClusterAPl'/);
    const resources = await emu.admin<{ id: string }[]>('GET', '/resources');
    expect(resources.some((r) => /rg-typo2/i.test(r.id))).toBe(false);
  });
});
