/**
 * `npm run bench:import`: build-image's streamed disk import against what a user would otherwise
 * run (`qemu-img convert` to a fixed VHD, then `azcopy copy --blob-type PageBlob`) and against
 * the ceiling (data bytes ÷ the stand-in's measured Put Page rate), contenders alternated in each
 * round, on images made here: a real ext4 file system (`mkfs.ext4 -d` over a tree of files, ~10%
 * data) of 4 and 30 GiB, raw (sparse) and qcow2, and a fragmented raw disk (4 KiB of data in
 * every MiB). Every import is a child process, timed with /usr/bin/time for its CPU and peak
 * RSS; bytes sent are read back from the blob's page ranges; temporary disk is what the
 * contender wrote besides the blob. Then a sweep of the writer's merge gap and concurrency.
 *
 * Ours is the build-image action itself, bundled as `npm run bundle` bundles it and run as the
 * runner runs it (INPUT_* variables, GitHub OIDC sign-in against the stand-in), so its time
 * includes loading the bundle, signing in and everything else a run pays. Its debug log says
 * when each phase of the import ended (`Import phase: …`); the bench splits its wall time into
 * the fixed cost before the first page write (start, sign-in, mapping, creating the blob), the
 * streaming (first page write to the footer) and the end (completion mark, outputs, exit), and
 * compares the streaming alone with the ceiling too. The ceiling itself stays data ÷ rate.
 *
 * BENCH_SIZES (4,30), BENCH_RUNS (3), BENCH_AZCOPY=0 to skip azcopy, BENCH_SWEEP=0 to skip it,
 * BENCH_CONCURRENCY (build-image's upload-concurrency, its default unless set), BENCH_DIR (a
 * folder to make the images in and keep them for the next run; by default a temporary one,
 * removed at the end).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { buildDist } from '../scripts/lib/bundler.js';
import { inputVariable, readInputs } from '../scripts/lib/smoke.js';
import { ClientSecretCredential } from '@azure/identity';
import {
  BlobSASPermissions,
  ContainerClient,
  generateBlobSASQueryParameters,
  PageBlobClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { azurePageBlobTarget } from '../src/build/upload/page-blob.js';
import { formatBytes } from '../src/build/progress.js';
import { openDiskImage } from '../src/build/vhd/import/open-image.js';
import { streamToPageBlob } from '../src/build/vhd/import/stream-upload.js';
import { silentLogger } from '../src/common/logger.js';
import { CLIENT, SUBSCRIPTION, TENANT } from '../__tests__/helpers/emulator.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '4,30').split(',').map(Number);
const AZCOPY = process.env.BENCH_AZCOPY !== '0';
const SWEEP = process.env.BENCH_SWEEP !== '0';
const KEEP_DIR = process.env.BENCH_DIR ? resolve(process.env.BENCH_DIR) : undefined;
/** The runner's job that the stand-in's GitHub OIDC issues ID tokens for (its defaults). */
const OIDC_SUBJECT = 'repo:local/compute-gallery-actions:ref:refs/heads/main';
/** Azurite's well-known development account: it has a key, for azcopy's SAS. */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const TSX = resolve('node_modules', '.bin', 'tsx');
/** The child, bundled as the actions are (no TypeScript compiled at start); see bundleChild. */
let CHILD: [string, string[]] = [TSX, ['bench/import.ts']];

/**
 * Bundles this file for the children with esbuild (tsx's own compiler), so that they start as
 * the action's bundle does rather than paying tsx's compile at every start; tsx where it fails.
 */
async function bundleChild(dir: string): Promise<void> {
  try {
    const esbuild = (await import('esbuild' as string)) as {
      build: (o: Record<string, unknown>) => Promise<unknown>;
    };
    const outfile = join(dir, 'child.mjs');
    await esbuild.build({
      entryPoints: ['bench/import.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'warning',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    CHILD = [process.execPath, [outfile]];
  } catch (err) {
    console.log(`  (children run through tsx: ${(err as Error).message.split('\n')[0]})`);
  }
}

interface Measured {
  ms: number;
  cpuS: number;
  rssMiB: number;
  tempBytes: number;
}

/** Child mode: the writer alone (streamToPageBlob) with one merge gap and concurrency. */
async function child(
  mode: string,
  path: string,
  url: string,
  authorityHost: string,
): Promise<void> {
  const credential = new ClientSecretCredential(TENANT, CLIENT, 'local-secret', {
    authorityHost,
    disableInstanceDiscovery: true,
  });
  const target = azurePageBlobTarget(url, credential);
  const [gap, concurrency] = mode.split(':').slice(1).map(Number);
  const opened = await openDiskImage(path, 'source-disk', path);
  if (opened.kind !== 'native') throw new Error(opened.reason);
  const r = await streamToPageBlob({
    file: opened.file,
    map: opened.map,
    target,
    seed: 'bench',
    logger: silentLogger,
    mergeGap: gap!,
    concurrency: concurrency!,
  });
  await opened.file.close();
  console.log(JSON.stringify({ pageWrites: r.pageWrites }));
}

/** When the import's phases ended, ms after its process started (its `Import phase:` lines). */
type Phases = Record<string, number>;

function phasesOf(stdout: string): Phases {
  const phases: Phases = {};
  for (const m of stdout.matchAll(/^::debug::Import phase: (.+) at (\d+) ms\.$/gm)) {
    phases[m[1]!] = Number(m[2]);
  }
  return phases;
}

/**
 * Runs the build-image bundle in `dist` as the runner runs it: inputs as INPUT_* variables with
 * action.yml's defaults, the runner's files, GitHub OIDC from the stand-in. Throws unless it
 * succeeded.
 */
async function runBuildImage(
  dist: string,
  runner: string,
  standIn: StandIn,
  inputs: Record<string, string>,
): Promise<Measured & { phases: Phases }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|AZURE_|ARM_|NODE_OPTIONS$)/.test(key)) env[key] = value;
  }
  rmSync(runner, { recursive: true, force: true });
  mkdirSync(join(runner, 'temp'), { recursive: true });
  for (const file of ['output', 'summary', 'state', 'env', 'path']) {
    writeFileSync(join(runner, file), '');
  }
  for (const input of await readInputs(resolve('actions/build-image/action.yml'))) {
    if (input.default !== undefined) env[inputVariable(input.name)] = input.default;
  }
  for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value;
  Object.assign(env, {
    NODE_EXTRA_CA_CERTS: standIn.caCertPath,
    ACTIONS_ID_TOKEN_REQUEST_URL: standIn.oidcRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: standIn.oidcRequestToken,
    GITHUB_OUTPUT: join(runner, 'output'),
    GITHUB_STEP_SUMMARY: join(runner, 'summary'),
    GITHUB_STATE: join(runner, 'state'),
    GITHUB_ENV: join(runner, 'env'),
    GITHUB_PATH: join(runner, 'path'),
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'local/compute-gallery-actions',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKSPACE: runner,
    RUNNER_TEMP: join(runner, 'temp'),
    RUNNER_OS: 'Linux',
  });
  const m = timed(process.execPath, [join(dist, 'build-image', 'index.js')], env);
  return { ...m, phases: phasesOf(m.stdout) };
}

/** Runs `cmd` under /usr/bin/time: wall, CPU and peak RSS of it and its children. */
function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Measured & { stdout: string } {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %M', cmd, ...args], {
    encoding: 'utf8',
    env,
    maxBuffer: 64 * MiB,
  });
  const ms = performance.now() - started;
  const line = r.stderr.split('\n').find((l) => l.startsWith('TIME '));
  if (r.status !== 0 || !line)
    throw new Error(`${cmd} failed: ${r.stdout.slice(-3000)} ${r.stderr.slice(-2000)}`);
  const [, user, sys, rss] = line.split(' ').map(Number);
  return { ms, cpuS: user! + sys!, rssMiB: rss! / 1024, tempBytes: 0, stdout: r.stdout };
}

interface StandIn {
  stop: () => Promise<void>;
  blobEndpoint: string;
  caCertPath: string;
  authorityHost: string;
  endpoint: string;
  adminEndpoint: string;
  oidcRequestUrl: string;
  oidcRequestToken: string;
}

async function startStandIn(dataDir: string): Promise<StandIn> {
  const proc = spawn(TSX, ['emulator/main.ts', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  const ready = JSON.parse(line) as Omit<StandIn, 'stop'>;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    ...ready,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** An ext4 file system of `gib` GiB holding ~10% in files: raw (sparse) and qcow2. */
function makeExt4(dir: string, gib: number): { raw: string; qcow2: string } {
  const raw = join(dir, `ext4-${gib}g.raw`);
  const qcow2 = join(dir, `ext4-${gib}g.qcow2`);
  if (existsSync(raw) && existsSync(qcow2)) return { raw, qcow2 }; // kept from a run (BENCH_DIR)
  const tree = join(dir, 'tree');
  mkdirSync(tree, { recursive: true });
  const block = randomBytes(8 * MiB);
  const target = gib * GiB * 0.1;
  let written = 0;
  for (let i = 0; written < target; i++) {
    const size = Math.min(target - written, [4096, 65536, MiB, 8 * MiB][i % 4]!);
    const sub = join(tree, `d${i % 97}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}`), block.subarray(0, size));
    written += size;
  }
  execFileSync('truncate', ['-s', `${gib}G`, raw]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', tree, raw]);
  rmSync(tree, { recursive: true, force: true });
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  return { raw, qcow2 };
}

/** 1 GiB with a 4 KiB extent of data every MiB: 1,024 extents. */
function makeFragmented(dir: string): string {
  const path = join(dir, 'fragmented.raw');
  if (existsSync(path)) return path;
  const fd = openSync(path, 'w');
  ftruncateSync(fd, GiB);
  const data = randomBytes(4096);
  for (let i = 0; i < 1024; i++) writeSync(fd, data, 0, 4096, i * MiB + ((i * 7919) % 256) * 4096);
  closeSync(fd);
  return path;
}

/** Non-zero bytes of an image in 4 KiB blocks, as its map lists them: the data to send. */
async function dataOf(path: string): Promise<number> {
  const opened = await openDiskImage(path, 'source-disk', path);
  if (opened.kind !== 'native') throw new Error(opened.reason);
  await opened.file.close();
  return opened.map.extents.reduce((n, e) => n + e.length, 0);
}

/** Bytes the blob holds in written pages: what was sent. */
async function pageBytes(blob: PageBlobClient): Promise<number> {
  const { pageRange } = await blob.getPageRanges();
  return (pageRange ?? []).reduce((n, r) => n + (r.count ?? 0), 0);
}

/** Put Page rate: 4 MiB pages of random data, 8 in flight, MiB/s. */
async function putPageRate(blob: PageBlobClient, bytes: number): Promise<number> {
  await blob.create(bytes);
  const page = randomBytes(4 * MiB);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (;;) {
        const offset = next;
        next += page.length;
        if (offset >= bytes) return;
        await blob.uploadPages(page, offset, page.length);
      }
    }),
  );
  const rate = bytes / MiB / ((performance.now() - started) / 1000);
  await blob.deleteIfExists();
  return rate;
}

/** The bench's container on the stand-in's blob endpoint. */
const containerOf = (standIn: StandIn) =>
  `${standIn.blobEndpoint.replace(/\/$/, '')}/${ACCOUNT}/vhds`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cga-bench-import-'));
  const imageDir = KEEP_DIR ?? work;
  mkdirSync(imageDir, { recursive: true });
  const free = statfsSync(imageDir);
  console.log(`bench:import: ${formatBytes(free.bavail * free.bsize)} free under ${imageDir}.`);
  await bundleChild(work);
  const dist = join(work, 'dist');
  const bundling = performance.now();
  await buildDist({ root: resolve('.'), outDir: dist });
  console.log(
    `  bundled the actions as npm run bundle does in ${((performance.now() - bundling) / 1000).toFixed(1)} s`,
  );
  const key = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY);
  const { trust } = await import('../__tests__/helpers/emulator.js');
  /**
   * The stand-in, with its blob storage emptied: Azurite keeps the extents of deleted blobs for a
   * while, so a round at 30 GiB would leave tens of GiB behind, fill the disk and slow Azurite
   * down as its data grows. Each round starts one afresh (keys and certificates are kept).
   */
  const freshStandIn = async (): Promise<StandIn> => {
    rmSync(join(work, 'stand-in', 'azurite'), { recursive: true, force: true });
    const started = await startStandIn(join(work, 'stand-in'));
    // This process talks to the stand-in too.
    process.env.NODE_EXTRA_CA_CERTS = started.caCertPath;
    trust(readFileSync(started.caCertPath, 'utf8'));
    await new ContainerClient(containerOf(started), key).createIfNotExists();
    // Entra takes the runner's GitHub ID tokens for CLIENT through a federated credential.
    const registered = await fetch(`${started.adminEndpoint}/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: CLIENT,
        federatedCredentials: [
          { name: 'bench', issuer: `${started.authorityHost}/_actions`, subject: OIDC_SUBJECT },
        ],
      }),
    });
    if (!registered.ok) throw new Error(`stand-in admin: ${registered.status}`);
    return started;
  };
  let standIn = await freshStandIn();
  try {
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: standIn.caCertPath };
    let containerUrl = containerOf(standIn);
    const azcopy = createRequire(import.meta.url)('@azure-tools/azcopy-linux').AzCopyExe as string;
    if (AZCOPY) chmodSync(azcopy, 0o755); // npm unpacks it without its execute bit
    const sas = (blob: string) =>
      generateBlobSASQueryParameters(
        {
          containerName: 'vhds',
          blobName: blob,
          permissions: BlobSASPermissions.parse('rcw'),
          expiresOn: new Date(Date.now() + 6 * 3600_000),
        },
        key,
      ).toString();

    const images: { name: string; path: string; data: number }[] = [];
    for (const gib of SIZES) {
      const ext4 = makeExt4(imageDir, gib);
      images.push({ name: `ext4 ${gib} GiB raw`, path: ext4.raw, data: await dataOf(ext4.raw) });
      images.push({
        name: `ext4 ${gib} GiB qcow2`,
        path: ext4.qcow2,
        data: await dataOf(ext4.qcow2),
      });
    }
    const fragmented = makeFragmented(imageDir);
    images.push({ name: 'fragmented 1 GiB raw', path: fragmented, data: await dataOf(fragmented) });
    for (const i of images) {
      console.log(
        `  ${i.name}: ${formatBytes(i.data)} of data, ${formatBytes(statSync(i.path).blocks * 512)} on disk`,
      );
    }

    const rates: number[] = [];
    const measureRate = async () => {
      const r = await putPageRate(new PageBlobClient(`${containerUrl}/rate.vhd`, key), 1024 * MiB);
      rates.push(r);
      console.log(`  Put Page rate: ${r.toFixed(0)} MiB/s (4 MiB pages, 8 in flight)`);
    };
    await measureRate();

    const contenders = ['ours', ...(AZCOPY ? ['qemu-img + azcopy'] : [])];
    const results = new Map<string, (Measured & { sent: number })[]>();
    const phases = new Map<string, Phases[]>();
    for (let round = 1; round <= RUNS; round++) {
      if (round > 1) {
        await standIn.stop();
        standIn = await freshStandIn();
        containerUrl = containerOf(standIn);
        await measureRate();
      }
      for (const image of images) {
        for (const c of contenders) {
          const blob = `r${round}-${c.replace(/\W+/g, '')}-${images.indexOf(image)}.vhd`;
          const url = `${containerUrl}/${blob}`;
          let m: Measured;
          if (c === 'ours') {
            const run = await runBuildImage(dist, join(work, 'runner'), standIn, {
              'subscription-id': SUBSCRIPTION,
              'tenant-id': TENANT,
              'client-id': CLIENT,
              'authority-host': standIn.authorityHost,
              'arm-endpoint': standIn.endpoint,
              builder: 'disk',
              os: 'ubuntu-2404',
              'kubernetes-version': 'v1.31.2',
              'source-disk': image.path,
              'blob-container-url': containerUrl,
              'blob-name': blob,
              'storage-account-id': `/subscriptions/${SUBSCRIPTION}/resourceGroups/bench/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}`,
              ...(process.env.BENCH_CONCURRENCY
                ? { 'upload-concurrency': process.env.BENCH_CONCURRENCY }
                : {}),
            });
            m = run;
            const key3 = image.name;
            phases.set(key3, [...(phases.get(key3) ?? []), { ...run.phases, end: run.ms }]);
          } else {
            const vhd = `${image.path}.fixed.vhd`;
            const format = image.path.endsWith('.qcow2') ? 'qcow2' : 'raw';
            const a = timed('qemu-img', [
              'convert',
              '-f',
              format,
              '-O',
              'vpc',
              '-o',
              'subformat=fixed,force_size',
              image.path,
              vhd,
            ]);
            const tempBytes = statSync(vhd).blocks * 512;
            const b = timed(
              azcopy,
              [
                'copy',
                vhd,
                `${url}?${sas(blob)}`,
                '--blob-type',
                'PageBlob',
                '--from-to',
                'LocalBlob',
                '--log-level',
                'ERROR',
              ],
              {
                ...env,
                SSL_CERT_FILE: standIn.caCertPath,
                AZCOPY_LOG_LOCATION: join(work, 'azcopy'),
                AZCOPY_JOB_PLAN_LOCATION: join(work, 'azcopy'),
              },
            );
            rmSync(vhd, { force: true });
            m = {
              ms: a.ms + b.ms,
              cpuS: a.cpuS + b.cpuS,
              rssMiB: Math.max(a.rssMiB, b.rssMiB),
              tempBytes,
            };
          }
          const client = new PageBlobClient(url, key);
          const sent = await pageBytes(client);
          await client.deleteIfExists();
          const key2 = `${image.name}|${c}`;
          results.set(key2, [...(results.get(key2) ?? []), { ...m, sent }]);
          console.log(
            `  round ${round} ${image.name.padEnd(22)} ${c.padEnd(18)} ${(m.ms / 1000).toFixed(2).padStart(7)} s  ` +
              `sent ${formatBytes(sent).padStart(10)}  cpu ${m.cpuS.toFixed(1)} s  rss ${m.rssMiB.toFixed(0)} MiB  temp ${formatBytes(m.tempBytes)}`,
          );
        }
      }
      await measureRate();
    }

    const rate = median(rates);
    console.log(
      `\nPut Page rate, median of ${rates.length}: ${rate.toFixed(0)} MiB/s (spread ${spread(rates)}).\n`,
    );
    console.log(
      '| image | data | contender | median s (spread) | ceiling s | ÷ ceiling | vs qemu-img + azcopy | sent ÷ data | CPU s | peak RSS MiB | temp disk |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const image of images) {
      const ceiling = image.data / MiB / rate;
      const other = AZCOPY
        ? median(results.get(`${image.name}|qemu-img + azcopy`)!.map((m) => m.ms))
        : undefined;
      for (const c of contenders) {
        const ms = results.get(`${image.name}|${c}`)!;
        const t = median(ms.map((m) => m.ms)) / 1000;
        const sent = median(ms.map((m) => m.sent));
        console.log(
          `| ${image.name} | ${formatBytes(image.data)} | ${c} | ${t.toFixed(2)} (${spread(ms.map((m) => m.ms / 1000))}) | ` +
            `${ceiling.toFixed(2)} | ${(t / ceiling).toFixed(2)} | ${other ? `${(other / 1000 / t).toFixed(2)}× faster` : '—'} | ` +
            `${(sent / image.data).toFixed(3)} | ${median(ms.map((m) => m.cpuS)).toFixed(1)} | ` +
            `${Math.max(...ms.map((m) => m.rssMiB)).toFixed(0)} | ${formatBytes(Math.max(...ms.map((m) => m.tempBytes)))} |`,
        );
      }
    }

    console.log(
      '\nOurs by phase (medians, s; from the `Import phase:` debug lines, ms after the process started):',
    );
    console.log(
      '| image | start → image mapped | sign-in, blob state | blob created | streaming | footer, completion, exit | fixed total | streaming ÷ ceiling | end to end ÷ ceiling |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const image of images) {
      const runs = phases.get(image.name) ?? [];
      const span = (from: string | undefined, to: string) =>
        median(runs.map((p) => (p[to]! - (from ? p[from]! : 0)) / 1000));
      if (runs.some((p) => p['data written'] === undefined)) continue; // nothing to send
      const ceiling = image.data / MiB / rate;
      const streaming = span('blob created', 'data written');
      const fixed = median(
        runs.map((p) => (p['blob created']! + p.end! - p['data written']!) / 1000),
      );
      console.log(
        `| ${image.name} | ${span(undefined, 'image mapped').toFixed(2)} | ` +
          `${span('image mapped', 'blob state read').toFixed(2)} | ${span('blob state read', 'blob created').toFixed(2)} | ` +
          `${streaming.toFixed(2)} | ${span('data written', 'end').toFixed(2)} | ${fixed.toFixed(2)} | ` +
          `${(streaming / ceiling).toFixed(2)} | ${(span(undefined, 'end') / ceiling).toFixed(2)} |`,
      );
    }

    if (SWEEP) {
      console.log('\nWriter sweep (streamToPageBlob alone; median of 3, s; page writes):');
      const sweepImages = images.filter((i) => /fragmented|4 GiB raw/.test(i.name));
      for (const image of sweepImages) {
        for (const gap of [0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * MiB]) {
          for (const concurrency of [2, 4, 8, 16]) {
            if (gap !== 256 * 1024 && concurrency !== 8) continue; // gap at 8, concurrency at 256 KiB
            const times: number[] = [];
            let writes = 0;
            let sent = 0;
            for (let i = 0; i < 3; i++) {
              const blob = `sweep-${gap}-${concurrency}-${i}.vhd`;
              const url = `${containerUrl}/${blob}`;
              const m = timed(
                CHILD[0],
                [
                  ...CHILD[1],
                  '--child',
                  `sweep:${gap}:${concurrency}`,
                  image.path,
                  url,
                  standIn.authorityHost,
                ],
                env,
              );
              writes = (JSON.parse(m.stdout.trim().split('\n').at(-1)!) as { pageWrites: number })
                .pageWrites;
              const client = new PageBlobClient(url, key);
              sent = await pageBytes(client);
              await client.deleteIfExists();
              times.push(m.ms / 1000);
            }
            console.log(
              `  ${image.name.padEnd(22)} merge gap ${formatBytes(gap).padStart(8)}  concurrency ${String(concurrency).padStart(2)}: ` +
                `${median(times).toFixed(2)} s (${spread(times)}), ${writes} writes, sent ÷ data ${(sent / image.data).toFixed(3)}`,
            );
          }
        }
      }
    }
  } finally {
    await standIn.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(args[1]!, args[2]!, args[3]!, args[4]!);
else await main();
