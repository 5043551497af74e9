/**
 * `npm run bench:publish`: one publish-to-gallery run of the real bundle against the local
 * stand-in with no simulated latency (operations and replication take 0 ms), repeated, printing
 * the ARM requests it made, the wall time of the whole `node dist/…` process, and its cold
 * start: from spawning the process to the stand-in receiving the first request.
 */
import { BlobClient } from '@azure/storage-blob';
import { seedStorage, startTestEmulator } from '../__tests__/helpers/emulator.js';
import { publishInputs } from '../__tests__/helpers/publish.js';
import { runBundledAction } from '../__tests__/helpers/runner.js';
import { uploadVhd } from '../__tests__/helpers/vhd.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const emu = await startTestEmulator({ settings: { operationMs: 0, replicationMs: 0 } });
try {
  const storageAccountId = await seedStorage(emu, 'rg-publish', 'benchstore');
  const uri = await uploadVhd(emu.blobEndpoint, 'benchstore', emu.credential(), 'bench.vhd');
  await new BlobClient(uri, emu.credential()).setMetadata({ sha256: '5'.repeat(64) });
  const env = {
    NODE_EXTRA_CA_CERTS: emu.caCertPath,
    ACTIONS_ID_TOKEN_REQUEST_URL: emu.oidcRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: emu.oidcRequestToken,
  };
  const rows: {
    kind: string;
    wallMs: number;
    coldStartMs: number;
    arm: number;
    armWrites: number;
    login: number;
  }[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Odd runs re-publish the previous version (the no-op path), even runs publish a new one.
    const version = `1.0.${Math.floor(i / 2)}`;
    await emu.admin('DELETE', '/requests');
    const spawned = Date.now();
    const run = await runBundledAction(
      'publish-to-gallery',
      publishInputs(emu, {
        'image-version': version,
        source: uri,
        'source-storage-account-id': storageAccountId,
        'poll-interval-seconds': '1',
      }),
      env,
    );
    if (run.code !== 0) throw new Error(`publish failed:\n${run.stdout}\n${run.stderr}`);
    const requests = await emu.admin<{ time: string; method: string; path: string }[]>(
      'GET',
      '/requests',
    );
    const arm = requests.filter((r) => !r.path.startsWith('[login]'));
    rows.push({
      kind: run.outputs.created === 'true' ? 'new version' : 'same version again',
      wallMs: run.durationMs,
      coldStartMs: Date.parse(requests[0]!.time) - spawned,
      arm: arm.length,
      armWrites: arm.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').length,
      login: requests.length - arm.length,
    });
  }
  console.log('publish-to-gallery on the stand-in (no simulated latency), node', process.version);
  console.table(rows);
  for (const kind of ['new version', 'same version again']) {
    const of = rows.filter((r) => r.kind === kind);
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `${kind}: median wall ${median(of.map((r) => r.wallMs))} ms, cold start to first request ${median(of.map((r) => r.coldStartMs))} ms, ` +
        `ARM requests ${median(of.map((r) => r.arm))} (${median(of.map((r) => r.armWrites))} writes), login requests ${median(of.map((r) => r.login))}`,
    );
  }
} finally {
  await emu.dispose();
}
