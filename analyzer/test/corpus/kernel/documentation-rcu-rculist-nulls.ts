/**
 * @fileoverview Translation of every listing of Linux Documentation/RCU/rculist_nulls.rst
 * ("Using RCU hlist_nulls to protect list and objects"): lookup, insertion and removal of
 * SLAB_TYPESAFE_BY_RCU objects in hash chains, first with plain hlist chains (where the reader
 * needs a barrier between reading ->next and the key), then with hlist_nulls chains (where the
 * reader checks the end marker instead).
 *
 * Source read: Documentation/RCU/rculist_nulls.rst at torvalds/linux commit
 * bc25e7c3598e56992120505ea09f6cf0651da63b.
 *
 * The listings are pseudo-code; the names they leave abstract are helpers here:
 * try_get_ref(obj) is refcountIncNotZero on obj->refcnt, put_ref(obj) drops a reference and
 * runs the removal algorithm on the last one, lock_chain()/unlock_chain() take the chain's
 * spinlock, and lockless_lookup(key) is the walk of the first listing.
 *
 * One deviation, on purpose: the hlist_nulls lookup listing calls put_ref(obj) before
 * restarting on a foreign end marker. No reference is held at that point (the walk found no
 * match, and obj is whatever entry it stood on last), so that put_ref would drop a reference
 * never taken; the translation leaves it out to stay correct code.
 */

import {
  getNullsValue,
  hlistNullsAddHeadRcu,
  hlistNullsDelInitRcu,
  hlistNullsFirstRcu,
  hlistNullsNextRcu,
  isANulls,
  kmemCacheAlloc,
  kmemCacheFree,
  rcuReadLock,
  rcuReadUnlock,
  refcountDecAndTest,
  refcountIncNotZero,
  refcountSet,
  spinLock,
  spinUnlock,
  type KmemCache,
} from '@rcukit/runtime';
import { hlistNullsEntry } from '../lib/kernel.js';
import { Obj, chainOf, listHeap, nullsTable, slotLocks, slotOf, type ChainRef, type ObjRef } from '../lib/rculist-nulls.js';

/** The SLAB_TYPESAFE_BY_RCU cache of the listings ("cachep"). */
declare const cachep: KmemCache<typeof Obj>;

// ---------------------------------------------------------------------------------------------
// Without 'nulls'
// ---------------------------------------------------------------------------------------------

/** try_get_ref(obj) (the listings): might fail for free objects. */
function tryGetRef(obj: ObjRef): boolean {
  return refcountIncNotZero(obj.refcnt);
}

/**
 * lockless_lookup(key) (rculist_nulls.rst, "Without 'nulls'"): the hlist walk that reads
 * pos->next before looking at the key (with smp_rmb() between), so that an object moved to
 * another chain meanwhile cannot lead the walk astray unnoticed.
 */
function locklessLookup(key: number): ObjRef | null {
  let next: ObjRef | null;
  for (let pos = chainOf(key).first; pos !== null; pos = next) {
    next = pos.next;
    // smp_rmb(): the load of ->next above is ordered before the load of ->key below.
    if (pos.key === key) return pos;
  }
  return null;
}

/** hlist_del_init_rcu (include/linux/rculist.h) for this singly linked chain; the chain lock is held. */
function hlistDelInitRcu(obj: ObjRef, chain: ChainRef): void {
  if (chain.first === obj) {
    chain.first = obj.next;
    return;
  }
  for (let prev = chain.first; prev !== null; prev = prev.next) {
    if (prev.next === obj) {
      prev.next = obj.next; // readers standing on obj keep its ->next
      return;
    }
  }
}

/** 3) Removal algorithm (rculist_nulls.rst): put_ref(obj) for the plain hlist chains. */
function putRef(obj: ObjRef): void {
  if (refcountDecAndTest(obj.refcnt)) {
    const chain = chainOf(obj.key);
    spinLock(chain.lock); // lock_chain()
    hlistDelInitRcu(obj, chain);
    spinUnlock(chain.lock); // unlock_chain()
    kmemCacheFree(cachep, obj);
  }
}

/** 1) Lookup algorithm (rculist_nulls.rst, "Without 'nulls'"). */
export function lookup(key: number): ObjRef | null {
  let obj: ObjRef | null;
  begin: for (;;) {
    rcuReadLock();
    obj = locklessLookup(key);
    if (obj) {
      if (!tryGetRef(obj)) {
        // might fail for free objects
        rcuReadUnlock();
        continue begin;
      }
      // Because a writer could delete object, and a writer could reuse these object before the
      // RCU grace period, we must check key after getting the reference on object
      if (obj.key !== key) {
        // not the object we expected
        putRef(obj);
        rcuReadUnlock();
        continue begin;
      }
    }
    rcuReadUnlock();
    return obj;
  }
}

/** 2) Insertion algorithm (rculist_nulls.rst, "Without 'nulls'"): new inserts go at the head. */
export function insert(key: number): void {
  const obj = kmemCacheAlloc(cachep);
  const chain = chainOf(key);
  spinLock(chain.lock); // lock_chain(): typically a spin_lock()
  obj.key = key;
  refcountSet(obj.refcnt, 1); // atomic_set_release(): key before refcnt
  // hlist_add_head_rcu(&obj->obj_node, list)
  obj.next = chain.first;
  chain.first = obj;
  spinUnlock(chain.lock); // unlock_chain()
}

// ---------------------------------------------------------------------------------------------
// Avoiding extra smp_rmb(): hlist_nulls
// ---------------------------------------------------------------------------------------------

/** The object of the listings' obj_node at `node` (hlist_nulls_entry). */
function objEntry(node: number): ObjRef {
  return hlistNullsEntry(Obj, listHeap, node, 'objNode');
}

/** 3) Removal algorithm with hlist_nulls: put_ref(obj) for the nulls chains. */
function putRefNulls(obj: ObjRef): void {
  if (refcountDecAndTest(obj.refcnt)) {
    const slot = slotOf(obj.key);
    spinLock(slotLocks[slot]!.lock); // lock_chain()
    hlistNullsDelInitRcu(listHeap, obj.objNode);
    spinUnlock(slotLocks[slot]!.lock); // unlock_chain()
    kmemCacheFree(cachep, obj);
  }
}

/** 1) lookup algorithm (rculist_nulls.rst, hlist_nulls): restart when the walk ends in another slot's marker. */
export function lookupNulls(key: number): ObjRef | null {
  const slot = slotOf(key);
  const head = nullsTable + 4 * slot; // head = &table[slot]
  let obj: ObjRef | null;
  out: {
    begin: for (;;) {
      rcuReadLock();
      let node: number;
      for (node = hlistNullsFirstRcu(listHeap, head); !isANulls(node); node = hlistNullsNextRcu(listHeap, node)) {
        obj = objEntry(node);
        if (obj.key === key) {
          if (!tryGetRef(obj)) {
            // might fail for free objects
            rcuReadUnlock();
            continue begin;
          }
          if (obj.key !== key) {
            // not the object we expected
            putRefNulls(obj);
            rcuReadUnlock();
            continue begin;
          }
          break out;
        }
      }

      // If the nulls value we got at the end of this lookup is not the expected one, we must
      // restart lookup. We probably met an item that was moved to another chain.
      if (getNullsValue(node) !== slot) {
        rcuReadUnlock();
        continue begin;
      }
      obj = null;
      break out;
    }
  }
  // out:
  rcuReadUnlock();
  return obj;
}

/** 2) Insert algorithm (rculist_nulls.rst, hlist_nulls). */
export function insertNulls(key: number): void {
  const obj = kmemCacheAlloc(cachep);
  const slot = slotOf(key);
  spinLock(slotLocks[slot]!.lock); // lock_chain(): typically a spin_lock()
  obj.key = key;
  refcountSet(obj.refcnt, 1); // atomic_set_release(): key before refcnt
  // insert obj in RCU way (readers might be traversing chain)
  hlistNullsAddHeadRcu(listHeap, obj.objNode, nullsTable + 4 * slot);
  spinUnlock(slotLocks[slot]!.lock); // unlock_chain()
}
