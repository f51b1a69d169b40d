/**
 * @fileoverview The checks debug mode makes at every use of a struct object's field (the
 * accessors of debug/debug-accessors.ts call checkObjectUse()):
 *
 * 1. its cache still exists (CacheDestroyedError);
 * 2. an object of a plain cache is allocated (UseAfterFreeError): its slab state byte says
 *    LIVE. Plain caches in debug mode keep freed objects in a quarantine
 *    (debug/quarantine.ts), so a reference kept past kmemCacheFree() still finds a freed
 *    object for a while instead of someone else's new one;
 * 3. an object of a type-stable cache is protected (SuspiciousRcuUsageError), by any of:
 *    a read-side section (or an online QSBR thread); one of its spinlocks, held by this
 *    thread (the lock word names its owner); a reference this thread took on one of its
 *    refcounts (refcountIncNotZero, refcountInc, refcountSet, an RcuHashTable lookup) and has
 *    not dropped, the count still above zero; being fresh: allocated by this thread and not
 *    yet published (stored into an RCU pointer, inserted into a table) or freed; an
 *    rcuDereferenceProtected() claim whose lock is still held by this thread, whose count is
 *    still above zero, or `true`;
 * 4. an object of a type-stable cache used under its lock or this thread's reference is still
 *    the one this thread obtained (StaleObjectError, debug/stale-objects.ts).
 *
 * An RCU pointer load is checked at the use of what it returns, not at the load: the load
 * comes before the rcuDereferenceProtected() call that would cover it, and a pointer loaded
 * and never dereferenced harms nothing. So `rcuDereferenceProtected(task.sighand, lock)` is
 * quiet, and `task.sighand.count` outside a section reports the use, with the load's stack as
 * where the object was obtained.
 */

import { CacheDestroyedError, SuspiciousRcuUsageError, UseAfterFreeError, type RcukitError } from '../errors.js';
import { CACHE_MAGIC, CacheWord, ObjState } from '../heap/layout.js';
import { lockWordOwner } from '../heap/lock-word.js';
import { threadLocal } from '../heap/thread-context.js';
import { rcuReadLockHeld } from '../rcu/read-side.js';
import type { KmemCache } from '../slab/cache-handle.js';
import type { StructObjectBase } from '../struct-object.js';
import type { AnyStructDef } from '../struct.js';
import { callSiteText, captureCallSite, type CallSite } from './call-site.js';
import type { DebugThread } from './debug-thread.js';
import { generationOf, staleObject } from './stale-objects.js';

/** Byte offsets of a struct's spinlock and refcount fields. */
interface ProtectionFields {
  readonly locks: readonly number[];
  readonly refs: readonly number[];
}

const fieldsByStruct = new WeakMap<AnyStructDef, ProtectionFields>();

function protectionFields(def: AnyStructDef): ProtectionFields {
  let f = fieldsByStruct.get(def);
  if (f === undefined) {
    const fields = def.layout.fields;
    f = {
      locks: fields.filter((x) => x.kind === 'spinlock').map((x) => x.offset),
      refs: fields.filter((x) => x.kind === 'refcount').map((x) => x.offset),
    };
    fieldsByStruct.set(def, f);
  }
  return f;
}

/**
 * Check one use of `obj` (`what`: "read of sighand.count"); throws the report. `above` is the
 * accessor, so that the stack of the use starts at the user's code. `data`: a data field, not
 * a lock or a count (which may be used on any life of the object: check 4 skips them).
 */
export function checkObjectUse(
  obj: StructObjectBase,
  def: AnyStructDef,
  what: string,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- see captureCallSite
  above: Function,
  data: boolean,
): void {
  const d = obj.$h.debug;
  if (d === null || d.unchecking !== 0) return;
  const cache = obj.$c as KmemCache;
  const i32 = obj.$v.i32;
  if (
    cache.$dead ||
    Atomics.load(i32, cache.$d + CacheWord.MAGIC) !== CACHE_MAGIC ||
    i32[cache.$d + CacheWord.SERIAL] !== cache.serial
  ) {
    throw report(
      new CacheDestroyedError(
        `${what} of ${describe(obj, def, cache)}: the cache has been destroyed (kmemCacheDestroy); its memory may ` +
          `belong to another cache now`,
      ),
      d,
      obj,
      above,
    );
  }
  if (!def.typesafeByRcu) {
    const state = Atomics.load(obj.$v.u8, obj.$s);
    if (state !== ObjState.LIVE) {
      throw report(
        new UseAfterFreeError(`${what} of ${describe(obj, def, cache)}: the object has been freed (use after free)`),
        d,
        obj,
        above,
      );
    }
    return;
  }
  if (isProtected(obj, def, d)) {
    const seen = data ? d.generations.get(obj) : undefined;
    if (seen === undefined) return;
    const now = generationOf(obj);
    if (now === seen || !heldByThisThread(obj, def, d)) return;
    throw report(staleObject(what, describe(obj, def, cache), seen, now), d, obj, above);
  }
  throw report(
    new SuspiciousRcuUsageError(
      `suspicious RCU usage: ${what} of ${describe(obj, def, cache)} outside a read-side section, without its ` +
        `lock, without a reference this thread took, not fresh, and no rcuDereferenceProtected() claim covers it: ` +
        `it may be freed and reused at any moment`,
    ),
    d,
    obj,
    above,
  );
}

/** Whether anything protects this thread's use of the type-stable object `obj`. */
export function isProtected(obj: StructObjectBase, def: AnyStructDef, d: DebugThread): boolean {
  if (rcuReadLockHeld() || d.fresh.has(obj) || heldByThisThread(obj, def, d)) return true;
  const c = d.claims.get(obj);
  if (c !== undefined) {
    const claim = c.claim;
    if (claim === true) return true;
    if ('heldByMe' in claim) return claim.heldByMe;
    return Atomics.load(obj.$v.i32, claim.index) > 0;
  }
  return false;
}

/** Whether this thread holds one of the object's spinlocks, or a reference it took on one of its counts. */
function heldByThisThread(obj: StructObjectBase, def: AnyStructDef, d: DebugThread): boolean {
  const self = threadLocal.current;
  if (self === null) return false;
  const i32 = obj.$v.i32;
  const f = protectionFields(def);
  for (const off of f.locks) if (lockWordOwner(i32, (obj.$a + off) >> 2) === self.tag) return true;
  for (const off of f.refs) {
    const word = (obj.$a + off) >> 2;
    if ((d.refs.get(word) ?? 0) > 0 && Atomics.load(i32, word) > 0) return true;
  }
  return false;
}

/** Append both stacks to a report's message: where the object was obtained, where it was misused. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- see captureCallSite
export function report<E extends RcukitError>(error: E, d: DebugThread, obj: object, above: Function): E {
  const used: CallSite = captureCallSite(above);
  error.message += `\n  object obtained at:\n${callSiteText(d.obtained.get(obj))}\n  used at:\n${callSiteText(used)}`;
  return error;
}

function describe(obj: StructObjectBase, def: AnyStructDef, cache: KmemCache): string {
  return `${def.name} object 0x${obj.$a.toString(16)} (cache '${cache.name}')`;
}
