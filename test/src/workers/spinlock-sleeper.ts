/**
 * @fileoverview Worker: for each of `iterations` rounds, waits for the test to open the round
 * (ROUND), announces itself (ARRIVED), takes the spinlock the test is holding — spinning, then
 * sleeping — does a plain increment under it, unlocks, and counts itself DONE.
 */

import { workerData } from 'node:worker_threads';
import { attachHeap, Spinlock, spinLock, spinUnlock } from '@rcukit/runtime';
import { blockUntil, publishAdd } from './handshake.js';
import { LockTestWord as W, type LockWorkerData } from './lock-test-words.js';

const data = workerData as LockWorkerData;
const heap = attachHeap(data.heap, { threadName: 'lock-sleeper' });
const i32 = heap.views.i32;
const base = data.wordsByte >> 2;
const lock = new Spinlock(heap, data.targets[0]!, 'test.lock');

for (let round = 1; round <= data.iterations; round++) {
  blockUntil(i32, base + W.ROUND, (v) => v >= round, `round ${round}`);
  publishAdd(i32, base + W.ARRIVED, 1);
  spinLock(lock);
  const v = i32[base + W.COUNTER]!;
  i32[base + W.COUNTER] = v + 1;
  spinUnlock(lock);
  publishAdd(i32, base + W.DONE, 1);
}
heap.detach();
