import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { BlobClient } from '@azure/storage-blob';
import { publish } from '../../src/gallery/publish.js';
import { ConfigurationError } from '../../src/common/errors.js';
import { armRequest, seedStorage, startTestEmulator, SUBSCRIPTION } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { publishContext, settingsFor } from '../helpers/publish.js';
import { uploadVhd } from '../helpers/vhd.js';

let emu: TestEmulator;
let storageAccountId: string;
const RG = 'rg-publish';

interface Logged {
  seq: number;
  method: string;
  path: string;
  fault?: string;
}

async function lastSeq(): Promise<number> {
  return (await emu.admin<Logged[]>('GET', '/requests')).at(-1)?.seq ?? 0;
}
async function writesSince(seq: number): Promise<Logged[]> {
  return (await emu.admin<Logged[]>('GET', `/requests?since=${seq}`)).filter(
    (r) => ['PUT', 'PATCH', 'POST', 'DELETE'].includes(r.method) && !r.path.startsWith('[login]'),
  );
}
async function vhd(name: string, sha?: string): Promise<string> {
  const uri = await uploadVhd(emu.blobEndpoint, 'publishstore', emu.credential(), name);
  if (sha) await new BlobClient(uri, emu.credential()).setMetadata({ sha256: sha });
  return uri;
}
async function versionsOf(gallery: string, definition: string): Promise<string[]> {
  const names: string[] = [];
  for await (const v of emu
    .compute()
    .galleryImageVersions.listByGalleryImage(RG, gallery, definition))
    names.push(v.name!);
  return names;
}

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 40, replicationMs: 150 } });
  storageAccountId = await seedStorage(emu, RG, 'publishstore');
});
afterAll(async () => {
  await emu.dispose();
});
beforeEach(async () => {
  await emu.admin('DELETE', '/faults');
  await emu.admin('POST', '/settings', { failRegions: [], replicationMs: 150 });
});

describe('publish to the stand-in', () => {
  it('publishes a VHD, then a re-run with the same content writes nothing', async () => {
    const uri = await vhd('node-1.31.2.vhd', 'a'.repeat(64));
    const settings = settingsFor(
      emu,
      {
        'kubernetes-version': 'v1.31.2',
        source: uri,
        'source-storage-account-id': storageAccountId,
        'target-regions': 'westus2=2 eastus=1/Standard_ZRS',
        'end-of-life-date': 'kubernetes',
        tags: 'team=capz',
      },
      new Date('2024-11-01'),
    );
    const first = await publish(settings, publishContext(emu, settings));
    expect(first.version.action).toBe('created');
    expect(first.version.created).toBe(true);
    expect(first.version.digest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(first.version.regions).toEqual([
      {
        region: 'West US 2',
        replicas: 2,
        storageAccountType: 'Standard_LRS',
        state: 'Completed',
        progress: 100,
      },
      {
        region: 'East US',
        replicas: 1,
        storageAccountType: 'Standard_ZRS',
        state: 'Completed',
        progress: 100,
      },
    ]);
    expect(first.imageReference).toBe(
      `computeGallery:\n  gallery: staging_gallery\n  name: capi-ubuntu-2404\n  version: "1.31.2"\n  subscriptionID: ${SUBSCRIPTION}\n  resourceGroup: ${RG}\n`,
    );
    expect(first.endOfLifeDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const stored = await emu
      .compute()
      .galleryImageVersions.get(RG, 'staging_gallery', 'capi-ubuntu-2404', '1.31.2');
    expect(stored.tags).toMatchObject({ team: 'capz', 'content-digest': first.version.digest });
    expect(stored.publishingProfile?.endOfLifeDate?.toISOString().slice(0, 10)).toBe(
      first.endOfLifeDate,
    );

    const seq = await lastSeq();
    const again = await publish(settings, publishContext(emu, settings));
    expect(again.version.action).toBe('unchanged');
    expect(again.version.created).toBe(false);
    expect(await writesSince(seq)).toEqual([]);
  });

  it('publishes from a managed image and from another gallery version', async () => {
    const imageId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/images/packer-image`;
    const made = await armRequest(emu, 'PUT', imageId, {
      location: 'westus2',
      properties: {
        hyperVGeneration: 'V2',
        storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized', diskSizeGB: 30 } },
      },
    });
    expect(made.status).toBe(201);
    await new Promise((r) => setTimeout(r, 60));
    const fromImage = settingsFor(emu, {
      'image-version': '1.30.5',
      source: imageId,
      gallery: 'managed_gallery',
    });
    const staged = await publish(fromImage, publishContext(emu, fromImage));
    expect(staged.version.action).toBe('created');
    expect(staged.version.digest).toBe(`source:${imageId.toLowerCase()}`);

    const promoted = settingsFor(emu, {
      'image-version': '1.30.5',
      source: staged.version.id,
      gallery: 'prod_gallery',
      'image-definition': 'capi-ubun2-2404',
    });
    const result = await publish(promoted, publishContext(emu, promoted));
    expect(result.version.action).toBe('created');
    const copy = await emu
      .compute()
      .galleryImageVersions.get(RG, 'prod_gallery', 'capi-ubun2-2404', '1.30.5');
    expect(copy.storageProfile?.source?.id).toBe(staged.version.id);
  });

  it('publishes to a community gallery and the version is readable through the community API', async () => {
    const uri = await vhd('community.vhd', 'b'.repeat(64));
    const settings = settingsFor(emu, {
      'image-version': '1.31.2',
      source: uri,
      'source-storage-account-id': storageAccountId,
      gallery: 'community_gallery',
      sharing: 'community',
      'public-name-prefix': 'ClusterAPI',
      'publisher-uri': 'https://capz.sigs.k8s.io',
      'publisher-contact': 'capz@example.com',
      eula: 'https://www.apache.org/licenses/LICENSE-2.0',
    });
    const result = await publish(settings, publishContext(emu, settings));
    expect(result.publicName).toMatch(/^ClusterAPI-[0-9a-f-]{36}$/);
    expect(result.communityImageId).toBe(
      `/CommunityGalleries/${result.publicName}/Images/capi-ubuntu-2404/Versions/1.31.2`,
    );
    expect(result.imageReference).toBe(
      `computeGallery:\n  gallery: ${result.publicName}\n  name: capi-ubuntu-2404\n  version: "1.31.2"\n`,
    );
    const community = await emu
      .compute()
      .communityGalleryImageVersions.get(
        'westus2',
        result.publicName!,
        'capi-ubuntu-2404',
        '1.31.2',
      );
    expect(community.uniqueId).toBe(result.communityImageId);
  });

  it('refuses different content under a taken version name, and replaces it when asked, reporting the gap', async () => {
    const base = {
      'image-version': '2.0.0',
      'source-storage-account-id': storageAccountId,
      gallery: 'replace_gallery',
    };
    const one = settingsFor(emu, { ...base, source: await vhd('v2-a.vhd', 'c'.repeat(64)) });
    await publish(one, publishContext(emu, one));

    const two = settingsFor(emu, { ...base, source: await vhd('v2-b.vhd', 'd'.repeat(64)) });
    const seq = await lastSeq();
    await expect(publish(two, publishContext(emu, two))).rejects.toThrow(ConfigurationError);
    await expect(publish(two, publishContext(emu, two))).rejects.toThrow(
      /different content.*if-exists/s,
    );
    expect((await writesSince(seq)).filter((w) => /versions/.test(w.path))).toEqual([]);

    const replace = settingsFor(emu, {
      ...base,
      source: await vhd('v2-b2.vhd', 'd'.repeat(64)),
      'if-exists': 'replace',
    });
    const replaced = await publish(replace, publishContext(emu, replace));
    expect(replaced.version.action).toBe('replaced');
    expect(replaced.version.gapMs).toBeGreaterThan(0);
    expect(replaced.version.digest).toBe(`sha256:${'d'.repeat(64)}`);
  });

  it('takes a version whose digest is of another kind as it is, saying it could not compare', async () => {
    const base = {
      'image-version': '3.0.0',
      'source-storage-account-id': storageAccountId,
      gallery: 'scheme_gallery',
    };
    // Published before build-image streamed disks: the tag is the VHD's SHA-256.
    const before = settingsFor(emu, { ...base, source: await vhd('v3-a.vhd', 'f'.repeat(64)) });
    await publish(before, publishContext(emu, before));

    // The re-run's blob carries a content digest, as build-image now records it.
    const uri = await vhd('v3-b.vhd');
    await new BlobClient(uri, emu.credential()).setMetadata({
      contentdigest: `content-v1:${'a'.repeat(64)}`,
    });
    const again = settingsFor(emu, { ...base, source: uri });
    const ctx = publishContext(emu, again);
    const seq = await lastSeq();
    const result = await publish(again, ctx);
    expect(result.version.action).toBe('unchanged');
    expect(result.version.digest).toBe(`sha256:${'f'.repeat(64)}`);
    expect(ctx.logger.lines).toContainEqual({
      level: 'warning',
      message: expect.stringMatching(/sha256 digest.*content-v1 one.*cannot be\s+compared/s),
    });
    expect((await writesSince(seq)).filter((w) => /versions/.test(w.path))).toEqual([]);

    // The same kind, another value: different content, refused as before.
    const other = await vhd('v3-c.vhd');
    await new BlobClient(other, emu.credential()).setMetadata({ sha256: 'b'.repeat(64) });
    const changed = settingsFor(emu, { ...base, source: other });
    await expect(publish(changed, publishContext(emu, changed))).rejects.toThrow(
      /different content/,
    );
  });

  it('fails with the exact difference when the definition exists with other fixed properties', async () => {
    const uri = await vhd('mismatch.vhd', 'e'.repeat(64));
    const v2 = settingsFor(emu, {
      'image-version': '1.0.0',
      source: uri,
      'source-storage-account-id': storageAccountId,
      gallery: 'mismatch_gallery',
    });
    await publish(v2, publishContext(emu, v2));
    const v1 = settingsFor(emu, {
      'image-version': '1.0.1',
      source: uri,
      'source-storage-account-id': storageAccountId,
      gallery: 'mismatch_gallery',
      'hyper-v-generation': 'V1',
    });
    const err = (await publish(v1, publishContext(emu, v1)).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain(
      "hyperVGeneration: the definition has 'V2', input 'hyper-v-generation' asks for 'V1'",
    );
    expect(err.message).toContain(
      "securityType: the definition has 'TrustedLaunchSupported', input 'security-type' asks for 'Standard'",
    );
  });

  it('ends with exactly one version despite 429s, 503s and a dropped connection', async () => {
    await emu.admin('POST', '/faults', {
      method: 'PUT',
      path: '/versions/3\\.0\\.0$',
      status: 429,
      retryAfter: 1,
      times: 2,
    });
    await emu.admin('POST', '/faults', {
      method: 'GET',
      path: '/versions/3\\.0\\.0$',
      status: 503,
      times: 2,
    });
    await emu.admin('POST', '/faults', {
      method: 'PUT',
      path: '/galleries/faulty_gallery$',
      drop: true,
      times: 1,
    });
    const settings = settingsFor(emu, {
      'image-version': '3.0.0',
      source: await vhd('faulty.vhd', 'f'.repeat(64)),
      'source-storage-account-id': storageAccountId,
      gallery: 'faulty_gallery',
    });
    const seq = await lastSeq();
    const result = await publish(settings, publishContext(emu, settings));
    expect(result.version.action).toBe('created');
    expect(await versionsOf('faulty_gallery', 'capi-ubuntu-2404')).toEqual(['3.0.0']);
    const faults = (await emu.admin<Logged[]>('GET', `/requests?since=${seq}`))
      .filter((r) => r.fault)
      .map((r) => r.fault);
    expect(faults.sort()).toEqual([
      'dropped',
      'status-429',
      'status-429',
      'status-503',
      'status-503',
    ]);
  });

  it('finishes the same version when a publish is cut off mid-wait and run again', async () => {
    await emu.admin('POST', '/settings', { replicationMs: 1500 });
    const settings = settingsFor(emu, {
      'image-version': '4.0.0',
      source: await vhd('killed.vhd', '1'.repeat(64)),
      'source-storage-account-id': storageAccountId,
      gallery: 'resume_gallery',
    });
    const cutOff = { ...settings, timeoutMinutes: 0 };
    await expect(publish(cutOff, publishContext(emu, cutOff))).rejects.toThrow(
      /Timed out waiting.*run again/,
    );
    const resumed = await publish(settings, publishContext(emu, settings));
    expect(resumed.version.action).toBe('finished');
    // The same run resumed (one published-by): it finishes its own create, so it says created.
    // Another run finishing it says not (the race below).
    expect(resumed.version.created).toBe(true);
    expect(await versionsOf('resume_gallery', 'capi-ubuntu-2404')).toEqual(['4.0.0']);
  });

  it('lets two publishes of the same version race and end with one version and no error', async () => {
    await emu.admin('POST', '/settings', { replicationMs: 400 });
    const settings = settingsFor(emu, {
      'image-version': '5.0.0',
      source: await vhd('race.vhd', '2'.repeat(64)),
      'source-storage-account-id': storageAccountId,
      gallery: 'race_gallery',
    });
    await publish({ ...settings, imageVersion: '0.0.1' }, publishContext(emu, settings)); // gallery and definition in place
    const otherRun = (ctx: ReturnType<typeof publishContext>) => ({
      ...ctx,
      provenance: { 'published-by': 'https://github.com/local/test/actions/runs/2' },
    });
    const [a, b] = await Promise.all([
      publish(settings, publishContext(emu, settings)),
      publish(settings, otherRun(publishContext(emu, settings))),
    ]);
    expect([a.version.action, b.version.action].sort()).toEqual(['created', 'finished']);
    expect([a.version.created, b.version.created].sort()).toEqual([false, true]);
    expect((await versionsOf('race_gallery', 'capi-ubuntu-2404')).sort()).toEqual([
      '0.0.1',
      '5.0.0',
    ]);
  });

  it('reports a region that fails replication, and a replace publishes it again', async () => {
    await emu.admin('POST', '/settings', { failRegions: ['eastus'] });
    const inputs = {
      'image-version': '6.0.0',
      source: await vhd('regionfail.vhd', '3'.repeat(64)),
      'source-storage-account-id': storageAccountId,
      gallery: 'failing_gallery',
      'target-regions': 'westus2 eastus',
    };
    const settings = settingsFor(emu, inputs);
    await expect(publish(settings, publishContext(emu, settings))).rejects.toThrow(
      /failed to replicate to East US/,
    );
    await expect(publish(settings, publishContext(emu, settings))).rejects.toThrow(
      /state Failed.*if-exists/,
    );
    await emu.admin('POST', '/settings', { failRegions: [] });
    const again = settingsFor(emu, { ...inputs, 'if-exists': 'replace' });
    const result = await publish(again, publishContext(emu, again));
    expect(result.version.regions.map((r) => r.state)).toEqual(['Completed', 'Completed']);
  });
});
