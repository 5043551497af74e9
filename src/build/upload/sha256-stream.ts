/**
 * SHA-256 of a stream of data and zero runs, computed on a worker thread.
 *
 * Hashing dominates a sparse upload: a 30 GiB disk with 2 GiB of data still has 30 GiB to hash
 * (SHA-256 has no shortcut for zeros), about 25 s at SHA-NI speed, while sending the data takes
 * a fraction of that on a fast link. On the main thread that time is added to the upload; on a
 * worker it overlaps with it. The main thread only copies the data pages across (zeros go as a
 * count), and waits if the worker falls more than {@link MAX_PENDING_BYTES} behind.
 *
 * The worker's code is a string run with `eval: true`, so the bundle needs no separate file.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Data handed to the worker but not yet hashed, at most. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export interface Sha256Stream {
  /** Appends `length` zero bytes. */
  zeros(length: number): void;
  /** Appends `data`; resolves once there is room for more. */
  data(data: Buffer): Promise<void>;
  /** The hex digest of everything appended, in order. Ends the stream. */
  digest(): Promise<string>;
  /** Releases the worker without a digest (after a failure). */
  close(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
const zeros = Buffer.alloc(4 * 1024 * 1024);
parentPort.on('message', (m) => {
  if (m.kind === 'zeros') {
    for (let left = m.length; left > 0; left -= zeros.length) {
      hash.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
    }
  } else if (m.kind === 'data') {
    hash.update(new Uint8Array(m.buffer));
    parentPort.postMessage({ kind: 'ack', length: m.buffer.byteLength });
  } else if (m.kind === 'digest') {
    parentPort.postMessage({ kind: 'digest', hex: hash.digest('hex') });
  }
});
`;

type WorkerMessage = { kind: 'ack'; length: number } | { kind: 'digest'; hex: string };

/** A worker-thread stream; falls back to the calling thread if no worker can start. */
export function sha256Stream(): Sha256Stream {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true });
  } catch {
    return inlineSha256Stream();
  }
  let pending = 0;
  let roomWaiters: (() => void)[] = [];
  let digestWaiter: ((hex: string) => void) | undefined;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure = err;
    for (const wake of roomWaiters) wake();
    roomWaiters = [];
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (digestWaiter === undefined && code !== 0) fail(new Error(`hash worker exited ${code}`));
  });
  worker.on('message', (message: WorkerMessage) => {
    if (message.kind === 'ack') {
      pending -= message.length;
      if (pending <= MAX_PENDING_BYTES) {
        for (const wake of roomWaiters) wake();
        roomWaiters = [];
      }
    } else {
      digestWaiter?.(message.hex);
    }
  });
  const check = () => {
    if (failure) throw failure;
  };
  return {
    zeros(length) {
      check();
      if (length > 0) worker.postMessage({ kind: 'zeros', length });
    },
    async data(data) {
      check();
      const copy = new Uint8Array(data); // the caller still sends `data`; the copy travels
      pending += copy.byteLength;
      worker.postMessage({ kind: 'data', buffer: copy.buffer }, [copy.buffer]);
      while (pending > MAX_PENDING_BYTES && !failure) {
        await new Promise<void>((resolve) => roomWaiters.push(resolve));
      }
      check();
    },
    async digest() {
      check();
      const hex = await new Promise<string>((resolve, reject) => {
        digestWaiter = resolve;
        worker.once('error', reject);
        worker.postMessage({ kind: 'digest' });
      });
      await worker.terminate();
      return hex;
    },
    async close() {
      await worker.terminate();
    },
  };
}

/** The same on the calling thread: for tests, and where workers cannot start. */
export function inlineSha256Stream(): Sha256Stream {
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  return {
    zeros(length) {
      for (let left = length; left > 0; left -= zeros.length) {
        hash.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
      }
    },
    async data(data) {
      hash.update(data);
    },
    async digest() {
      return hash.digest('hex');
    },
    async close() {},
  };
}
