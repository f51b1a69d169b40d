/**
 * @fileoverview An RCU hash table's writers (hash/rcu-hash-table.ts): linking, replacing and
 * unlinking objects under the bucket lock, each change bracketed by the bucket's sequence
 * count that lockless readers validate against, and a new object's reference published
 * last. The table checks its arguments and drops references; this file changes chains.
 *
 * Every public method takes the bucket's lock itself and returns with it released. What a
 * change unlinks comes back to the caller, which drops the table's reference on it (and may
 * so free it into its cache, taking the cache's locks) only after the bucket lock is released:
 * lock order in heap/lock-word.ts.
 *
 * Each change is one intent-log step (heap/intent-log.ts) under its bucket lock: a writer
 * killed halfway is undone by its reaper, chain words, sequence count and the new object's
 * reference alike, and the table's count moves in the same instant the step commits.
 */

import { HashTableMisuseError } from '../errors.js';
import { BucketWord, TableWord } from '../heap/layout.js';
import { spinUnlock, type Spinlock } from '../spinlock.js';
import { intentBegin, intentEnd, intentEndCounting, intentSeqBump, intentStore } from '../heap/intent-log.js';
import type { Buckets } from './buckets.js';
import {
  hlistNullsAddHeadRcu,
  hlistNullsDelInitRcu,
  hlistNullsReplaceRcu,
  isANulls,
  PPREV_POISON,
} from './hlist-nulls.js';

/** `sock@0x1f040`: an object in messages. */
export function objectLabel(structName: string, address: number): string {
  return `${structName}@0x${address.toString(16)}`;
}

/** This worker's writer of one table's chains. */
export class TableWriter {
  /**
   * @param buckets the table's buckets (their locks, heap, name and field offsets)
   * @param rootWord word index of the table's root (TableWord)
   * @param refcountOffset byte offset of the refcount in an object
   * @param structName the objects' struct, for messages
   */
  constructor(
    readonly buckets: Buckets,
    readonly rootWord: number,
    readonly refcountOffset: number,
    readonly structName: string,
  ) {}

  /**
   * The key of the object at `address`, which must be fresh from the cache: refcount 0 and
   * on no chain. Throws HashTableMisuseError, naming the table's method `what`, otherwise.
   */
  freshKey(address: number, what: string): number {
    const { heap, nodeOffset, keyOffset } = this.buckets;
    const i32 = heap.views.i32;
    const count = Atomics.load(i32, (address + this.refcountOffset) >> 2);
    const pprev = i32[(address + nodeOffset + 4) >> 2]!;
    if (count !== 0 || (pprev !== 0 && pprev !== PPREV_POISON)) {
      throw new HashTableMisuseError(
        `table '${this.buckets.table}'.${what}(${objectLabel(this.structName, address)}): the object must come fresh ` +
          `from kmemCacheAlloc() (refcount 0, on no chain); it has refcount ${count}${pprev !== 0 && pprev !== PPREV_POISON ? ' and is on a chain' : ''}`,
      );
    }
    return i32[(address + keyOffset) >> 2]!;
  }

  /**
   * Link the fresh object at `address`, whose key is `key`, into the chain at `headByte`.
   * Returns false, changing nothing, when an object with that key is on the chain.
   */
  insert(address: number, headByte: number, key: number): boolean {
    const lock = this.#lock(headByte);
    let delta = 0;
    try {
      if (this.buckets.findLocked(headByte, key) !== 0) return false;
      this.#publish(address, headByte, 0);
      delta = 1;
      return true;
    } finally {
      this.#unlock(lock, delta);
    }
  }

  /**
   * Link the fresh object at `address` in place of the object with `key` on the chain at
   * `headByte`, or at the head if there is none. Returns the replaced object (whose table
   * reference the caller drops), or 0.
   */
  replace(address: number, headByte: number, key: number): number {
    const lock = this.#lock(headByte);
    let delta = 0;
    try {
      const old = this.buckets.findLocked(headByte, key);
      this.#publish(address, headByte, old);
      if (old === 0) delta = 1;
      return old;
    } finally {
      this.#unlock(lock, delta);
    }
  }

  /**
   * Unlink the object with `key` from the chain at `headByte`. Returns it (the caller drops
   * the table's reference), or 0 when no object has that key.
   */
  delete(headByte: number, key: number): number {
    const { heap, nodeOffset } = this.buckets;
    const lock = this.#lock(headByte);
    let delta = 0;
    try {
      const found = this.buckets.findLocked(headByte, key);
      if (found === 0) return 0;
      // Unlink; the node keeps its next, so a reader standing on it walks on.
      this.#writeBegin(headByte);
      hlistNullsDelInitRcu(heap, found + nodeOffset);
      this.#writeEnd(headByte);
      delta = -1;
      return found;
    } finally {
      this.#unlock(lock, delta);
    }
  }

  /** Unlink every object of the chain at `headByte`, in one change. Returns them. */
  clearBucket(headByte: number): number[] {
    const { heap, nodeOffset } = this.buckets;
    heap.ensureMapped();
    const i32 = heap.views.i32;
    const victims: number[] = [];
    const lock = this.#lock(headByte);
    try {
      this.#writeBegin(headByte);
      for (let pos = Atomics.load(i32, headByte >> 2); !isANulls(pos); pos = Atomics.load(i32, headByte >> 2)) {
        hlistNullsDelInitRcu(heap, pos);
        victims.push(pos - nodeOffset);
      }
      this.#writeEnd(headByte);
    } finally {
      this.#unlock(lock, -victims.length);
    }
    return victims;
  }

  /** Take the bucket lock and open its intent-log frame. */
  #lock(headByte: number): Spinlock {
    const lock = this.buckets.lock(headByte);
    this.buckets.heap.ensureMapped();
    intentBegin(this.buckets.heap.views.i32, lock.index);
    return lock;
  }

  /** Commit the change, moving the table's count by `delta` with it, and release the lock. */
  #unlock(lock: Spinlock, delta: number): void {
    const i32 = this.buckets.heap.views.i32;
    if (delta !== 0) intentEndCounting(i32, this.rootWord + TableWord.COUNT, delta);
    else intentEnd(i32);
    spinUnlock(lock);
  }

  /**
   * Link `address` into the chain at `headByte` (replacing `old` when nonzero), then publish
   * its reference. Precondition: the bucket lock is held; the key is set.
   */
  #publish(address: number, headByte: number, old: number): void {
    const { heap, nodeOffset } = this.buckets;
    const i32 = heap.views.i32;
    this.#writeBegin(headByte);
    if (old === 0) {
      hlistNullsAddHeadRcu(heap, address + nodeOffset, headByte);
    } else {
      hlistNullsReplaceRcu(heap, old + nodeOffset, address + nodeOffset);
    }
    // refcount 0 -> 1 last (rculist_nulls.rst: key, then link, then reference). This
    // Atomics.store is a release of the key store the caller made before insert(); it pairs
    // with the compareExchange in a reader's incNotZero(), after which the reader re-reads
    // the key. A reader that found the object before this store failed its increment and
    // restarted; none can hold a reference to a half-made object.
    intentStore(i32, (address + this.refcountOffset) >> 2, 1);
    this.#writeEnd(headByte);
  }

  /**
   * Make the bucket's sequence count odd, before any store of a change to its chain (a new
   * object's next, the link to it, an unlink). Lock held. A reader whose atomic load returns
   * one of those stores is ordered after this increment (both sequentially consistent, the
   * increment first in this thread), so its re-read of the count sees it move: lookups
   * restart a miss on it, and read() discards what it read.
   */
  #writeBegin(headByte: number): void {
    intentSeqBump(this.buckets.heap.views.i32, (headByte >> 2) + BucketWord.SEQ);
  }

  /** Make the count even again, after the last store of the change. Lock held. */
  #writeEnd(headByte: number): void {
    intentSeqBump(this.buckets.heap.views.i32, (headByte >> 2) + BucketWord.SEQ);
  }
}
