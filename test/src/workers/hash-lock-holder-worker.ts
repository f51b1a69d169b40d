/**
 * @fileoverview Dies holding a hash table's bucket lock, in the middle of a chain update: the
 * fault test of the table's owner-dead recovery. Takes the spinlock at `lockByte`, writes
 * `staleValue` at `staleByte` (a pprev word left as a writer dying between two stores of an
 * insertion leaves it), says so, and waits to be terminated.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { Spinlock, attachHeap, spinLock } from '@rcukit/runtime';

const { shared, lockByte, staleByte, staleValue } = workerData as {
  shared: unknown;
  lockByte: number;
  staleByte: number;
  staleValue: number;
};
const heap = attachHeap(shared, { threadName: 'lock-holder' });
spinLock(new Spinlock(heap, lockByte, 'bucket lock'));
heap.views.i32[staleByte >> 2] = staleValue;
parentPort!.postMessage('locked');
// Hold the lock until terminated.
const parked = new Int32Array(new SharedArrayBuffer(4));
for (;;) Atomics.wait(parked, 0, 0);
