/**
 * @fileoverview Worker: after the start gate opens, runs `iterations` critical sections under
 * one spinlock, each a plain (non-atomic) read-modify-write of a shared counter. Without
 * mutual exclusion, increments from different threads overwrite each other and the final
 * count comes out short; an occupancy word also catches two threads inside at once.
 */

import { workerData } from 'node:worker_threads';
import { attachHeap, Spinlock, spinLock, spinUnlock } from '@rcukit/runtime';
import { blockUntil, publishAdd } from './handshake.js';
import { LockTestWord as W, type LockWorkerData } from './lock-test-words.js';

const data = workerData as LockWorkerData;
const heap = attachHeap(data.heap, { threadName: `counter-${data.variant ?? 'plain'}` });
const i32 = heap.views.i32;
const base = data.wordsByte >> 2;
const lock = new Spinlock(heap, data.targets[0]!, 'test.lock');

/** The critical section: deliberately a separate load and store, with the occupancy check. */
function increment(): void {
  if (i32[base + W.INSIDE] !== 0) Atomics.add(i32, base + W.VIOLATIONS, 1);
  i32[base + W.INSIDE] = 1;
  const v = i32[base + W.COUNTER]!;
  i32[base + W.COUNTER] = v + 1;
  i32[base + W.INSIDE] = 0;
}

publishAdd(i32, base + W.ARRIVED, 1);
blockUntil(i32, base + W.GATE, (v) => v !== 0, 'the start gate');
if (data.variant === 'using') {
  for (let n = 0; n < data.iterations; n++) {
    using _ = spinLock(lock);
    increment();
  }
} else {
  for (let n = 0; n < data.iterations; n++) {
    spinLock(lock);
    increment();
    spinUnlock(lock);
  }
}
publishAdd(i32, base + W.DONE, 1);
heap.detach();
