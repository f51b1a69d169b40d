/**
 * @fileoverview Worker: races refcountIncNotZeroLimited() with a limit of 2 against the other
 * racers while the test holds the one standing reference (count 1). A success takes the count
 * to 2, the limit, so until its holder drops it every other increment must fail, seeing 2:
 * the limited increment excludes like a trylock. A racer that succeeds marks INSIDE with
 * Atomics.add and counts a violation if someone else was already in, if the count it saw was
 * not 1, or if the count now exceeds the limit; a failure must have seen the limit (never 0,
 * the test's reference keeps the object alive). It counts successes (INCS) and failures
 * (INC_FAILS) so the test can tell the race happened, and adds 1 to DONE at the end.
 *
 * The race must happen, not merely be likely: a racer goes on past its iterations, up to
 * MAX_ROUNDS times as many, until some racer has been turned away at the limit. (On two cores,
 * in debug mode under Node 24, one run in four saw no racer turned away in 20,000 iterations
 * each: no two were ever inside at once.) The first failure is published at once for that
 * reason; the rest are added at the end.
 */

import { workerData } from 'node:worker_threads';
import { attachHeap, Refcount, refcountDecAndTest, refcountIncNotZeroLimited, refcountRead } from '@rcukit/runtime';
import { blockUntil } from './handshake.js';
import { LockTestWord as W, type LockWorkerData } from './lock-test-words.js';

const LIMIT = 2;
/** Iterations a racer may run, in multiples of data.iterations, while no racer has failed yet. */
const MAX_ROUNDS = 50;

const data = workerData as LockWorkerData;
const heap = attachHeap(data.heap, { threadName: 'refcount-limit-racer' });
const i32 = heap.views.i32;
const base = data.wordsByte >> 2;
const ref = new Refcount(heap, data.targets[0]!, 'test.refcnt');
const old = { value: -1 };
let violations = 0;
let incs = 0;
let fails = 0;

Atomics.add(i32, base + W.ARRIVED, 1);
blockUntil(i32, base + W.GATE, (v) => v !== 0, 'the start gate');
const turnedAway = (): boolean => Atomics.load(i32, base + W.INC_FAILS) !== 0;
for (let k = 0; k < data.iterations || (!turnedAway() && k < data.iterations * MAX_ROUNDS); k++) {
  if (refcountIncNotZeroLimited(ref, LIMIT, old)) {
    incs++;
    if (Atomics.add(i32, base + W.INSIDE, 1) !== 0) violations++;
    if (old.value !== 1 || refcountRead(ref) > LIMIT) violations++;
    Atomics.sub(i32, base + W.INSIDE, 1);
    // Never the last reference: the test's own stays.
    if (refcountDecAndTest(ref)) violations++;
  } else {
    if (++fails === 1) Atomics.add(i32, base + W.INC_FAILS, 1);
    if (old.value !== LIMIT) violations++;
  }
}
Atomics.add(i32, base + W.VIOLATIONS, violations);
Atomics.add(i32, base + W.INCS, incs);
if (fails > 1) Atomics.add(i32, base + W.INC_FAILS, fails - 1);
Atomics.add(i32, base + W.DONE, 1);
heap.detach();
