/**
 * @fileoverview Per-thread array caches, the kernel's per-cpu array_cache: one per cache per
 * registry slot, in shared memory, mirrored by the owner's handle as a JS array of objects.
 * Binding a handle to the calling thread, refilling from the slabs and flushing back to them
 * in batches under the cache lock, and returning the array caches of threads that left.
 *
 * The addresses a thread caches sit in shared memory, so nothing is lost when it exits or is
 * terminated: its array cache becomes reclaimable as soon as its registry slot is released
 * (detach(), or heap.reapThread() / watchWorker() for a thread that died), and the next thread
 * to take the slot, kmemCacheShrink(), kmemCacheDestroy() and a cache about to grow return
 * the objects to their slabs.
 *
 * Every store under the cache lock goes through the intent log (heap/intent-log.ts), in steps
 * of one object each: a thread killed inside refill, flush or drain is undone back to the last
 * whole object, so an object is always on exactly one of its slab's free stack, an array cache
 * (below its count) or with a user.
 */

import { HeapAttachmentError, OutOfMemoryError } from '../errors.js';
import { reclaimExpiredSlabs } from './reclaim.js';
import { threadLocal } from '../heap/thread-context.js';
import type { StructObjectBase } from '../struct-object.js';
import { checkAlive, type KmemCache } from './cache-handle.js';
import { lockWord, unlockWord } from './cache-lock.js';
import {
  AcWord,
  CacheWord,
  INTENT_CAPACITY,
  ObjState,
  SLAB_STACK_BYTE,
  SlabList,
  slabStateByte,
  SlabWord,
} from '../heap/layout.js';
import { objectMapOf, resolveAddress, slabOfAddress, slabViewAt } from './object-map.js';
import { newSlab, releaseExpired, slabEmptied } from './slab-lifecycle.js';
import { listAdd, listDel } from './slab-list.js';
import { intentAdd, intentCheckpoint, intentSet, intentSetByte } from '../heap/intent-log.js';

/**
 * Bind the handle's array-cache fields to the calling thread. A slot whose owner tag is not
 * ours belonged to a thread that left (registry slots are reused only after release): its
 * objects go back to their slabs first.
 */
export function bind(cache: KmemCache, what: string): void {
  const self = threadLocal.current;
  if (cache.$ctx === self && self !== null) {
    checkAlive(cache, what);
    return;
  }
  if (self === null || self.heap !== cache.heap) {
    throw new HeapAttachmentError(`${what}('${cache.name}'): the calling thread is not attached to the cache's heap`);
  }
  checkAlive(cache, what);
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const ac = (i32[d + CacheWord.AC_BYTE]! >> 2) + self.slot * i32[d + CacheWord.AC_STRIDE]!;
  lockWord(cache.heap, d + CacheWord.LOCK, self);
  try {
    if (i32[ac + AcWord.OWNER] !== self.tag) {
      drainArrayCache(cache, ac);
      intentSet(i32, ac + AcWord.OWNER, self.tag);
    }
  } finally {
    unlockWord(cache.heap, d + CacheWord.LOCK, self);
  }
  cache.$count = ac + AcWord.COUNT;
  cache.$entries = ac + AcWord.ENTRIES;
  cache.$objs = loadArrayCache(cache);
  cache.$ctx = self;
  // Debug caches and debug heaps take the slow paths, where their checks are.
  cache.$room = cache.$debug || self.heap.debug !== null ? 0 : cache.$limit;
  // The fast paths compare no thread context: when this attachment ends, the handle is
  // unbound, so that the next allocation or free takes the slow path, whose bind() checks
  // the thread.
  self.atRelease.push(() => {
    if (cache.$ctx === self) unbind(cache);
  });
  refreshViews(cache);
}

/** @internal Stop the fast paths for `cache` in this thread until the next bind(). */
export function unbind(cache: KmemCache): void {
  cache.$ctx = null;
  cache.$room = 0;
}

/**
 * @internal Point the fast paths' views at the heap's current ones: the last step of every
 * slow path, after it mapped whatever it put on this thread's array cache.
 */
export function refreshViews(cache: KmemCache): void {
  cache.$i32 = cache.$views.i32;
  cache.$u8 = cache.$views.u8;
}

/** This thread's array cache as objects, from the addresses in shared memory. */
export function loadArrayCache(cache: KmemCache): (StructObjectBase | null)[] {
  const i32 = cache.$views.i32;
  const objs = new Array<StructObjectBase | null>(cache.$limit).fill(null);
  const count = i32[cache.$count]!;
  for (let k = 0; k < count; k++) objs[k] = resolveAddress(cache.struct, cache.heap, i32[cache.$entries + k]!);
  return objs;
}

/** Fill this thread's array cache with up to a batch of objects (cache.$batch). */
export function refill(cache: KmemCache): void {
  const self = cache.$ctx!;
  const heap = cache.heap;
  const d = cache.$d;
  for (let attempt = 0; ; attempt++) {
    lockWord(heap, d + CacheWord.LOCK, self);
    let got = 0;
    try {
      releaseExpired(cache);
      got = takeObjects(cache, cache.$batch);
      if (got === 0 && attempt === 0 && reapArrayCaches(cache) > 0) got = takeObjects(cache, cache.$batch);
    } finally {
      unlockWord(heap, d + CacheWord.LOCK, self);
    }
    if (got > 0) return;
    // Build a slab with no lock held (the constructor is user code), then publish it.
    const slab = newSlabOrReclaim(cache);
    lockWord(heap, d + CacheWord.LOCK, self);
    try {
      const i32 = heap.views.i32;
      listAdd(cache, slab, SlabList.PARTIAL);
      intentAdd(i32, d + CacheWord.NUM_SLABS, 1);
      intentAdd(i32, d + CacheWord.SLABS_CREATED, 1);
      intentCheckpoint(i32);
      got = takeObjects(cache, cache.$batch);
    } finally {
      unlockWord(heap, d + CacheWord.LOCK, self);
    }
    if (got > 0) return;
  }
}

/**
 * newSlab(), and when the heap is out of pages, once more after reclaiming every cache's
 * pending slabs whose grace period has passed (an idle type-stable cache's, for one).
 */
function newSlabOrReclaim(cache: KmemCache): number {
  try {
    return newSlab(cache);
  } catch (error) {
    if (!(error instanceof OutOfMemoryError) || reclaimExpiredSlabs(cache.heap) === 0) throw error;
    return newSlab(cache);
  }
}

/**
 * Give `n` objects of this thread's array cache back to their slabs: the top ones, so that
 * nothing has to shift (the kernel flushes the oldest, for CPU-cache warmth; here that would
 * cost a shift of both arrays per flush, and the object being freed still goes on top).
 */
export function flush(cache: KmemCache, n: number): void {
  const self = cache.$ctx!;
  const d = cache.$d;
  lockWord(cache.heap, d + CacheWord.LOCK, self);
  const i32 = cache.$views.i32; // after lockWord(), which may have remapped
  try {
    // One object per step, the count lowered first: when a destructor throws on the way
    // (the slab is released all the same, slab-lifecycle.ts), every object already given
    // back is off the array cache, and the rest are still on it.
    for (let k = i32[cache.$count]! - 1, end = k - n; k > end; k--) {
      intentSet(i32, cache.$count, k);
      returnToSlab(cache, i32[cache.$entries + k]!);
      intentCheckpoint(i32);
    }
  } finally {
    unlockWord(cache.heap, d + CacheWord.LOCK, self);
  }
}

/** Precondition: cache lock held, and the array cache's owner (if any) is gone. */
export function drainArrayCache(cache: KmemCache, ac: number): void {
  const i32 = cache.$views.i32;
  for (let k = i32[ac + AcWord.COUNT]! - 1; k >= 0; k--) {
    intentSet(i32, ac + AcWord.COUNT, k);
    returnToSlab(cache, i32[ac + AcWord.ENTRIES + k]!);
    intentCheckpoint(i32);
  }
  intentSet(i32, ac + AcWord.OWNER, 0);
}

/** Return the array caches of threads that left. Precondition: cache lock held. */
export function reapArrayCaches(cache: KmemCache): number {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const base = i32[d + CacheWord.AC_BYTE]! >> 2;
  const stride = i32[d + CacheWord.AC_STRIDE]!;
  let reaped = 0;
  for (let slot = 0; slot < i32[d + CacheWord.AC_SLOTS]!; slot++) {
    const ac = base + slot * stride;
    const owner = i32[ac + AcWord.OWNER]!;
    if (owner !== 0 && !cache.heap.registry.isOwnerAlive(owner)) {
      reaped += i32[ac + AcWord.COUNT]!;
      drainArrayCache(cache, ac);
    }
  }
  return reaped;
}

/**
 * Objects takeObjects() moves in one intent-log step at most: the log's capacity less room
 * for the step's three counters and two list moves (slab-list.ts).
 */
const STEP_OBJECTS = INTENT_CAPACITY - 32;

/**
 * Move up to `want` free objects from slabs into this thread's array cache, one slab per
 * intent-log step. Precondition: cache lock held.
 */
export function takeObjects(cache: KmemCache, want: number): number {
  const i32 = cache.$views.i32;
  const u8 = cache.$views.u8;
  const d = cache.$d;
  const per = cache.objectsPerSlab;
  const objBase = i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
  const objs = cache.$objs;
  let got = 0;
  while (got < want) {
    let slab = i32[d + CacheWord.PARTIAL]!;
    if (slab === 0) slab = i32[d + CacheWord.EMPTY]!;
    if (slab === 0) slab = i32[d + CacheWord.PENDING]!; // type-stable: reuse before release is fine
    if (slab === 0) break;
    const w = slab >> 2;
    const stack = w + (SLAB_STACK_BYTE >> 2);
    const states = slab + slabStateByte(per);
    const view = slabViewAt(objectMapOf(cache.heap), cache.struct, slab);
    if (i32[w + SlabWord.LIST] !== SlabList.PARTIAL) {
      listDel(cache, slab);
      listAdd(cache, slab, SlabList.PARTIAL);
    }
    // One step per slab: the three counters' old values logged once, then a state byte per
    // object (an entry each) and plain stores to the counters, committed together below.
    let n = i32[cache.$count]!;
    let top = i32[w + SlabWord.FREE_TOP]!;
    intentSet(i32, cache.$count, n);
    intentSet(i32, w + SlabWord.FREE_TOP, top);
    intentSet(i32, w + SlabWord.INUSE, i32[w + SlabWord.INUSE]!);
    const before = top;
    // A batch (up to AC_MAX_BATCH, flags.ts) can be more objects than one step's log holds:
    // the rest of this slab is taken in the next step.
    while (top > 0 && got < want && before - top < STEP_OBJECTS) {
      const index = i32[stack + --top]!;
      intentSetByte(i32, u8, states + index, ObjState.CACHED);
      // Above the logged count: no entry needed (heap/intent-log.ts).
      i32[cache.$entries + n] = slab + objBase + index * cache.stride;
      objs[n] = view.objects[index] ?? view.object(index);
      n++;
      got++;
    }
    i32[cache.$count] = n;
    i32[w + SlabWord.FREE_TOP] = top;
    i32[w + SlabWord.INUSE]! += before - top;
    if (top === 0) {
      listDel(cache, slab);
      listAdd(cache, slab, SlabList.FULL);
    }
    intentCheckpoint(i32);
  }
  return got;
}

/** An object from an array cache goes back on its slab's free stack. Precondition: cache lock held. */
export function returnToSlab(cache: KmemCache, address: number): void {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const slab = slabOfAddress(objectMapOf(cache.heap), address);
  const w = slab >> 2;
  const index = (address - slab - i32[d + CacheWord.SLAB_OBJ_BASE]! - i32[d + CacheWord.OBJ_OFFSET]!) / cache.stride;
  const per = cache.objectsPerSlab;
  // Above FREE_TOP: no log entry needed (heap/intent-log.ts).
  i32[w + (SLAB_STACK_BYTE >> 2) + i32[w + SlabWord.FREE_TOP]!] = index;
  intentAdd(i32, w + SlabWord.FREE_TOP, 1);
  intentSetByte(i32, cache.$views.u8, slab + slabStateByte(per) + index, ObjState.FREE);
  const inuse = intentAdd(i32, w + SlabWord.INUSE, -1);
  if (inuse === 0) {
    slabEmptied(cache, slab);
  } else if (i32[w + SlabWord.LIST] === SlabList.FULL) {
    listDel(cache, slab);
    listAdd(cache, slab, SlabList.PARTIAL);
  }
}
