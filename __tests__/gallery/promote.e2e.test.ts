import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobClient } from '@azure/storage-blob';
import { getPromoteInputs } from '../../src/actions/promote/inputs.js';
import { productionDefinitionName, promote } from '../../src/gallery/promote.js';
import { publish } from '../../src/gallery/publish.js';
import { ConfigurationError } from '../../src/common/errors.js';
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
