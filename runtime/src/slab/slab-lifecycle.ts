/**
 * @fileoverview A slab's life inside its cache: built from a page run (header, free-index
 * stack, red zones or poison, constructor), kept while empty, and its pages given back, for a
 * type-stable cache only after a grace period (parked on the pending list with a cookie).
 *
 * Precondition of every function here except newSlab(): the cache lock is held. newSlab()
 * runs with no lock held, because the constructor is user code.
 */

import { SlabCacheFlagsError } from '../errors.js';
import {
  CacheWord,
  PAGE_SIZE,
  SLAB_MAGIC,
  SLAB_STACK_BYTE,
  SlabHeaderWord,
  SlabList,
  SlabWord,
} from '../heap/layout.js';
import { getStateSynchronizeRcu, pollStateSynchronizeRcu } from '../rcu/poll.js';
import { RED_INACTIVE, poisonObject, setRedZones } from './debug.js';
import { KEEP_EMPTY, SLAB_POISON, SLAB_RED_ZONE } from './flags.js';
import type { KmemCache } from './cache-handle.js';
import { resolveAddress } from './object-map.js';
import { allocPages, freePages, setPageOwner } from './page-allocator.js';
import { listAdd, listDel } from './slab-list.js';
import { intentAdd, intentSet, intentStore } from '../heap/intent-log.js';

/** Build a slab with every object free and constructed. No lock held. */
export function newSlab(cache: KmemCache): number {
  const heap = cache.heap;
  const i32c = cache.$views.i32;
  const d = cache.$d;
  if (i32c[d + CacheWord.HAS_CTOR] === 1 && cache.ctor === undefined) {
    throw new SlabCacheFlagsError(
      `kmemCacheAlloc('${cache.name}'): the cache has a constructor but this worker's handle has none; call kmemCacheCreate() with the ctor in this worker`,
    );
  }
  const order = cache.slabOrder;
  const slab = allocPages(heap, order);
  const i32 = heap.views.i32;
  const u8 = heap.views.u8;
  const per = cache.objectsPerSlab;
  const w = slab >> 2;
  u8.fill(0, slab, slab + (PAGE_SIZE << order));
  i32[w + SlabWord.CACHE] = cache.descriptor;
  i32[w + SlabWord.FREE_TOP] = per;
  // Stack top = index 0, so a fresh slab hands out objects in address order.
  for (let k = 0; k < per; k++) i32[w + (SLAB_STACK_BYTE >> 2) + k] = per - 1 - k;
  const objBase = slab + i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
  const size = cache.objectSize;
  const front = i32[d + CacheWord.OBJ_OFFSET]!;
  const back = cache.stride - front - size;
  for (let k = 0; k < per; k++) {
    const a = objBase + k * cache.stride;
    if ((cache.flags & SLAB_RED_ZONE) !== 0) setRedZones(u8, a, size, front, back, RED_INACTIVE);
    if ((cache.flags & SLAB_POISON) !== 0 && cache.ctor === undefined) poisonObject(u8, a, size);
  }
  i32[w + SlabWord.SERIAL] = Atomics.add(i32, SlabHeaderWord.NEXT_SLAB_SERIAL, 1) + 1;
  // Page map, then magic: resolveAddress() trusts a page only when both are in place.
  setPageOwner(heap, slab, order, slab);
  Atomics.store(i32, w + SlabWord.MAGIC, SLAB_MAGIC);
  const ctor = heap.debug === null ? cache.ctor : heap.debug.unchecked(cache.ctor);
  if (ctor !== undefined) {
    try {
      for (let k = 0; k < per; k++) ctor(resolveAddress(cache.struct, heap, objBase + k * cache.stride) as never);
    } catch (error) {
      Atomics.store(i32, w + SlabWord.MAGIC, 0);
      Atomics.store(i32, w + SlabWord.SERIAL, 0);
      setPageOwner(heap, slab, order, 0);
      freePages(heap, slab, order);
      throw error;
    }
  }
  return slab;
}

/** Precondition: cache lock held; the slab's INUSE just reached 0. */
export function slabEmptied(cache: KmemCache, slab: number): void {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  listDel(cache, slab);
  if (i32[d + CacheWord.NUM_EMPTY]! < KEEP_EMPTY) {
    listAdd(cache, slab, SlabList.EMPTY);
  } else {
    releaseSlab(cache, slab);
  }
}

/**
 * An empty slab off every list leaves the cache: type-stable caches park it on PENDING with a
 * grace-period cookie; others release its pages now. Precondition: cache lock held.
 */
export function releaseSlab(cache: KmemCache, slab: number): void {
  if (cache.typesafeByRcu) {
    // The cookie is taken after the last object of the slab was freed: any reader that can
    // still hold one of its objects is inside a read-side section that began before now,
    // which the grace period this cookie names waits for.
    intentSet(cache.$views.i32, (slab >> 2) + SlabWord.COOKIE, getStateSynchronizeRcu());
    listAdd(cache, slab, SlabList.PENDING);
    return;
  }
  destroySlab(cache, slab);
}

/** Release pending slabs whose grace period has elapsed. Precondition: cache lock held. */
export function releaseExpired(cache: KmemCache): number {
  const i32 = cache.$views.i32;
  let released = 0;
  let slab = i32[cache.$d + CacheWord.PENDING]!;
  while (slab !== 0) {
    const next = i32[(slab >> 2) + SlabWord.NEXT]!;
    if (pollStateSynchronizeRcu(i32[(slab >> 2) + SlabWord.COOKIE]!)) {
      listDel(cache, slab);
      destroySlab(cache, slab);
      released++;
    }
    slab = next;
  }
  return released;
}

/** Give a slab's pages back. Precondition: cache lock held, slab off every list, all objects free. */
export function destroySlab(cache: KmemCache, slab: number): void {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const dtor = cache.heap.debug === null ? cache.dtor : cache.heap.debug.unchecked(cache.dtor);
  try {
    if (dtor !== undefined) {
      const objBase = slab + i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
      for (let k = 0; k < cache.objectsPerSlab; k++)
        dtor(resolveAddress(cache.struct, cache.heap, objBase + k * cache.stride) as never);
    }
  } finally {
    // The serial changes with the magic: other workers' object maps drop their views of it.
    intentStore(i32, (slab >> 2) + SlabWord.MAGIC, 0);
    intentStore(i32, (slab >> 2) + SlabWord.SERIAL, 0);
    setPageOwner(cache.heap, slab, cache.slabOrder, 0, true);
    intentAdd(i32, d + CacheWord.NUM_SLABS, -1);
    intentAdd(i32, d + CacheWord.SLABS_RELEASED, 1);
    // Last: freeing the pages commits the caller's whole step (heap/intent-log.ts), so a
    // slab is either still on its cache's lists or gone with its pages, never both.
    freePages(cache.heap, slab, cache.slabOrder);
  }
}
