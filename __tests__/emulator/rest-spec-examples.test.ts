/**
 * Replays the Azure REST spec examples (../shared/fixtures/azure-rest-api-specs/gallery-examples)
 * against the stand-in: same operation (found through the spec's x-ms-examples), same request
 * body with our names and IDs substituted, and the things an example points at created first.
 * Status codes, the async-operation headers and body shapes (keys, recursively; the stand-in may
 * say more) must match. Where the stand-in differs on purpose, an allow-list entry says why.
 *
 * Status codes the stand-in never gives, on purpose:
 * - PUT 202: the spec allows it, but recorded traffic (azure-cli-recordings) shows Compute
 *   answering a PUT with 201 (new) or 200 (existing) plus Azure-AsyncOperation; so does the
 *   stand-in, and each PUT example is replayed twice to see both.
 * - DELETE 200: the stand-in always deletes asynchronously (202), as the recordings show; a
 *   DELETE of something already gone is the example's 204.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeUpstream } from '../helpers/upstream.js';
import {
  armFetch,
  armRequest,
  SUBSCRIPTION,
  startTestEmulator,
  waitForOperation,
} from '../helpers/emulator.js';
import type { ArmResponse, TestEmulator } from '../helpers/emulator.js';
import { asyncUrlShape, shapeProblems, unexcused } from '../helpers/shape.js';
import {
  exampleFiles,
  load,
  operationFor,
  pathFor,
  REFS,
  SPECS_FOLDER,
  SpecWorld,
  substitute,
} from './spec-examples.js';

let emu: TestEmulator;
let world: SpecWorld;

type Allow = Record<string, string>;
const POLICY: Allow = {
  '$.properties.safetyProfile.policyViolations':
    'Azure lists policyViolations only for an image it has flagged, as the example is; the stand-in flags nothing.',
};
const LIST_POLICY: Allow = {
  '$.value[*].properties.safetyProfile.policyViolations':
    POLICY['$.properties.safetyProfile.policyViolations']!,
};

interface Call {
  /** Overrides for path parameters (e.g. the real public gallery name). */
  params?: Record<string, string>;
  /** Extra placeholder → value substitutions for the request body. */
  subst?: Record<string, string>;
}

async function send(
  file: string,
  rg: string,
  call: Call = {},
): Promise<ArmResponse<Record<string, unknown>>> {
  const ex = load(file);
  const op = operationFor(file);
  const params = {
    ...ex.parameters,
    subscriptionId: SUBSCRIPTION,
    resourceGroupName: rg,
    location: 'westus',
    ...call.params,
  };
  const query = Object.entries(ex.parameters)
    .filter(([k]) => k.startsWith('$'))
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  const path = pathFor(op.template, params) + (query.length ? `?${query.join('&')}` : '');
  const body = op.bodyParameter
    ? substitute(ex.parameters[op.bodyParameter], world.substitutions(call.subst))
    : undefined;
  return armRequest(emu, op.method, path, body, String(ex.parameters['api-version']));
}

function expectStatus(res: ArmResponse<unknown>, status: number): void {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

/** Status, body shape, and every header the example names (as async-operation URL shapes). */
function expectResponse(
  file: string,
  status: string,
  res: ArmResponse<unknown>,
  allow: Allow = {},
): void {
  expectStatus(res, Number(status));
  const expected = load(file).responses[status]!;
  const bodyAllow = Object.fromEntries(Object.entries(allow).filter(([k]) => k.startsWith('$')));
  const { left, unused } = unexcused(shapeProblems(expected.body ?? {}, res.body), bodyAllow);
  expect({ file, status, missing: left, unneededExcuses: unused }).toEqual({
    file,
    status,
    missing: [],
    unneededExcuses: [],
  });
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    const ours = res.headers.get(name);
    expect({ header: name, present: ours !== null }).toEqual({ header: name, present: true });
    expect(new URL(ours!).origin).toBe(emu.endpoint);
    if (allow[`header:${name}`]) continue;
    expect({ header: name, shape: asyncUrlShape(ours!) }).toEqual({
      header: name,
      shape: asyncUrlShape(value),
    });
  }
}

const CAPS = '/subscriptions/*/providers/microsoft.compute/locations/*/capsoperations/*';

/** A PUT's Azure-AsyncOperation: absolute, ours, a capsOperations URL; waits it out. */
async function expectPutOperation(res: ArmResponse<unknown>): Promise<void> {
  const url = res.headers.get('azure-asyncoperation');
  expect(url).not.toBeNull();
  expect(new URL(url!).origin).toBe(emu.endpoint);
  expect(asyncUrlShape(url!)).toBe(`${CAPS}?api-version`);
  const done = await waitForOperation(emu, url!);
  expect(Object.keys(done).sort()).toEqual(['endTime', 'name', 'startTime', 'status']);
  expect(done.status).toBe('Succeeded');
}

/** PUT twice: 201 Creating for the new resource, 200 Updating for the existing one. */
async function createTwice(
  file: string,
  rg: string,
  call: Call = {},
  allow: Allow = {},
): Promise<void> {
  const created = await send(file, rg, call);
  expectResponse(file, '201', created, allow);
  expect(
    (created.body as { properties: Record<string, unknown> }).properties.provisioningState,
  ).toBe('Creating');
  await expectPutOperation(created);
  const updated = await send(file, rg, call);
  expectResponse(file, '200', updated, allow);
  expect(
    (updated.body as { properties: Record<string, unknown> }).properties.provisioningState,
  ).toBe('Updating');
  await expectPutOperation(updated);
}

async function deleteTwice(file: string, rg: string): Promise<void> {
  const first = await send(file, rg);
  expectResponse(file, '202', first);
  const done = await waitForOperation(emu, first.headers.get('azure-asyncoperation')!);
  expect(done.status).toBe('Succeeded');
  const monitor = await armRequestAbsolute(first.headers.get('location')!);
  expectStatus(monitor, 200);
  expectResponse(file, '204', await send(file, rg));
}

const armRequestAbsolute = (url: string): Promise<ArmResponse<Record<string, unknown>>> =>
  armFetch(emu, 'GET', url);

/** A list with page size 1 over two items: the example's nextLink, then the last page without one. */
async function listTwoPages(
  file: string,
  rg: string,
  call: Call = {},
  allow: Allow = {},
): Promise<void> {
  await world.setPageSize(1);
  try {
    const first = await send(file, rg, call);
    expectResponse(file, '200', first, allow);
    const next = await world.next(String(first.body.nextLink));
    expectStatus(next, 200);
    expect(next.body.value).toHaveLength(1);
    expect(next.body.nextLink).toBeUndefined();
  } finally {
    await world.setPageSize(100);
  }
}

/** The community gallery of CommunityGallery_Create, shared; returns its public name. */
async function communityGallery(rg: string): Promise<string> {
  await world.gallery(rg, true);
  return world.enableCommunity(rg);
}

/** Versions for the community reads: replicated to West US, with an end-of-life date. */
const EOL = { endOfLifeDate: '2030-03-20T09:12:28Z' };

const scenarios: Record<string, (rg: string) => Promise<void>> = {
  'Gallery_Create.json': (rg) => createTwice('Gallery_Create.json', rg),
  'Gallery_Get.json': async (rg) => {
    await world.gallery(rg);
    expectResponse('Gallery_Get.json', '200', await send('Gallery_Get.json', rg));
  },
  'Gallery_Update.json': async (rg) => {
    await world.gallery(rg);
    const res = await send('Gallery_Update.json', rg);
    expectResponse('Gallery_Update.json', '200', res);
    await expectPutOperation(res);
  },
  'Gallery_Delete.json': async (rg) => {
    await world.gallery(rg);
    await deleteTwice('Gallery_Delete.json', rg);
  },
  'Gallery_EnableCommunityGallery.json': async (rg) => {
    const file = 'Gallery_EnableCommunityGallery.json';
    await world.gallery(rg, true);
    const res = await send(file, rg);
    expectResponse(file, '202', res, {
      'header:Location':
        "The example's Location points back at .../share, which has no GET. Compute answers its long-running calls with a capsOperations monitor URL (DELETE does in the recordings), and so does the stand-in: absolute, ours and pollable, checked below.",
    });
    expect(asyncUrlShape(res.headers.get('location')!)).toBe(`${CAPS}?api-version&monitor`);
    const location = res.headers.get('location');
    await waitForOperation(emu, res.headers.get('azure-asyncoperation')!);
    expectResponse(file, '200', await armRequestAbsolute(location!));
  },
  'CommunityGallery_Create.json': (rg) => createTwice('CommunityGallery_Create.json', rg),
  'galleryExamples/CommunityGallery_Get.json': async (rg) => {
    await communityGallery(rg);
    const file = 'galleryExamples/CommunityGallery_Get.json';
    expectResponse(file, '200', await send(file, rg));
  },
  'CommunityGallery_Get.json': async (rg) => {
    const publicGalleryName = await communityGallery(rg);
    expectResponse(
      'CommunityGallery_Get.json',
      '200',
      await send('CommunityGallery_Get.json', rg, { params: { publicGalleryName } }),
      {
        '$.properties.communityMetadata.privacyStatementUri':
          'communityGalleryInfo has no privacyStatementUri a publisher could set (GalleryRP 2025-12-03), so the stand-in has none to show.',
      },
    );
  },
  'CommunityGalleryImage_List.json': async (rg) => {
    const publicGalleryName = await communityGallery(rg);
    await world.definition(rg, 'myGalleryImageName', 'sku1');
    await world.definition(rg, 'myOtherImage', 'sku2');
    await listTwoPages('CommunityGalleryImage_List.json', rg, { params: { publicGalleryName } });
  },
  'CommunityGalleryImageVersion_List.json': async (rg) => {
    const publicGalleryName = await communityGallery(rg);
    await world.definition(rg);
    await world.version(rg, 'managedImage', '1.0.0', undefined, EOL);
    await world.version(rg, 'managedImage', '1.0.1', undefined, EOL);
    await listTwoPages('CommunityGalleryImageVersion_List.json', rg, {
      params: { publicGalleryName },
    });
  },
  'CommunityGalleryImageVersion_Get.json': async (rg) => {
    const publicGalleryName = await communityGallery(rg);
    await world.definition(rg);
    await world.version(rg, 'managedImage', '1.0.0', undefined, EOL);
    const file = 'CommunityGalleryImageVersion_Get.json';
    expectResponse(
      file,
      '200',
      await send(file, rg, { params: { publicGalleryName, galleryImageVersionName: '1.0.0' } }),
    );
  },
  'GalleryImage_Create.json': async (rg) => {
    await world.gallery(rg);
    await createTwice('GalleryImage_Create.json', rg);
  },
  'GalleryImage_Get.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    expectResponse('GalleryImage_Get.json', '200', await send('GalleryImage_Get.json', rg));
  },
  'GalleryImage_ListByGallery.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg, 'myGalleryImageName', 'sku1');
    await world.definition(rg, 'myOtherImage', 'sku2');
    await listTwoPages('GalleryImage_ListByGallery.json', rg);
  },
  'GalleryImage_Delete.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    await deleteTwice('GalleryImage_Delete.json', rg);
  },
  'GalleryImageVersion_Create.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    const image = await world.managedImage(rg);
    await createTwice(
      'GalleryImageVersion_Create.json',
      rg,
      { subst: { [REFS.managedImage]: image } },
      POLICY,
    );
  },
  'GalleryImageVersion_Create_WithImageVersionAsSource.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    await world.definition(rg, 'mySourceImage', 'source-sku');
    const source = await world.version(rg, 'managedImage', '0.9.0', 'mySourceImage');
    await createTwice(
      'GalleryImageVersion_Create_WithImageVersionAsSource.json',
      rg,
      { subst: { [REFS.sourceVersion]: source } },
      POLICY,
    );
  },
  'GalleryImageVersion_Create_WithShallowReplicationMode.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    const image = await world.managedImage(rg);
    const file = 'GalleryImageVersion_Create_WithShallowReplicationMode.json';
    await createTwice(file, rg, { subst: { [REFS.managedImage]: image } }, POLICY);
  },
  'GalleryImageVersion_Create_WithVHD.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    await createTwice('GalleryImageVersion_Create_WithVHD.json', rg, {}, POLICY);
  },
  'GalleryImageVersion_Get.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    await world.version(rg, 'managedImage');
    expectResponse(
      'GalleryImageVersion_Get.json',
      '200',
      await send('GalleryImageVersion_Get.json', rg),
      POLICY,
    );
  },
  'GalleryImageVersion_Get_WithReplicationStatus.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    await world.version(rg, 'managedImage');
    const file = 'GalleryImageVersion_Get_WithReplicationStatus.json';
    expectResponse(file, '200', await send(file, rg), POLICY);
  },
  'GalleryImageVersion_Get_WithVhdAsSource.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    await world.version(rg, 'vhd');
    const file = 'GalleryImageVersion_Get_WithVhdAsSource.json';
    expectResponse(file, '200', await send(file, rg), POLICY);
  },
  'GalleryImageVersion_ListByGalleryImage.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    await world.version(rg, 'managedImage', '1.0.0');
    await world.version(rg, 'managedImage', '1.0.1');
    await listTwoPages('GalleryImageVersion_ListByGalleryImage.json', rg, {}, LIST_POLICY);
  },
  'GalleryImageVersion_Update.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    const version = await world.version(rg, 'managedImage');
    const image = `${world.rgId(rg)}/providers/Microsoft.Compute/images/img-1.0.0`;
    expect(version).toContain('/versions/1.0.0');
    const res = await send('GalleryImageVersion_Update.json', rg, {
      subst: { [REFS.managedImage]: image },
    });
    expectResponse('GalleryImageVersion_Update.json', '200', res, {
      '$.properties.publishingProfile.targetRegions[0].encryption':
        "The example's response shows West US encryption its PATCH did not send; a PATCH replaces targetRegions, so the stand-in returns the regions as sent.",
    });
    await expectPutOperation(res);
  },
  'GalleryImageVersion_Delete.json': async (rg) => {
    await world.gallery(rg);
    await world.definition(rg);
    await world.version(rg, 'managedImage');
    await deleteTwice('GalleryImageVersion_Delete.json', rg);
  },
};

describeUpstream(SPECS_FOLDER)('the Azure REST spec examples replayed against the stand-in', () => {
  beforeAll(async () => {
    // Shapes do not depend on timing: quick operations keep the 26 replays short.
    emu = await startTestEmulator({ settings: { operationMs: 10, replicationMs: 40 } });
    world = new SpecWorld(emu);
    await world.seedVhd();
  });
  afterAll(async () => {
    await emu?.dispose();
  });

  it('covers every example file', () => {
    expect(Object.keys(scenarios).sort()).toEqual(exampleFiles());
  });

  it.each(Object.keys(scenarios))('%s', async (file) => {
    const rg = await world.resourceGroup();
    await scenarios[file]!(rg);
  });
});
