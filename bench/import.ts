/**
 * `npm run bench:import`: the streamed disk import against today's path (qemu-img convert to
 * a fixed VHD file, then its upload) and against the ceiling (data bytes ÷ the stand-in's
 * measured Put Page rate), contenders alternated within each round, on images made here: a
 * real ext4 file system (mkfs.ext4 -d over a directory of files, ~10% data) as raw and qcow2,
 * and a fragmented raw disk (a 4 KiB extent every MiB). Each import runs in a child process so
 * its CPU time and peak RSS are its own.
 *
 * BENCH_DISK_GIB (4), BENCH_RUNS (3), BENCH_CONCURRENCY (8), BENCH_LEGACY=0 to skip today's path.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerClient, PageBlobClient } from '@azure/storage-blob';
import { parseBlobContainerUrl } from '../src/build/upload/blob-location.js';
import { openDiskImage } from '../src/build/vhd/import/open-image.js';
import { streamToPageBlob } from '../src/build/vhd/import/stream-upload.js';
import { azurePageBlobTarget } from '../src/build/upload/page-blob.js';
import { formatBytes } from '../src/build/progress.js';
import { QemuImg } from '../src/build/vhd/qemu-img.js';
import { uploadVhdFile } from '../src/build/upload/vhd-upload.js';
import { silentLogger } from '../src/common/logger.js';
import { CLIENT, seedStorage, TENANT, trust } from '../__tests__/helpers/emulator.js';
import type { TestEmulator } from '../__tests__/helpers/emulator.js';

const MiB = 1024 * 1024;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RUNS = env('BENCH_RUNS', 3);
const GIB = env('BENCH_DISK_GIB', 4);
const CONCURRENCY = env('BENCH_CONCURRENCY', 8);
const LEGACY = process.env.BENCH_LEGACY !== '0';

interface Measured {
  ms: number;
  bytesSent: number;
  cpuMs: number;
  maxRssMiB: number;
  tempBytes: number;
}

/** Child mode: one import, measured, printed as JSON. */
async function child(
  mode: string,
  path: string,
  url: string,
  authorityHost: string,
  ca: string,
): Promise<void> {
  trust(readFileSync(ca, 'utf8'));
  const credential = new ClientSecretCredential(TENANT, CLIENT, 'local-secret', {
    authorityHost,
    disableInstanceDiscovery: true,
  });
  const target = azurePageBlobTarget(url, credential);
  const started = performance.now();
  let bytesSent = 0;
  let tempBytes = 0;
  if (mode === 'stream') {
    const opened = await openDiskImage(path, 'source-disk', path);
    if (opened.kind !== 'native') throw new Error(opened.reason);
    const r = await streamToPageBlob({
      file: opened.file,
      map: opened.map,
      target,
      seed: 'bench',
      logger: silentLogger,
      concurrency: CONCURRENCY,
    });
    await opened.file.close();
    bytesSent = r.bytesSent;
  } else {
    const format = path.endsWith('.qcow2') ? 'qcow2' : 'raw';
    const vhd = `${path}.legacy.vhd`;
    await new QemuImg().convert({ path, format }, vhd, 'vpc', ['subformat=fixed', 'force_size']);
    tempBytes = statSync(vhd).blocks * 512;
    const container = parseBlobContainerUrl(
      'blob-container-url',
      url.slice(0, url.lastIndexOf('/')),
    );
    const r = await uploadVhdFile(
      vhd,
      {
        container,
        blobName: url.slice(url.lastIndexOf('/') + 1),
        storageAccountId: 'x',
        concurrency: CONCURRENCY,
      },
      {},
      { target: () => target, logger: silentLogger },
    );
    rmSync(vhd);
    bytesSent = r.upload.bytesSent;
  }
  const usage = process.resourceUsage();
  const result: Measured = {
    ms: performance.now() - started,
    bytesSent,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    maxRssMiB: usage.maxRSS / 1024,
    tempBytes,
  };
  console.log(JSON.stringify(result));
}

interface StandIn {
  process: ChildProcess;
  authorityHost: string;
  blobEndpoint: string;
  caCertPath: string;
  endpoint: string;
}

async function startStandIn(dataDir: string): Promise<StandIn> {
  const proc = spawn(
    join('node_modules', '.bin', 'tsx'),
    ['emulator/main.ts', '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  return { process: proc, ...(JSON.parse(line) as Omit<StandIn, 'process'>) };
}

/** An ext4 file system of `gib` GiB holding ~10% in files, raw (sparse) and qcow2. */
function makeExt4(dir: string, gib: number): { raw: string; qcow2: string } {
  const tree = join(dir, 'tree');
  mkdirSync(tree, { recursive: true });
  const block = randomBytes(8 * MiB);
  const target = gib * 1024 * MiB * 0.1;
  let written = 0;
  for (let i = 0; written < target; i++) {
    const size = Math.min(target - written, [4096, 65536, MiB, 8 * MiB][i % 4]!);
    const sub = join(tree, `d${i % 97}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}`), block.subarray(0, size));
    written += size;
  }
  const raw = join(dir, `ext4-${gib}g.raw`);
  execFileSync('truncate', ['-s', `${gib}G`, raw]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', tree, raw]);
  rmSync(tree, { recursive: true, force: true });
  const qcow2 = join(dir, `ext4-${gib}g.qcow2`);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  return { raw, qcow2 };
}

/** 1 GiB with a 4 KiB extent of data every MiB: 1,024 extents. */
function makeFragmented(dir: string): string {
  const path = join(dir, 'fragmented.raw');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 1024 * MiB);
  const data = randomBytes(4096);
  for (let i = 0; i < 1024; i++) writeSync(fd, data, 0, 4096, i * MiB + ((i * 7919) % 256) * 4096);
  closeSync(fd);
  return path;
}

/** Data bytes of an image: what its map lists. */
async function dataOf(path: string): Promise<number> {
  const opened = await openDiskImage(path, 'source-disk', path);
  if (opened.kind !== 'native') throw new Error(opened.reason);
  await opened.file.close();
  return opened.map.extents.reduce((n, e) => n + e.length, 0);
}

/** Put Page rate: 4 MiB pages of random data, CONCURRENCY in flight, MiB/s. */
async function putPageRate(
  url: string,
  credential: ClientSecretCredential,
  bytes: number,
): Promise<number> {
  const blob = new PageBlobClient(url, credential);
  await blob.create(bytes);
  const page = randomBytes(4 * MiB);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
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

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cga-bench-import-'));
  let standIn: StandIn | undefined;
  try {
    standIn = await startStandIn(join(work, 'stand-in'));
    trust(readFileSync(standIn.caCertPath, 'utf8'));
    const credential = new ClientSecretCredential(TENANT, CLIENT, 'local-secret', {
      authorityHost: standIn.authorityHost,
      disableInstanceDiscovery: true,
    });
    const emu = {
      endpoint: standIn.endpoint,
      credential: () => credential,
    } as unknown as TestEmulator;
    await seedStorage(emu, 'rg-bench', 'benchstore');
    const container = `${standIn.blobEndpoint}/benchstore/vhds`;
    await new ContainerClient(container, credential).createIfNotExists();

    const ext4 = makeExt4(work, GIB);
    const images = [ext4.raw, ext4.qcow2, makeFragmented(work)];
    const data = new Map<string, number>();
    for (const image of images) data.set(image, await dataOf(image));
    const rate = await putPageRate(
      `${container}/rate.vhd`,
      credential,
      Math.min(1024 * MiB, data.get(ext4.raw)!),
    );
    console.log(
      `bench:import: ext4 ${GIB} GiB; Azurite Put Page rate ${rate.toFixed(0)} MiB/s (4 MiB, ${CONCURRENCY} in flight); ${RUNS} rounds.`,
    );

    const contenders = ['stream', ...(LEGACY ? ['legacy'] : [])];
    const results = new Map<string, Measured[]>();
    for (let round = 1; round <= RUNS; round++) {
      for (const image of images) {
        for (const mode of contenders) {
          const url = `${container}/b-${round}-${mode}-${images.indexOf(image)}.vhd`;
          const out = execFileSync(
            join('node_modules', '.bin', 'tsx'),
            [
              'bench/import.ts',
              '--child',
              mode,
              image,
              url,
              standIn.authorityHost,
              standIn.caCertPath,
            ],
            { encoding: 'utf8', maxBuffer: 16 * MiB },
          );
          const m = JSON.parse(out.trim().split('\n').at(-1)!) as Measured;
          const key = `${mode} ${image.slice(image.lastIndexOf('/') + 1)}`;
          results.set(key, [...(results.get(key) ?? []), m]);
          console.log(
            `  round ${round} ${key.padEnd(32)} ${(m.ms / 1000).toFixed(2).padStart(7)} s  ${formatBytes(m.bytesSent).padStart(10)}  cpu ${(m.cpuMs / 1000).toFixed(1)} s  rss ${m.maxRssMiB.toFixed(0)} MiB`,
          );
          await new PageBlobClient(url, credential).deleteIfExists();
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      '\n| image | contender | median s | ceiling s | ÷ ceiling | sent | sent ÷ data | CPU s | peak RSS MiB | temp disk |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const image of images) {
      const d = data.get(image)!;
      const ceiling = d / MiB / rate;
      for (const mode of contenders) {
        const name = image.slice(image.lastIndexOf('/') + 1);
        const ms = results.get(`${mode} ${name}`)!;
        const t = median(ms.map((m) => m.ms)) / 1000;
        const last = ms.at(-1)!;
        console.log(
          `| ${name} (${formatBytes(d)} data) | ${mode} | ${t.toFixed(2)} | ${ceiling.toFixed(2)} | ${(t / ceiling).toFixed(2)} | ${formatBytes(last.bytesSent)} | ${(last.bytesSent / d).toFixed(2)} | ${median(ms.map((m) => m.cpuMs / 1000)).toFixed(1)} | ${Math.max(...ms.map((m) => m.maxRssMiB)).toFixed(0)} | ${formatBytes(last.tempBytes)} |`,
        );
      }
      if (LEGACY) {
        const name = image.slice(image.lastIndexOf('/') + 1);
        const s = median(results.get(`stream ${name}`)!.map((m) => m.ms));
        const l = median(results.get(`legacy ${name}`)!.map((m) => m.ms));
        console.log(`|  | stream is ${(l / s).toFixed(1)}x faster than legacy |`);
      }
    }
  } finally {
    standIn?.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(work, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(args[1]!, args[2]!, args[3]!, args[4]!, args[5]!);
else await main();
