/**
 * @fileoverview Worker: races refcountIncNotZero() against refcountDecAndTest() to zero, round
 * after round. Each round the test sets the count to the number of racers (one reference
 * each) and bumps ROUND. A racer then:
 *   1. takes and drops temporary references while it still holds its own: every increment
 *      must succeed and no decrement may reach zero;
 *   2. drops its own reference;
 *   3. keeps trying to take a temporary reference. Until the count reaches zero some may
 *      succeed (and the one that drops the last reference sees the zero); after that, none
 *      may: once this thread has seen an increment fail (count zero), any later success is a
 *      revival.
 * The thread whose decrement returns true sets DEAD and counts a zero. A successful increment
 * that finds DEAD set also counts as a violation: holding a reference, the count cannot have
 * dropped to zero. The test checks exactly one zero per round and a final count of 0.
 */

import { workerData } from 'node:worker_threads';
import { attachHeap, Refcount, refcountDecAndTest, refcountIncNotZero } from '@rcukit/runtime';
import { blockUntil, publishAdd } from './handshake.js';
import { LockTestWord as W, type LockWorkerData } from './lock-test-words.js';

/** Temporary references taken while holding one's own, and attempts after dropping it. */
const BEFORE_DROP = 8;
const AFTER_DROP = 64;

const data = workerData as LockWorkerData;
const heap = attachHeap(data.heap, { threadName: 'refcount-racer' });
const i32 = heap.views.i32;
const base = data.wordsByte >> 2;
const ref = new Refcount(heap, data.targets[0]!, 'test.refcnt');
let violations = 0;
let incs = 0;
let incFails = 0;

function droppedToZero(): void {
  Atomics.store(i32, base + W.DEAD, 1);
  Atomics.add(i32, base + W.ZEROS, 1);
}

for (let round = 1; round <= data.iterations; round++) {
  blockUntil(i32, base + W.ROUND, (v) => v >= round, `round ${round}`);
  for (let n = 0; n < BEFORE_DROP; n++) {
    if (!refcountIncNotZero(ref)) {
      violations++; // we hold a reference: the count cannot be zero
      continue;
    }
    incs++;
    if (Atomics.load(i32, base + W.DEAD) !== 0) violations++;
    if (refcountDecAndTest(ref)) {
      violations++; // our own reference is still counted
      droppedToZero();
    }
  }
  if (refcountDecAndTest(ref)) droppedToZero();
  let sawZero = false;
  for (let n = 0; n < AFTER_DROP; n++) {
    if (!refcountIncNotZero(ref)) {
      sawZero = true;
      incFails++;
      continue;
    }
    incs++;
    if (sawZero || Atomics.load(i32, base + W.DEAD) !== 0) violations++; // revived a zero count
    if (refcountDecAndTest(ref)) droppedToZero();
  }
  publishAdd(i32, base + W.DONE, 1);
}
Atomics.add(i32, base + W.VIOLATIONS, violations);
Atomics.add(i32, base + W.INCS, incs);
Atomics.add(i32, base + W.INC_FAILS, incFails);
heap.detach();
