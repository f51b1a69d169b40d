/**
 * @fileoverview Spinlocks in shared memory: spinLock / spinUnlock / spinTrylock.
 *
 * A Spinlock is a handle on one Int32 word of the heap (usually a `spinlock` field of a slab
 * object, or a root). It spins briefly, then sleeps with Atomics.wait; it never spins forever.
 * The word names its owner (heap/lock-word.ts), so a locker that finds the owner dead takes the lock
 * and is told with SpinlockOwnerDeadError, like EOWNERDEAD from a robust pthread mutex.
 *
 * spinLock() returns the handle itself, which is Disposable: `using _ = spinLock(s.siglock)`
 * unlocks at the end of the block. No allocation on either path.
 */

import { HeapAttachmentError, InvalidArgumentError, SpinlockMisuseError, SpinlockOwnerDeadError } from './errors.js';
import type { Heap } from './heap/heap.js';
import { LockResult, lockWordAcquire, lockWordOwner, lockWordRelease, lockWordTry } from './heap/lock-word.js';
import { threadLocal, type ThreadContext } from './heap/thread-context.js';

export class Spinlock implements Disposable {
  /** Word index of the lock word in the heap's Int32Array. */
  readonly index: number;

  /**
   * @param heap the heap the word lives in
   * @param byteOffset 4-byte aligned offset of the lock word
   * @param label what error messages call it (`sighand.siglock`)
   */
  constructor(
    readonly heap: Heap,
    readonly byteOffset: number,
    readonly label = `spinlock@0x${byteOffset.toString(16)}`,
  ) {
    this.index = heap.wordIndex(byteOffset, label);
  }

  /** Whether any thread holds it now (a snapshot, for assertions and diagnostics). */
  get locked(): boolean {
    return lockWordOwner(this.heap.views.i32, this.index) !== 0;
  }

  /** Whether the calling thread holds it. */
  get heldByMe(): boolean {
    const self = threadLocal.current;
    return self !== null && lockWordOwner(this.heap.views.i32, this.index) === self.tag;
  }

  [Symbol.dispose](): void {
    spinUnlock(this);
  }
}

/** spinLock() as documented at its binding below, without debug mode. */
function spinLockPlain(lock: Spinlock): Spinlock {
  const self = self_(lock);
  const result = lockWordAcquire(lock.heap, lock.index, self.tag, lock.heap.registry);
  if (result !== LockResult.ACQUIRED) failLock(lock, result);
  return lock;
}

/** spinTrylock() as documented at its binding below, without debug mode. */
function spinTrylockPlain(lock: Spinlock): boolean {
  const self = self_(lock);
  const result = lockWordTry(lock.heap, lock.index, self.tag, lock.heap.registry);
  if (result === LockResult.BUSY) return false;
  if (result !== LockResult.ACQUIRED) failLock(lock, result);
  return true;
}

/** spinUnlock() as documented at its binding below, without debug mode. */
function spinUnlockPlain(lock: Spinlock): void {
  const self = self_(lock);
  if (!lockWordRelease(lock.heap, lock.index, self.tag)) {
    const owner = lockWordOwner(lock.heap.views.i32, lock.index);
    throw new SpinlockMisuseError(
      `spinUnlock(${lock.label}): this thread does not hold it (${owner === 0 ? 'it is unlocked' : 'another thread holds it'})`,
    );
  }
}

// Debug mode (debug/lock-tracking.ts) re-points these three bindings for the calling thread
// when it attaches to a debug heap, and back when it detaches, as the read side re-points
// rcuReadLock: a thread of a heap without debug mode runs the plain functions with nothing to
// test. `var` for the reason given there (rcu/read-side.ts, the QSBR fast path).
/* eslint-disable no-var -- re-pointed by setSpinlockBindings(), see above */
/**
 * Take the lock. Returns the lock, whose disposal releases it.
 * Throws SpinlockMisuseError if this thread already holds it (that would deadlock), and
 * SpinlockOwnerDeadError, *with the lock now held by the caller*, if its previous owner died
 * holding it.
 */
export var spinLock: (lock: Spinlock) => Spinlock = spinLockPlain;
/**
 * Take the lock if it is free. Returns true when taken. Throws as spinLock() does for a lock
 * this thread holds or whose owner died (the lock is then held).
 */
export var spinTrylock: (lock: Spinlock) => boolean = spinTrylockPlain;
/** Release the lock. Throws SpinlockMisuseError if the calling thread does not hold it. */
export var spinUnlock: (lock: Spinlock) => void = spinUnlockPlain;
/* eslint-enable no-var */

/** @internal The plain spinLock / spinTrylock / spinUnlock, which debug mode wraps. */
export const spinlockPlain = { spinLock: spinLockPlain, spinTrylock: spinTrylockPlain, spinUnlock: spinUnlockPlain };

/** @internal Point the three bindings at `fns` (debug mode) or back at the plain functions (null). */
export function setSpinlockBindings(fns: typeof spinlockPlain | null): void {
  const f = fns ?? spinlockPlain;
  spinLock = f.spinLock;
  spinTrylock = f.spinTrylock;
  spinUnlock = f.spinUnlock;
}

/**
 * Assert that the calling thread holds the lock, as the kernel's lockdep_assert_held() does:
 * throws SpinlockMisuseError, naming the lock and who holds it, if it does not. Written among a
 * function's opening statements it is also a contract the checker reads: every caller in the
 * project must hold the lock (the analyzer's rcu/unbalanced-spinlock rule), as `@mustHold`
 * would say.
 */
export function lockdepAssertHeld(lock: Spinlock): void {
  const self = self_(lock);
  const owner = lockWordOwner(lock.heap.views.i32, lock.index);
  if (owner !== self.tag) {
    throw new SpinlockMisuseError(
      `lockdepAssertHeld(${lock.label}): this thread does not hold it (${owner === 0 ? 'it is unlocked' : 'another thread holds it'})`,
    );
  }
}

/**
 * Set the word to unlocked. For constructors of type-stable caches only, which run once per
 * slab: never on a lock another thread may hold or be spinning on.
 */
export function spinLockInit(lock: Spinlock): void {
  Atomics.store(lock.heap.views.i32, lock.index, 0);
}

function self_(lock: Spinlock): ThreadContext {
  const self = threadLocal.current;
  const given: unknown = lock; // as a JavaScript caller may pass it
  if (self === null || self.heap !== (given as Spinlock | null | undefined)?.heap) {
    if (!(given instanceof Spinlock)) {
      throw new InvalidArgumentError(
        `expected a Spinlock, got ${given === null ? 'null' : typeof given === 'object' ? 'an object that is not one' : typeof given}`,
      );
    }
    throw new HeapAttachmentError(`${lock.label}: the calling thread is not attached to the heap this lock lives in`);
  }
  return self;
}

function failLock(lock: Spinlock, result: LockResult): never {
  if (result === LockResult.SELF) {
    throw new SpinlockMisuseError(
      `spinLock(${lock.label}): this thread already holds it; taking it again would deadlock`,
    );
  }
  throw new SpinlockOwnerDeadError(
    `spinLock(${lock.label}): its previous owner exited while holding it; the lock is now held by this thread: ` +
      `make the data it protects consistent, then spinUnlock()`,
  );
}
