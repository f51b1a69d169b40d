/**
 * @fileoverview An RCU hash table's buckets under their locks: this worker's Spinlock handle
 * on each bucket's lock word (BucketWord.LOCK), made on first use; taking a lock over from a
 * writer that died holding it, which may have left its chain half-updated; and walking a
 * chain under its lock, the way a table without RCU reads. The lockless walks are
 * hash/rcu-hash-table.ts's.
 */

import { SpinlockOwnerDeadError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import { BUCKET_BYTES, BucketWord } from '../heap/layout.js';
import { Spinlock, spinLock, spinUnlock } from '../spinlock.js';
import { getNullsValue, isANulls } from './hlist-nulls.js';

/** This worker's handles on the buckets of one table, for what is done under their locks. */
export class Buckets {
  readonly #locks: (Spinlock | undefined)[];

  /**
   * @param heap the heap the table lives in
   * @param table the table's name, for the locks' labels
   * @param bucketsByte byte offset of bucket 0 in the table's root
   * @param buckets number of buckets
   * @param nodeOffset byte offset of the hlistNulls node in an object
   * @param keyOffset byte offset of the key in an object
   * @param maxSteps the longest chain a repair walks
   */
  constructor(
    readonly heap: Heap,
    readonly table: string,
    readonly bucketsByte: number,
    buckets: number,
    readonly nodeOffset: number,
    readonly keyOffset: number,
    readonly maxSteps: number,
  ) {
    this.#locks = new Array<Spinlock | undefined>(buckets);
  }

  /**
   * Take a bucket's lock. If its previous holder died holding it (SpinlockOwnerDeadError: we
   * now hold it), it may have died in the middle of a chain update: the `next` words, which
   * readers follow, are each written by one store and so are whole, but `pprev` words may be
   * stale. Rebuild them from the chain, then go on as usual. The table's count may be off by
   * the one update that died half-done.
   */
  lock(headByte: number): Spinlock {
    const lock = this.#lock(headByte);
    try {
      return spinLock(lock);
    } catch (error) {
      if (!(error instanceof SpinlockOwnerDeadError)) throw error;
      repairChain(this.heap, headByte, this.maxSteps);
      return lock;
    }
  }

  /** Walk a chain under its lock: the object with `key`, or 0. Lock held. */
  findLocked(headByte: number, key: number): number {
    this.heap.ensureMapped();
    const i32 = this.heap.views.i32;
    // Plain loads: under the bucket lock the chain cannot change. Only holders of this lock
    // link or unlink its objects, and a listed object holds the table's reference, so it
    // cannot be freed and reused elsewhere while it is on the chain. The lock's acquire
    // orders these loads after the last holder's stores.
    for (let pos = i32[headByte >> 2]!; !isANulls(pos); pos = i32[pos >> 2]!) {
      const object = pos - this.nodeOffset;
      if (i32[(object + this.keyOffset) >> 2] === key) return object;
    }
    return 0;
  }

  /**
   * The keys in the chain at `headByte`, head first, and the bucket number its nulls marker
   * names, read under the bucket lock (for tests and diagnostics).
   */
  chain(headByte: number): { keys: number[]; nulls: number } {
    const keys: number[] = [];
    const lock = this.lock(headByte);
    try {
      this.heap.ensureMapped();
      const i32 = this.heap.views.i32;
      let pos = Atomics.load(i32, headByte >> 2);
      for (; !isANulls(pos); pos = Atomics.load(i32, pos >> 2))
        keys.push(i32[(pos - this.nodeOffset + this.keyOffset) >> 2]!);
      return { keys, nulls: getNullsValue(pos) };
    } finally {
      spinUnlock(lock);
    }
  }

  #lock(headByte: number): Spinlock {
    const bucket = (headByte - this.bucketsByte) / BUCKET_BYTES;
    let lock = this.#locks[bucket];
    if (lock === undefined) {
      lock = new Spinlock(this.heap, headByte + BucketWord.LOCK * 4, `${this.table}.bucket[${bucket}].lock`);
      this.#locks[bucket] = lock;
    }
    return lock;
  }
}

/** Make every `pprev` of the chain at `headByte` point at the word that links its node. Lock held. */
function repairChain(heap: Heap, headByte: number, maxSteps: number): void {
  heap.ensureMapped();
  const i32 = heap.views.i32;
  // A writer that died between its #writeBegin() and #writeEnd() (hash/table-writer.ts)
  // left the count odd: end its change, as #writeEnd() would, so read() stops treating the
  // bucket as being written.
  const seq = (headByte >> 2) + BucketWord.SEQ;
  if ((Atomics.load(i32, seq) & 1) !== 0) Atomics.add(i32, seq, 1);
  let link = headByte;
  for (let pos = Atomics.load(i32, headByte >> 2), steps = 0; !isANulls(pos) && steps < maxSteps; steps++) {
    i32[(pos + 4) >> 2] = link;
    link = pos;
    pos = Atomics.load(i32, pos >> 2);
  }
}
