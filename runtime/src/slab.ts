/**
 * @fileoverview Slab caches over the shared heap: kmemCacheCreate / kmemCacheAlloc /
 * kmemCacheFree / kmemCacheShrink / kmemCacheDestroy, with SLAB_TYPESAFE_BY_RCU.
 *
 * Truth lives in shared memory (slab-layout.ts): a directory of caches found by name, one
 * descriptor per cache with its lock and its full / partial / empty / pending slab lists, slab
 * headers with a free-index stack and a state byte per object, and one array cache per cache
 * per registry slot (the kernel's per-cpu array_cache). A KmemCache object is this worker's
 * handle: it caches geometry and mirrors its own array cache in a JS array of objects, so the
 * fast paths are a few array operations and plain stores to the thread's own cache line.
 *
 * Array caches and threads that leave: the addresses cached by a thread sit in shared memory,
 * so nothing is lost when it exits or is terminated. A thread's array cache becomes
 * reclaimable as soon as its registry slot is released (detach(), or heap.reapThread() /
 * watchWorker() for a thread that died): the next thread to take the slot, kmemCacheShrink(),
 * kmemCacheDestroy() and a cache about to grow return the objects to their slabs.
 *
 * SLAB_TYPESAFE_BY_RCU: a freed object goes to the freeing thread's array cache and may be
 * handed out again at once (same cache, same type). An empty slab's pages are not released:
 * the slab goes on the PENDING list with a cookie from getStateSynchronizeRcu(), and its pages
 * return to the page allocator only once pollStateSynchronizeRcu(cookie) says a grace period
 * has passed (checked when a thread refills and by kmemCacheShrink()). Until then a pending
 * slab may be reused by its own cache. So a reader inside rcuReadLock() that reached an object
 * always finds memory of that type: its lock word is still a lock word. The constructor runs
 * once per slab object when the slab is built; allocation never writes an object's fields, so
 * lock and refcount words are never re-initialized under a spinning reader.
 *
 * Lock order: directory lock, then a cache lock, then the page-allocator lock. Constructors
 * run with no cache lock held; destructors run under the cache lock (they must not call
 * into the same cache).
 */
import { CacheBusyError, HeapAttachmentError } from './errors.js';
import { freePages } from './page-allocator.js';
import { AcWord, CACHE_DIRECTORY_ROOT, CacheWord, MAX_CACHES, ObjState, SlabHeaderWord, SlabList } from './slab-layout.js';
import {
  AC_BATCH,
  AC_LIMIT,
  NOT_BOUND,
  SLAB_RED_ZONE,
  SLAB_POISON,
  attached,
  handles,
  checkAlive,
  doubleFree,
  lockWord,
  unlockWord,
  wrongCache,
  type KmemCache,
} from './slab-cache.js';
import {
  LIST_HEAD,
  destroySlab,
  drainArrayCache,
  listAdd,
  listDel,
  liveObjects,
  newSlab,
  reapArrayCaches,
  releaseExpired,
  releaseSlab,
  returnToSlab,
  takeObjects,
} from './slab-slabs.js';
import { RED_ACTIVE, RED_INACTIVE, checkPoison, checkRedZones, poisonObject, setRedZones } from './slab-debug.js';
import { resolveAddress } from './slab-object-map.js';
import { synchronizeRcu, synchronizeRcuAsync } from './rcu/grace-period.js';
import type { AnyStructDef, StructObjectBase, StructRef } from './struct.js';
import { threadLocal } from './heap/thread-context.js';

export {
  KmemCache,
  SLAB_DESTROY_BY_RCU,
  SLAB_HWCACHE_ALIGN,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_TYPESAFE_BY_RCU,
  type KmemCacheOptions,
} from './slab-cache.js';
export { kmemCacheCreate, kmemCacheLookup } from './slab-create.js';

// ---------------------------------------------------------------------------------------------
// Allocation and free
// ---------------------------------------------------------------------------------------------

/**
 * Allocate an object. Its fields hold what they held when it was last freed (zero for a new
 * slab's objects, or what the constructor set; SLAB_POISON objects hold the poison pattern):
 * initialize what the new user needs before publishing it. Throws OutOfMemoryError when the
 * heap is full.
 */
export function kmemCacheAlloc<D extends AnyStructDef>(cache: KmemCache<D>): StructRef<D> {
  const i32 = cache.$views.i32;
  // Fast path: this thread's own array cache, in words of its own cache line that no other
  // live thread writes. (kmemCacheDestroy() may zero the count from another thread; then we
  // take the slow path, which reports the destroyed cache.)
  const n = i32[cache.$count]!;
  if (cache.$fast === threadLocal.current && n !== 0) {
    const obj = cache.$objs[n - 1]!;
    i32[cache.$count] = n - 1;
    // Plain store: the object is this thread's; the state byte is read by a later free,
    // which either runs in this thread or learns of the object through a publication
    // (Atomics store, postMessage) that orders this store before it.
    cache.$views.u8[obj.$s] = ObjState.LIVE;
    return obj as unknown as StructRef<D>;
  }
  return allocSlow(cache) as unknown as StructRef<D>;
}

/**
 * Free an object into the cache it came from. Throws WrongCacheError for an object of another
 * cache (or not a slab object) and DoubleFreeError for one that is not allocated; in debug
 * caches SlabCorruptionError for an overwritten red zone (the object then stays allocated).
 */
export function kmemCacheFree<D extends AnyStructDef>(cache: KmemCache<D>, obj: StructRef<D>): void {
  const o = obj as unknown as StructObjectBase | null | undefined;
  // Only objects of this cache carry this handle in $c (cheaper than instanceof, and it
  // rejects null, numbers and plain objects alike).
  if (o?.$c !== cache) throw wrongCache(cache, o);
  const i32 = cache.$views.i32;
  const n = i32[cache.$count]!;
  if (cache.$fast === threadLocal.current && n < AC_LIMIT) {
    // The cheap, always-on double-free check: a plain load and store of the state byte.
    // Sequential double frees (the usual bug) are always caught; two threads freeing the same
    // object at the very same instant can both pass it. Debug caches (SLAB_POISON,
    // SLAB_RED_ZONE) take the slow path, which uses compareExchange and catches that too.
    // (A seq-cst compareExchange on a byte costs more than the whole rest of the fast path.)
    const u8 = cache.$views.u8;
    const was = u8[o.$s]!;
    if (was !== ObjState.LIVE) throw doubleFree(cache, o, was);
    u8[o.$s] = ObjState.CACHED;
    i32[cache.$entries + n] = o.$a;
    cache.$objs[n] = o;
    i32[cache.$count] = n + 1;
    return;
  }
  freeSlow(cache, o as StructObjectBase);
}

function allocSlow(cache: KmemCache): StructObjectBase {
  bind(cache, 'kmemCacheAlloc');
  if (cache.$views.i32[cache.$count] === 0) refill(cache);
  const i32 = cache.$views.i32;
  const u8 = cache.$views.u8;
  const n = i32[cache.$count]!;
  const obj = cache.$objs[n - 1]!;
  if (cache.$debug) {
    // Check before taking it off the array cache: on corruption the object stays free
    // (repaired by checkPoison) and the cache stays consistent.
    const size = cache.objectSize;
    if ((cache.flags & SLAB_RED_ZONE) !== 0) {
      const front = i32[cache.$d + CacheWord.OBJ_OFFSET]!;
      const back = cache.stride - front - size;
      try {
        checkRedZones(u8, cache.name, obj.$a, size, front, back, RED_INACTIVE, 'alloc');
      } catch (error) {
        setRedZones(u8, obj.$a, size, front, back, RED_INACTIVE);
        throw error;
      }
      setRedZones(u8, obj.$a, size, front, back, RED_ACTIVE);
    }
    if ((cache.flags & SLAB_POISON) !== 0 && cache.ctor === undefined) checkPoison(u8, cache.name, obj.$a, size);
  }
  i32[cache.$count] = n - 1;
  u8[obj.$s] = ObjState.LIVE;
  return obj;
}

function freeSlow(cache: KmemCache, o: StructObjectBase): void {
  bind(cache, 'kmemCacheFree');
  const u8 = cache.$views.u8;
  const i32 = cache.$views.i32;
  const state = Atomics.load(u8, o.$s);
  if (state !== ObjState.LIVE) throw doubleFree(cache, o, state);
  if (cache.$debug) {
    const size = cache.objectSize;
    if ((cache.flags & SLAB_RED_ZONE) !== 0) {
      const front = i32[cache.$d + CacheWord.OBJ_OFFSET]!;
      checkRedZones(u8, cache.name, o.$a, size, front, cache.stride - front - size, RED_ACTIVE, 'free');
    }
  }
  const was = Atomics.compareExchange(u8, o.$s, ObjState.LIVE, ObjState.CACHED);
  if (was !== ObjState.LIVE) throw doubleFree(cache, o, was);
  if (cache.$debug) {
    const size = cache.objectSize;
    if ((cache.flags & SLAB_RED_ZONE) !== 0) {
      const front = i32[cache.$d + CacheWord.OBJ_OFFSET]!;
      setRedZones(u8, o.$a, size, front, cache.stride - front - size, RED_INACTIVE);
    }
    if ((cache.flags & SLAB_POISON) !== 0 && cache.ctor === undefined) poisonObject(u8, o.$a, size);
  }
  if (i32[cache.$count]! >= AC_LIMIT) flush(cache, AC_BATCH);
  const n = i32[cache.$count]!;
  i32[cache.$entries + n] = o.$a;
  cache.$objs[n] = o;
  i32[cache.$count] = n + 1;
}

/**
 * Bind the handle's array-cache fields to the calling thread. A slot whose owner tag is not
 * ours belonged to a thread that left (registry slots are reused only after release): its
 * objects go back to their slabs first.
 */
function bind(cache: KmemCache, what: string): void {
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
      i32[ac + AcWord.OWNER] = self.tag;
    }
  } finally {
    unlockWord(cache.heap, d + CacheWord.LOCK, self);
  }
  cache.$count = ac + AcWord.COUNT;
  cache.$entries = ac + AcWord.ENTRIES;
  cache.$objs = loadArrayCache(cache);
  cache.$ctx = self;
  cache.$fast = cache.$debug ? NOT_BOUND : self;
}

/** This thread's array cache as objects, from the addresses in shared memory. */
function loadArrayCache(cache: KmemCache): (StructObjectBase | null)[] {
  const i32 = cache.$views.i32;
  const objs = new Array<StructObjectBase | null>(AC_LIMIT).fill(null);
  const count = i32[cache.$count]!;
  for (let k = 0; k < count; k++) objs[k] = resolveAddress(cache.struct, cache.heap, i32[cache.$entries + k]!);
  return objs;
}

/** Fill this thread's array cache with up to AC_BATCH objects. */
function refill(cache: KmemCache): void {
  const self = cache.$ctx!;
  const heap = cache.heap;
  const d = cache.$d;
  for (let attempt = 0; ; attempt++) {
    lockWord(heap, d + CacheWord.LOCK, self);
    let got = 0;
    try {
      releaseExpired(cache);
      got = takeObjects(cache, AC_BATCH);
      if (got === 0 && attempt === 0 && reapArrayCaches(cache) > 0) got = takeObjects(cache, AC_BATCH);
    } finally {
      unlockWord(heap, d + CacheWord.LOCK, self);
    }
    if (got > 0) return;
    // Build a slab with no lock held (the constructor is user code), then publish it.
    const slab = newSlab(cache);
    lockWord(heap, d + CacheWord.LOCK, self);
    try {
      listAdd(cache, slab, SlabList.PARTIAL);
      heap.views.i32[d + CacheWord.NUM_SLABS]! += 1;
      heap.views.i32[d + CacheWord.SLABS_CREATED]! += 1;
      got = takeObjects(cache, AC_BATCH);
    } finally {
      unlockWord(heap, d + CacheWord.LOCK, self);
    }
    if (got > 0) return;
  }
}

/**
 * Give `n` objects of this thread's array cache back to their slabs: the top ones, so that
 * nothing has to shift (the kernel flushes the oldest, for CPU-cache warmth; here that would
 * cost a shift of both arrays per flush, and the object being freed still goes on top).
 */
function flush(cache: KmemCache, n: number): void {
  const self = cache.$ctx!;
  const d = cache.$d;
  lockWord(cache.heap, d + CacheWord.LOCK, self);
  const i32 = cache.$views.i32; // after lockWord(), which may have remapped
  const count = i32[cache.$count]!;
  try {
    for (let k = count - n; k < count; k++) returnToSlab(cache, i32[cache.$entries + k]!);
  } finally {
    unlockWord(cache.heap, d + CacheWord.LOCK, self);
  }
  i32[cache.$count] = count - n;
}

/**
 * Give memory back: this thread's array cache and those of threads that left return to their
 * slabs; empty slabs are released (type-stable caches: parked until a grace period has passed);
 * pending slabs whose grace period has passed go back to the page allocator. Returns how many
 * slabs' pages were given back to the page allocator by this call. Shrink starts no grace
 * period: to get a type-stable cache's pages back now, call synchronizeRcu() (or await
 * synchronizeRcuAsync()) and then kmemCacheShrink(); otherwise any later grace period does.
 */
export function kmemCacheShrink(cache: KmemCache): number {
  bind(cache, 'kmemCacheShrink');
  const self = cache.$ctx!;
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const before = i32[d + CacheWord.SLABS_RELEASED]!;
  lockWord(cache.heap, d + CacheWord.LOCK, self);
  try {
    const ac = cache.$count - AcWord.COUNT;
    drainArrayCache(cache, ac);
    i32[ac + AcWord.OWNER] = self.tag; // drainArrayCache cleared it; the array cache stays ours
    reapArrayCaches(cache);
    for (let slab = i32[d + CacheWord.EMPTY]!; slab !== 0; slab = i32[d + CacheWord.EMPTY]!) {
      listDel(cache, slab);
      releaseSlab(cache, slab);
    }
    releaseExpired(cache);
  } finally {
    unlockWord(cache.heap, d + CacheWord.LOCK, self);
  }
  return i32[d + CacheWord.SLABS_RELEASED]! - before;
}

/**
 * Destroy a cache. Every object must have been freed (else CacheBusyError naming how many are
 * still allocated; nothing is changed), and no thread may use the cache any more. For a
 * type-stable cache this first waits for a grace period (synchronizeRcu()), so readers that
 * may still hold its objects are done before its pages go back; it therefore throws
 * RcuDeadlockError inside a read-side section. Use kmemCacheDestroyAsync() on an event loop.
 */
export function kmemCacheDestroy(cache: KmemCache): void {
  prepareDestroy(cache);
  if (cache.typesafeByRcu) synchronizeRcu();
  finishDestroy(cache);
}

/** kmemCacheDestroy() that waits for the grace period without blocking the event loop. */
export async function kmemCacheDestroyAsync(cache: KmemCache): Promise<void> {
  prepareDestroy(cache);
  if (cache.typesafeByRcu) await synchronizeRcuAsync();
  finishDestroy(cache);
}

function prepareDestroy(cache: KmemCache): void {
  bind(cache, 'kmemCacheDestroy');
  const live = liveObjects(cache);
  if (live !== 0) {
    throw new CacheBusyError(`kmemCacheDestroy('${cache.name}'): ${live} object${live === 1 ? ' is' : 's are'} still allocated; free them first`);
  }
}

function finishDestroy(cache: KmemCache): void {
  const self = attached(cache.heap, 'kmemCacheDestroy');
  const heap = cache.heap;
  const dirByte = heap.root(CACHE_DIRECTORY_ROOT, MAX_CACHES * 4, 4);
  const d = cache.$d;
  lockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  try {
    checkAlive(cache, 'kmemCacheDestroy');
    lockWord(heap, d + CacheWord.LOCK, self);
    const i32 = heap.views.i32;
    try {
      const live = liveObjects(cache);
      if (live !== 0) {
        throw new CacheBusyError(`kmemCacheDestroy('${cache.name}'): ${live} object${live === 1 ? ' is' : 's are'} still allocated; free them first`);
      }
      const base = i32[d + CacheWord.AC_BYTE]! >> 2;
      const stride = i32[d + CacheWord.AC_STRIDE]!;
      for (let slot = 0; slot < i32[d + CacheWord.AC_SLOTS]!; slot++) drainArrayCache(cache, base + slot * stride);
      // Every slab is empty now; the grace period has passed for all of them.
      for (const list of [SlabList.FULL, SlabList.PARTIAL, SlabList.EMPTY, SlabList.PENDING]) {
        for (let slab = i32[d + LIST_HEAD[list]!]!; slab !== 0; slab = i32[d + LIST_HEAD[list]!]!) {
          listDel(cache, slab);
          destroySlab(cache, slab);
        }
      }
      Atomics.store(i32, d + CacheWord.MAGIC, 0);
      Atomics.store(i32, d + CacheWord.SERIAL, 0);
    } finally {
      unlockWord(heap, d + CacheWord.LOCK, self);
    }
    for (let k = 0; k < MAX_CACHES; k++) if (i32[(dirByte >> 2) + k] === cache.descriptor) Atomics.store(i32, (dirByte >> 2) + k, 0);
    freePages(heap, i32[d + CacheWord.AC_BYTE]!, i32[d + CacheWord.AC_ORDER]!);
    freePages(heap, cache.descriptor, i32[d + CacheWord.DESC_ORDER]!);
  } finally {
    unlockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  }
  cache.$dead = true;
  cache.$objs = [];
  cache.$ctx = null;
  cache.$fast = NOT_BOUND;
  handles.get(heap)?.delete(cache.descriptor);
}
