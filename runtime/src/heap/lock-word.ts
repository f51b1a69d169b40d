/**
 * @fileoverview An owner-tagged lock word in shared memory: the mechanism under every lock of
 * the runtime (spinlocks, a hash table's bucket locks among them, the registry lock, the
 * grace-period lock, the slab and page allocator locks), and the order they are taken in.
 *
 * Encoding of the Int32 word: 0 = unlocked; otherwise (ownerTag << 1) | waitersBit, where
 * ownerTag names the holder's registry slot and that slot's generation (heap/layout.ts).
 * Keeping the owner in the word is what makes the lock robust, in the spirit of robust
 * futexes: a waiter that finds the owner's slot freed or reused knows the owner died, takes
 * the lock over, and is told so (LockResult.OWNER_DEAD) instead of waiting forever.
 *
 * All operations are sequentially consistent atomics: the compareExchange that takes the lock
 * is an acquire, and the one (or the exchange) that releases it is a release, so every store
 * made inside the critical section is visible to the next holder. The uncontended paths, one
 * compareExchange each, run in WebAssembly (heap/atomics.ts says why); the contended ones use
 * Atomics, next to the Atomics.wait and notify they need anyway.
 *
 * Lock order (outermost first: a thread holding one of these takes only those below it):
 *   1. the slab cache directory lock (SlabHeaderWord.DIR_LOCK)
 *   2. a slab cache's lock (CacheWord.LOCK)
 *   3. the page allocator's lock (PageAllocWord.LOCK)
 *
 *   The directory lock guards the cache directory: creating, finding and destroying caches.
 *   A cache's lock guards its slab lists, slab headers and counters, and the array caches of
 *   threads that left. The page allocator's lock guards its free lists and counters.
 *
 *   Leaves, under which the runtime takes no other lock: the registry lock
 *   (Header.REGISTRY_LOCK, the root directory), the grace-period lock (RcuWord.GP_LOCK),
 *   and an RCU hash table's bucket locks (BucketWord.LOCK), which is why a table frees an
 *   object into its cache only after dropping the bucket lock.
 *
 *   Slab constructors run with no cache lock held; destructors run under their cache's lock
 *   (they must not call into the same cache).
 */

import type { HeapAtomics } from './atomics.js';
import type { HeapViews } from './heap.js';
import type { ThreadRegistry } from './thread-registry.js';

/** The memory a lock word lives in: a Heap (or anything holding its views and atomics). */
export interface LockMemory {
  readonly views: HeapViews;
  readonly atomics: HeapAtomics;
}

export const LockResult = {
  ACQUIRED: 0,
  OWNER_DEAD: 1,
  BUSY: 2,
  /** The caller already holds it: recursive locking is a bug, reported by the caller. */
  SELF: 3,
} as const;
export type LockResult = (typeof LockResult)[keyof typeof LockResult];

const WAITERS = 1;
/** Spins before sleeping. A critical section in this runtime is a handful of stores. */
const SPIN_LIMIT = 200;
/**
 * Longest sleep between two looks at the owner. A live owner wakes sleepers on release;
 * the timeout only bounds how long a waiter takes to notice that the owner died.
 */
const SLEEP_MS = 20;

/** Try once. */
export function lockWordTry(mem: LockMemory, index: number, tag: number, registry: ThreadRegistry): LockResult {
  const mine = tag << 1;
  const v = mem.atomics.cas(index, 0, mine);
  if (v === 0) return LockResult.ACQUIRED;
  const i32 = mem.views.i32;
  if (v >>> 1 === tag) return LockResult.SELF;
  if (!registry.isOwnerAlive(v >>> 1)) {
    // Keep the waiters bit: sleepers of the dead owner still need a wake-up on release.
    if (Atomics.compareExchange(i32, index, v, mine | (v & WAITERS)) === v) return LockResult.OWNER_DEAD;
  }
  return LockResult.BUSY;
}

/**
 * The contended path of taking the lock, shared by the blocking and the asynchronous acquire.
 * It yields the value to sleep on whenever it must wait; the caller sleeps on the lock word
 * (Atomics.wait or Atomics.waitAsync, at most SLEEP_MS) and resumes it with whether it really
 * slept. It returns the outcome: never BUSY.
 */
function* acquireSteps(
  i32: Int32Array,
  index: number,
  tag: number,
  registry: ThreadRegistry,
  spinLimit: number,
): Generator<number, LockResult, boolean> {
  const mine = tag << 1;
  let spins = 0;
  // Once this thread has slept, other sleepers may exist that it cannot see: it must take
  // the lock with the waiters bit set so that its own release wakes them (Drepper's mutex);
  // otherwise they sleep out their whole SLEEP_MS after every release.
  let slept = false;
  for (;;) {
    const v = Atomics.load(i32, index);
    if (v === 0) {
      if (Atomics.compareExchange(i32, index, 0, slept ? mine | WAITERS : mine) === 0) return LockResult.ACQUIRED;
      continue;
    }
    const owner = v >>> 1;
    if (owner === tag) return LockResult.SELF;
    if (!registry.isOwnerAlive(owner)) {
      if (Atomics.compareExchange(i32, index, v, mine | (v & WAITERS)) === v) return LockResult.OWNER_DEAD;
      continue;
    }
    if (spins < spinLimit) {
      spins++;
      continue;
    }
    if ((v & WAITERS) === 0 && Atomics.compareExchange(i32, index, v, v | WAITERS) !== v) continue;
    // Sleeps only while the word still holds this value, so a release between our load and
    // the sleep ends it at once.
    if (yield v | WAITERS) slept = true;
  }
}

/**
 * Take the lock, spinning briefly then sleeping with Atomics.wait. Never returns BUSY.
 * Precondition: the calling thread is attached (tag is its live owner tag).
 */
export function lockWordAcquire(mem: LockMemory, index: number, tag: number, registry: ThreadRegistry): LockResult {
  // Uncontended: one compareExchange, no generator.
  if (mem.atomics.cas(index, 0, tag << 1) === 0) return LockResult.ACQUIRED;
  const i32 = mem.views.i32;
  const steps = acquireSteps(i32, index, tag, registry, SPIN_LIMIT);
  for (let step = steps.next(false); ;) {
    if (step.done) return step.value;
    Atomics.wait(i32, index, step.value, SLEEP_MS);
    step = steps.next(true);
  }
}

/**
 * Take the lock without blocking the event loop: no spinning, sleeps with Atomics.waitAsync
 * (bounded by SLEEP_MS, so a dead owner is noticed). Used by the asynchronous grace-period path.
 */
export async function lockWordAcquireAsync(
  mem: LockMemory,
  index: number,
  tag: number,
  registry: ThreadRegistry,
): Promise<LockResult> {
  const i32 = mem.views.i32;
  const steps = acquireSteps(i32, index, tag, registry, 0);
  for (let step = steps.next(false); ;) {
    if (step.done) return step.value;
    const waiter = Atomics.waitAsync(i32, index, step.value, SLEEP_MS);
    if (waiter.async) await keepAlive(waiter.value);
    step = steps.next(waiter.async);
  }
}

/**
 * Release. Returns false (and changes nothing) when the caller is not the owner.
 */
export function lockWordRelease(mem: LockMemory, index: number, tag: number): boolean {
  const mine = tag << 1;
  // Uncontended fast path, one atomic operation: the word is exactly ours, with no waiters
  // bit, so nobody sleeps on it and nobody needs waking. The compareExchange is the release
  // that publishes the critical section's stores to the next holder.
  const v = mem.atomics.cas(index, mine, 0);
  if (v === mine) return true;
  if (v >>> 1 !== tag) return false;
  const i32 = mem.views.i32;
  // Ours with the waiters bit. Only the owner clears the word; others may only add the
  // waiters bit, which is already set, so the exchange returns it and no wake-up is lost.
  const old = Atomics.exchange(i32, index, 0);
  if ((old & WAITERS) !== 0) Atomics.notify(i32, index, 1);
  return true;
}

/** The tag of the current holder, or 0 when unlocked. */
export function lockWordOwner(i32: Int32Array, index: number): number {
  return Atomics.load(i32, index) >>> 1;
}

/**
 * In Node 20 a pending Atomics.waitAsync does not keep the event loop alive; a timer does.
 * The timer is cleared as soon as the wait settles.
 */
export async function keepAlive<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1 << 30);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}
