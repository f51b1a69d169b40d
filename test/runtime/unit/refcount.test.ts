/**
 * @fileoverview refcountIncNotZero / refcountIncNotZeroLimited / refcountDecAndTest /
 * refcountSet: a count that reached zero is never revived, even with workers racing
 * increments against the last decrement; a limited count never passes its limit, even with
 * workers racing for it; underflow and overflow throw RefcountError and leave the count as it
 * was.
 */

import { expect, test } from 'vitest';
import {
  createHeap,
  Refcount,
  REFCOUNT_MAX,
  RefcountError,
  refcountDecAndTest,
  refcountInc,
  refcountIncNotZero,
  refcountIncNotZeroLimited,
  refcountRead,
  refcountSet,
} from '@rcukit/runtime';
import {
  LOCK_TEST_BYTES,
  LOCK_TEST_ROOT,
  LockTestWord as W,
  type LockWorkerData,
} from '../../src/workers/lock-test-words.js';
import { exited, startWorker, waitForWord } from '../worker-helpers.js';

test('racing incNotZero against decAndTest: one thread sees each drop to zero, no increment revives it', async () => {
  using heap = createHeap({ threadName: 'refcount-test' });
  const words = heap.root(LOCK_TEST_ROOT, LOCK_TEST_BYTES);
  const base = words >> 2;
  const i32 = heap.views.i32;
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  const racers = 3;
  const rounds = 300;
  const data: LockWorkerData = { heap: heap.share(), wordsByte: words, targets: [ref.byteOffset], iterations: rounds };
  const workers = Array.from({ length: racers }, () => heap.watchWorker(startWorker('refcount-racer', data)));
  const exits = workers.map(exited);
  for (let round = 1; round <= rounds; round++) {
    // One reference per racer; the racers drop them and race for temporary ones.
    refcountSet(ref, racers);
    Atomics.store(i32, base + W.DEAD, 0);
    Atomics.store(i32, base + W.ROUND, round);
    Atomics.notify(i32, base + W.ROUND);
    await waitForWord(i32, base + W.DONE, (v) => v >= racers * round, `the racers to finish round ${round}`);
    expect(refcountRead(ref)).toBe(0);
    expect(Atomics.load(i32, base + W.ZEROS)).toBe(round);
  }
  expect(await Promise.all(exits)).toEqual(workers.map(() => 0));
  expect(Atomics.load(i32, base + W.VIOLATIONS)).toBe(0);
  expect(Atomics.load(i32, base + W.ZEROS)).toBe(rounds);
  // Both outcomes of the race happened, so the test exercised it (counts, not timings).
  expect(Atomics.load(i32, base + W.INCS)).toBeGreaterThan(0);
  expect(Atomics.load(i32, base + W.INC_FAILS)).toBeGreaterThan(0);
});

test('incNotZero of 0 fails and leaves 0; refcountInc of 0 throws (use after free)', () => {
  using heap = createHeap();
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  expect(refcountRead(ref)).toBe(0);
  expect(refcountIncNotZero(ref)).toBe(false);
  expect(refcountRead(ref)).toBe(0);
  expect(() => refcountInc(ref)).toThrow(RefcountError);
  expect(() => refcountInc(ref)).toThrow(/test\.refcnt.*increment on 0/);
  expect(refcountRead(ref)).toBe(0);
});

test('decAndTest returns true only for the last reference', () => {
  using heap = createHeap();
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  refcountSet(ref, 2);
  expect(refcountIncNotZero(ref)).toBe(true);
  expect(refcountRead(ref)).toBe(3);
  expect([refcountDecAndTest(ref), refcountDecAndTest(ref), refcountDecAndTest(ref)]).toEqual([false, false, true]);
  expect(refcountRead(ref)).toBe(0);
});

test('underflow throws RefcountError and leaves the count at 0', () => {
  using heap = createHeap();
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  refcountSet(ref, 1);
  expect(refcountDecAndTest(ref)).toBe(true);
  expect(() => refcountDecAndTest(ref)).toThrow(RefcountError);
  expect(() => refcountDecAndTest(ref)).toThrow(/test\.refcnt.*underflow/);
  expect(refcountRead(ref)).toBe(0);
  try {
    refcountDecAndTest(ref);
  } catch (error) {
    expect((error as RefcountError).code).toBe('ERR_REFCOUNT');
  }
});

test('overflow throws RefcountError and leaves the count at its maximum, which still decrements', () => {
  using heap = createHeap();
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  refcountSet(ref, REFCOUNT_MAX - 1);
  expect(refcountIncNotZero(ref)).toBe(true);
  expect(refcountRead(ref)).toBe(REFCOUNT_MAX);
  expect(() => refcountIncNotZero(ref)).toThrow(RefcountError);
  expect(() => refcountInc(ref)).toThrow(/test\.refcnt.*overflow/);
  expect(refcountRead(ref)).toBe(REFCOUNT_MAX);
  expect(refcountDecAndTest(ref)).toBe(false);
  expect(refcountRead(ref)).toBe(REFCOUNT_MAX - 1);
});

test('a corrupt (negative) count throws on both paths and is left as found', () => {
  using heap = createHeap();
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  Atomics.store(heap.views.i32, ref.index, -5);
  expect(() => refcountIncNotZero(ref)).toThrow(/test\.refcnt.*negative/);
  expect(() => refcountDecAndTest(ref)).toThrow(RefcountError);
  expect(refcountRead(ref)).toBe(-5);
});

test('refcountSet rejects values that are not counts and leaves the count unchanged', () => {
  using heap = createHeap();
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  refcountSet(ref, 7);
  for (const bad of [-1, 1.5, Number.NaN, REFCOUNT_MAX + 1, 2 ** 32]) {
    expect(() => refcountSet(ref, bad)).toThrow(RefcountError);
  }
  expect(refcountRead(ref)).toBe(7);
  refcountSet(ref, REFCOUNT_MAX);
  expect(refcountRead(ref)).toBe(REFCOUNT_MAX);
  expect(() => new Refcount(heap, 2)).toThrow(/not a 4-byte aligned/);
});

test('racing limited increments: with a limit of 2 over one standing reference, one racer at a time gets in', async () => {
  using heap = createHeap({ threadName: 'refcount-limit-test' });
  const words = heap.root(LOCK_TEST_ROOT, LOCK_TEST_BYTES);
  const base = words >> 2;
  const i32 = heap.views.i32;
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  refcountSet(ref, 1);
  const racers = 3;
  const data: LockWorkerData = { heap: heap.share(), wordsByte: words, targets: [ref.byteOffset], iterations: 20_000 };
  const workers = Array.from({ length: racers }, () => heap.watchWorker(startWorker('refcount-limit-racer', data)));
  const exits = workers.map(exited);
  await waitForWord(i32, base + W.ARRIVED, (v) => v === racers, 'the racers to attach');
  Atomics.store(i32, base + W.GATE, 1);
  Atomics.notify(i32, base + W.GATE);
  expect(await Promise.all(exits)).toEqual(workers.map(() => 0));
  expect(Atomics.load(i32, base + W.DONE)).toBe(racers);
  expect(Atomics.load(i32, base + W.VIOLATIONS)).toBe(0);
  expect(refcountRead(ref)).toBe(1);
  // Both outcomes happened (counts, not timings): the racers did contend.
  expect(Atomics.load(i32, base + W.INCS)).toBeGreaterThan(0);
  expect(Atomics.load(i32, base + W.INC_FAILS)).toBeGreaterThan(0);
});

test('refcountIncNotZeroLimited declines a free count and one at its limit, and reports the count it saw', () => {
  using heap = createHeap();
  const ref = new Refcount(heap, heap.root('test.refcnt', 4, 4), 'test.refcnt');
  const old = { value: -1 };
  expect(refcountIncNotZeroLimited(ref, 3, old)).toBe(false);
  expect(old.value).toBe(0);
  refcountSet(ref, 2);
  expect(refcountIncNotZeroLimited(ref, 3, old)).toBe(true);
  expect(old.value).toBe(2);
  expect(refcountIncNotZeroLimited(ref, 3, old)).toBe(false);
  expect(old.value).toBe(3);
  expect(refcountRead(ref)).toBe(3);
  // A writer's flag far above the limit holds readers off the same way.
  refcountSet(ref, (1 << 30) + 1);
  expect(refcountIncNotZeroLimited(ref, 3)).toBe(false);
  expect(refcountRead(ref)).toBe((1 << 30) + 1);
  for (const bad of [0, -1, 1.5, Number.NaN, REFCOUNT_MAX + 1]) {
    expect(() => refcountIncNotZeroLimited(ref, bad)).toThrow(/refcountIncNotZeroLimited\(test\.refcnt.*limit/);
  }
  Atomics.store(heap.views.i32, ref.index, -5);
  expect(() => refcountIncNotZeroLimited(ref, 3)).toThrow(/test\.refcnt.*negative/);
  expect(refcountRead(ref)).toBe(-5);
});
