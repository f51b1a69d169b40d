/**
 * @fileoverview Opening an RCU hash table's root: a named heap root (`hash:<name>`), so every
 * worker finds it, holding a header and, per bucket, three words: the chain head, the bucket's
 * lock word and its sequence count (TableWord and BucketWord in heap/layout.ts). Whichever
 * worker comes first initializes it; the others wait until it is ready and check that they
 * declared the same table.
 */

import { HashTableMisuseError, HeapAttachmentError, RootMismatchError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import { BUCKET_BYTES, BucketWord, TABLE_HEADER_BYTES, TableState, TableWord } from '../heap/layout.js';
import { threadLocal } from '../heap/thread-context.js';
import type { AnyStructDef } from '../struct.js';
import { nullsMarker } from './hlist-nulls.js';
import type { TableConfig } from './table-options.js';

/**
 * The byte offset of the table's root in `heap`, initialized by this call or checked against
 * what the worker that initialized it declared. Throws HashTableMisuseError when the table
 * exists with another bucket count, other fields or another struct.
 */
export function openTableRoot(heap: Heap, name: string, where: string, c: TableConfig<AnyStructDef>): number {
  let rootByte: number;
  try {
    rootByte = heap.root(`hash:${name}`, TABLE_HEADER_BYTES + c.buckets * BUCKET_BYTES, 64);
  } catch (error) {
    if (!(error instanceof RootMismatchError)) throw error;
    throw new HashTableMisuseError(
      `${where}: a table of that name exists with another bucket count than ${c.buckets}; every worker must declare it alike`,
    );
  }
  initOrCheck(heap, rootByte >> 2, rootByte + TABLE_HEADER_BYTES, where, c);
  return rootByte;
}

/**
 * Initialize the root once, whichever worker gets here first; the others wait until it is
 * ready and check that they declared the same table.
 */
function initOrCheck(heap: Heap, w: number, bucketsByte: number, where: string, c: TableConfig<AnyStructDef>): void {
  const bits = c.bits;
  const structHash = c.struct.layout.hash;
  const i32 = heap.views.i32;
  const self = threadLocal.current;
  if (self === null || self.heap !== heap)
    throw new HeapAttachmentError(`${where}: the calling thread is not attached to this heap`);
  // STATE while initializing names its initializer (owner tag << 2 | INITIALIZING): a worker
  // killed halfway leaves a state whose owner is dead, and the next opener takes the
  // initialization over and does it all again (every store below is idempotent).
  const mine = (self.tag << 2) | TableState.INITIALIZING;
  const deadline = Date.now() + 10_000;
  for (
    let state = Atomics.load(i32, w + TableWord.STATE);
    state !== TableState.READY;
    state = Atomics.load(i32, w + TableWord.STATE)
  ) {
    const free =
      state === TableState.NONE ||
      ((state & 3) === TableState.INITIALIZING && !heap.registry.isOwnerAlive(state >>> 2));
    if (free && Atomics.compareExchange(i32, w + TableWord.STATE, state, mine) === state) {
      i32[w + TableWord.BUCKET_BITS] = bits;
      i32[w + TableWord.KEY_OFFSET] = c.keyOffset;
      i32[w + TableWord.REFCOUNT_OFFSET] = c.refcountOffset;
      i32[w + TableWord.NODE_OFFSET] = c.nodeOffset;
      i32[w + TableWord.STRUCT_HASH] = structHash;
      i32[w + TableWord.COUNT] = 0;
      for (let b = 0; b < c.buckets; b++) {
        const head = (bucketsByte + b * BUCKET_BYTES) >> 2;
        i32[head + BucketWord.HEAD] = nullsMarker(b);
        i32[head + BucketWord.LOCK] = 0;
        i32[head + BucketWord.SEQ] = 0;
      }
      // Release: the heads and header above are visible to whoever sees READY (they load
      // STATE with Atomics.load below before touching the table).
      Atomics.store(i32, w + TableWord.STATE, TableState.READY);
      Atomics.notify(i32, w + TableWord.STATE);
      return;
    }
    // Another worker is initializing: it is a handful of stores, but it may be descheduled.
    if (Date.now() > deadline)
      throw new HashTableMisuseError(`${where}: another worker started initializing the table and never finished`);
    Atomics.wait(i32, w + TableWord.STATE, state, 10);
  }
  const mismatch = [
    [TableWord.BUCKET_BITS, bits, 'bucket count'],
    [TableWord.KEY_OFFSET, c.keyOffset, 'key field'],
    [TableWord.REFCOUNT_OFFSET, c.refcountOffset, 'refcount field'],
    [TableWord.NODE_OFFSET, c.nodeOffset, 'node field'],
    [TableWord.STRUCT_HASH, structHash, 'struct layout'],
  ].find(([word, value]) => i32[w + (word as number)] !== value);
  if (mismatch !== undefined) {
    throw new HashTableMisuseError(
      `${where}: a table of that name exists with another ${mismatch[2]}; every worker must declare it alike`,
    );
  }
}
