/**
 * @fileoverview spinLock / spinUnlock / spinTrylock with real workers over a real shared heap:
 * mutual exclusion of a non-atomic read-modify-write, trylock, the `using` form, misuse
 * errors that leave the lock word intact, and sleeping waiters being woken by the release.
 */

import { afterEach, describe, expect, test } from 'vitest';
import {
  createHeap,
  currentHeap,
  HeapAttachmentError,
  InvalidArgumentError,
  lockdepAssertHeld,
  Spinlock,
  SpinlockMisuseError,
  spinLock,
  spinTrylock,
  spinUnlock,
  type Heap,
} from '@rcukit/runtime';
import {
  LOCK_TEST_BYTES,
  LOCK_TEST_ROOT,
  LockTestWord as W,
  type LockWorkerData,
} from '../../src/workers/lock-test-words.js';
import { exited, startWorker, waitForWord } from '../worker-helpers.js';

/** The lock word's waiters bit (lock-word.ts): set by a locker about to sleep in Atomics.wait. */
const WAITERS_BIT = 1;

function setUp(debug?: boolean): { heap: Heap; lock: Spinlock; words: number; base: number; i32: Int32Array } {
  const heap = createHeap({ threadName: 'spinlock-test', ...(debug !== undefined ? { debug } : {}) });
  const lockByte = heap.root('test.lock', 4, 4);
  const words = heap.root(LOCK_TEST_ROOT, LOCK_TEST_BYTES);
  return { heap, lock: new Spinlock(heap, lockByte, 'test.lock'), words, base: words >> 2, i32: heap.views.i32 };
}

afterEach(() => {
  // A failed test may leave the main thread attached; the next test creates its own heap.
  try {
    currentHeap().detach();
  } catch {
    // not attached
  }
});

describe('mutual exclusion', () => {
  test('four workers, each 20 000 plain read-modify-writes under one spinlock, lose no increment', async () => {
    const { heap, lock, words, base, i32 } = setUp();
    const perWorker = 20_000;
    const variants = ['plain', 'using', 'plain', 'using'];
    const workers = variants.map((variant) => {
      const data: LockWorkerData = {
        heap: heap.share(),
        wordsByte: words,
        targets: [lock.byteOffset],
        iterations: perWorker,
        variant,
      };
      return heap.watchWorker(startWorker('spinlock-counter', data));
    });
    const exits = workers.map(exited);
    await waitForWord(i32, base + W.ARRIVED, (v) => v === workers.length, 'all counter workers to attach');
    Atomics.store(i32, base + W.GATE, 1);
    Atomics.notify(i32, base + W.GATE);
    expect(await Promise.all(exits)).toEqual(workers.map(() => 0));
    expect(Atomics.load(i32, base + W.VIOLATIONS)).toBe(0);
    expect(Atomics.load(i32, base + W.COUNTER)).toBe(perWorker * workers.length);
    expect(lock.locked).toBe(false);
    expect(Atomics.load(i32, lock.index)).toBe(0);
    heap.detach();
  });
});

describe('spinTrylock', () => {
  test('takes a free lock, and returns false without touching the word while another thread holds it', async () => {
    const { heap, lock, words, base, i32 } = setUp();
    expect(spinTrylock(lock)).toBe(true);
    expect(lock.heldByMe).toBe(true);
    spinUnlock(lock);
    expect(lock.locked).toBe(false);

    const data: LockWorkerData = { heap: heap.share(), wordsByte: words, targets: [lock.byteOffset], iterations: 0 };
    const holder = heap.watchWorker(startWorker('spinlock-holder', data));
    const exit = exited(holder).catch(() => 1);
    await waitForWord(i32, base + W.HELD, (v) => v === 1, 'the holder to take the lock');
    const held = Atomics.load(i32, lock.index);
    expect(held).not.toBe(0);
    for (let n = 0; n < 100; n++) expect(spinTrylock(lock)).toBe(false);
    expect(Atomics.load(i32, lock.index)).toBe(held);
    expect(lock.heldByMe).toBe(false);
    await holder.terminate();
    await exit;
    heap.detach();
  });
});

describe('using', () => {
  test('`using _ = spinLock(l)` releases at the end of the block', () => {
    const { heap, lock } = setUp();
    {
      using guard = spinLock(lock);
      expect(guard).toBe(lock);
      expect(lock.heldByMe).toBe(true);
    }
    expect(lock.locked).toBe(false);
    heap.detach();
  });

  test('`using _ = spinLock(l)` releases when the block throws', () => {
    const { heap, lock } = setUp();
    const body = (): void => {
      using _ = spinLock(lock);
      expect(lock.heldByMe).toBe(true);
      throw new Error('thrown inside the critical section');
    };
    expect(body).toThrow('thrown inside the critical section');
    expect(lock.locked).toBe(false);
    // And it can be taken again.
    expect(spinTrylock(lock)).toBe(true);
    spinUnlock(lock);
    heap.detach();
  });
});

describe('misuse', () => {
  test('spinUnlock of an unlocked lock throws SpinlockMisuseError and leaves it unlocked', () => {
    const { heap, lock, i32 } = setUp();
    expect(() => spinUnlock(lock)).toThrow(SpinlockMisuseError);
    expect(() => spinUnlock(lock)).toThrow(/test\.lock.*does not hold it.*unlocked/);
    expect(Atomics.load(i32, lock.index)).toBe(0);
    heap.detach();
  });

  test('recursive spinLock and spinTrylock throw SpinlockMisuseError and leave the lock held once', () => {
    // Debug mode reports it as a LockOrderError instead (test/runtime/unit/debug-mode.test.ts).
    const { heap, lock, i32 } = setUp(false);
    spinLock(lock);
    const word = Atomics.load(i32, lock.index);
    expect(() => spinLock(lock)).toThrow(SpinlockMisuseError);
    expect(() => spinLock(lock)).toThrow(/test\.lock.*already holds it/);
    expect(() => spinTrylock(lock)).toThrow(SpinlockMisuseError);
    expect(Atomics.load(i32, lock.index)).toBe(word);
    expect(lock.heldByMe).toBe(true);
    spinUnlock(lock);
    expect(Atomics.load(i32, lock.index)).toBe(0);
    // One unlock was enough: a second one is misuse, not a silent no-op.
    expect(() => spinUnlock(lock)).toThrow(SpinlockMisuseError);
    heap.detach();
  });

  test('spinUnlock of a lock another thread holds throws and leaves the holder in the word', async () => {
    const { heap, lock, words, base, i32 } = setUp();
    const data: LockWorkerData = { heap: heap.share(), wordsByte: words, targets: [lock.byteOffset], iterations: 0 };
    const holder = heap.watchWorker(startWorker('spinlock-holder', data));
    const exit = exited(holder).catch(() => 1);
    await waitForWord(i32, base + W.HELD, (v) => v === 1, 'the holder to take the lock');
    const held = Atomics.load(i32, lock.index);
    expect(() => spinUnlock(lock)).toThrow(/another thread holds it/);
    expect(() => spinUnlock(lock)).toThrow(SpinlockMisuseError);
    expect(Atomics.load(i32, lock.index)).toBe(held);
    await holder.terminate();
    await exit;
    heap.detach();
  });

  test('lockdepAssertHeld passes while this thread holds the lock, and throws, naming it, when it is free or another thread holds it', async () => {
    const { heap, lock, words, base, i32 } = setUp();
    expect(() => lockdepAssertHeld(lock)).toThrow(SpinlockMisuseError);
    expect(() => lockdepAssertHeld(lock)).toThrow(/lockdepAssertHeld\(test\.lock\).*does not hold it.*unlocked/);
    spinLock(lock);
    expect(() => lockdepAssertHeld(lock)).not.toThrow();
    spinUnlock(lock);
    expect(() => lockdepAssertHeld(42 as unknown as Spinlock)).toThrow(InvalidArgumentError);

    const data: LockWorkerData = { heap: heap.share(), wordsByte: words, targets: [lock.byteOffset], iterations: 0 };
    const holder = heap.watchWorker(startWorker('spinlock-holder', data));
    const exit = exited(holder).catch(() => 1);
    await waitForWord(i32, base + W.HELD, (v) => v === 1, 'the holder to take the lock');
    const held = Atomics.load(i32, lock.index);
    expect(() => lockdepAssertHeld(lock)).toThrow(/another thread holds it/);
    // An assertion changes nothing: the holder is still in the word.
    expect(Atomics.load(i32, lock.index)).toBe(held);
    await holder.terminate();
    await exit;
    heap.detach();
  });

  test('locking from a thread that is not attached throws HeapAttachmentError', () => {
    const { heap, lock, i32 } = setUp();
    heap.detach();
    expect(() => spinLock(lock)).toThrow(HeapAttachmentError);
    expect(() => spinTrylock(lock)).toThrow(HeapAttachmentError);
    expect(() => spinUnlock(lock)).toThrow(HeapAttachmentError);
    expect(Atomics.load(i32, lock.index)).toBe(0);
  });

  test('a lock handle rejects misaligned and out-of-heap offsets', () => {
    const { heap } = setUp();
    expect(() => new Spinlock(heap, 6, 'odd')).toThrow(/odd: byte offset 6 is not a 4-byte aligned/);
    expect(() => new Spinlock(heap, -4)).toThrow(RangeError);
    expect(() => new Spinlock(heap, heap.maxByteLength)).toThrow(/outside the heap/);
    heap.detach();
  });
});

describe('sleeping waiters', () => {
  test('waiters that went to sleep are woken by the release and all get the lock', async () => {
    const { heap, lock, words, base, i32 } = setUp();
    const sleepers = 3;
    const rounds = 5;
    const data: LockWorkerData = {
      heap: heap.share(),
      wordsByte: words,
      targets: [lock.byteOffset],
      iterations: rounds,
    };
    const workers = Array.from({ length: sleepers }, () => heap.watchWorker(startWorker('spinlock-sleeper', data)));
    const exits = workers.map(exited);

    // Count whom each release wakes: lock-word.ts calls Atomics.notify when the waiters bit is set.
    const notify = Atomics.notify;
    let woken = 0;
    const countingNotify: typeof Atomics.notify = (typedArray, index, count) => {
      const n = notify(typedArray as Int32Array, index, count);
      if (typedArray === i32 && index === lock.index) woken += n;
      return n;
    };

    for (let round = 1; round <= rounds; round++) {
      spinLock(lock);
      const mine = Atomics.load(i32, lock.index);
      Atomics.store(i32, base + W.ROUND, round);
      Atomics.notify(i32, base + W.ROUND);
      await waitForWord(
        i32,
        base + W.ARRIVED,
        (v) => v === sleepers * round,
        `the sleepers to try the lock in round ${round}`,
      );
      // A waiter sets the waiters bit only after spinning past the spin limit, just before it
      // sleeps in Atomics.wait: the contention outlasted the spinning.
      await waitForWord(i32, lock.index, (v) => (v & WAITERS_BIT) !== 0, `a sleeper to go to sleep in round ${round}`);
      expect(Atomics.load(i32, lock.index) & ~WAITERS_BIT).toBe(mine);
      Atomics.notify = countingNotify;
      try {
        spinUnlock(lock);
      } finally {
        Atomics.notify = notify;
      }
      await waitForWord(
        i32,
        base + W.DONE,
        (v) => v === sleepers * round,
        `the sleepers to get the lock in round ${round}`,
      );
    }
    // A sleeper between two timed sleeps (SLEEP_MS) is awake and needs no wake-up; over five
    // rounds with three sleepers, a release that wakes nobody every time means the waiters
    // bit or the notify is broken.
    expect(woken).toBeGreaterThanOrEqual(1);
    expect(await Promise.all(exits)).toEqual(workers.map(() => 0));
    expect(Atomics.load(i32, base + W.COUNTER)).toBe(sleepers * rounds);
    expect(Atomics.load(i32, lock.index)).toBe(0);
    heap.detach();
  });
});
