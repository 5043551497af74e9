/**
 * The naming and uniqueness rules the stand-in enforces as Azure does (docs/design.md §7), and the
 * api-versions it accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ARM_SCOPE,
  armPut,
  armRequest,
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
} from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { uploadVhd } from '../helpers/vhd.js';

const RG = 'rg-naming';
const RG_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`;
const GALLERIES = `${RG_ID}/providers/Microsoft.Compute/galleries`;
let emu: TestEmulator;
let storageAccountId: string;
let vhd: string;

beforeAll(async () => {
  emu = await startTestEmulator();
  storageAccountId = await seedStorage(emu, RG, 'namingstore');
  vhd = await uploadVhd(emu.blobEndpoint, 'namingstore', emu.credential(), 'naming.vhd');
  await armPut(emu, `${GALLERIES}/gallery_names`, { location: 'westus2' });
});
afterAll(async () => {
  await emu?.dispose();
});

const definition = (sku: string): Record<string, unknown> => ({
  location: 'westus2',
  properties: {
    osType: 'Linux',
    osState: 'Generalized',
    hyperVGeneration: 'V2',
    identifier: { publisher: 'capi', offer: 'capi-ubuntu', sku },
    features: [{ name: 'SecurityType', value: 'TrustedLaunchSupported' }],
  },
});

const version = (): Record<string, unknown> => ({
  location: 'westus2',
  properties: { storageProfile: { osDiskImage: { source: { uri: vhd, storageAccountId } } } },
});

function expectInvalid(
  res: { status: number; body: Record<string, unknown> },
  parameter: string,
): void {
  expect(res.status).toBe(400);
  const error = (res.body as { error: { code: string; message: string; target?: string } }).error;
  expect(error.code).toBe('InvalidParameter');
  expect(error.target).toBe(parameter);
  expect(error.message).toContain(`'${parameter}'`);
}

describe('names', () => {
  it('refuses a gallery name with a dash or over 80 characters', async () => {
    expectInvalid(
      await armRequest(emu, 'PUT', `${GALLERIES}/my-gallery`, { location: 'westus2' }),
      'galleryName',
    );
    expectInvalid(
      await armRequest(emu, 'PUT', `${GALLERIES}/${'g'.repeat(81)}`, { location: 'westus2' }),
      'galleryName',
    );
    expectInvalid(
      await armRequest(emu, 'PUT', `${GALLERIES}/.gallery`, { location: 'westus2' }),
      'galleryName',
    );
    expect(
      (await armRequest(emu, 'PUT', `${GALLERIES}/${'g'.repeat(80)}`, { location: 'westus2' }))
        .status,
    ).toBe(201);
    expect(
      (await armRequest(emu, 'PUT', `${GALLERIES}/capz.community_1`, { location: 'westus2' }))
        .status,
    ).toBe(201);
  });

  it('refuses a definition name over 80 characters or ending in a dash', async () => {
    const images = `${GALLERIES}/gallery_names/images`;
    expectInvalid(
      await armRequest(emu, 'PUT', `${images}/${'d'.repeat(81)}`, definition('long')),
      'galleryImageName',
    );
    expectInvalid(
      await armRequest(emu, 'PUT', `${images}/capi-ubuntu-`, definition('dash')),
      'galleryImageName',
    );
    expect(
      (await armRequest(emu, 'PUT', `${images}/${'d'.repeat(80)}`, definition('eighty'))).status,
    ).toBe(201);
  });

  it('refuses a version name that is not Major.Minor.Patch of 32-bit integers', async () => {
    await armPut(emu, `${GALLERIES}/gallery_names/images/capi-ubuntu-2404`, definition('2404'));
    const versions = `${GALLERIES}/gallery_names/images/capi-ubuntu-2404/versions`;
    for (const name of ['1.31', '1.31.2.1', 'v1.31.2', '1.2147483648.0', '4294967296.0.0']) {
      expectInvalid(
        await armRequest(emu, 'PUT', `${versions}/${name}`, version()),
        'galleryImageVersionName',
      );
    }
    const biggest = await armRequest(emu, 'PUT', `${versions}/2147483647.0.1`, version());
    expect(biggest.status).toBe(201);
  });
});

describe('identifiers', () => {
  it('refuses a second definition with the same publisher/offer/SKU in one gallery (409), not in another', async () => {
    await armPut(emu, `${GALLERIES}/gallery_ids`, { location: 'westus2' });
    await armPut(emu, `${GALLERIES}/gallery_ids/images/first`, definition('same'));
    const clash = await armRequest(
      emu,
      'PUT',
      `${GALLERIES}/gallery_ids/images/second`,
      definition('same'),
    );
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ error: { code: 'Conflict', target: 'identifier' } });
    // Identifier comparison ignores case, as Azure's does.
    const shouting = definition('SAME');
    expect(
      (await armRequest(emu, 'PUT', `${GALLERIES}/gallery_ids/images/third`, shouting)).status,
    ).toBe(409);
    expect(
      (
        await armRequest(
          emu,
          'PUT',
          `${GALLERIES}/gallery_names/images/elsewhere`,
          definition('same'),
        )
      ).status,
    ).toBe(201);
  });
});

describe('api-versions', () => {
  it('accepts what real clients send, from 2021-10-01 to 2025-12-03', async () => {
    for (const api of ['2021-10-01', '2022-03-03', '2024-03-03', '2025-03-03', '2025-12-03']) {
      const res = await armRequest(emu, 'GET', `${GALLERIES}/gallery_names`, undefined, api);
      expect({ api, status: res.status }).toEqual({ api, status: 200 });
    }
  });

  it('refuses a request without an api-version, or with one that is not a date', async () => {
    const token = (await emu.credential().getToken(ARM_SCOPE)).token;
    const get = (query: string) =>
      fetch(`${emu.endpoint}${GALLERIES}/gallery_names${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const missing = await get('');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
    const nonsense = await get('?api-version=latest');
    expect(nonsense.status).toBe(400);
    expect(await nonsense.json()).toMatchObject({ error: { code: 'InvalidApiVersionParameter' } });
  });
});

describe('request paths', () => {
  it('reads a path that starts with // as a path, not a host (SDK /{+resourceId} templates)', async () => {
    const emu = await startTestEmulator();
    try {
      const token = (await emu.credential().getToken('https://management.azure.com/.default'))
        .token;
      const put = await fetch(
        `${emu.endpoint}//subscriptions/${SUBSCRIPTION}/resourcegroups/rg-slashes?api-version=2024-11-01`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ location: 'eastus' }),
        },
      );
      expect(put.status).toBe(201);
    } finally {
      await emu.dispose();
    }
  });
});
