/**
 * @fileoverview What runtime tests need around real workers: start a compiled worker script
 * from test/dist/workers, wait for it to exit (surfacing its errors), and wait — without
 * blocking the test's event loop — for a shared word to reach a state.
 */

import { Worker } from 'node:worker_threads';

/** Generous bound for any one handshake on a loaded 2-core machine. */
export const WAIT_TIMEOUT_MS = 30_000;

/** Start test/dist/workers/<name>.js with `workerData`. */
export function startWorker(name: string, workerData: unknown): Worker {
  return new Worker(new URL(`../dist/workers/${name}.js`, import.meta.url), { workerData });
}

/**
 * Resolve with the worker's exit code once it exits; reject with the worker's own error if it
 * threw (so a failed assertion or handshake inside a worker fails the test with its message).
 */
export function exited(worker: Worker): Promise<number> {
  return new Promise((resolve, reject) => {
    let failure: Error | null = null;
    worker.once('error', (error) => {
      failure = error;
    });
    worker.once('exit', (code) => (failure === null ? resolve(code) : reject(failure)));
  });
}

/** The next message the worker posts. */
export function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/**
 * Wait until `ready(Atomics.load(i32, index))`. Sleeps in Atomics.waitAsync, so a thread that
 * publishes with Atomics.notify wakes it at once; `pollMs` bounds each sleep for words that
 * change without a notify (a lock word gaining its waiters bit). Throws after `timeoutMs`.
 */
export async function waitForWord(
  i32: Int32Array,
  index: number,
  ready: (value: number) => boolean,
  what: string,
  { timeoutMs = WAIT_TIMEOUT_MS, pollMs = 50 } = {},
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  // A pending Atomics.waitAsync alone does not keep Node 20's event loop alive.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    for (;;) {
      const v = Atomics.load(i32, index);
      if (ready(v)) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (word ${index} = ${v})`);
      const waiter = Atomics.waitAsync(i32, index, v, Math.min(left, pollMs));
      if (waiter.async) await waiter.value;
    }
  } finally {
    clearInterval(keepAlive);
  }
}
