/**
 * `npm run bench:inventory`: the inventory of a gallery of 50 definitions × 200 versions in the
 * stand-in (no simulated latency, pages of 100): ARM requests sent, wall time, and a check that
 * every seeded version is in the catalog, and where the time goes: the listing alone (the SDK and
 * the in-process stand-in), the inventory's reading and catalog, its Markdown and its JSON.
 * Target: under 5 s, and no request per version. A missing version or a request per version
 * fails the run; the time is printed against the target, not enforced (a loaded machine slows
 * the stand-in as much as the client). BENCH_DEFINITIONS and BENCH_VERSIONS change the size.
 */
import { availableParallelism, loadavg } from 'node:os';
import { RecordingLogger } from '../src/common/logger.js';
import { takeInventory } from '../src/gallery/inventory/inventory.js';
import { catalogMarkdown } from '../src/gallery/inventory/markdown.js';
import { startTestEmulator, SUBSCRIPTION } from '../__tests__/helpers/emulator.js';
import { fixtureCalendar } from '../__tests__/helpers/publish.js';

const DEFINITIONS = Number(process.env.BENCH_DEFINITIONS ?? 50);
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 200);
const RG = 'rg-bench';
const GALLERY = 'bench_gallery';
const base = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/${GALLERY}`;

const emu = await startTestEmulator({
  settings: { operationMs: 0, replicationMs: 0, pageSize: 100 },
});
try {
  // 8 minors × 25 patches = 200 versions a definition, as bench/cleanup.ts seeds them.
  const versions = Array.from(
    { length: VERSIONS },
    (_, i) => `1.${31 - Math.floor(i / 25)}.${i % 25}`,
  );
  const resources: Record<string, unknown>[] = [
    { id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`, location: 'westus2' },
    { id: base, location: 'westus2' },
  ];
  for (let d = 0; d < DEFINITIONS; d++) {
    const def = `${base}/images/capi-os-${d}`;
    resources.push({
      id: def,
      location: 'westus2',
      properties: {
        osType: 'Linux',
        osState: 'Generalized',
        hyperVGeneration: 'V2',
        identifier: { publisher: 'bench', offer: 'capi', sku: `os-${d}` },
      },
    });
    for (const [i, v] of versions.entries())
      resources.push({
        id: `${def}/versions/${v}`,
        location: 'westus2',
        tags: {
          'content-digest': `sha256:${(d * 1000 + i).toString(16).padStart(64, '0')}`,
          ...(i % 50 === 7 ? { yanked: 'bench yank' } : {}),
        },
        properties: {
          storageProfile: {
            source: {
              id: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/images/z',
            },
          },
          publishingProfile: {
            targetRegions: [
              { name: 'westus2', regionalReplicaCount: 3 },
              { name: 'eastus', regionalReplicaCount: 2 },
            ],
          },
        },
      });
  }
  const seeded = Date.now();
  await emu.admin('POST', '/seed', { resources });
  console.log(
    `seeded ${DEFINITIONS} definitions × ${VERSIONS} versions in ${Date.now() - seeded} ms`,
  );
  await emu.admin('DELETE', '/requests');

  // The floor: every page of every definition through the SDK, 8 at a time (as the inventory
  // reads), with nothing built from it: what the stand-in and the SDK cost.
  const floorStart = performance.now();
  const compute = emu.compute();
  const definitions: string[] = [];
  for await (const d of compute.galleryImages.listByGallery(RG, GALLERY)) definitions.push(d.name!);
  let listed = 0;
  const queue = [...definitions];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
        for await (const _ of compute.galleryImageVersions.listByGalleryImage(RG, GALLERY, d))
          listed++;
      }
    }),
  );
  const floorMs = performance.now() - floorStart;
  await emu.admin('DELETE', '/requests');

  const start = performance.now();
  const { catalog } = await takeInventory(
    { kind: 'private', subscriptionId: SUBSCRIPTION, resourceGroup: RG, gallery: GALLERY },
    { definitions: [], minors: [], states: [] },
    {
      compute: emu.compute(),
      calendar: fixtureCalendar(),
      now: new Date('2024-10-20'),
      logger: new RecordingLogger(),
    },
  );
  const readMs = performance.now() - start;
  const markdownStart = performance.now();
  const markdown = catalogMarkdown(catalog);
  const markdownMs = performance.now() - markdownStart;
  const jsonStart = performance.now();
  const json = JSON.stringify(catalog, null, 2);
  const jsonMs = performance.now() - jsonStart;
  const totalMs = performance.now() - start;
  const log = await emu.admin<{ method: string; path: string }[]>('GET', '/requests');
  const arm = log.filter((r) => !r.path.startsWith('[login]'));
  const perVersion = arm.filter((r) => /\/versions\/[^/]+$/i.test(r.path)).length;
  const expected = DEFINITIONS * VERSIONS;
  const ms = (n: number): string => `${n.toFixed(0)} ms`;
  console.log(
    `inventory: ${catalog.counts.versions} versions (${catalog.counts.current} current, ${catalog.counts['end-of-life']} end of life, ${catalog.counts.yanked} yanked) in ${catalog.counts.definitions} definitions`,
  );
  console.log(`  listing alone (SDK + stand-in, ${listed} versions): ${ms(floorMs)}`);
  console.log(
    `  read + catalog: ${ms(readMs)} (of which ours, beyond the listing: ~${ms(Math.max(0, readMs - floorMs))})`,
  );
  console.log(`  Markdown (${(markdown.length / 1e6).toFixed(1)} MB): ${ms(markdownMs)}`);
  console.log(`  JSON (${(json.length / 1e6).toFixed(1)} MB): ${ms(jsonMs)}`);
  console.log(
    `  total: ${ms(totalMs)}; target under 5000 ms: ${totalMs < 5000 ? 'met' : `missed by ${ms(totalMs - 5000)}`}`,
  );
  console.log(
    `ARM requests: ${arm.length} (${log.length - arm.length} to the login host), of which per version: ${perVersion}`,
  );
  console.log(
    `load average (1 min) while measuring: ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs` +
      (totalMs >= 5000
        ? ' (a busy machine slows the in-process stand-in too: compare on an idle one)'
        : ''),
  );
  // Correctness fails the run; time is a figure to compare, not a verdict on a noisy machine.
  if (catalog.counts.versions !== expected || perVersion > 0) {
    console.log(`FAILED: expected ${expected} versions and 0 per-version requests`);
    process.exitCode = 1;
  }
} finally {
  await emu.dispose();
}
