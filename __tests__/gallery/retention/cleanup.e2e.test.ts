import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { runCleanup } from '../../../src/gallery/retention/cleanup.js';
import { getCleanupInputs } from '../../../src/actions/cleanup/inputs.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { recordInputReader } from '../../../src/common/inputs.js';
import { BlobClient, ContainerClient } from '@azure/storage-blob';
import { uploadVhd } from '../../helpers/vhd.js';
import {
  armRequest,
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
  CLIENT,
} from '../../helpers/emulator.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { fixtureCalendar } from '../../helpers/publish.js';
import { runBundledAction } from '../../helpers/runner.js';

let emu: TestEmulator;
const RG = 'rg-clean';
const TODAY = new Date('2025-03-15'); // fits the 2024 snapshot of the release calendar
const IMAGE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/images/base`;
const SEED: Record<string, string[]> = {
  'capi-ubun2-2404': ['1.31.2', '1.31.1', '1.31.0', '1.30.6', '1.29.10', '1.28.15'],
  'capi-win-2022-containerd': ['1.31.2', '1.28.14'],
};
const base = (gallery: string) =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/${gallery}`;

async function put(path: string, body: unknown): Promise<void> {
  const res = await armRequest(emu, 'PUT', path, body);
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A gallery with the SEED versions, all Succeeded. */
async function seed(gallery: string): Promise<void> {
  await put(base(gallery), { location: 'westus2' });
  for (const [definition, versions] of Object.entries(SEED)) {
    await put(`${base(gallery)}/images/${definition}`, {
      location: 'westus2',
      properties: {
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V1',
        identifier: { publisher: 'capz', offer: gallery, sku: definition },
      },
    });
    await new Promise((r) => setTimeout(r, 40));
    for (const version of versions) {
      await put(`${base(gallery)}/images/${definition}/versions/${version}`, {
        location: 'westus2',
        properties: { storageProfile: { source: { id: IMAGE } } },
      });
    }
  }
  await new Promise((r) => setTimeout(r, 150));
}

async function remaining(gallery: string): Promise<string[]> {
  const out: string[] = [];
  for await (const d of emu.compute().galleryImages.listByGallery(RG, gallery)) {
    for await (const v of emu
      .compute()
      .galleryImageVersions.listByGalleryImage(RG, gallery, d.name!))
      out.push(`${d.name}/${v.name}`);
  }
  return out.sort();
}

const inputs = (gallery: string, extra: Record<string, string>) =>
  getCleanupInputs(
    recordInputReader({
      'subscription-id': SUBSCRIPTION,
      'tenant-id': TENANT,
      'client-id': CLIENT,
      'arm-endpoint': emu.endpoint,
      'authority-host': emu.authorityHost,
      'resource-group': RG,
      gallery,
      'poll-interval-seconds': '1',
      ...extra,
    }),
  );

const clean = (gallery: string, extra: Record<string, string>, now = TODAY) =>
  runCleanup(inputs(gallery, extra), {
    compute: emu.compute(),
    calendar: fixtureCalendar(),
    logger: new RecordingLogger(),
    now,
  });

const POLICY = { 'grace-days': '30', 'keep-patches': '2', protect: '1.29.*' };
const EXPECTED_DELETES = [
  'capi-ubun2-2404/1.28.15',
  'capi-ubun2-2404/1.31.0',
  'capi-win-2022-containerd/1.28.14',
];

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 20, replicationMs: 30 } });
  await armRequest(
    emu,
    'PUT',
    `/subscriptions/${SUBSCRIPTION}/resourcegroups/${RG}`,
    { location: 'westus2' },
    '2024-11-01',
  );
  await put(IMAGE, {
    location: 'westus2',
    properties: { storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized' } } },
  });
});
afterAll(async () => {
  await emu.dispose();
});
beforeEach(async () => {
  await emu.admin('DELETE', '/faults');
});

describe('cleanup on a seeded gallery', () => {
  it('plans without deleting on a dry run, then deletes exactly the plan', async () => {
    await seed('clean_a');
    const seq = (await emu.admin<{ seq: number }[]>('GET', '/requests')).at(-1)!.seq;
    const dry = await clean('clean_a', POLICY);
    expect(dry.result).toBeUndefined();
    expect(
      dry.plan
        .filter((e) => e.action === 'delete')
        .map((e) => `${e.definition}/${e.version}`)
        .sort(),
    ).toEqual(EXPECTED_DELETES);
    expect(dry.plan.find((e) => e.version === '1.29.10')).toMatchObject({
      action: 'keep',
      rule: 'protect',
    });
    const writes = (await emu.admin<{ method: string }[]>('GET', `/requests?since=${seq}`)).filter(
      (r) => r.method !== 'GET',
    );
    expect(writes.filter((w) => w.method !== 'POST')).toEqual([]);

    const real = await clean('clean_a', { ...POLICY, 'dry-run': 'false' });
    expect(
      real.result?.deleted.map((id) => id.split('/images/')[1]!.replace('/versions/', '/')).sort(),
    ).toEqual(EXPECTED_DELETES);
    expect(await remaining('clean_a')).toEqual(
      Object.entries(SEED)
        .flatMap(([d, vs]) => vs.map((v) => `${d}/${v}`))
        .filter((x) => !EXPECTED_DELETES.includes(x))
        .sort(),
    );
  });

  it('finishes the same plan when run again after deletes failed halfway, and rides out 429s', async () => {
    await seed('clean_b');
    await emu.admin('POST', '/faults', {
      method: 'DELETE',
      path: '/versions/1\\.28\\.',
      failOperation: 'disk busy',
      times: 2,
    });
    await emu.admin('POST', '/faults', {
      method: 'DELETE',
      path: '/versions/',
      status: 429,
      retryAfter: 1,
      times: 2,
    });
    const first = await clean('clean_b', { ...POLICY, 'dry-run': 'false', 'max-concurrency': '3' });
    expect(first.result?.failed.map((f) => f.id.split('/').slice(-3).join('/')).sort()).toEqual([
      'capi-ubun2-2404/versions/1.28.15',
      'capi-win-2022-containerd/versions/1.28.14',
    ]);
    const second = await clean('clean_b', { ...POLICY, 'dry-run': 'false' });
    expect(second.result?.failed).toEqual([]);
    expect(
      second.plan
        .filter((e) => e.action === 'delete')
        .map((e) => e.version)
        .sort(),
    ).toEqual(['1.28.14', '1.28.15']);
    expect((await remaining('clean_b')).filter((x) => EXPECTED_DELETES.includes(x))).toEqual([]);
  });

  it('yanks a version (out of latest, end of life now, tagged) and deletes empty definitions', async () => {
    await seed('clean_c');
    // The versions were published just now (the stand-in's clock): a day later they are older than 0 days.
    const tomorrow = new Date(Date.now() + 86400_000);
    const out = await clean(
      'clean_c',
      {
        yank: 'capi-ubun2-2404/1.31.2',
        'yank-reason': 'CVE-2025-0001',
        'older-than-days': '0',
        protect: 'capi-ubun2-2404/*',
        'dry-run': 'false',
        'delete-empty-definitions': 'true',
      },
      tomorrow,
    );
    expect(out.result?.yanked).toHaveLength(0); // protect beats yank
    const yanked = await clean('clean_c', {
      yank: 'capi-ubun2-2404/1.31.2',
      'yank-reason': 'CVE-2025-0001',
      'dry-run': 'false',
    });
    expect(yanked.result?.yanked).toHaveLength(1);
    const v = await emu
      .compute()
      .galleryImageVersions.get(RG, 'clean_c', 'capi-ubun2-2404', '1.31.2');
    expect(v.tags?.yanked).toBe('CVE-2025-0001');
    expect(v.publishingProfile?.excludeFromLatest).toBe(true);
    expect(v.publishingProfile?.endOfLifeDate?.toISOString().slice(0, 10)).toBe('2025-03-15');
    expect(out.emptiedDefinitions).toEqual(['capi-win-2022-containerd']);
    expect((await emu.compute().galleries.get(RG, 'clean_c')).name).toBe('clean_c');
  });

  it('runs as a bundle: a dry run by default, with the plan as outputs and a table in the summary', async () => {
    await seed('clean_d');
    const run = await runBundledAction(
      'cleanup',
      {
        'subscription-id': SUBSCRIPTION,
        'tenant-id': TENANT,
        'client-id': CLIENT,
        'arm-endpoint': emu.endpoint,
        'authority-host': emu.authorityHost,
        'resource-group': RG,
        gallery: 'clean_d',
        'keep-minors': '2',
      },
      {
        NODE_EXTRA_CA_CERTS: emu.caCertPath,
        ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidcRequestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const planned = JSON.parse(run.outputs.planned!) as { version: string; action: string }[];
    expect(
      planned
        .filter((e) => e.action === 'delete')
        .map((e) => e.version)
        .sort(),
    ).toEqual(['1.28.14', '1.28.15', '1.29.10']);
    expect(run.outputs.deleted).toBe('[]');
    expect(run.summary).toContain('(dry run: nothing changed)');
    expect(run.summary).toContain('| 1.29.10 | capi-ubun2-2404 | keep-minors | delete |');
    expect(await remaining('clean_d')).toHaveLength(8);
  });

  it('deletes old build leftovers marked as ours, and nothing else', async () => {
    const img = (name: string, tags: Record<string, string>) =>
      put(
        `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/images/${name}`,
        {
          location: 'westus2',
          tags,
          properties: { storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized' } } },
        },
      );
    await img('ours-old', {
      'managed-by': 'compute-gallery-actions',
      'created-at': '2025-01-01T00:00:00Z',
    });
    await img('ours-new', {
      'managed-by': 'compute-gallery-actions',
      'created-at': '2025-03-14T00:00:00Z',
    });
    await img('someone-elses', { 'created-at': '2025-01-01T00:00:00Z' });
    const storage = await seedStorage(emu, RG, 'leftoverstore');
    const ours = await uploadVhd(
      emu.blobEndpoint,
      'leftoverstore',
      emu.credential(),
      'staging-1.vhd',
    );
    await new BlobClient(ours, emu.credential()).setMetadata({
      managedby: 'compute-gallery-actions',
    });
    const theirs = await uploadVhd(
      emu.blobEndpoint,
      'leftoverstore',
      emu.credential(),
      'keep-me.vhd',
    );
    await new Promise((r) => setTimeout(r, 60));
    expect(storage).toContain('leftoverstore');

    const container = new ContainerClient(
      `${emu.blobEndpoint}/leftoverstore/vhds`,
      emu.credential(),
    );
    await put(base('clean_e'), { location: 'westus2' });
    const settings = inputs('clean_e', { 'older-than-days': '30', 'dry-run': 'false' });
    // Blobs cannot be back-dated in Azurite: for them "today" is far ahead.
    const out = await runCleanup(settings, {
      compute: emu.compute(),
      calendar: fixtureCalendar(),
      logger: new RecordingLogger(),
      now: TODAY,
      container,
    });
    expect(out.plan.map((e) => `${e.kind} ${e.version} ${e.action}`)).toEqual([
      'managed-image ours-old delete',
    ]);
    const later = await runCleanup(settings, {
      compute: emu.compute(),
      calendar: fixtureCalendar(),
      logger: new RecordingLogger(),
      now: new Date(Date.now() + 40 * 86400_000),
      container,
    });
    expect(later.plan.map((e) => `${e.kind} ${e.version}`).sort()).toEqual([
      'blob staging-1.vhd',
      'managed-image ours-new',
    ]);
    expect(later.result?.failed).toEqual([]);
    const images: string[] = [];
    for await (const i of emu.compute().images.listByResourceGroup(RG)) images.push(i.name!);
    expect(images.sort()).toEqual(['base', 'someone-elses']);
    expect(await new BlobClient(ours, emu.credential()).exists()).toBe(false);
    expect(await new BlobClient(theirs, emu.credential()).exists()).toBe(true);
  });

  it.each([
    ['keep-patches', { 'keep-patches': '0' }],
    ['yank-reason', { yank: '1.31.2' }],
    ['protect', { protect: 'latest' }],
    ['max-concurrency', { 'max-concurrency': '100' }],
    ['dry-run', { 'dry-run': 'perhaps' }],
    ['blob-container-url', { 'blob-container-url': 'http://x.example/c' }],
  ])('refuses bad %s before any request', (input, extra) => {
    expect(() => inputs('clean_x', extra)).toThrow(new RegExp(`Invalid input '${input}'`));
  });
});

describe('cleanup of a gallery that does not exist yet', () => {
  it('plans nothing and says so, rather than failing a first run', async () => {
    const logger = new RecordingLogger();
    const out = await runCleanup(
      inputs('never_promoted', { 'dry-run': 'false', 'keep-minors': '1' }),
      {
        compute: emu.compute(),
        calendar: fixtureCalendar(),
        logger,
        now: TODAY,
      },
    );
    expect(out.plan).toEqual([]);
    expect(out.result?.deleted).toEqual([]);
    expect(logger.messages('warning')).toContain(
      `Gallery 'never_promoted' in '${RG}' does not exist: nothing to clean up.`,
    );
  });
});
