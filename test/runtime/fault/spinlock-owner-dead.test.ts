/**
 * @fileoverview A worker dies holding spinlocks. The thread already asleep waiting on one of
 * them, a later spinLock() and a later spinTrylock() each learn it with
 * SpinlockOwnerDeadError — holding the lock — instead of hanging; then the heap keeps working.
 */

import { expect, test } from 'vitest';
import {
  createHeap,
  Spinlock,
  SpinlockOwnerDeadError,
  spinLock,
  spinTrylock,
  spinUnlock,
  type RcukitError,
} from '@rcukit/runtime';
import {
  LOCK_TEST_BYTES,
  LOCK_TEST_ROOT,
  LockTestWord as W,
  type LockWorkerData,
} from '../../src/workers/lock-test-words.js';
import type { WaiterReport } from '../../src/workers/spinlock-waiter.js';
import { exited, nextMessage, startWorker, waitForWord } from '../worker-helpers.js';

const WAITERS_BIT = 1;

function ownerDeadCode(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(SpinlockOwnerDeadError);
    return (error as RcukitError).code;
  }
}

test("the waiter, a later locker and a later trylocker of a dead owner's locks get SpinlockOwnerDeadError", async () => {
  using heap = createHeap({ threadName: 'owner-dead-test' });
  const words = heap.root(LOCK_TEST_ROOT, LOCK_TEST_BYTES);
  const base = words >> 2;
  const i32 = heap.views.i32;
  const [a, b, c] = ['a', 'b', 'c'].map(
    (name) => new Spinlock(heap, heap.root(`test.lock.${name}`, 4, 4), `test.lock.${name}`),
  ) as [Spinlock, Spinlock, Spinlock];

  // The holder takes a, b and c, then blocks until terminated.
  const holderData: LockWorkerData = {
    heap: heap.share(),
    wordsByte: words,
    targets: [a.byteOffset, b.byteOffset, c.byteOffset],
    iterations: 0,
  };
  const holder = heap.watchWorker(startWorker('spinlock-holder', holderData));
  const holderThreadId = holder.threadId;
  const holderExit = exited(holder).catch(() => 1);
  await waitForWord(i32, base + W.HELD, (v) => v === 1, 'the holder to take its locks');
  const holderTag = Atomics.load(i32, a.index) >>> 1;
  expect(holderTag).not.toBe(0);
  expect(heap.threads().map((t) => t.threadId)).toContain(holderThreadId);

  // The waiter blocks on a; its waiters bit shows it went to sleep in Atomics.wait.
  const cycles = 50;
  const waiterData: LockWorkerData = {
    heap: heap.share(),
    wordsByte: words,
    targets: [a.byteOffset],
    iterations: cycles,
  };
  const waiter = heap.watchWorker(startWorker('spinlock-waiter', waiterData));
  const waiterExit = exited(waiter);
  const waiterReport = nextMessage<WaiterReport>(waiter);
  await waitForWord(i32, base + W.ARRIVED, (v) => v === 1, 'the waiter to try lock a');
  await waitForWord(i32, a.index, (v) => (v & WAITERS_BIT) !== 0, 'the waiter to sleep on lock a');
  expect(Atomics.load(i32, a.index) >>> 1).toBe(holderTag);

  // Kill the holder; watchWorker() reaps its registry slot on exit.
  await holder.terminate();
  await holderExit;
  expect(heap.threads().map((t) => t.threadId)).not.toContain(holderThreadId);

  // The sleeping waiter notices, takes a over and is told; then runs ordinary cycles.
  expect(await waiterReport).toEqual({ outcome: 'ERR_SPINLOCK_OWNER_DEAD', heldAfterFirstLock: true, cycles });
  expect(await waiterExit).toBe(0);
  expect(Atomics.load(i32, base + W.COUNTER)).toBe(1 + cycles);
  expect(a.locked).toBe(false);

  // A later locker of b learns it too, and holds b afterwards.
  expect(ownerDeadCode(() => spinLock(b))).toBe('ERR_SPINLOCK_OWNER_DEAD');
  expect(b.heldByMe).toBe(true);
  spinUnlock(b);

  // So does a trylock of c.
  expect(ownerDeadCode(() => spinTrylock(c))).toBe('ERR_SPINLOCK_OWNER_DEAD');
  expect(c.heldByMe).toBe(true);
  spinUnlock(c);

  // The owner-dead state is reported once: afterwards the locks are ordinary again.
  for (const lock of [a, b, c]) {
    for (let n = 0; n < 100; n++) {
      spinLock(lock);
      spinUnlock(lock);
    }
    expect(spinTrylock(lock)).toBe(true);
    spinUnlock(lock);
    expect(Atomics.load(i32, lock.index)).toBe(0);
  }

  // And the heap still works for new workers: two of them contend on a without losing updates.
  Atomics.store(i32, base + W.COUNTER, 0);
  Atomics.store(i32, base + W.ARRIVED, 0);
  const perWorker = 5_000;
  const counterData: LockWorkerData = {
    heap: heap.share(),
    wordsByte: words,
    targets: [a.byteOffset],
    iterations: perWorker,
  };
  const counters = [0, 1].map(() => heap.watchWorker(startWorker('spinlock-counter', counterData)));
  const counterExits = counters.map(exited);
  await waitForWord(i32, base + W.ARRIVED, (v) => v === counters.length, 'the counter workers to attach');
  Atomics.store(i32, base + W.GATE, 1);
  Atomics.notify(i32, base + W.GATE);
  expect(await Promise.all(counterExits)).toEqual([0, 0]);
  expect(Atomics.load(i32, base + W.COUNTER)).toBe(perWorker * counters.length);
  expect(Atomics.load(i32, base + W.VIOLATIONS)).toBe(0);
  expect(heap.root('after-the-fault', 8)).toBeGreaterThan(0);
});
