/**
 * @fileoverview Reference counts in shared memory: refcountIncNotZero /
 * refcountIncNotZeroLimited / refcountDecAndTest / refcountSet, with the kernel's refcount_t rules.
 *
 * A count of zero means the object is free (or being freed): refcountIncNotZero() never
 * revives it, which is what lets a lockless lookup in a type-stable cache take a reference
 * safely — the object may have been freed and reused, so the caller must still re-check
 * the key after a successful increment. Underflow and overflow throw RefcountError and leave
 * the count unchanged.
 */

import { RefcountError } from './errors.js';
import type { Heap } from './heap/heap.js';

/**
 * The largest count. An increment from it would wrap the Int32 word negative, so it throws
 * instead; a count of REFCOUNT_MAX is still a valid count that can be decremented.
 */
export const REFCOUNT_MAX = 0x7fffffff;

export class Refcount {
  /** Word index of the count in the heap's Int32Array. */
  readonly index: number;

  constructor(
    readonly heap: Heap,
    readonly byteOffset: number,
    readonly label = `refcount@0x${byteOffset.toString(16)}`,
  ) {
    this.index = heap.wordIndex(byteOffset, label);
  }
}

/** refcountIncNotZero() as documented at its binding below, without debug mode. */
function refcountIncNotZeroPlain(ref: Refcount): boolean {
  const v = ref.heap.atomics.incNotZero(ref.index, REFCOUNT_MAX);
  if (v === 0) return false;
  if (v < 0) throw new RefcountError(`refcountIncNotZero(${ref.label}): count ${v} is negative (corrupt word)`);
  if (v === REFCOUNT_MAX) {
    throw new RefcountError(
      `refcountIncNotZero(${ref.label}): increment past ${REFCOUNT_MAX} (overflow: a reference leak?)`,
    );
  }
  return true;
}

/** refcountIncNotZeroLimited() as documented at its binding below, without debug mode. */
function refcountIncNotZeroLimitedPlain(ref: Refcount, limit: number, old?: { value: number }): boolean {
  if (!Number.isInteger(limit) || limit < 1 || limit > REFCOUNT_MAX) {
    throw new RefcountError(
      `refcountIncNotZeroLimited(${ref.label}, ${limit}): the limit must be an integer from 1 to ${REFCOUNT_MAX}`,
    );
  }
  // The same compareExchange loop, with `limit` for REFCOUNT_MAX: it declines a count at or above it.
  const v = ref.heap.atomics.incNotZero(ref.index, limit);
  if (v < 0) throw new RefcountError(`refcountIncNotZeroLimited(${ref.label}): count ${v} is negative (corrupt word)`);
  if (old !== undefined) old.value = v;
  return v !== 0 && v < limit;
}

/** refcountInc() as documented at its binding below, without debug mode. */
function refcountIncPlain(ref: Refcount): void {
  if (!refcountIncNotZeroPlain(ref)) {
    throw new RefcountError(
      `refcountInc(${ref.label}): increment on 0 (use after free); use refcountIncNotZero() for lookups`,
    );
  }
}

/** refcountDecAndTest() as documented at its binding below, without debug mode. */
function refcountDecAndTestPlain(ref: Refcount): boolean {
  const v = ref.heap.atomics.decAndTest(ref.index);
  if (v <= 0)
    throw new RefcountError(
      `refcountDecAndTest(${ref.label}): decrement of count ${v} (underflow: a reference dropped twice?)`,
    );
  return v === 1;
}

/** refcountSet() as documented at its binding below, without debug mode. */
function refcountSetPlain(ref: Refcount, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > REFCOUNT_MAX) {
    throw new RefcountError(
      `refcountSet(${ref.label}, ${value}): a count must be an integer from 0 to ${REFCOUNT_MAX}`,
    );
  }
  Atomics.store(ref.heap.views.i32, ref.index, value);
}

// Debug mode (debug/ref-tracking.ts) re-points these bindings for a thread of a debug heap,
// to record which references the thread took; see spinlock.ts.
/* eslint-disable no-var -- re-pointed by setRefcountBindings() */
/**
 * Increment unless the count is zero. Returns true when a reference was taken.
 * The compareExchange orders the caller's later loads (the key re-check) after the increment.
 * (The load-compareExchange loop runs in WebAssembly, heap/atomics.ts: one call.)
 */
export var refcountIncNotZero: (ref: Refcount) => boolean = refcountIncNotZeroPlain;
/**
 * Increment unless the count is zero or at least `limit` (so the count stays at most
 * `limit`): the kernel's __refcount_inc_not_zero_limited_acquire(), with which a writer that
 * raises the count past the limit keeps new readers out while those already in drain. Returns
 * true when a reference was taken; `old.value`, when given, gets the count seen, which tells
 * a free object (0) from one whose readers are held off. Ordered as refcountIncNotZero().
 */
export var refcountIncNotZeroLimited: (ref: Refcount, limit: number, old?: { value: number }) => boolean =
  refcountIncNotZeroLimitedPlain;
/** Increment a count the caller already holds a reference on (never from zero). */
export var refcountInc: (ref: Refcount) => void = refcountIncPlain;
/**
 * Decrement; returns true when this dropped the last reference (the caller now frees).
 * The compareExchange is a release for the caller's earlier stores to the object and an
 * acquire for the freeing path, so the freer sees every store made under a reference.
 */
export var refcountDecAndTest: (ref: Refcount) => boolean = refcountDecAndTestPlain;
/** Set the count, e.g. to 1 when publishing a new object. */
export var refcountSet: (ref: Refcount, value: number) => void = refcountSetPlain;
/* eslint-enable no-var */

/** @internal The plain functions, which debug mode wraps. */
export const refcountPlain = {
  refcountIncNotZero: refcountIncNotZeroPlain,
  refcountIncNotZeroLimited: refcountIncNotZeroLimitedPlain,
  refcountInc: refcountIncPlain,
  refcountDecAndTest: refcountDecAndTestPlain,
  refcountSet: refcountSetPlain,
};

/** @internal Point the bindings at `fns` (debug mode) or back at the plain functions (null). */
export function setRefcountBindings(fns: typeof refcountPlain | null): void {
  const f = fns ?? refcountPlain;
  refcountIncNotZero = f.refcountIncNotZero;
  refcountIncNotZeroLimited = f.refcountIncNotZeroLimited;
  refcountInc = f.refcountInc;
  refcountDecAndTest = f.refcountDecAndTest;
  refcountSet = f.refcountSet;
}

/** The count now (a snapshot). */
export function refcountRead(ref: Refcount): number {
  return Atomics.load(ref.heap.views.i32, ref.index);
}
