/**
 * `npm run bench:upload`: a 4 GiB disk with about 10% data, as a fixed VHD, uploaded to the
 * stand-in's Azurite over HTTPS on loopback
 *   - by build-image's uploader (data extents only, zero blocks skipped, 8 pages in flight,
 *     SHA-256 of the whole disk on the way), and
 *   - by a naive full-page upload with @azure/storage-blob (every 4 MiB page, one at a time),
 *   - and, to show where the gain comes from, the same full-page upload with 8 pages in flight,
 * run alternately, printing wall time, bytes sent and the ratio.
 *
 * The stand-in runs in its own process, as it does for a real action run, so Azurite and the
 * uploader do not share an event loop. The disk is a sparse file; blobs are deleted after each
 * run and everything is removed at the end.
 *
 * Environment: BENCH_RUNS (rounds, default 3), BENCH_DISK_GIB (default 4), BENCH_DATA_PERCENT
 * (default 10), BENCH_CONCURRENCY (default 8), BENCH_PARALLEL_NAIVE=0 to skip the third method.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ClientSecretCredential } from '@azure/identity';
import { ContainerClient, PageBlobClient } from '@azure/storage-blob';
import { parseBlobContainerUrl } from '../src/build/upload/blob-location.js';
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
const DISK = env('BENCH_DISK_GIB', 4) * 1024 * MiB;
const DATA_SHARE = env('BENCH_DATA_PERCENT', 10) / 100;
const CONCURRENCY = env('BENCH_CONCURRENCY', 8);
const PARALLEL_NAIVE = process.env.BENCH_PARALLEL_NAIVE !== '0';
const PAGE = 4 * MiB;

interface StandIn {
  process: ChildProcess;
  endpoint: string;
  authorityHost: string;
  blobEndpoint: string;
  caCertPath: string;
}

/** Starts `npm run emulator`'s program in a child process and waits for its ready line. */
async function startStandIn(dataDir: string): Promise<StandIn> {
  const child = spawn(
    join('node_modules', '.bin', 'tsx'),
    ['emulator/main.ts', '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  return { process: child, ...(JSON.parse(line) as Omit<StandIn, 'process'>) };
}

/**
 * A disk of `size` bytes with about `share` of it data, in extents of 64 KiB to 16 MiB spread
 * over the disk the way a file system leaves them, followed by a fixed VHD footer from qemu-img.
 */
async function makeDisk(dir: string): Promise<{ path: string; data: number }> {
  const raw = join(dir, 'disk.raw');
  const fd = openSync(raw, 'w');
  ftruncateSync(fd, DISK);
  const target = Math.round(DISK * DATA_SHARE);
  let data = 0;
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const block = randomBytes(16 * MiB);
  const slots = DISK / (16 * MiB);
  while (data < target) {
    const length = Math.max(64 * 1024, Math.round((random() * 16 * MiB) / 4096) * 4096);
    const offset = Math.floor(random() * slots) * 16 * MiB;
    writeSync(fd, block, 0, Math.min(length, target - data + 4096), offset);
    data += Math.min(length, target - data + 4096);
  }
  closeSync(fd);
  const vhd = join(dir, 'disk.vhd');
  await new QemuImg().convert({ path: raw, format: 'raw' }, vhd, 'vpc', [
    'subformat=fixed',
    'force_size',
  ]);
  rmSync(raw);
  const map = await new QemuImg().map(vhd, 'raw');
  return { path: vhd, data: map.filter((e) => e.data).reduce((n, e) => n + e.length, 0) };
}

/** The naive way: every 4 MiB page of the file, `inFlight` at a time, no skipping. */
async function naiveUpload(
  path: string,
  url: string,
  credential: ClientSecretCredential,
  inFlight: number,
) {
  const blob = new PageBlobClient(url, credential);
  const size = statSync(path).size;
  await blob.create(size);
  const file = await open(path, 'r');
  let sent = 0;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const offset = next;
      next += PAGE;
      if (offset >= size) return;
      const length = Math.min(PAGE, size - offset);
      const buffer = Buffer.allocUnsafe(length);
      await file.read(buffer, 0, length, offset);
      await blob.uploadPages(buffer, offset, length);
      sent += length;
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    await file.close();
  }
  return sent;
}

const work = mkdtempSync(join(tmpdir(), 'cga-bench-upload-'));
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
  const storageAccountId = await seedStorage(emu, 'rg-bench', 'benchstore');
  const container = parseBlobContainerUrl(
    'blob-container-url',
    `${standIn.blobEndpoint}/benchstore/vhds`,
  );
  await new ContainerClient(container.url, credential).createIfNotExists();

  const disk = await makeDisk(work);
  const size = statSync(disk.path).size;
  console.log(
    `bench:upload: ${formatBytes(size)} fixed VHD, ${formatBytes(disk.data)} data ` +
      `(${((disk.data / size) * 100).toFixed(1)}%), ${statSync(disk.path).blocks * 512 > size ? 'not ' : ''}sparse; ` +
      `Azurite over HTTPS on loopback in its own process; ${RUNS} rounds.`,
  );

  const methods: { name: string; run: (url: string) => Promise<number> }[] = [
    {
      name: 'naive (full pages, 1 in flight)',
      run: (url) => naiveUpload(disk.path, url, credential, 1),
    },
    {
      name: `build-image (data only, ${CONCURRENCY} in flight)`,
      run: async (url) => {
        const name = url.slice(url.lastIndexOf('/') + 1);
        const result = await uploadVhdFile(
          disk.path,
          { container, blobName: name, storageAccountId, concurrency: CONCURRENCY },
          {},
          { target: (u) => azurePageBlobTarget(u, credential), logger: silentLogger },
        );
        return result.upload.bytesSent;
      },
    },
    ...(PARALLEL_NAIVE
      ? [
          {
            name: `naive (full pages, ${CONCURRENCY} in flight)`,
            run: (url: string) => naiveUpload(disk.path, url, credential, CONCURRENCY),
          },
        ]
      : []),
  ];
  const times = new Map<string, number[]>(methods.map((m) => [m.name, []]));
  const sent = new Map<string, number>();
  for (let round = 1; round <= RUNS; round++) {
    for (const method of methods) {
      const url = `${container.url}/bench-${round}-${methods.indexOf(method)}.vhd`;
      const started = performance.now();
      const bytes = await method.run(url);
      const ms = performance.now() - started;
      times.get(method.name)!.push(ms);
      sent.set(method.name, bytes);
      console.log(
        `  round ${round}  ${method.name.padEnd(40)} ${(ms / 1000).toFixed(2).padStart(7)} s  ` +
          `${formatBytes(bytes).padStart(10)} sent  ${(bytes / MiB / (ms / 1000)).toFixed(0).padStart(5)} MiB/s on the wire`,
      );
      await new PageBlobClient(url, credential).deleteIfExists();
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [naive, ours, parallel] = methods.map((m) => median(times.get(m.name)!));
  console.log('\nmedian wall time');
  for (const m of methods) {
    console.log(
      `  ${m.name.padEnd(40)} ${(median(times.get(m.name)!) / 1000).toFixed(2).padStart(7)} s  ${formatBytes(sent.get(m.name)!).padStart(10)} sent`,
    );
  }
  console.log(
    `\nbuild-image is ${(naive! / ours!).toFixed(1)}x faster than the naive upload (target: 5x)` +
      (parallel
        ? `, ${(parallel / ours!).toFixed(1)}x faster than full pages ${CONCURRENCY} at a time`
        : '') +
      '.',
  );
} finally {
  standIn?.process.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
