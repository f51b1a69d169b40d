/**
 * @fileoverview Owner tags over a heap's lifetime (heap/thread-registry.ts): the tag of a thread
 * that died holding a lock must never be issued again, or its lock would look held by a live
 * thread forever. Runs the registry through more attaches than a generation has values.
 */

import { expect, test } from 'vitest';
import { createHeap } from '../src/heap/heap.js';
import { OWNER_GEN_MASK, Slot, SlotState } from '../src/heap/layout.js';
import { LockResult, lockWordAcquire } from '../src/heap/lock-word.js';
import { TooManyThreadsError } from '../src/errors.js';

test('a dead owner stays dead through more attaches than a generation holds: its slot retires instead of wrapping', () => {
  using heap = createHeap({ maxThreads: 4 });
  const i32 = heap.views.i32;
  const index = heap.root('lock', 4, 4) >> 2;
  const registry = heap.registry;

  const dead = registry.register(1, 'dies holding the lock');
  expect(lockWordAcquire(heap, index, dead.tag, registry)).toBe(LockResult.ACQUIRED);
  registry.release(dead.slot); // the reaper's last step: the slot is free, the lock word still names it

  let reissuedAt = -1;
  let retired = false;
  for (let attach = 1; attach <= OWNER_GEN_MASK + 2; attach++) {
    const { slot, tag } = registry.register(2, 'w');
    if (tag === dead.tag) {
      reissuedAt = attach;
      break;
    }
    registry.release(slot);
    if (slot !== dead.slot) {
      retired = true;
      break;
    }
  }
  expect(reissuedAt).toBe(-1);
  expect(retired).toBe(true);
  expect(Atomics.load(i32, registry.word(dead.slot, Slot.STATE))).toBe(SlotState.RETIRED);
  expect(registry.isOwnerAlive(dead.tag)).toBe(false);

  const next = registry.register(3, 'takes the lock over');
  expect(next.slot).not.toBe(dead.slot);
  expect(lockWordAcquire(heap, index, next.tag, registry)).toBe(LockResult.OWNER_DEAD);
});

test('a heap whose every slot is retired refuses to attach with TooManyThreadsError, naming the cause', () => {
  using heap = createHeap({ maxThreads: 2 });
  const registry = heap.registry;
  const i32 = heap.views.i32;
  // Spend every free slot's generations (the main thread holds one slot already).
  for (let slot = 0; slot < registry.maxThreads; slot++) {
    if (Atomics.load(i32, registry.word(slot, Slot.STATE)) === SlotState.FREE) {
      Atomics.store(i32, registry.word(slot, Slot.GEN), OWNER_GEN_MASK);
    }
  }
  let error: unknown = null;
  try {
    registry.register(9, 'late');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TooManyThreadsError);
  expect((error as TooManyThreadsError).message).toMatch(/retired/);
});
