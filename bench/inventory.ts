/**
 * `npm run bench:inventory`: the inventory of a gallery of 50 definitions × 200 versions in the
 * stand-in (no simulated latency, pages of 100): ARM requests sent, wall time, and a check that
 * every seeded version is in the catalog. Target: under 5 s, and no request per version.
 * BENCH_DEFINITIONS and BENCH_VERSIONS change the size.
 */
import { loadavg } from 'node:os';
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
  const markdown = catalogMarkdown(catalog);
  const json = JSON.stringify(catalog);
  const totalMs = performance.now() - start;
  const log = await emu.admin<{ method: string; path: string }[]>('GET', '/requests');
  const arm = log.filter((r) => !r.path.startsWith('[login]'));
  const perVersion = arm.filter((r) => /\/versions\/[^/]+$/i.test(r.path)).length;
  const expected = DEFINITIONS * VERSIONS;
  console.log(
    `inventory: ${catalog.counts.versions} versions (${catalog.counts.current} current, ${catalog.counts['end-of-life']} end of life, ${catalog.counts.yanked} yanked) in ${catalog.counts.definitions} definitions`,
  );
  console.log(
    `read + catalog: ${readMs.toFixed(0)} ms; with JSON (${(json.length / 1e6).toFixed(1)} MB) and Markdown (${(markdown.length / 1e6).toFixed(1)} MB): ${totalMs.toFixed(0)} ms`,
  );
  console.log(
    `ARM requests: ${arm.length} (${log.length - arm.length} to the login host), of which per version: ${perVersion}`,
  );
  console.log(`load average (1 min) while measuring: ${loadavg()[0]!.toFixed(1)}`);
  if (catalog.counts.versions !== expected || perVersion > 0 || totalMs > 5000) {
    console.log(`FAILED: expected ${expected} versions, 0 per-version requests, under 5 s`);
    process.exitCode = 1;
  }
} finally {
  await emu.dispose();
}
