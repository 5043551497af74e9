/**
 * The stand-in answers as Azure answered (issue 12): one test per difference that recorded Azure
 * traffic or an independent client (the Azure CLI, MSAL Python) showed. Each failed on the
 * stand-in before the fix it names.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  armFetch,
  armPut,
  armRequest,
  CLIENT,
  seedStorage,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
  waitForOperation,
} from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { uploadVhd } from '../helpers/vhd.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RG = 'rg-answers';
const RG_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`;
const GALLERY_ID = `${RG_ID}/providers/Microsoft.Compute/galleries/answers`;
const DEFINITION_ID = `${GALLERY_ID}/images/node`;
const LOCATION = 'westus2';

let emu: TestEmulator;
let storageAccountId: string;
let vhd: string;
let dataVhd: string;

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 20, replicationMs: 60 } });
  storageAccountId = await seedStorage(emu, RG, 'answersvhds', LOCATION);
  vhd = await uploadVhd(emu.blobEndpoint, 'answersvhds', emu.credential(), 'os.vhd');
  dataVhd = await uploadVhd(emu.blobEndpoint, 'answersvhds', emu.credential(), 'data.vhd');
  await armPut(emu, GALLERY_ID, { location: LOCATION });
  await definition(DEFINITION_ID);
});
afterAll(async () => {
  await emu?.dispose();
});

async function definition(id: string, features?: { name: string; value: string }[]) {
  return armPut(emu, id, {
    location: LOCATION,
    properties: {
      osType: 'Linux',
      osState: 'Generalized',
      hyperVGeneration: 'V2',
      identifier: { publisher: 'capi', offer: 'capi-ubuntu', sku: id.split('/').pop() },
      ...(features ? { features } : {}),
    },
  });
}

/** A version made from the test VHD, with `storageProfile` overrides. */
async function vhdVersion(name: string, storageProfile?: Json, apiVersion = '2023-07-03') {
  const id = `${DEFINITION_ID}/versions/${name}`;
  await armPut(
    emu,
    id,
    {
      location: LOCATION,
      properties: {
        publishingProfile: { targetRegions: [{ name: LOCATION }] },
        storageProfile: storageProfile ?? {
          osDiskImage: { source: { uri: vhd, storageAccountId } },
        },
      },
    },
    apiVersion,
  );
  return id;
}

const get = async (path: string, apiVersion = '2023-07-03'): Promise<Json> =>
  (await armRequest<Json>(emu, 'GET', path, undefined, apiVersion)).body;

describe('issue 12: the stand-in answers as Azure does', () => {
  it.each([
    ['"storageProfile": {}', {}],
    [
      '"storageProfile": {"osDiskImage": {"hostCaching": "ReadWrite", "source": {}}}',
      { osDiskImage: { hostCaching: 'ReadWrite', source: {} } },
    ],
  ])(
    '1. PUT on an existing version with %s updates it (200 Updating + Azure-AsyncOperation) and keeps the source',
    async (_label, storageProfile) => {
      const name = Object.keys(storageProfile).length ? '1.0.2' : '1.0.1';
      const id = await vhdVersion(name);
      // What `az sig image-version update` sends: the stored version without its source.
      const res = await armRequest<Json>(
        emu,
        'PUT',
        id,
        {
          location: LOCATION,
          properties: {
            publishingProfile: {
              targetRegions: [{ name: LOCATION }, { name: 'eastus' }],
              excludeFromLatest: true,
              endOfLifeDate: '2030-01-01T00:00:00Z',
            },
            storageProfile,
            safetyProfile: { allowDeletionOfReplicatedLocations: true },
          },
        },
        '2024-03-03',
      );
      expect({ status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({
        status: 200,
        body: undefined,
      });
      expect(res.body.properties.provisioningState).toBe('Updating');
      const url = res.headers.get('azure-asyncoperation');
      expect(url).toMatch(/\/capsOperations\//i);
      expect((await waitForOperation(emu, url!)).status).toBe('Succeeded');
      const after = await get(id);
      expect(after.properties.storageProfile.osDiskImage.source).toEqual({
        uri: vhd,
        storageAccountId,
      });
      expect(after.properties.publishingProfile).toMatchObject({
        excludeFromLatest: true,
        endOfLifeDate: '2030-01-01T00:00:00Z',
      });
      expect(
        after.properties.publishingProfile.targetRegions.map((t: Json) => t.name).sort(),
      ).toEqual(['East US', 'West US 2']);
      expect(after.properties.safetyProfile.allowDeletionOfReplicatedLocations).toBe(true);
    },
  );

  it('1. a PUT that names a different source is still refused (409 PropertyChangeNotAllowed)', async () => {
    const id = await vhdVersion('1.0.3');
    const res = await armRequest<Json>(
      emu,
      'PUT',
      id,
      {
        location: LOCATION,
        properties: {
          publishingProfile: { targetRegions: [{ name: LOCATION }] },
          storageProfile: { osDiskImage: { source: { uri: dataVhd, storageAccountId } } },
        },
      },
      '2023-07-03',
    );
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('PropertyChangeNotAllowed');
  });

  it('2. a VHD source given as {id, uri} is accepted (201, Succeeded) and echoed as sent', async () => {
    const id = `${DEFINITION_ID}/versions/2.0.0`;
    const res = await armRequest<Json>(
      emu,
      'PUT',
      id,
      {
        location: LOCATION,
        properties: {
          publishingProfile: { targetRegions: [{ name: LOCATION }] },
          storageProfile: { osDiskImage: { source: { id: storageAccountId, uri: vhd } } },
        },
      },
      '2023-07-03',
    );
    expect({ status: res.status, error: res.body.error }).toEqual({
      status: 201,
      error: undefined,
    });
    const done = await waitForOperation(emu, res.headers.get('azure-asyncoperation')!);
    expect(done.status).toBe('Succeeded');
    const after = await get(id);
    expect(after.properties.provisioningState).toBe('Succeeded');
    expect(after.properties.storageProfile.osDiskImage.source).toEqual({
      id: storageAccountId,
      uri: vhd,
    });
  });

  it('3. VHD disks sent without hostCaching read back ReadWrite (OS) and ReadOnly (data)', async () => {
    const id = await vhdVersion('3.0.0', {
      osDiskImage: { source: { uri: vhd, storageAccountId } },
      dataDiskImages: [{ lun: 0, source: { uri: dataVhd, storageAccountId } }],
    });
    const sp = (await get(id)).properties.storageProfile;
    expect(sp.osDiskImage.hostCaching).toBe('ReadWrite');
    expect(sp.dataDiskImages[0].hostCaching).toBe('ReadOnly');
  });

  it('4. the share POST applies Add and Remove of Subscriptions and AADTenants groups', async () => {
    const gallery = `${RG_ID}/providers/Microsoft.Compute/galleries/shared_groups`;
    await armPut(emu, gallery, { location: LOCATION });
    const share = async (body: Json): Promise<void> => {
      const res = await armRequest(emu, 'POST', `${gallery}/share`, body, '2023-07-03');
      expect(res.status).toBe(202);
      expect((await waitForOperation(emu, res.headers.get('azure-asyncoperation')!)).status).toBe(
        'Succeeded',
      );
    };
    const sub2 = '33333333-3333-3333-3333-333333333333';
    await share({
      operationType: 'Add',
      groups: [
        { type: 'Subscriptions', ids: [SUBSCRIPTION, sub2] },
        { type: 'AADTenants', ids: [TENANT] },
      ],
    });
    const selected = async (): Promise<Json> =>
      (await get(`${gallery}?$select=Permissions`)).properties.sharingProfile;
    expect(await selected()).toEqual({
      permissions: 'Groups',
      groups: [
        { type: 'Subscriptions', ids: [SUBSCRIPTION, sub2] },
        { type: 'AADTenants', ids: [TENANT] },
      ],
    });
    // Without $select the groups are not listed.
    expect((await get(gallery)).properties.sharingProfile).toEqual({ permissions: 'Groups' });

    await share({
      operationType: 'Remove',
      groups: [
        { type: 'Subscriptions', ids: [sub2] },
        { type: 'AADTenants', ids: [TENANT] },
      ],
    });
    // The emptied tenant group is dropped.
    expect(await selected()).toEqual({
      permissions: 'Groups',
      groups: [{ type: 'Subscriptions', ids: [SUBSCRIPTION] }],
    });
  });

  it('5. community reads carry Azure disclaimer, recommended: {} and a blank image identifier', async () => {
    const gallery = `${RG_ID}/providers/Microsoft.Compute/galleries/answers_community`;
    const created = await armPut<Json>(emu, gallery, {
      location: LOCATION,
      properties: {
        sharingProfile: {
          permissions: 'Community',
          communityGalleryInfo: {
            publisherUri: 'https://example.com',
            publisherContact: 'ops@example.com',
            eula: 'https://example.com/eula',
            publicNamePrefix: 'Answers',
          },
        },
      },
    });
    const publicName = created.body.properties.sharingProfile.communityGalleryInfo.publicNames[0];
    const res = await armRequest(
      emu,
      'POST',
      `${gallery}/share`,
      { operationType: 'EnableCommunity' },
      '2023-07-03',
    );
    await waitForOperation(emu, res.headers.get('azure-asyncoperation')!);
    await definition(`${gallery}/images/node`);
    await armPut(
      emu,
      `${gallery}/images/node/versions/1.0.0`,
      {
        location: LOCATION,
        properties: {
          publishingProfile: { targetRegions: [{ name: LOCATION }] },
          storageProfile: { osDiskImage: { source: { uri: vhd, storageAccountId } } },
        },
      },
      '2023-07-03',
    );
    const base = `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/locations/${LOCATION}/communityGalleries/${publicName}`;
    const disclaimer = 'https://aka.ms/community-gallery-disclaimer';
    expect((await get(base)).properties.disclaimer).toBe(disclaimer);
    const image = await get(`${base}/images/node`);
    expect(image.properties).toMatchObject({
      disclaimer,
      recommended: {},
      identifier: { publisher: '', offer: '', sku: '' },
    });
    const listed = await get(`${base}/images`);
    expect(listed.value[0].properties.identifier).toEqual({ publisher: '', offer: '', sku: '' });
    expect((await get(`${base}/images/node/versions/1.0.0`)).properties.disclaimer).toBe(
      disclaimer,
    );
  });

  it('6. feature values are normalised: "true" reads back "True"', async () => {
    const id = `${GALLERY_ID}/images/features`;
    const res = await definition(id, [
      { name: 'IsAcceleratedNetworkSupported', value: 'true' },
      { name: 'IsHibernateSupported', value: 'FALSE' },
      { name: 'SecurityType', value: 'TrustedLaunchSupported' },
    ]);
    expect(res.status).toBe(201);
    const features = (await get(id)).properties.features as { name: string; value: string }[];
    expect(Object.fromEntries(features.map((f) => [f.name, f.value]))).toEqual({
      IsAcceleratedNetworkSupported: 'True',
      IsHibernateSupported: 'False',
      SecurityType: 'TrustedLaunchSupported',
    });
  });

  it('7. a version made from a managed image reports osDiskImage.source: {}', async () => {
    const image = `${RG_ID}/providers/Microsoft.Compute/images/node-image`;
    await armPut(
      emu,
      image,
      {
        location: LOCATION,
        properties: {
          hyperVGeneration: 'V2',
          storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized', blobUri: vhd } },
        },
      },
      '2024-03-01',
    );
    const id = `${DEFINITION_ID}/versions/7.0.0`;
    await armPut(
      emu,
      id,
      {
        location: LOCATION,
        properties: {
          publishingProfile: { targetRegions: [{ name: LOCATION }] },
          storageProfile: { source: { id: image } },
        },
      },
      '2023-07-03',
    );
    const sp = (await get(id)).properties.storageProfile;
    expect(sp.source).toEqual({ id: image });
    expect(sp.osDiskImage.source).toEqual({});
  });

  it('8. a region encrypted with a disk encryption set gets encryption.osDiskImage.securityProfile: {}', async () => {
    const des = `${RG_ID}/providers/Microsoft.Compute/diskEncryptionSets/des`;
    const id = await vhdVersion('8.0.0');
    const res = await armRequest<Json>(
      emu,
      'PATCH',
      id,
      {
        properties: {
          publishingProfile: {
            targetRegions: [
              { name: LOCATION, encryption: { osDiskImage: { diskEncryptionSetId: des } } },
            ],
          },
        },
      },
      '2023-07-03',
    );
    expect(res.status).toBe(200);
    const region = (await get(id)).properties.publishingProfile.targetRegions[0];
    expect(region.encryption).toEqual({
      osDiskImage: { diskEncryptionSetId: des, securityProfile: {} },
    });
  });

  it('9. GET /subscriptions lists the subscriptions the stand-in holds; GET /subscriptions/{id} reads one', async () => {
    const list = await armRequest<Json>(emu, 'GET', '/subscriptions', undefined, '2019-11-01');
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([
      expect.objectContaining({
        id: `/subscriptions/${SUBSCRIPTION}`,
        subscriptionId: SUBSCRIPTION,
        tenantId: TENANT,
        displayName: expect.any(String),
        state: 'Enabled',
      }),
    ]);
    const one = await armRequest<Json>(
      emu,
      'GET',
      `/subscriptions/${SUBSCRIPTION}`,
      undefined,
      '2022-12-01',
    );
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ subscriptionId: SUBSCRIPTION, state: 'Enabled' });
  });

  it("10. Tags_GetAtScope answers a resource's tags; a missing resource is 404", async () => {
    const image = `${RG_ID}/providers/Microsoft.Compute/images/tagged`;
    await armPut(
      emu,
      image,
      {
        location: LOCATION,
        tags: { source: 'packer', build: '42' },
        properties: { storageProfile: { osDisk: { osType: 'Linux', blobUri: vhd } } },
      },
      '2024-03-01',
    );
    const res = await armRequest<Json>(
      emu,
      'GET',
      `${image}/providers/Microsoft.Resources/tags/default`,
      undefined,
      '2021-04-01',
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: `${image}/providers/Microsoft.Resources/tags/default`,
      name: 'default',
      type: 'Microsoft.Resources/tags',
      properties: { tags: { source: 'packer', build: '42' } },
    });
    const missing = await armRequest(
      emu,
      'GET',
      `${RG_ID}/providers/Microsoft.Compute/images/nope/providers/Microsoft.Resources/tags/default`,
      undefined,
      '2021-04-01',
    );
    expect(missing.status).toBe(404);
  });

  it("11. GET /metadata/endpoints?api-version=2015-01-01 answers the cloud's endpoints without a token", async () => {
    const res = await fetch(`${emu.endpoint}/metadata/endpoints?api-version=2015-01-01`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.authentication.loginEndpoint).toBe(`${emu.authorityHost}/adfs/`);
    expect(body.authentication.audiences[0]).toBe('https://management.core.windows.net/');
    expect(typeof body.galleryEndpoint).toBe('string');
    expect(typeof body.graphEndpoint).toBe('string');
  });

  it('12. instance discovery and the token endpoint echo the tenant asked for (tid)', async () => {
    const asked = `${emu.authorityHost}/${TENANT}/oauth2/v2.0/authorize`;
    const discovery = (await (
      await fetch(
        `${emu.authorityHost}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(asked)}`,
      )
    ).json()) as Json;
    expect(discovery.tenant_discovery_endpoint).toBe(
      `${emu.authorityHost}/${TENANT}/v2.0/.well-known/openid-configuration`,
    );
    const config = (await (await fetch(discovery.tenant_discovery_endpoint)).json()) as Json;
    const token = (await (
      await fetch(config.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: CLIENT,
          client_secret: 'any',
          scope: 'https://management.azure.com/.default',
        }),
      })
    ).json()) as Json;
    const claims = JSON.parse(
      Buffer.from(String(token.access_token).split('.')[1]!, 'base64url').toString(),
    ) as Json;
    expect(claims.tid).toBe(TENANT);
    // ADFS, as a cloud registered from the metadata above has it: no instance discovery.
    const adfs = await fetch(`${emu.authorityHost}/adfs/.well-known/openid-configuration`);
    expect(adfs.status).toBe(200);
    expect(((await adfs.json()) as Json).token_endpoint).toMatch(/\/adfs\/oauth2\//);
  });
});

describe('raw calls keep working', () => {
  it('an ARM call without a token is still 401 outside the metadata endpoint', async () => {
    const res = await fetch(`${emu.endpoint}/subscriptions?api-version=2019-11-01`);
    expect(res.status).toBe(401);
    void armFetch;
  });
});
