/**
 * Issue 13, one test per failure, through the real bundles against the stand-in, its faults
 * injected through the admin API. HOSTILE_DIST runs another dist (an older build: each of these
 * fails there).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { metadataPathOf } from '../../scripts/lib/actions.js';
import { readInputs, runBundle } from '../../scripts/lib/smoke.js';
import type { BundleRun } from '../../scripts/lib/smoke.js';
import { CLIENT, startTestEmulator, SUBSCRIPTION, TENANT } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { seedImageVersion } from '../helpers/gallery-seed.js';

const DIST = resolve(process.env.HOSTILE_DIST ?? 'dist');
let emu: TestEmulator;
let source: string;

interface Logged {
  method: string;
  path: string;
  status: number;
}
interface Stored {
  id: string;
  properties?: { provisioningState?: string };
}

async function run(
  action: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<BundleRun> {
  return runBundle(
    {
      name: action,
      entry: resolve(DIST, action, 'index.js'),
      inputs: await readInputs(resolve(metadataPathOf(action))),
    },
    {
      inputs: {
        'subscription-id': SUBSCRIPTION,
        'tenant-id': TENANT,
        'client-id': CLIENT,
        'arm-endpoint': emu.endpoint,
        'authority-host': emu.authorityHost,
        'poll-interval-seconds': '1',
        ...inputs,
      },
      env: {
        NODE_EXTRA_CA_CERTS: emu.caCertPath,
        AZURE_CLIENT_SECRET: 'local-secret',
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        ...env,
      },
      timeoutMs: 150_000,
    },
  );
}

/** A publish of `source` (a finished staging version) into `gallery` of `rg-<gallery>`. */
const publish = (
  gallery: string,
  extra: Record<string, string> = {},
  env: Record<string, string> = {},
) =>
  run(
    'publish-to-gallery',
    {
      'resource-group': `rg-${gallery}`,
      location: 'westus2',
      gallery,
      'image-definition': 'capi-ubuntu-2404',
      'image-version': '1.31.2',
      source,
      publisher: 'capz',
      offer: 'capi',
      sku: 'ubuntu-2404',
      ...extra,
    },
    env,
  );

const errorsOf = (r: BundleRun) => r.stdout.split('\n').filter((l) => l.startsWith('::error'));
const resources = () => emu.admin<Stored[]>('GET', '/resources');
const stateOf = async (suffix: string) =>
  (await resources()).find((r) => r.id.toLowerCase().endsWith(suffix.toLowerCase()))?.properties
    ?.provisioningState;
const fault = (rule: Record<string, unknown>) => emu.admin('POST', '/faults', rule);

beforeAll(async () => {
  emu = await startTestEmulator();
  source = await seedImageVersion(emu, {
    resourceGroup: 'rg-src',
    gallery: 'src_gallery',
    securityType: 'TrustedLaunchSupported',
  });
});
afterAll(async () => {
  await emu?.dispose();
});
beforeEach(async () => {
  await emu.admin('DELETE', '/faults');
  await emu.admin('DELETE', '/requests');
});

describe('issue 13 through the bundles', () => {
  it('concurrent publishes into a fresh gallery all succeed, exactly one created=true', async () => {
    await fault({ method: 'PUT', path: '/galleries/race_gallery$', delayMs: 1000, times: 1 });
    // Four workflow runs (a re-run of one attempt would finish its own create: created=true).
    const runs = await Promise.all(
      [1, 2, 3, 4].map((id) => publish('race_gallery', {}, { GITHUB_RUN_ID: String(id) })),
    );
    for (const r of runs) expect(errorsOf(r)).toEqual([]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(runs.filter((r) => r.outputs.created === 'true')).toHaveLength(1);
  });

  it('re-creates a Failed gallery, with a warning, rather than use it', async () => {
    await fault({
      method: 'PUT',
      path: '/galleries/failed_gallery$',
      failOperation: 'The gallery backend gave up.',
    });
    const first = await publish('failed_gallery');
    expect(first.code).toBe(1);
    expect(await stateOf('/galleries/failed_gallery')).toBe('Failed');
    const again = await publish('failed_gallery');
    expect(again.stdout).toMatch(
      /::warning::Gallery 'failed_gallery' exists in state Failed .*creating it again/,
    );
    expect(again.code).toBe(0);
    expect(await stateOf('/galleries/failed_gallery')).toBe('Succeeded');
  });

  it('re-creates a Failed definition, with a warning, rather than use it', async () => {
    await fault({
      method: 'PUT',
      path: '/galleries/faildef_gallery/images/capi-ubuntu-2404$',
      failOperation: 'The definition backend gave up.',
    });
    const first = await publish('faildef_gallery');
    expect(first.code).toBe(1);
    const again = await publish('faildef_gallery');
    expect(again.stdout).toMatch(
      /::warning::Image definition 'capi-ubuntu-2404' exists in state Failed/,
    );
    expect(again.code).toBe(0);
    expect(await stateOf('/galleries/faildef_gallery/images/capi-ubuntu-2404')).toBe('Succeeded');
  });

  it("reports Azure's reason when a version's operation ends Failed", async () => {
    await fault({
      method: 'PUT',
      path: '/galleries/reason_gallery/images/capi-ubuntu-2404/versions/1\\.31\\.2$',
      failOperation: 'Disk quota exceeded for Standard_LRS in westus2.',
    });
    const r = await publish('reason_gallery');
    expect(r.code).toBe(1);
    expect(errorsOf(r).join('\n')).toContain('Disk quota exceeded for Standard_LRS in westus2.');
  });

  it('says why it waits when Azure sends Retry-After', async () => {
    await fault({
      method: 'PUT',
      path: '/resourcegroups/rg-slow_gallery$',
      status: 429,
      retryAfter: 2,
    });
    const r = await publish('slow_gallery');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Azure answered 429 to PUT .*and asked to wait \(Retry-After: 2\); retrying after that\./,
    );
  });

  it('names a dropped connection as one', async () => {
    await fault({ method: 'PUT', path: '/galleries/drop_gallery$', drop: true, times: -1 });
    const r = await publish('drop_gallery');
    expect(r.code).toBe(1);
    const errors = errorsOf(r).join('\n');
    expect(errors).toMatch(/The connection to Azure dropped while creating gallery 'drop_gallery'/);
    expect(errors).not.toMatch(/Azure refused/);
  }, 150_000);

  it('says sign-in, not the first step, when the client secret is wrong', async () => {
    const client = '33333333-3333-3333-3333-333333333333';
    await emu.admin('POST', '/clients', { clientId: client, secret: 'the-right-secret' });
    const r = await run(
      'publish-to-gallery',
      {
        'client-id': client,
        'resource-group': 'rg-secret',
        location: 'westus2',
        gallery: 'secret_gallery',
        'image-definition': 'capi-ubuntu-2404',
        'image-version': '1.31.2',
        source,
        publisher: 'capz',
        offer: 'capi',
        sku: 'ubuntu-2404',
      },
      { AZURE_CLIENT_SECRET: 'a-wrong-secret' },
    );
    expect(r.code).toBe(1);
    const errors = errorsOf(r).join('\n');
    expect(errors).toMatch(/^::error::Signing in to Azure failed: .*AADSTS/m);
    expect(errors).not.toMatch(/resource group/);
  });

  it('refuses an image-definitions name the gallery does not have', async () => {
    await seedImageVersion(emu, { resourceGroup: 'rg-typo', gallery: 'typo_gallery' });
    const r = await run('cleanup', {
      'resource-group': 'rg-typo',
      gallery: 'typo_gallery',
      'image-definitions': 'capi-ubunut-2404',
    });
    expect(r.code).toBe(1);
    expect(errorsOf(r).join('\n')).toMatch(
      /Input 'image-definitions' names 'capi-ubunut-2404', which gallery 'typo_gallery' does not have/,
    );
  });

  it('removes the production definition it created when the source vanishes mid-copy', async () => {
    const staged = await seedImageVersion(emu, {
      resourceGroup: 'rg-vanish-src',
      gallery: 'vanish_src',
      version: '1.30.9',
      securityType: 'TrustedLaunchSupported',
    });
    await fault({
      method: 'PUT',
      path: '/galleries/vanish_prod/images/[^/]+/versions/',
      delayMs: 1500,
    });
    const promoting = run('promote', {
      'source-image-version-id': staged,
      'resource-group': 'rg-vanish-prod',
      location: 'westus2',
      gallery: 'vanish_prod',
      'create-gallery': 'true',
      sharing: 'private',
      'end-of-life-date': 'none',
    });
    // Cleanup deletes the staging version once promote has made the production definition.
    for (let i = 0; i < 200; i++) {
      const log = await emu.admin<Logged[]>('GET', '/requests');
      if (log.some((l) => l.method === 'PUT' && /vanish_prod\/images\/[^/]+$/i.test(l.path))) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    await emu
      .compute()
      .galleryImageVersions.beginDeleteAndWait(
        'rg-vanish-src',
        'vanish_src',
        'capi-ubuntu-2404',
        '1.30.9',
        {
          updateIntervalInMs: 20,
        },
      );
    const r = await promoting;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /::warning::Removing image definition '[^']+', which this run created/,
    );
    const left = (await resources()).filter((x) =>
      /\/galleries\/vanish_prod\/images\//i.test(x.id),
    );
    expect(left).toEqual([]);
  });

  it('refuses publisher-uri with credentials before any request, never showing them', async () => {
    const r = await run('promote', {
      'source-image-version-id': source,
      'resource-group': 'rg-prod',
      location: 'westus2',
      gallery: 'community_prod',
      sharing: 'community',
      'public-name-prefix': 'capzprefix',
      'publisher-uri': 'https://admin:Pub1isherPass@example.com/',
      'publisher-contact': 'support@example.com',
      eula: 'https://example.com/eula',
    });
    expect(r.code).toBe(1);
    expect(errorsOf(r).join('\n')).toMatch(/Invalid input 'publisher-uri'/);
    const shown = r.stdout
      .split('\n')
      .filter((l) => l.includes('Pub1isherPass') && !l.startsWith('::add-mask::'));
    expect(shown).toEqual([]);
    expect(await emu.admin<Logged[]>('GET', '/requests')).toEqual([]);
  });

  it("refuses usgovvirginia with the public cloud's endpoint, naming location, before sign-in", async () => {
    const r = await publish('gov_gallery', {
      location: 'usgovvirginia',
      'arm-endpoint': 'https://management.azure.com',
    });
    expect(r.code).toBe(1);
    expect(errorsOf(r).join('\n')).toMatch(/::error::Invalid input 'location': 'usgovvirginia'/);
    // Sign-in would go to the stand-in's login host first: nothing reached it.
    expect(await emu.admin<Logged[]>('GET', '/requests')).toEqual([]);
  });

  it('promote reads validation-report before signing in', async () => {
    const r = await run('promote', {
      'source-image-version-id': source,
      'resource-group': 'rg-prod',
      location: 'westus2',
      gallery: 'report_prod',
      sharing: 'private',
      'validation-report': 'no/such/report.json',
    });
    expect(r.code).toBe(1);
    expect(errorsOf(r).join('\n')).toMatch(/Input 'validation-report': cannot read/);
    expect(await emu.admin<Logged[]>('GET', '/requests')).toEqual([]);
  });
});
