/**
 * @fileoverview Internal unit tests of the lock word (heap/lock-word.ts) that the public API cannot
 * reach: the asynchronous acquire's waiters-bit handling and the release fast path. Owner tags
 * come from extra registry slots claimed in this thread, so several "owners" can contend
 * without workers.
 */

import { expect, test } from 'vitest';
import { createHeap } from '../src/heap/heap.js';
import {
  LockResult,
  lockWordAcquire,
  lockWordAcquireAsync,
  lockWordOwner,
  lockWordRelease,
} from '../src/heap/lock-word.js';

const WAITERS = 1;

test('an async waiter that slept takes the lock with the waiters bit, so the other sleeper is still woken', async () => {
  using heap = createHeap();
  const i32 = heap.views.i32;
  const index = heap.root('lock', 4, 4) >> 2;
  const registry = heap.registry;
  const [a, b, c] = [1001, 1002, 1003].map((id) => registry.register(id, `owner-${id}`).tag) as [
    number,
    number,
    number,
  ];

  expect(lockWordAcquire(heap, index, a, registry)).toBe(LockResult.ACQUIRED);
  const order: number[] = [];
  const waitB = lockWordAcquireAsync(heap, index, b, registry).then((r) => (order.push(b), r));
  const waitC = lockWordAcquireAsync(heap, index, c, registry).then((r) => (order.push(c), r));
  // Both found the lock held and went to sleep (Atomics.waitAsync) after setting the bit.
  expect(Atomics.load(i32, index)).toBe((a << 1) | WAITERS);

  expect(lockWordRelease(heap, index, a)).toBe(true);
  expect(await Promise.race([waitB, waitC])).toBe(LockResult.ACQUIRED);
  const first = order[0]!;
  const second = first === b ? c : b;
  // The other one still sleeps: the word must still say so, or its wake-up is lost.
  expect(lockWordOwner(i32, index)).toBe(first);
  expect(Atomics.load(i32, index) & WAITERS).toBe(WAITERS);

  expect(lockWordRelease(heap, index, first)).toBe(true);
  expect(await (second === b ? waitB : waitC)).toBe(LockResult.ACQUIRED);
  expect(lockWordOwner(i32, index)).toBe(second);
  expect(lockWordRelease(heap, index, second)).toBe(true);
  expect(Atomics.load(i32, index)).toBe(0);
});

test('release by a non-owner changes nothing, with or without the waiters bit', () => {
  using heap = createHeap();
  const i32 = heap.views.i32;
  const index = heap.root('lock', 4, 4) >> 2;
  const registry = heap.registry;
  const [a, b] = [2001, 2002].map((id) => registry.register(id, `owner-${id}`).tag) as [number, number];

  expect(lockWordRelease(heap, index, a)).toBe(false);
  expect(Atomics.load(i32, index)).toBe(0);
  expect(lockWordAcquire(heap, index, a, registry)).toBe(LockResult.ACQUIRED);
  expect(lockWordRelease(heap, index, b)).toBe(false);
  expect(Atomics.load(i32, index)).toBe(a << 1);
  Atomics.or(i32, index, WAITERS);
  expect(lockWordRelease(heap, index, b)).toBe(false);
  expect(Atomics.load(i32, index)).toBe((a << 1) | WAITERS);
  expect(lockWordRelease(heap, index, a)).toBe(true);
  expect(Atomics.load(i32, index)).toBe(0);
});

test('a dead owner is taken over by an async acquirer, keeping the waiters bit', async () => {
  using heap = createHeap();
  const i32 = heap.views.i32;
  const index = heap.root('lock', 4, 4) >> 2;
  const registry = heap.registry;
  const dead = registry.register(3001, 'dies');
  const live = registry.register(3002, 'lives').tag;
  expect(lockWordAcquire(heap, index, dead.tag, registry)).toBe(LockResult.ACQUIRED);
  Atomics.or(i32, index, WAITERS);
  registry.release(dead.slot);
  expect(await lockWordAcquireAsync(heap, index, live, registry)).toBe(LockResult.OWNER_DEAD);
  expect(Atomics.load(i32, index)).toBe((live << 1) | WAITERS);
  expect(lockWordRelease(heap, index, live)).toBe(true);
});
