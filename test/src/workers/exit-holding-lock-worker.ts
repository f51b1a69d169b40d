/**
 * @fileoverview Program for the debug-mode exit test, run as its own process so that the test
 * sees what reaches the real stderr. The main thread creates a debug heap and starts this file
 * as a worker, which takes a spinlock and ends its script without unlocking or detaching (a
 * forgotten unlock on an early return). The main thread then tries the lock and prints what
 * happened on stdout.
 */

import { once } from 'node:events';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { Spinlock, SpinlockOwnerDeadError, attachHeap, createHeap, spinLock, spinUnlock } from '@rcukit/runtime';

const LOCK = 'held-at-exit';

if (isMainThread) {
  const heap = createHeap({ debug: true });
  const worker = new Worker(new URL(import.meta.url), { workerData: heap.share() });
  const [code] = (await once(worker, 'exit')) as [number];
  const lock = new Spinlock(heap, heap.root(LOCK, 4, 4), LOCK);
  let outcome = 'acquired';
  try {
    spinLock(lock);
  } catch (error) {
    if (!(error instanceof SpinlockOwnerDeadError)) throw error;
    outcome = error.code; // the lock is held by this thread after the report
  }
  spinUnlock(lock);
  heap.detach();
  process.stdout.write(`worker exit ${code}; main's spinLock: ${outcome}\n`);
} else {
  const heap = attachHeap(workerData, { threadName: 'exit-holding-lock' });
  spinLock(new Spinlock(heap, heap.root(LOCK, 4, 4), LOCK));
}
