/**
 * `npm run bench:emulator`: how long the stand-in takes from spawn to its ready line, on a new
 * data dir (CA, server certificate, two signing keys made) and on an existing one, started as
 * `npm run emulator` starts it. Also, side by side, the contenders behind the numbers:
 *   - launcher: `node --import tsx` (what the script runs now) against the `tsx` CLI (what it
 *     ran before: a second Node process);
 *   - key generation: node:crypto's native RSA-2048 against node-forge's pure-JS one;
 *   - the first blob answer after the ready line (Azurite loads behind the blob port after it).
 *
 * Prints figures only; nothing is asserted. Environment: BENCH_RUNS (default 7),
 * BENCH_FORGE_RUNS (default 3; forge's key generation takes seconds).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type forgeModule from 'node-forge';

const ROOT = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const FORGE_RUNS = Number(process.env.BENCH_FORGE_RUNS ?? 3);
const TSX_CLI = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (x: number): string => `${Math.round(x)} ms`.padStart(8);

interface Started {
  child: ChildProcess;
  readyMs: number;
  ready: { blobEndpoint: string; caCertPath: string };
  t0: number;
}

/** Spawns the stand-in and resolves at its ready line. */
function start(launcher: string[], dataDir: string): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...launcher, 'emulator/main.ts', '--port', '0', '--data-dir', dataDir],
    { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0)
        resolve({
          child,
          readyMs: performance.now() - t0,
          ready: JSON.parse(out.slice(0, nl)) as Started['ready'],
          t0,
        });
    });
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
}

function stop(s: Started): Promise<void> {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit');
    s.child.once('exit', () => resolve());
    process.kill(-s.child.pid!, 'SIGTERM');
  });
}

/** Time from spawn until Azurite answers on the blob port (any HTTP status). */
function firstBlobAnswer(s: Started): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${s.ready.blobEndpoint}/devstoreaccount1?comp=list`,
      { ca: readFileSync(s.ready.caCertPath) },
      (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - s.t0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function series(
  label: string,
  launcher: string[],
): Promise<{ label: string; fresh: number[]; existing: number[]; blob: number[] }> {
  const fresh: number[] = [];
  const existing: number[] = [];
  const blob: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'cga-bench-start-'));
    try {
      const a = await start(launcher, dir);
      fresh.push(a.readyMs);
      await firstBlobAnswer(a);
      await stop(a);
      const b = await start(launcher, dir);
      existing.push(b.readyMs);
      blob.push(await firstBlobAnswer(b));
      await stop(b);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { label, fresh, existing, blob };
}

function keygen(): { native: number; forge: number } {
  const native: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    generateKeyPairSync('rsa', { modulusLength: 2048 });
    native.push(performance.now() - t);
  }
  const forge = createRequire(import.meta.url)('node-forge') as typeof forgeModule;
  // forge hands key generation to node:crypto when it can; this measures its own JavaScript.
  (forge as unknown as { options: { usePureJavaScript: boolean } }).options.usePureJavaScript =
    true;
  const pure: number[] = [];
  for (let i = 0; i < FORGE_RUNS; i++) {
    const t = performance.now();
    forge.pki.rsa.generateKeyPair({ bits: 2048, workers: -1 });
    pure.push(performance.now() - t);
  }
  return { native: median(native), forge: median(pure) };
}

const rows = [
  await series('node --import tsx (npm run emulator)', ['--import', 'tsx']),
  await series('tsx CLI (before)', [TSX_CLI]),
];
console.log(`stand-in start, spawn to ready line, median of ${RUNS} (2-core machine):`);
console.log(
  `${'launcher'.padEnd(38)} ${'new dir'.padStart(8)} ${'existing'.padStart(8)} ${'1st blob'.padStart(8)}`,
);
for (const r of rows) {
  console.log(
    `${r.label.padEnd(38)} ${ms(median(r.fresh))} ${ms(median(r.existing))} ${ms(median(r.blob))}`,
  );
}
const k = keygen();
console.log(
  `RSA-2048 key generation, median: node:crypto ${ms(k.native)}, node-forge (pure JS, ${FORGE_RUNS} runs) ${ms(k.forge)}`,
);
