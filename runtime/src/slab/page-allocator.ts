/**
 * @fileoverview The page allocator: a buddy allocator over the heap's pages, in shared memory.
 *
 * Pages after Header.PAGES_BYTE are handed out in power-of-two runs (order 0 = one 4 KiB page,
 * up to MAX_ORDER), aligned to their size relative to the first managed page so that a run's
 * buddy is found by flipping one bit of its page number. The heap grows on demand (heap.grow)
 * up to its maximum; past it, allocPages() throws OutOfMemoryError before changing anything.
 *
 * Shared state, all under one lock word (PageAllocWord.LOCK):
 * - header words (PageAllocWord) with one free-list head per order;
 * - the page map (the kernel's mem_map): one Int32 per page, at the start of the page area,
 *   sized for the heap's maximum. A word is FREE_HEAD(order) exactly when its page heads a
 *   free run of that order; any other value is the page's owner as set by setPageOwner()
 *   (slab/slab-lifecycle.ts writes the slab's address into every page of a slab), 0 when none;
 * - each free run's first two words link it into its order's doubly linked free list. Free
 *   pages are nobody's: for type-stable caches that holds because their pages come back here
 *   only after a grace period.
 *
 * Lock order: heap/lock-word.ts (this lock comes after the directory and cache locks).
 */

import { DoubleFreeError, HeapAttachmentError, InvalidPageError, OutOfMemoryError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import { Header, PAGE_SIZE, PageAllocWord, alignUp } from '../heap/layout.js';
import { lockWordAcquire, lockWordRelease } from '../heap/lock-word.js';
import { intentAdd, intentBegin, intentCheckpoint, intentEnd, intentSet, intentStore } from '../heap/intent-log.js';
import { threadLocal } from '../heap/thread-context.js';

/** Largest run: 2^MAX_ORDER pages (4 MiB). */
export const MAX_ORDER = 10;
/** The heap grows by at least this many pages at a time. */
const GROW_PAGES = 256;
const PAGE_SHIFT = 12;

/** Page-map value of the head page of a free run of `order`. Owners are >= 0. */
const freeHead = (order: number): number => -1 - order;

export interface PageAllocatorStats {
  /** Pages the allocator manages now (the heap has grown to hold them). */
  readonly totalPages: number;
  readonly freePages: number;
  /** Pages the heap's maximum size allows. */
  readonly maxPages: number;
  /** Runs handed out / freed since the heap was created. */
  readonly handouts: number;
  readonly pagesHandedOut: number;
  readonly frees: number;
  /** Free runs per order. */
  readonly freeRunsByOrder: readonly number[];
}

/** Called in this worker after it hands out a run: byte offset and order. */
export type PageHandoutHook = (byteOffset: number, order: number) => void;
const hooks = new WeakMap<Heap, Set<PageHandoutHook>>();

/**
 * Instrumentation: call `hook` after every run this worker's allocPages() hands out, until the
 * returned function is called. (Other workers' hand-outs show in HANDOUTS only.)
 */
export function onPageHandout(heap: Heap, hook: PageHandoutHook): () => void {
  let set = hooks.get(heap);
  if (set === undefined) hooks.set(heap, (set = new Set()));
  set.add(hook);
  return () => set.delete(hook);
}

/**
 * Hand out 2^order contiguous pages; returns the byte offset of the first. The pages hold
 * whatever their last user left (zero when fresh from a grow). Grows the heap when no free
 * run is large enough; throws OutOfMemoryError when the heap's maximum is reached.
 */
export function allocPages(heap: Heap, order: number): number {
  checkOrder(order);
  const tag = lock(heap);
  let byte: number;
  try {
    const i32 = ready(heap);
    byte = takeRun(heap, i32, order);
  } finally {
    unlock(heap, tag, false);
  }
  const set = hooks.get(heap);
  if (set !== undefined) for (const hook of set) hook(byte, order);
  return byte;
}

/**
 * Give back a run allocPages() handed out with the same order. Its page-map words are
 * cleared (the pages have no owner any more). Throws DoubleFreeError for a run that is
 * already free, InvalidPageError for an offset that is not one of this allocator's runs.
 */
export function freePages(heap: Heap, byteOffset: number, order: number): void {
  checkOrder(order);
  const tag = lock(heap);
  try {
    const i32 = ready(heap);
    const page = pageNumber(i32, byteOffset, order, 'freePages');
    const memmap = i32[PageAllocWord.MEMMAP_BYTE]! >> 2;
    for (let o = 0; o <= MAX_ORDER; o++) {
      const head = page & ~((1 << o) - 1);
      if (i32[memmap + head] === freeHead(o) && head + (1 << o) > page) {
        throw new DoubleFreeError(
          `freePages(0x${byteOffset.toString(16)}, order ${order}): page is already free (in a free run of order ${o})`,
        );
      }
    }
    // Only the words that hold an owner are logged: a run with none (an array-cache region,
    // up to 256 pages, flags.ts) would not fit one step of the log, and has nothing to undo.
    for (let p = page; p < page + (1 << order); p++) if (i32[memmap + p] !== 0) intentStore(i32, memmap + p, 0);
    putRun(i32, page, order);
    intentAdd(i32, PageAllocWord.FREE_PAGES, 1 << order);
    intentAdd(i32, PageAllocWord.FREES, 1);
  } finally {
    // Committing the caller's step too: giving pages back is the last act of a slab step
    // under a cache lock (destroySlab()), see heap/intent-log.ts.
    unlock(heap, tag, true);
  }
}

/**
 * Record `owner` (>= 1) in the page-map words of a run this thread holds, or 0 to clear them.
 * No lock: only the holder of a run writes its words. Others read them with pageOwner().
 */
export function setPageOwner(heap: Heap, byteOffset: number, order: number, owner: number, logged = false): void {
  const i32 = heap.views.i32;
  const page = pageNumber(i32, byteOffset, order, 'setPageOwner');
  const memmap = i32[PageAllocWord.MEMMAP_BYTE]! >> 2;
  // Atomics: a reader in another worker resolving an address reads these words without the
  // lock; each word is written whole. They are set before the slab is published on a cache
  // list (the cache lock's release orders them before any object's address can be handed out).
  // `logged`: under a cache lock, in a step that must be undone whole (destroySlab()).
  if (logged) for (let p = page; p < page + (1 << order); p++) intentStore(i32, memmap + p, owner);
  else for (let p = page; p < page + (1 << order); p++) Atomics.store(i32, memmap + p, owner);
}

/**
 * The owner recorded for the page holding `byteOffset`: > 0 for an owned page, 0 for none
 * (and for any byte outside the managed pages), < 0 for the head of a free run.
 */
export function pageOwner(heap: Heap, byteOffset: number): number {
  const i32 = heap.views.i32;
  if (Atomics.load(i32, PageAllocWord.READY) !== 1) return 0;
  const first = i32[PageAllocWord.FIRST_PAGE_BYTE]!;
  if (byteOffset < first) return 0;
  const page = (byteOffset - first) >>> PAGE_SHIFT;
  if (page >= Atomics.load(i32, PageAllocWord.TOP_PAGE)) return 0;
  return Atomics.load(i32, (i32[PageAllocWord.MEMMAP_BYTE]! >> 2) + page);
}

/** First byte of the buddy-managed pages, or 0 before the first allocation. */
export function firstPageByte(heap: Heap): number {
  const i32 = heap.views.i32;
  return Atomics.load(i32, PageAllocWord.READY) === 1 ? i32[PageAllocWord.FIRST_PAGE_BYTE]! : 0;
}

/** A consistent snapshot (taken under the lock). */
export function pageAllocatorStats(heap: Heap): PageAllocatorStats {
  const tag = lock(heap);
  try {
    const i32 = ready(heap);
    const freeRunsByOrder: number[] = [];
    for (let o = 0; o <= MAX_ORDER; o++) {
      let n = 0;
      for (let p = i32[PageAllocWord.FREE_HEAD + o]! - 1; p >= 0; p = i32[runWord(i32, p)]! - 1) n++;
      freeRunsByOrder.push(n);
    }
    return {
      totalPages: i32[PageAllocWord.TOP_PAGE]!,
      freePages: i32[PageAllocWord.FREE_PAGES]!,
      maxPages: i32[PageAllocWord.MAX_PAGE]!,
      handouts: i32[PageAllocWord.HANDOUTS]!,
      pagesHandedOut: i32[PageAllocWord.PAGES_HANDED]!,
      frees: i32[PageAllocWord.FREES]!,
      freeRunsByOrder,
    };
  } finally {
    unlock(heap, tag, false);
  }
}

/** Smallest order whose run holds `bytes`. */
export function orderForBytes(bytes: number): number {
  let order = 0;
  while (PAGE_SIZE << order < bytes) order++;
  return order;
}

// ---------------------------------------------------------------------------------------------
// Under the lock
// ---------------------------------------------------------------------------------------------

function lock(heap: Heap): number {
  const self = threadLocal.current;
  if (self === null || self.heap !== heap)
    throw new HeapAttachmentError(`page allocator: the calling thread is not attached to this heap`);
  // OWNER_DEAD: a thread died inside the critical section. Every update below is a short
  // sequence of stores that leaves the free lists walkable at each step except inside
  // listRemove/listPush; we take the lock over and go on, as the registry lock does.
  lockWordAcquire(heap, PageAllocWord.LOCK, self.tag, heap.registry);
  // Every store under this lock goes through the intent log (heap/intent-log.ts), so a thread
  // killed in the middle of a split or a merge is undone by whoever reaps it.
  intentBegin(heap.views.i32, PageAllocWord.LOCK);
  return self.tag;
}

function unlock(heap: Heap, tag: number, commitOuter: boolean): void {
  intentEnd(heap.views.i32, commitOuter);
  lockWordRelease(heap, PageAllocWord.LOCK, tag);
}

/** Lay out the page map on first use; map whatever another worker has grown. */
function ready(heap: Heap): Int32Array {
  let i32 = heap.views.i32;
  if (i32[PageAllocWord.READY] !== 1) {
    const pagesByte = i32[Header.PAGES_BYTE]!;
    const heapPages = i32[Header.MAX_PAGES]!;
    const mapWords = heapPages - pagesByte / PAGE_SIZE;
    const first = alignUp(pagesByte + mapWords * 4, PAGE_SIZE);
    if (first + PAGE_SIZE > heap.maxByteLength)
      throw new OutOfMemoryError(`page allocator: the heap's maximum leaves no pages after the page map`);
    if (heap.byteLength < first) heap.grow(first);
    i32 = heap.views.i32;
    // Every word set from scratch: a thread killed during this leaves READY 0, and the next
    // one starts over (addPages() checkpoints; the words it left are rewritten here).
    i32[PageAllocWord.MEMMAP_BYTE] = pagesByte;
    i32[PageAllocWord.FIRST_PAGE_BYTE] = first;
    i32[PageAllocWord.MAX_PAGE] = Math.floor((heap.maxByteLength - first) / PAGE_SIZE);
    i32[PageAllocWord.TOP_PAGE] = 0;
    i32[PageAllocWord.FREE_PAGES] = 0;
    i32.fill(0, PageAllocWord.FREE_HEAD, PageAllocWord.FREE_HEAD + MAX_ORDER + 1);
    i32.fill(0, pagesByte >> 2, (pagesByte >> 2) + mapWords);
    addPages(i32, Math.floor((heap.byteLength - first) / PAGE_SIZE));
    Atomics.store(i32, PageAllocWord.READY, 1);
  }
  const top = i32[PageAllocWord.FIRST_PAGE_BYTE]! + i32[PageAllocWord.TOP_PAGE]! * PAGE_SIZE;
  heap.ensureMapped(top);
  return heap.views.i32;
}

function takeRun(heap: Heap, i32: Int32Array, order: number): number {
  let o = order;
  while (o <= MAX_ORDER && i32[PageAllocWord.FREE_HEAD + o] === 0) o++;
  if (o > MAX_ORDER) {
    grow(heap, i32, order);
    i32 = heap.views.i32;
    o = order;
    while (o <= MAX_ORDER && i32[PageAllocWord.FREE_HEAD + o] === 0) o++;
  }
  const memmap = i32[PageAllocWord.MEMMAP_BYTE]! >> 2;
  const page = i32[PageAllocWord.FREE_HEAD + o]! - 1;
  listRemove(i32, page, o);
  intentSet(i32, memmap + page, 0);
  // Split: the upper halves go back on the lower orders' lists.
  while (o > order) {
    o--;
    const upper = page + (1 << o);
    intentSet(i32, memmap + upper, freeHead(o));
    listPush(i32, upper, o);
  }
  intentAdd(i32, PageAllocWord.FREE_PAGES, -(1 << order));
  intentAdd(i32, PageAllocWord.HANDOUTS, 1);
  intentAdd(i32, PageAllocWord.PAGES_HANDED, 1 << order);
  return i32[PageAllocWord.FIRST_PAGE_BYTE]! + page * PAGE_SIZE;
}

/** Grow the heap so that a run of `order` fits; OutOfMemoryError (nothing changed) if it cannot. */
function grow(heap: Heap, i32: Int32Array, order: number): void {
  const top = i32[PageAllocWord.TOP_PAGE]!;
  const max = i32[PageAllocWord.MAX_PAGE]!;
  const need = alignUp(top, 1 << order) + (1 << order);
  if (need > max) {
    throw new OutOfMemoryError(
      `page allocator: no free run of ${1 << order} page(s) and the heap is at its maximum ` +
        `(${heap.maxByteLength} bytes, ${i32[PageAllocWord.FREE_PAGES]} pages free in smaller runs); raise maxBytes in createHeap()`,
    );
  }
  const target = Math.min(max, Math.max(need, top + GROW_PAGES));
  heap.grow(i32[PageAllocWord.FIRST_PAGE_BYTE]! + target * PAGE_SIZE);
  addPages(heap.views.i32, target);
}

/** Add pages [TOP_PAGE, newTop) as free runs, each as large as its alignment allows. */
function addPages(i32: Int32Array, newTop: number): void {
  let p = i32[PageAllocWord.TOP_PAGE]!;
  while (p < newTop) {
    let o = MAX_ORDER;
    while (o > 0 && ((p & ((1 << o) - 1)) !== 0 || p + (1 << o) > newTop)) o--;
    // One run per step, TOP_PAGE raised with it: a thread killed here leaves every page below
    // TOP_PAGE free or handed out, never neither (putRun merges only below TOP_PAGE).
    intentSet(i32, PageAllocWord.TOP_PAGE, p + (1 << o));
    putRun(i32, p, o);
    intentAdd(i32, PageAllocWord.FREE_PAGES, 1 << o);
    intentCheckpoint(i32);
    p += 1 << o;
  }
}

/** Free a run, merging it with its buddy while the buddy is a free run of the same order. */
function putRun(i32: Int32Array, page: number, order: number): void {
  const memmap = i32[PageAllocWord.MEMMAP_BYTE]! >> 2;
  const top = i32[PageAllocWord.TOP_PAGE]!;
  while (order < MAX_ORDER) {
    const buddy = page ^ (1 << order);
    if (buddy + (1 << order) > top || i32[memmap + buddy] !== freeHead(order)) break;
    listRemove(i32, buddy, order);
    intentSet(i32, memmap + buddy, 0);
    page = Math.min(page, buddy);
    order++;
  }
  intentSet(i32, memmap + page, freeHead(order));
  listPush(i32, page, order);
}

/** Word index of a free run's link words (next at +0, prev at +1), in its first page. */
function runWord(i32: Int32Array, page: number): number {
  return (i32[PageAllocWord.FIRST_PAGE_BYTE]! >> 2) + page * (PAGE_SIZE >> 2);
}

function listPush(i32: Int32Array, page: number, order: number): void {
  const head = i32[PageAllocWord.FREE_HEAD + order]!;
  const w = runWord(i32, page);
  intentSet(i32, w, head);
  intentSet(i32, w + 1, 0);
  if (head !== 0) intentSet(i32, runWord(i32, head - 1) + 1, page + 1);
  intentSet(i32, PageAllocWord.FREE_HEAD + order, page + 1);
}

function listRemove(i32: Int32Array, page: number, order: number): void {
  const w = runWord(i32, page);
  const next = i32[w]!;
  const prev = i32[w + 1]!;
  if (prev === 0) intentSet(i32, PageAllocWord.FREE_HEAD + order, next);
  else intentSet(i32, runWord(i32, prev - 1), next);
  if (next !== 0) intentSet(i32, runWord(i32, next - 1) + 1, prev);
}

function pageNumber(i32: Int32Array, byteOffset: number, order: number, who: string): number {
  const first = i32[PageAllocWord.FIRST_PAGE_BYTE]!;
  const top = i32[PageAllocWord.TOP_PAGE]!;
  const page = (byteOffset - first) / PAGE_SIZE;
  if (
    i32[PageAllocWord.READY] !== 1 ||
    !Number.isInteger(page) ||
    page < 0 ||
    page + (1 << order) > top ||
    (page & ((1 << order) - 1)) !== 0
  ) {
    const given: unknown = byteOffset; // as a JavaScript caller may pass it
    throw new InvalidPageError(
      `${who}(0x${Number(given).toString(16)}, order ${order}): not a run of this heap's page allocator`,
    );
  }
  return page;
}

function checkOrder(order: number): void {
  if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER) {
    throw new RangeError(`page order ${order} must be an integer from 0 to ${MAX_ORDER}`);
  }
}
