/**
 * @fileoverview The shared-memory layout of an rcutorture run: control words, statistics, the
 * published RCU pointer, and the pool of elements, all carved out of one heap root.
 *
 * An element is what the kernel's rcutorture calls `struct rcu_torture`: its AGE is the
 * kernel's pipe count — 0 while published, 1 once removed, plus one for each grace period
 * the writer has seen complete since. Because the writer frees an element when AGE reaches 2,
 * a reader that finds AGE >= 2, the POISON flag, or a changed GEN (the slot was reused) while
 * still inside the read-side section in which it loaded the pointer has caught a grace period
 * that ended too early.
 */

/** Control and statistics words (indices into the run's Int32Array). */
export const Ctl = {
  /** Set to 1 by the harness to end the run. */
  STOP: 0,
  /** The RCU-protected pointer: index of the published element, or -1. */
  CURRENT: 1,
  /** Readers that have started reading. */
  READERS_READY: 2,
  /** Updates (publications) made by the writer. */
  UPDATES: 5,
  /** Elements freed after their grace period (Free-Block Circulation). */
  FREES: 6,
  /** Grace periods waited for, by method: sync, async, callRcu, poll. */
  GP_SYNC: 7,
  GP_ASYNC: 8,
  GP_CALL_RCU: 9,
  GP_POLL: 10,
  /** Allocation failures (pool empty, writer had to wait). */
  ALLOC_WAITS: 11,
  WORDS: 32,
} as const;

export const PIPE_LEN = 10;

/** Element fields. */
export const Elem = {
  /** ElemState below. */
  STATE: 0,
  /** Pipe count: 0 published, 1 removed, +1 per grace period completed since removal. */
  AGE: 1,
  /** Bumped at each allocation, so a reader can tell that its element was reused. */
  GEN: 2,
  /** Nonzero once freed (poisoned) and until reallocated. */
  POISON: 3,
  /** A checksum of index and generation, written before publication. */
  CHECK: 4,
  WORDS: 8,
} as const;

export const ElemState = {
  FREE: 0,
  PUBLISHED: 1,
  RETIRED: 2,
} as const;

/** The age at which the writer frees a retired element. */
export const FREE_AGE = 2;

export function checkValue(index: number, gen: number): number {
  return (Math.imul(gen, 0x9e3779b1) ^ (index * 7919)) | 0;
}

export const ROOT_NAME = 'rcutorture';

export function rootBytes(poolSize: number): number {
  return (Ctl.WORDS + poolSize * Elem.WORDS) * 4;
}

/** Views over the run's root: control words and the element pool. */
export function tortureViews(
  buffer: SharedArrayBuffer,
  rootByte: number,
  poolSize: number,
): { ctl: Int32Array; pool: Int32Array } {
  return {
    ctl: new Int32Array(buffer, rootByte, Ctl.WORDS),
    pool: new Int32Array(buffer, rootByte + Ctl.WORDS * 4, poolSize * Elem.WORDS),
  };
}

/** What each torture worker receives. */
export interface TortureWorkerData {
  heap: import('@rcukit/runtime').SharedHeap;
  rootByte: number;
  poolSize: number;
  busted: boolean;
  seed: number;
  name: string;
}
