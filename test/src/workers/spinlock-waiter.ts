/**
 * @fileoverview Worker: announces itself (ARRIVED), takes one spinlock — blocking while another
 * thread holds it — and reports how that went: 'acquired', or the error's code (e.g.
 * ERR_SPINLOCK_OWNER_DEAD, after which it holds the lock). Then does a plain increment under
 * the lock, unlocks, runs `iterations` more lock/increment/unlock cycles, and posts its report.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, RcukitError, Spinlock, spinLock, spinUnlock } from '@rcukit/runtime';
import { publishAdd } from './handshake.js';
import { LockTestWord as W, type LockWorkerData } from './lock-test-words.js';

export interface WaiterReport {
  /** 'acquired' or the code of the error the first spinLock() threw. */
  readonly outcome: string;
  /** Whether the worker held the lock right after that first spinLock() returned or threw. */
  readonly heldAfterFirstLock: boolean;
  /** Lock/unlock cycles completed after the first. */
  readonly cycles: number;
}

const data = workerData as LockWorkerData;
const heap = attachHeap(data.heap, { threadName: 'lock-waiter' });
const i32 = heap.views.i32;
const base = data.wordsByte >> 2;
const lock = new Spinlock(heap, data.targets[0]!, 'test.lock');

publishAdd(i32, base + W.ARRIVED, 1);
let outcome = 'acquired';
try {
  spinLock(lock);
} catch (error) {
  if (!(error instanceof RcukitError)) throw error;
  outcome = error.code;
}
const heldAfterFirstLock = lock.heldByMe;
if (heldAfterFirstLock) {
  const v = i32[base + W.COUNTER]!;
  i32[base + W.COUNTER] = v + 1;
  spinUnlock(lock);
}
let cycles = 0;
for (; cycles < data.iterations; cycles++) {
  spinLock(lock);
  const v = i32[base + W.COUNTER]!;
  i32[base + W.COUNTER] = v + 1;
  spinUnlock(lock);
}
const report: WaiterReport = { outcome, heldAfterFirstLock, cycles };
parentPort!.postMessage(report);
publishAdd(i32, base + W.DONE, 1);
heap.detach();
