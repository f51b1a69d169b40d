/**
 * @fileoverview Slabs inside a cache: building one (page run, header, free-index stack,
 * constructor), moving objects between slabs and array caches, the full / partial / empty /
 * pending lists, and giving a slab's pages back (for type-stable caches only after a grace
 * period, by cookie).
 *
 * Precondition of every function here except newSlab(): the cache lock is held. newSlab()
 * runs with no lock held, because the constructor is user code.
 */

import { SlabCacheFlagsError } from './errors.js';
import { PAGE_SIZE } from './heap/layout.js';
import { allocPages, freePages, setPageOwner } from './page-allocator.js';
import { AcWord, CacheWord, ObjState, SLAB_MAGIC, SLAB_STACK_BYTE, SlabHeaderWord, SlabList, SlabWord, slabStateByte } from './slab-layout.js';
import { KEEP_EMPTY, SLAB_POISON, SLAB_RED_ZONE, type KmemCache } from './slab-cache.js';
import { RED_INACTIVE, poisonObject, setRedZones } from './slab-debug.js';
import { pageMapReady, resolveAddress, slabViewAt } from './slab-object-map.js';
import { structViews } from './struct.js';
import { getStateSynchronizeRcu, pollStateSynchronizeRcu } from './rcu/poll.js';

/** Precondition: cache lock held, and the array cache's owner (if any) is gone. */
export function drainArrayCache(cache: KmemCache, ac: number): void {
  const i32 = cache.$views.i32;
  const count = i32[ac + AcWord.COUNT]!;
  for (let k = 0; k < count; k++) returnToSlab(cache, i32[ac + AcWord.ENTRIES + k]!);
  i32[ac + AcWord.COUNT] = 0;
  i32[ac + AcWord.OWNER] = 0;
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

/** Move up to `want` free objects from slabs into this thread's array cache. Precondition: cache lock held. */
export function takeObjects(cache: KmemCache, want: number): number {
  const i32 = cache.$views.i32;
  const u8 = cache.$views.u8;
  const d = cache.$d;
  const per = cache.objectsPerSlab;
  const objBase = i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
  let got = 0;
  while (got < want) {
    let slab = i32[d + CacheWord.PARTIAL]!;
    if (slab === 0) slab = i32[d + CacheWord.EMPTY]!;
    if (slab === 0) slab = i32[d + CacheWord.PENDING]!; // type-stable: reuse before release is fine
    if (slab === 0) break;
    const w = slab >> 2;
    const stack = w + (SLAB_STACK_BYTE >> 2);
    const states = slab + slabStateByte(per);
    const view = slabViewAt(structViews(cache.heap), cache.struct, slab);
    const objs = cache.$objs;
    let n = i32[cache.$count]!;
    let top = i32[w + SlabWord.FREE_TOP]!;
    while (top > 0 && got < want) {
      const index = i32[stack + --top]!;
      u8[states + index] = ObjState.CACHED;
      i32[cache.$entries + n] = slab + objBase + index * cache.stride;
      objs[n] = view.objects[index] ?? view.object(index);
      n++;
      got++;
    }
    i32[cache.$count] = n;
    const took = i32[w + SlabWord.FREE_TOP]! - top;
    i32[w + SlabWord.FREE_TOP] = top;
    i32[w + SlabWord.INUSE]! += took;
    listDel(cache, slab);
    listAdd(cache, slab, top === 0 ? SlabList.FULL : SlabList.PARTIAL);
  }
  return got;
}

/** An object from an array cache goes back on its slab's free stack. Precondition: cache lock held. */
export function returnToSlab(cache: KmemCache, address: number): void {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  // The page map names the slab (plain load: a live slab's page-map words do not change, and
  // the cache lock orders their writing before us).
  const views = pageMapReady(structViews(cache.heap));
  const slab = i32[views.memmapWord + ((address - views.firstPage) >>> 12)]!;
  const w = slab >> 2;
  const index = (address - slab - i32[d + CacheWord.SLAB_OBJ_BASE]! - i32[d + CacheWord.OBJ_OFFSET]!) / cache.stride;
  const per = cache.objectsPerSlab;
  i32[w + (SLAB_STACK_BYTE >> 2) + i32[w + SlabWord.FREE_TOP]!] = index;
  i32[w + SlabWord.FREE_TOP]! += 1;
  cache.$views.u8[slab + slabStateByte(per) + index] = ObjState.FREE;
  const inuse = --i32[w + SlabWord.INUSE]!;
  if (inuse === 0) {
    slabEmptied(cache, slab);
  } else if (i32[w + SlabWord.LIST] === SlabList.FULL) {
    listDel(cache, slab);
    listAdd(cache, slab, SlabList.PARTIAL);
  }
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
    cache.$views.i32[(slab >> 2) + SlabWord.COOKIE] = getStateSynchronizeRcu();
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
  const dtor = cache.dtor;
  try {
    if (dtor !== undefined) {
      const objBase = slab + i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
      for (let k = 0; k < cache.objectsPerSlab; k++) dtor(resolveAddress(cache.struct, cache.heap, objBase + k * cache.stride) as never);
    }
  } finally {
    // The serial changes with the magic: other workers' object maps drop their views of it.
    Atomics.store(i32, (slab >> 2) + SlabWord.MAGIC, 0);
    Atomics.store(i32, (slab >> 2) + SlabWord.SERIAL, 0);
    setPageOwner(cache.heap, slab, cache.slabOrder, 0);
    freePages(cache.heap, slab, cache.slabOrder);
    i32[d + CacheWord.NUM_SLABS]! -= 1;
    i32[d + CacheWord.SLABS_RELEASED]! += 1;
  }
}

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
  const ctor = cache.ctor;
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

export const LIST_HEAD = [0, CacheWord.FULL, CacheWord.PARTIAL, CacheWord.EMPTY, CacheWord.PENDING];

export const LIST_COUNT = [0, 0, 0, CacheWord.NUM_EMPTY, CacheWord.NUM_PENDING];

export function listAdd(cache: KmemCache, slab: number, list: number): void {
  const i32 = cache.$views.i32;
  const head = cache.$d + LIST_HEAD[list]!;
  const w = slab >> 2;
  const first = i32[head]!;
  i32[w + SlabWord.NEXT] = first;
  i32[w + SlabWord.PREV] = 0;
  if (first !== 0) i32[(first >> 2) + SlabWord.PREV] = slab;
  i32[head] = slab;
  i32[w + SlabWord.LIST] = list;
  if (LIST_COUNT[list] !== 0) i32[cache.$d + LIST_COUNT[list]!]! += 1;
}

export function listDel(cache: KmemCache, slab: number): void {
  const i32 = cache.$views.i32;
  const w = slab >> 2;
  const list = i32[w + SlabWord.LIST]!;
  if (list === SlabList.NONE) return;
  const next = i32[w + SlabWord.NEXT]!;
  const prev = i32[w + SlabWord.PREV]!;
  if (prev === 0) i32[cache.$d + LIST_HEAD[list]!] = next;
  else i32[(prev >> 2) + SlabWord.NEXT] = next;
  if (next !== 0) i32[(next >> 2) + SlabWord.PREV] = prev;
  i32[w + SlabWord.NEXT] = 0;
  i32[w + SlabWord.PREV] = 0;
  i32[w + SlabWord.LIST] = SlabList.NONE;
  if (LIST_COUNT[list] !== 0) i32[cache.$d + LIST_COUNT[list]!]! -= 1;
}

/**
 * Objects handed out and not freed: the LIVE state bytes of every slab. Exact under the cache
 * lock, because the state byte is written before an object enters or after it leaves an array
 * cache. Precondition: cache lock held (or a snapshot is good enough).
 */
export function liveObjects(cache: KmemCache): number {
  const i32 = cache.$views.i32;
  const u8 = cache.$views.u8;
  const d = cache.$d;
  const per = cache.objectsPerSlab;
  let live = 0;
  for (const head of [CacheWord.FULL, CacheWord.PARTIAL]) {
    for (let slab = i32[d + head]!; slab !== 0; slab = i32[(slab >> 2) + SlabWord.NEXT]!) {
      const states = slab + slabStateByte(per);
      for (let k = 0; k < per; k++) if (u8[states + k] === ObjState.LIVE) live++;
    }
  }
  return live;
}
