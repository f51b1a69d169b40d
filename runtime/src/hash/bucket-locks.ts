/**
 * @fileoverview The bucket locks of an RCU hash table: this worker's Spinlock handle on each
 * bucket's lock word (BucketWord.LOCK), made on first use, and taking a lock over from a
 * writer that died holding it, which may have left its chain half-updated.
 */

import { SpinlockOwnerDeadError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import { Spinlock, spinLock } from '../spinlock.js';
import { isANulls } from './hlist-nulls.js';
import { BUCKET_BYTES, BucketWord } from './table-root.js';

/** This worker's handles on the bucket locks of one table. */
export class BucketLocks {
  readonly #locks: (Spinlock | undefined)[];

  /**
   * @param heap the heap the table lives in
   * @param table the table's name, for the locks' labels
   * @param bucketsByte byte offset of bucket 0 in the table's root
   * @param buckets number of buckets
   * @param maxSteps the longest chain a repair walks
   */
  constructor(
    readonly heap: Heap,
    readonly table: string,
    readonly bucketsByte: number,
    buckets: number,
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
  // A writer that died between its #writeBegin() and #writeEnd() (rcu-hash-table.ts) left the
  // count odd: end its change, as #writeEnd() would, so read() stops treating the bucket as
  // being written.
  const seq = (headByte >> 2) + BucketWord.SEQ;
  if ((Atomics.load(i32, seq) & 1) !== 0) Atomics.add(i32, seq, 1);
  let link = headByte;
  for (let pos = Atomics.load(i32, headByte >> 2), steps = 0; !isANulls(pos) && steps < maxSteps; steps++) {
    i32[(pos + 4) >> 2] = link;
    link = pos;
    pos = Atomics.load(i32, pos >> 2);
  }
}
