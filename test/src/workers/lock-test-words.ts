/**
 * @fileoverview The words of the shared "control block" that spinlock and refcount tests and
 * their workers talk through: one heap root of Int32 words, indices named here so the test
 * and the worker cannot disagree.
 */

export const LockTestWord = {
  /** Start gate: workers block until it is non-zero, so they all start racing together. */
  GATE: 0,
  /** The counter incremented with a plain (non-atomic) read-modify-write under the lock. */
  COUNTER: 1,
  /** 1 while some thread is inside the critical section: finding it 1 on entry is a violation. */
  INSIDE: 2,
  /** Invariant violations a worker observed (Atomics.add). */
  VIOLATIONS: 3,
  /** Workers add 1 once attached and about to take the lock. */
  ARRIVED: 4,
  /** Workers add 1 when done (or, for refcount rounds, when done with a round). */
  DONE: 5,
  /** A holder worker sets it once it holds its locks. */
  HELD: 6,
  /** Never written: a worker that must block "forever" waits on it. */
  NEVER: 7,
  /** Refcount rounds: the current round number, bumped by the test. */
  ROUND: 8,
  /** Refcount rounds: set by the thread whose decrement dropped the count to zero. */
  DEAD: 9,
  /** Refcount rounds: how many decrements returned true (summed over rounds). */
  ZEROS: 10,
  /** Refcount rounds: successful refcountIncNotZero() calls (to show the race was exercised). */
  INCS: 11,
  /** Refcount rounds: failed refcountIncNotZero() calls (saw zero). */
  INC_FAILS: 12,
  COUNT: 16,
} as const;

export const LOCK_TEST_ROOT = 'lock-test-words';
export const LOCK_TEST_BYTES = LockTestWord.COUNT * 4;

/** What the test passes to a lock or refcount worker. */
export interface LockWorkerData {
  readonly heap: unknown;
  /** Byte offset of the control block (LockTestWord). */
  readonly wordsByte: number;
  /** Byte offsets of the lock words (or refcount word) the worker operates on. */
  readonly targets: readonly number[];
  /** Loop count: critical sections, lock cycles or refcount rounds. */
  readonly iterations: number;
  /** Worker-specific switch (spinlock-counter: use `using` instead of spinLock/spinUnlock). */
  readonly variant?: string;
}
