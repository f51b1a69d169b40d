/**
 * @fileoverview The handle an `hlistNulls` struct field yields: where the node's two words
 * live in the heap, and which object contains it.
 *
 * The layout is fixed here so that struct.ts can reserve the room and hash/hlist-nulls.ts can
 * own the algorithms: two Int32 words, `next` then `pprev`. What they hold (an object address,
 * a nulls marker naming a bucket, the address of the previous node's next word) is
 * hash/hlist-nulls.ts's business; the struct code never writes them, not even zeros, so a
 * node of a type-stable object keeps its links after free, as a concurrent reader needs.
 */

import type { Heap } from '../heap/heap.js';

/** Byte size of an hlist_nulls node: two Int32 words. */
export const HLIST_NULLS_NODE_BYTES = 8;
/** Word offsets inside a node. */
export const HlistNullsNodeWord = { NEXT: 0, PPREV: 1 } as const;

export class HlistNullsNode {
  /** Word index of the `next` word in the heap's Int32Array. */
  readonly nextIndex: number;
  /** Word index of the `pprev` word in the heap's Int32Array. */
  readonly pprevIndex: number;

  /**
   * @param heap the heap the node lives in
   * @param byteOffset byte offset of the node (its `next` word) in the heap
   * @param container the struct object the node is a field of (container_of)
   * @param label what error messages call it (`sock.node`)
   */
  constructor(
    readonly heap: Heap,
    readonly byteOffset: number,
    readonly container: object,
    readonly label: string,
  ) {
    this.nextIndex = (byteOffset >> 2) + HlistNullsNodeWord.NEXT;
    this.pprevIndex = (byteOffset >> 2) + HlistNullsNodeWord.PPREV;
  }
}
