/**
 * @fileoverview hlist_nulls over heap addresses: singly linked hash chains whose end marker
 * names the chain, so that a lockless reader can tell when the object it was standing on
 * moved to another chain under it (Linux include/linux/list_nulls.h, rculist_nulls.h and
 * Documentation/RCU/rculist_nulls.rst).
 *
 * Why the marker: in a SLAB_TYPESAFE_BY_RCU cache a reader walking chain A may stand on an
 * object that is deleted, freed, reused at once and inserted into chain B before the reader
 * reads its `next`. The reader then silently continues down chain B and, with a plain null
 * terminator, would report "not in A" although the key it wants may well be in A. With nulls,
 * every chain ends in a value that encodes its bucket; a reader that ends on another bucket's
 * marker knows its walk left its chain, and restarts.
 *
 * Encoding (all values are Int32 words in the heap):
 * - a *head* is one word: the byte address of the first node, or a nulls marker;
 * - a *node* is two words at some byte offset inside an object: `next` (byte address of the
 *   next node, or a nulls marker) then `pprev` (byte address of the word that points at this
 *   node: the head, or the previous node's `next`);
 * - node addresses are 4-byte aligned, so they are even; a nulls marker is odd:
 *   `(value << 1) | 1`, with value in [0, 2^30). isANulls() tests the low bit, as the kernel does.
 * - `pprev` is 0 for a node on no list (0 is the heap's magic word, never a list word),
 *   and PPREV_POISON (an unaligned value) after hlistNullsDelRcu(), like LIST_POISON2.
 *
 * Concurrency contract (the kernel's): all writers of one chain are serialized by a lock the
 * caller holds (typically a spinlock per bucket); readers need only rcuReadLock() and may run
 * concurrently with writers. Reader-visible words (heads and `next`) are written with
 * Atomics.store and read with Atomics.load. `pprev` is touched only by writers of the chain,
 * under its lock, so plain accesses suffice for it.
 *
 * Heads are byte addresses in the heap (a root, or a word of some object). A node is given as
 * the handle its `hlistNulls` struct field yields (`obj.node`) or as its byte address (the
 * object's address plus the field's offset); walks return node addresses.
 */

import { HlistNullsError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import { intentSet, intentStore } from '../heap/intent-log.js';
import { HLIST_NULLS_NODE_BYTES, HlistNullsNode, HlistNullsNodeWord } from './hlist-nulls-node.js';

/**
 * A node: its byte address in the heap, or the handle an `hlistNulls` struct field yields
 * (`obj.node`), whose address is the object's plus the field's offset.
 */
export type HlistNullsNodeRef = number | HlistNullsNode;

/** `pprev` of a node deleted by hlistNullsDelRcu(): never a valid address (not 4-aligned). */
export const PPREV_POISON = 0x122;

/** Largest value a nulls marker can carry (kernel: any value that fits beside the low bit). */
export const NULLS_VALUE_MAX = (1 << 30) - 1;

/** Offsets of the two words of a node in bytes from its address, and its size (hash/hlist-nulls-node.ts fixes the layout). */
const NodeByte = {
  NEXT: HlistNullsNodeWord.NEXT * 4,
  PPREV: HlistNullsNodeWord.PPREV * 4,
  BYTES: HLIST_NULLS_NODE_BYTES,
} as const;

// ---------------------------------------------------------------------------------------
// Markers
// ---------------------------------------------------------------------------------------

/** The nulls marker carrying `value` (kernel NULLS_MARKER). */
export function nullsMarker(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > NULLS_VALUE_MAX) {
    throw new HlistNullsError(`nulls value ${value} must be an integer from 0 to ${NULLS_VALUE_MAX}`);
  }
  return (value << 1) | 1;
}

/** Whether a head or `next` value is an end marker rather than a node address. */
export function isANulls(ptr: number): boolean {
  return (ptr & 1) === 1;
}

/** The value a nulls marker carries (the bucket number, in a hash table). */
export function getNullsValue(ptr: number): number {
  return ptr >>> 1;
}

// ---------------------------------------------------------------------------------------
// Heads
// ---------------------------------------------------------------------------------------

/**
 * Make the head at `headByte` an empty chain ending in the marker for `nulls` (kernel
 * INIT_HLIST_NULLS_HEAD). Only for a head no reader can reach yet, or under the chain's lock
 * when the chain is empty.
 */
export function initNullsHead(heap: Heap, headByte: number, nulls: number): void {
  const marker = nullsMarker(nulls);
  checkWord(heap, headByte, 'head');
  Atomics.store(heap.views.i32, headByte >> 2, marker);
}

/**
 * The first node of the chain, or its nulls marker (kernel hlist_nulls_first_rcu).
 * This Atomics.load is the rcu_dereference of the head: it pairs with the Atomics.store in
 * hlistNullsAddHeadRcu(), so every store made to the node before it was published (its
 * `next`, and the key the caller set before inserting) is visible to whoever loads its address.
 */
export function hlistNullsFirstRcu(heap: Heap, headByte: number): number {
  checkWord(heap, headByte, 'head');
  return Atomics.load(heap.views.i32, headByte >> 2);
}

/**
 * The node after `nodeByte`, or the marker ending its chain (kernel hlist_nulls_next_rcu).
 * Same pairing as hlistNullsFirstRcu(): the load of a `next` word is an rcu_dereference.
 */
export function hlistNullsNextRcu(heap: Heap, node: HlistNullsNodeRef): number {
  const nodeByte = nodeByteOf(node);
  checkNode(heap, nodeByte);
  return Atomics.load(heap.views.i32, nodeByte >> 2);
}

/** Whether the chain is empty (a snapshot). */
export function hlistNullsEmpty(heap: Heap, headByte: number): boolean {
  return isANulls(hlistNullsFirstRcu(heap, headByte));
}

/** Whether the node is on no list (never added, or deleted with hlistNullsDelInitRcu()). */
export function hlistNullsUnhashed(heap: Heap, node: HlistNullsNodeRef): boolean {
  const nodeByte = nodeByteOf(node);
  checkNode(heap, nodeByte);
  return heap.views.i32[(nodeByte + NodeByte.PPREV) >> 2] === 0;
}

/**
 * Make a node unhashed (kernel INIT_HLIST_NULLS_NODE). For a node no list links to; a
 * type-stable cache's objects may be reached by readers even when free, so this never
 * touches `next`, which such a reader may be about to follow.
 */
export function initHlistNullsNode(heap: Heap, node: HlistNullsNodeRef): void {
  const nodeByte = nodeByteOf(node);
  checkNode(heap, nodeByte);
  heap.views.i32[(nodeByte + NodeByte.PPREV) >> 2] = 0;
}

// ---------------------------------------------------------------------------------------
// Writers (the caller holds the chain's lock). Under a runtime lock with an intent-log frame
// (an RCU hash table's bucket lock) their stores are logged (heap/intent-log.ts); elsewhere
// they are plain stores.
// ---------------------------------------------------------------------------------------

/**
 * Add `nodeByte` at the head of the chain at `headByte` (kernel hlist_nulls_add_head_rcu).
 * Precondition: the caller holds the chain's lock; the node is unhashed.
 *
 * Ordering: the node's `next` is stored first, then the head is set to the node with
 * Atomics.store. That store is the rcu_assign_pointer: it is sequentially consistent, so it
 * is a release for every earlier store of this thread (the node's `next`, and the key and
 * value the caller wrote into the object before inserting it). It pairs with the Atomics.load
 * of the head (or of a `next`) in a reader's walk. Without it, a reader could load the new
 * head and then read the node's stale `next` from a previous life of the object, leaving the
 * chain, or read a stale key.
 *
 * A reader standing on this node when it was last freed may follow the new `next` into this
 * chain; that is what the nulls marker at the end of this chain is for.
 */
export function hlistNullsAddHeadRcu(heap: Heap, node: HlistNullsNodeRef, headByte: number): void {
  const nodeByte = nodeByteOf(node);
  checkNode(heap, nodeByte);
  checkWord(heap, headByte, 'head');
  const i32 = heap.views.i32;
  const pprevWord = (nodeByte + NodeByte.PPREV) >> 2;
  const pprev = i32[pprevWord]!;
  if (pprev !== 0 && pprev !== PPREV_POISON) {
    throw new HlistNullsError(
      `hlistNullsAddHeadRcu(node 0x${hex(nodeByte)}): the node is still on a list (pprev 0x${hex(pprev)}); delete it first`,
    );
  }
  const first = Atomics.load(i32, headByte >> 2);
  // The node's next may be read by a reader that stood on this object in a previous life:
  // store it atomically so such a reader sees either the old or the new link, never a tear.
  intentStore(i32, nodeByte >> 2, first);
  intentSet(i32, pprevWord, headByte);
  // rcu_assign_pointer(head->first, node): publishes the node (see above).
  intentStore(i32, headByte >> 2, nodeByte);
  if (!isANulls(first)) intentSet(i32, (first + NodeByte.PPREV) >> 2, nodeByte + NodeByte.NEXT);
}

/**
 * Unlink a node from its chain, leaving its `next` intact so that readers standing on it can
 * go on walking (kernel hlist_nulls_del_init_rcu). The node becomes unhashed and may be added
 * again at once, as type-stable objects are. A node already unhashed is left alone.
 * Precondition: the caller holds the lock of the chain the node is on.
 */
export function hlistNullsDelInitRcu(heap: Heap, node: HlistNullsNodeRef): void {
  const nodeByte = nodeByteOf(node);
  checkNode(heap, nodeByte);
  const i32 = heap.views.i32;
  const pprevWord = (nodeByte + NodeByte.PPREV) >> 2;
  const pprev = i32[pprevWord]!;
  if (pprev === 0) return;
  if (pprev === PPREV_POISON) {
    throw new HlistNullsError(
      `hlistNullsDelInitRcu(node 0x${hex(nodeByte)}): the node was already deleted with hlistNullsDelRcu()`,
    );
  }
  unlink(i32, nodeByte, pprev);
  intentSet(i32, pprevWord, 0);
}

/**
 * Unlink a node from its chain (kernel hlist_nulls_del_rcu): as hlistNullsDelInitRcu(), but
 * the node is left poisoned rather than unhashed, so deleting it twice is reported.
 * Precondition: the caller holds the lock of the chain the node is on.
 */
export function hlistNullsDelRcu(heap: Heap, node: HlistNullsNodeRef): void {
  const nodeByte = nodeByteOf(node);
  checkNode(heap, nodeByte);
  const i32 = heap.views.i32;
  const pprevWord = (nodeByte + NodeByte.PPREV) >> 2;
  const pprev = i32[pprevWord]!;
  if (pprev === 0 || pprev === PPREV_POISON) {
    throw new HlistNullsError(`hlistNullsDelRcu(node 0x${hex(nodeByte)}): the node is on no list`);
  }
  unlink(i32, nodeByte, pprev);
  intentSet(i32, pprevWord, PPREV_POISON);
}

/**
 * Put `newByte` where `oldByte` is in its chain, in one store that readers see (kernel
 * hlist_nulls_replace_rcu): a reader reaching that position finds either the old node or the
 * new one, never neither. The old node keeps its `next`, so a reader standing on it walks on.
 * It becomes unhashed. Precondition: the caller holds the chain's lock; new is unhashed.
 */
export function hlistNullsReplaceRcu(heap: Heap, oldNode: HlistNullsNodeRef, newNode: HlistNullsNodeRef): void {
  const oldByte = nodeByteOf(oldNode);
  const newByte = nodeByteOf(newNode);
  checkNode(heap, oldByte);
  checkNode(heap, newByte);
  const i32 = heap.views.i32;
  const oldPprevWord = (oldByte + NodeByte.PPREV) >> 2;
  const newPprevWord = (newByte + NodeByte.PPREV) >> 2;
  const pprev = i32[oldPprevWord]!;
  if (pprev === 0 || pprev === PPREV_POISON) {
    throw new HlistNullsError(`hlistNullsReplaceRcu(old 0x${hex(oldByte)}): the old node is on no list`);
  }
  const newPprev = i32[newPprevWord]!;
  if (newPprev !== 0 && newPprev !== PPREV_POISON) {
    throw new HlistNullsError(`hlistNullsReplaceRcu(new 0x${hex(newByte)}): the new node is already on a list`);
  }
  const next = Atomics.load(i32, oldByte >> 2);
  intentStore(i32, newByte >> 2, next);
  intentSet(i32, newPprevWord, pprev);
  // rcu_assign_pointer(*pprev, new): releases the new node's next and contents, as in
  // hlistNullsAddHeadRcu(); pairs with the reader's Atomics.load of that word.
  intentStore(i32, pprev >> 2, newByte);
  if (!isANulls(next)) intentSet(i32, (next + NodeByte.PPREV) >> 2, newByte + NodeByte.NEXT);
  intentSet(i32, oldPprevWord, 0);
}

// ---------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------

/**
 * Walk a chain under rcuReadLock() (kernel hlist_nulls_for_each_entry_rcu): calls `visit`
 * with each node's address until it returns true. Returns the address of the node it stopped
 * at, or the nulls marker the walk ended on. A caller that did not find what it wanted must
 * compare getNullsValue() of that marker with the chain it started on, and restart the walk
 * if they differ: some node moved to another chain while the walk stood on it.
 *
 * `maxSteps` bounds the walk: a reader could in principle chase a node that keeps moving
 * between chains forever. When the bound is hit the walk returns -1 (neither a node nor a
 * marker) and the caller restarts, as after a foreign marker.
 */
export function hlistNullsForEachRcu(
  heap: Heap,
  headByte: number,
  visit: (nodeByte: number) => unknown,
  maxSteps = 1 << 20,
): number {
  let pos = hlistNullsFirstRcu(heap, headByte);
  for (let steps = 0; !isANulls(pos); steps++) {
    if (steps >= maxSteps) return -1;
    if (visit(pos) === true) return pos;
    if (pos + NodeByte.BYTES > heap.views.u8.length) heap.ensureMapped(pos + NodeByte.BYTES);
    // rcu_dereference(node->next): pairs with the publishing store in hlistNullsAddHeadRcu().
    pos = Atomics.load(heap.views.i32, pos >> 2);
  }
  return pos;
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/** The node `node` names; checked, since a JavaScript caller may pass anything. */
function nodeByteOf(node: unknown): number {
  if (typeof node === 'number') return node;
  if (node instanceof HlistNullsNode) return node.byteOffset;
  throw new HlistNullsError(
    `expected a node address or an hlistNulls field handle; got ${node === null ? 'null' : typeof node}`,
  );
}

/** Unlink: *pprev = next; next->pprev = pprev. Readers see the one store to *pprev. */
function unlink(i32: Int32Array, nodeByte: number, pprev: number): void {
  const next = Atomics.load(i32, nodeByte >> 2);
  // A reader that loads *pprev after this store skips the node; one that loaded the node
  // before it still reads the node's next, which is left intact.
  intentStore(i32, pprev >> 2, next);
  if (!isANulls(next)) intentSet(i32, (next + NodeByte.PPREV) >> 2, pprev);
}

function checkWord(heap: Heap, byte: number, what: string): void {
  if (!Number.isInteger(byte) || byte <= 0 || (byte & 3) !== 0) {
    throw new HlistNullsError(`${what} address ${byte} is not a 4-byte aligned heap offset`);
  }
  if (byte + 4 > heap.views.u8.length) {
    heap.ensureMapped(byte + 4);
    if (byte + 4 > heap.views.u8.length)
      throw new HlistNullsError(`${what} address 0x${hex(byte)} is outside the heap`);
  }
}

function checkNode(heap: Heap, nodeByte: number): void {
  if (!Number.isInteger(nodeByte) || nodeByte <= 0 || (nodeByte & 3) !== 0) {
    throw new HlistNullsError(`node address ${nodeByte} is not a 4-byte aligned heap offset`);
  }
  if (nodeByte + NodeByte.BYTES > heap.views.u8.length) {
    heap.ensureMapped(nodeByte + NodeByte.BYTES);
    if (nodeByte + NodeByte.BYTES > heap.views.u8.length) {
      throw new HlistNullsError(`node address 0x${hex(nodeByte)} is outside the heap`);
    }
  }
}

function hex(value: number): string {
  return (value >>> 0).toString(16);
}
