/**
 * Replays real Azure traffic recorded by the Azure CLI's tests
 * (../shared/fixtures/azure-cli-recordings/*.yaml, vcrpy format) against the stand-in, in order.
 * Each request is sent as recorded (path, query, body); the status code, the async-operation
 * headers and the body shape must match what Azure answered. Recorded capsOperations polls are
 * mapped to the URLs our own earlier responses gave, and polled until terminal when the
 * recording shows a terminal status.
 *
 * Interactions outside the stand-in's scope are skipped, with the reason (SKIPS below). The
 * resource group the CLI test framework made before recording is created out of band, and so
 * is what a skipped interaction would have made that later ones need (see SOFT_DELETE).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  armFetch,
  armPut,
  seedStorage,
  startTestEmulator,
  waitForOperation,
} from '../helpers/emulator.js';
import type { ArmResponse, TestEmulator } from '../helpers/emulator.js';
import { asyncUrlShape, shapeProblems, unexcused } from '../helpers/shape.js';
import { uploadVhd } from '../helpers/vhd.js';

import { describeUpstream, UPSTREAM_FIXTURES } from '../helpers/upstream.js';

const RECORDINGS_FOLDER = 'azure-cli-recordings/';
const RECORDINGS = new URL(RECORDINGS_FOLDER, UPSTREAM_FIXTURES);

interface Interaction {
  request: { method: string; uri: string; body: string | null };
  response: {
    status: { code: number };
    headers: Record<string, string[]>;
    body: { string: string };
  };
}

const load = (file: string): Interaction[] =>
  (parse(readFileSync(new URL(file, RECORDINGS), 'utf8')) as { interactions: Interaction[] })
    .interactions;

/** Out of scope today, each with the reason the test gives. */
const SKIPS: { reason: string; applies: (it: Interaction) => boolean }[] = [
  {
    reason:
      'ARM template deployments (the CLI deploys its test VM with one) are not part of the stand-in',
    applies: (it) => /\/providers\/Microsoft\.Resources\/deployments\//i.test(it.request.uri),
  },
  {
    reason: 'virtual machines are not part of the stand-in',
    applies: (it) => /\/providers\/Microsoft\.Compute\/virtualMachines\//i.test(it.request.uri),
  },
  {
    reason: 'networking (virtual networks, NICs) is not part of the stand-in',
    applies: (it) => /\/providers\/Microsoft\.Network\//i.test(it.request.uri),
  },
  {
    reason: 'marketplace image lookups (for the test VM) are not part of the stand-in',
    applies: (it) => /\/publishers\/[^/]+\/artifacttypes\/vmimage\//i.test(it.request.uri),
  },
  {
    reason:
      'the gallery recycle bin is not modelled: the stand-in stores softDeletePolicy but deletes for good, so softDeletedArtifactTypes has nothing to list',
    applies: (it) => /\/softDeletedArtifactTypes\//i.test(it.request.uri),
  },
  {
    reason:
      'a version captured from a VM needs a VM; the stand-in makes it out of band from a VHD instead',
    applies: (it) =>
      it.request.method === 'PUT' && /"virtualMachineId"/.test(it.request.body ?? ''),
  },
];

const POLL_OF_SKIPPED = 'a poll of an operation whose request was skipped';

/** Recorded version bodies that describe a VM-captured version the stand-in made from a VHD. */
const VM_SOURCE: Record<string, string> = {
  '$.properties.storageProfile.source.virtualMachineId':
    'Azure captured 1.1.1 from a VM; the stand-in made it from a VHD out of band, so its source is the VHD',
  '$.properties.storageProfile.source':
    'a VHD-sourced version has no storageProfile.source (its source is osDiskImage.source)',
  '$.properties.validationsProfile.platformAttributes':
    'platformAttributes name the marketplace image the VM was made from; a VHD has none',
};

let emu: TestEmulator;

const capsId = (url: string): string | undefined => url.match(/\/capsOperations\/([^/?]+)/i)?.[1];
const header = (it: Interaction, name: string): string | undefined =>
  Object.entries(it.response.headers).find(([k]) => k.toLowerCase() === name)?.[1]?.[0];
const json = (text: string | null | undefined): unknown => (text ? JSON.parse(text) : undefined);

/** The recorded URL on our endpoint, without the signature parameters real ARM adds. */
function ourUrl(recorded: string): string {
  const u = new URL(recorded);
  for (const k of ['t', 'c', 's', 'h']) u.searchParams.delete(k);
  return `${emu.endpoint}${u.pathname}${u.search}`;
}

/** The resource groups the CLI test framework made before recording, as its GETs show them. */
async function createResourceGroups(interactions: Interaction[]): Promise<void> {
  for (const it of interactions) {
    const m = it.request.uri.match(
      /^(https:\/\/[^/]+\/subscriptions\/[^/]+\/resourcegroups\/[^/?]+)\?/i,
    );
    if (!m || it.request.method !== 'GET' || it.response.status.code !== 200) continue;
    const body = json(it.response.body.string) as {
      location: string;
      tags?: Record<string, string>;
    };
    const res = await armFetch(emu, 'PUT', ourUrl(it.request.uri), {
      location: body.location,
      tags: body.tags,
    });
    expect(res.status).toBeLessThan(300);
  }
}

interface Replay {
  compared: number;
  skipped: Record<string, number>;
  /** recorded operation id → our Azure-AsyncOperation and Location URLs, or 'skipped'. */
  operations: Map<string, { async?: string; location?: string } | 'skipped'>;
}

function expectShape(
  where: string,
  recorded: unknown,
  ours: unknown,
  allow: Record<string, string> = {},
): void {
  const { left } = unexcused(shapeProblems(recorded ?? {}, ours ?? {}), allow);
  expect({ where, missing: left }).toEqual({ where, missing: [] });
}

function expectStatus(where: string, res: ArmResponse<unknown>, status: number): void {
  expect({ where, status: res.status, body: res.status === status ? undefined : res.body }).toEqual(
    {
      where,
      status,
      body: undefined,
    },
  );
}

/** A recorded capsOperations poll, against the operation our own response started. */
async function replayPoll(
  it: Interaction,
  where: string,
  ours: { async?: string; location?: string },
): Promise<void> {
  const monitor = new URL(it.request.uri).searchParams.get('monitor') === 'true';
  const recorded = json(it.response.body.string) as { status?: string } | undefined;
  if (!monitor) {
    expect(ours.async).toBeDefined();
    const terminal = recorded?.status !== 'InProgress';
    const res = terminal
      ? { status: 200, body: await waitForOperation(emu, ours.async!) }
      : await armFetch(emu, 'GET', ours.async!);
    expectStatus(where, res as ArmResponse<unknown>, 200);
    expectShape(where, recorded, res.body);
    if (terminal)
      expect({ where, status: (res.body as { status: string }).status }).toEqual({
        where,
        status: recorded?.status,
      });
    return;
  }
  expect(ours.location).toBeDefined();
  let res = await armFetch(emu, 'GET', ours.location!);
  while (it.response.status.code === 200 && res.status === 202) {
    await new Promise((r) => setTimeout(r, 20));
    res = await armFetch(emu, 'GET', ours.location!);
  }
  expectStatus(where, res, it.response.status.code);
}

async function replay(
  interactions: Interaction[],
  hooks: {
    before?: (it: Interaction, i: number) => Promise<void>;
    insteadOf?: (it: Interaction) => Promise<void>;
  } = {},
): Promise<Replay> {
  const state: Replay = { compared: 0, skipped: {}, operations: new Map() };
  const skip = (reason: string): void =>
    void (state.skipped[reason] = (state.skipped[reason] ?? 0) + 1);
  for (const [i, it] of interactions.entries()) {
    const where = `#${i} ${it.request.method} ${new URL(it.request.uri).pathname}`;
    const opId = capsId(it.request.uri);
    if (opId) {
      const ours = state.operations.get(opId);
      if (ours === 'skipped') {
        skip(POLL_OF_SKIPPED);
        continue;
      }
      expect({ where, mapped: ours !== undefined }).toEqual({ where, mapped: true });
      await replayPoll(it, where, ours!);
      state.compared++;
      continue;
    }
    const skipped = SKIPS.find((s) => s.applies(it));
    const recordedOp = capsId(header(it, 'azure-asyncoperation') ?? header(it, 'location') ?? '');
    if (skipped) {
      skip(skipped.reason);
      if (recordedOp) state.operations.set(recordedOp, 'skipped');
      await hooks.insteadOf?.(it);
      continue;
    }
    await hooks.before?.(it, i);
    const res = await armFetch(
      emu,
      it.request.method,
      ourUrl(it.request.uri),
      json(it.request.body),
    );
    expectStatus(where, res, it.response.status.code);
    const recordedBody = json(it.response.body.string);
    const allow = /"virtualMachineId"/.test(it.response.body.string) ? VM_SOURCE : {};
    expectShape(where, recordedBody, res.body, allow);
    for (const name of ['azure-asyncoperation', 'location']) {
      const theirs = header(it, name);
      if (!theirs) continue;
      const ours = res.headers.get(name);
      expect({ where, header: name, shape: ours && asyncUrlShape(ours) }).toEqual({
        where,
        header: name,
        shape: asyncUrlShape(theirs),
      });
      expect(new URL(ours!).origin).toBe(emu.endpoint);
    }
    if (recordedOp) {
      state.operations.set(recordedOp, {
        async: res.headers.get('azure-asyncoperation') ?? undefined,
        location: res.headers.get('location') ?? undefined,
      });
    }
    state.compared++;
  }
  return state;
}

describeUpstream(RECORDINGS_FOLDER)(
  'recorded Azure CLI traffic replayed against the stand-in',
  () => {
    beforeAll(async () => {
      emu = await startTestEmulator();
    });
    afterAll(async () => {
      await emu?.dispose();
    });

    it('has a test for every recording', () => {
      expect(
        readdirSync(RECORDINGS)
          .filter((f) => f.endsWith('.yaml'))
          .sort(),
      ).toEqual([
        'test_gallery_image_definition_update_features.yaml',
        'test_gallery_soft_delete_policy_and_recycle_bin.yaml',
      ]);
    });

    it('test_gallery_image_definition_update_features: gallery, definition, features updated with allowUpdateImage', async () => {
      const interactions = load('test_gallery_image_definition_update_features.yaml');
      await createResourceGroups(interactions);
      const result = await replay(interactions);
      expect({ compared: result.compared, skipped: result.skipped }).toEqual({
        compared: 12,
        skipped: {},
      });
    });

    it('test_gallery_soft_delete_policy_and_recycle_bin: soft-delete policy, version delete, restore, delete', async () => {
      const interactions = load('test_gallery_soft_delete_policy_and_recycle_bin.yaml');
      await createResourceGroups(interactions);
      const rg = 'cli_test_gallery_soft_delete_policy_000001';
      const storageAccountId = await seedStorage(emu, rg, 'clitestvhds', 'westus');
      const vhd = await uploadVhd(
        emu.blobEndpoint,
        'clitestvhds',
        emu.credential(),
        'vm1-osdisk.vhd',
      );
      const version = `${storageAccountId.split('/providers/')[0]}/providers/Microsoft.Compute/galleries/sig_000002/images/img_000003/versions/1.1.1`;
      // What the recording made from the VM, the stand-in makes from a VHD: same name, region, tags.
      const makeVersion = async (): Promise<void> => {
        await armPut(
          emu,
          version,
          {
            location: 'westus',
            tags: {},
            properties: {
              publishingProfile: { targetRegions: [{ name: 'westus' }] },
              storageProfile: {
                osDiskImage: { source: { uri: vhd, storageAccountId }, hostCaching: 'ReadWrite' },
              },
            },
          },
          '2024-03-03',
        );
      };
      const result = await replay(interactions, {
        insteadOf: async (it) => {
          if (it.request.method === 'PUT' && /"virtualMachineId"/.test(it.request.body ?? ''))
            await makeVersion();
        },
        before: async (it) => {
          // The recording's `sig image-version undelete` PUT (location and tags only) restores
          // 1.1.1 from the recycle bin. The stand-in has no recycle bin, so 1.1.1 is made again out
          // of band and the PUT exercises the update of an existing version with only location and
          // tags, which must keep its properties (200, Updating).
          if (
            it.request.method === 'PUT' &&
            it.request.body === '{"location": "westus", "tags": {}}'
          )
            await makeVersion();
        },
      });
      expect({ compared: result.compared, skipped: result.skipped }).toEqual({
        compared: 33,
        skipped: Object.fromEntries([
          [SKIPS[0]!.reason, 4],
          [SKIPS[1]!.reason, 1],
          [SKIPS[2]!.reason, 2],
          [SKIPS[3]!.reason, 2],
          [SKIPS[4]!.reason, 2],
          [SKIPS[5]!.reason, 1],
          [POLL_OF_SKIPPED, 8],
        ]),
      });
    });
  },
);
