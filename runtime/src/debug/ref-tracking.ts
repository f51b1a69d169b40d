/**
 * @fileoverview Debug mode's refcount calls: they record the references the calling thread
 * takes and drops (DebugThread.refs), which is what "holds a reference it took" means to the
 * protection check (debug/object-checks.ts). refcountSet() to a nonzero count counts as
 * taking a reference: it is how the creator of an object gives itself the first one.
 */

import { refcountPlain, type Refcount } from '../refcount.js';
import { fuzzDelay } from './fuzz.js';

function refcountIncNotZeroDebug(ref: Refcount): boolean {
  const d = ref.heap.debug;
  if (d !== null) fuzzDelay(d);
  const taken = refcountPlain.refcountIncNotZero(ref);
  if (taken) d?.refTaken(ref.index);
  return taken;
}

function refcountIncNotZeroLimitedDebug(ref: Refcount, limit: number, old?: { value: number }): boolean {
  const d = ref.heap.debug;
  if (d !== null) fuzzDelay(d);
  const taken = refcountPlain.refcountIncNotZeroLimited(ref, limit, old);
  if (taken) d?.refTaken(ref.index);
  return taken;
}

function refcountIncDebug(ref: Refcount): void {
  refcountPlain.refcountInc(ref);
  ref.heap.debug?.refTaken(ref.index);
}

function refcountDecAndTestDebug(ref: Refcount): boolean {
  const last = refcountPlain.refcountDecAndTest(ref);
  ref.heap.debug?.refDropped(ref.index);
  return last;
}

function refcountSetDebug(ref: Refcount, value: number): void {
  refcountPlain.refcountSet(ref, value);
  const d = ref.heap.debug;
  if (d === null) return;
  d.refs.delete(ref.index);
  if (value > 0) d.refTaken(ref.index);
}

/** The debug functions, for setRefcountBindings(). */
export const refcountDebug = {
  refcountIncNotZero: refcountIncNotZeroDebug,
  refcountIncNotZeroLimited: refcountIncNotZeroLimitedDebug,
  refcountInc: refcountIncDebug,
  refcountDecAndTest: refcountDecAndTestDebug,
  refcountSet: refcountSetDebug,
};
