/**
 * `npm run bench:cleanup`: a gallery of 50 definitions × 200 versions in the stand-in, with ARM
 * write throttling on (token bucket, 429 + Retry-After). Prints the time to plan, the ARM
 * requests made, deletions per second, and checks that exactly the planned versions were deleted.
 * BENCH_DEFINITIONS, BENCH_VERSIONS, BENCH_CONCURRENCY and BENCH_WRITES_PER_SECOND change the size.
 */
import { runCleanup } from '../src/gallery/retention/cleanup.js';
import { getCleanupInputs } from '../src/actions/cleanup/inputs.js';
import { RecordingLogger } from '../src/common/logger.js';
import { recordInputReader } from '../src/common/inputs.js';
import { CLIENT, startTestEmulator, SUBSCRIPTION, TENANT } from '../__tests__/helpers/emulator.js';
import { fixtureCalendar } from '../__tests__/helpers/publish.js';

const DEFINITIONS = Number(process.env.BENCH_DEFINITIONS ?? 50);
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WRITES_PER_SECOND = Number(process.env.BENCH_WRITES_PER_SECOND ?? 60);
const RG = 'rg-bench';
const GALLERY = 'bench_gallery';
const base = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/galleries/${GALLERY}`;

const emu = await startTestEmulator({
  settings: { operationMs: 0, replicationMs: 0, pageSize: 100 },
});
try {
  // 8 minors × 25 patches = 200 versions a definition.
  const versions = Array.from(
    { length: VERSIONS },
    (_, i) => `1.${31 - Math.floor(i / 25)}.${i % 25}`,
  );
  const resources: { id: string; location: string; properties?: Record<string, unknown> }[] = [
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
    for (const v of versions)
      resources.push({
        id: `${def}/versions/${v}`,
        location: 'westus2',
        properties: {
          storageProfile: {
            source: {
              id: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/images/z',
            },
          },
        },
      });
  }
  const seeded = Date.now();
  await emu.admin('POST', '/seed', { resources });
  console.log(
    `seeded ${DEFINITIONS} definitions × ${VERSIONS} versions in ${Date.now() - seeded} ms`,
  );
  await emu.admin('POST', '/settings', { writesPerSecond: WRITES_PER_SECOND });
  await emu.admin('DELETE', '/requests');

  const settings = (dryRun: boolean) =>
    getCleanupInputs(
      recordInputReader({
        'subscription-id': SUBSCRIPTION,
        'tenant-id': TENANT,
        'client-id': CLIENT,
        'arm-endpoint': emu.endpoint,
        'authority-host': emu.authorityHost,
        'resource-group': RG,
        gallery: GALLERY,
        'keep-minors': '3',
        'keep-patches': '5',
        'dry-run': String(dryRun),
        'max-concurrency': String(CONCURRENCY),
      }),
    );
  const ctx = {
    compute: emu.compute(),
    calendar: fixtureCalendar(),
    logger: new RecordingLogger(),
    now: new Date('2024-10-20'),
  };

  const planStart = performance.now();
  const dry = await runCleanup(settings(true), ctx);
  const planMs = performance.now() - planStart;
  const planRequests = (await emu.admin<{ path: string }[]>('GET', '/requests')).filter(
    (r) => !r.path.startsWith('[login]'),
  ).length;
  const planned = new Set(
    dry.plan.filter((e) => e.action === 'delete').map((e) => e.id.toLowerCase()),
  );

  await emu.admin('DELETE', '/requests');
  // Poll each delete quickly: the stand-in's operations take 0 ms; Azure's take minutes.
  const fast = { ...ctx, compute: emu.compute() };
  const runStart = performance.now();
  const real = await runCleanup(
    { ...settings(false), pollIntervalSeconds: 0.02 } as ReturnType<typeof settings>,
    fast,
  );
  const runMs = performance.now() - runStart;
  const log = await emu.admin<{ method: string; path: string; fault?: string }[]>(
    'GET',
    '/requests',
  );
  const arm = log.filter((r) => !r.path.startsWith('[login]'));

  const left = new Set<string>();
  for await (const d of emu.compute().galleryImages.listByGallery(RG, GALLERY)) {
    for await (const v of emu
      .compute()
      .galleryImageVersions.listByGalleryImage(RG, GALLERY, d.name!))
      left.add(v.id!.toLowerCase());
  }
  const wronglyDeleted = resources.filter(
    (r) =>
      r.id.includes('/versions/') &&
      !planned.has(r.id.toLowerCase()) &&
      !left.has(r.id.toLowerCase()),
  ).length;
  const notDeleted = [...planned].filter((id) => left.has(id)).length;

  console.log(
    `versions: ${DEFINITIONS * VERSIONS}, planned deletions: ${planned.size}, kept: ${left.size}`,
  );
  console.log(`plan (dry run): ${planMs.toFixed(0)} ms, ${planRequests} ARM requests`);
  console.log(
    `delete: ${(runMs / 1000).toFixed(1)} s, ${(real.result!.deleted.length / (runMs / 1000)).toFixed(0)} deletions/s at max-concurrency ${CONCURRENCY}, ` +
      `${arm.length} ARM requests, ${arm.filter((r) => r.fault === 'throttled').length} throttled (429) at ${WRITES_PER_SECOND} writes/s`,
  );
  console.log(
    `failed: ${real.result!.failed.length}, deleted outside the plan: ${wronglyDeleted}, planned but still there: ${notDeleted}`,
  );
  if (wronglyDeleted > 0 || notDeleted > 0 || real.result!.failed.length > 0) process.exitCode = 1;
} finally {
  await emu.dispose();
}
