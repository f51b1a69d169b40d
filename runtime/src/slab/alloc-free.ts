/**
 * @fileoverview kmemCacheAlloc / kmemCacheFree: the fast paths on this thread's array cache,
 * and the slow paths, with the debug checks of SLAB_POISON and SLAB_RED_ZONE caches.
 *
 * The slab allocator as a whole (this folder): truth lives in shared memory (heap/layout.ts):
 * a directory of caches found by name (cache-create.ts), one descriptor per cache with its
 * lock and its full / partial / empty / pending slab lists (slab-list.ts), slab headers with
 * a free-index stack and a state byte per object (slab-lifecycle.ts), and one array cache per
 * cache per registry slot (array-cache.ts, the kernel's per-cpu array_cache). A KmemCache
 * object is this worker's handle (cache-handle.ts): it caches geometry and mirrors its own
 * array cache in a JS array of objects, so the fast paths below are a few array operations
 * and plain stores to the thread's own cache line, behind one compare ($room) that says the
 * handle is bound to the calling thread.
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
 * Lock order, and where constructors and destructors run: heap/lock-word.ts.
 */

import { DoubleFreeError, InvalidArgumentError, WrongCacheError } from '../errors.js';
import { StructObjectBase } from '../struct-object.js';
import type { AnyStructDef, StructRef } from '../struct.js';
import { bind, flush, refill, refreshViews } from './array-cache.js';
import { KmemCache } from './cache-handle.js';
import { RED_ACTIVE, RED_INACTIVE, checkPoison, checkRedZones, poisonObject, setRedZones } from './debug.js';
import { SLAB_POISON, SLAB_RED_ZONE } from './flags.js';
import { CacheWord, ObjState as LayoutObjState, SlabHeaderWord as LayoutSlabHeaderWord } from '../heap/layout.js';
import { oldestToTop } from '../debug/quarantine.js';

/**
 * Module-local aliases of the imports the fast paths read: V8 checks an imported binding for
 * the temporal dead zone on every access, as it does not a module's own constant
 * (rcu/read-side.ts measured it at about 5 ns per read-side pair).
 */
const ObjState = LayoutObjState;
const SlabHeaderWord = LayoutSlabHeaderWord;

/**
 * Allocate an object. Its fields hold what they held when it was last freed (zero for a new
 * slab's objects, or what the constructor set; SLAB_POISON objects hold the poison pattern):
 * initialize what the new user needs before publishing it. Throws OutOfMemoryError when the
 * heap is full.
 */
export function kmemCacheAlloc<D extends AnyStructDef>(cache: KmemCache<D>): StructRef<D> {
  let i32: Int32Array;
  let n: number;
  try {
    i32 = cache.$i32;
    n = i32[cache.$count]!;
  } catch {
    // Not a cache (undefined, null, a number): costs nothing until it throws.
    throw notACache('kmemCacheAlloc', cache);
  }
  // Fast path: this thread's own array cache, in words of its own cache line that no other
  // live thread writes. $room is 0 unless the handle is bound to the calling thread with no
  // debug checks (cache-handle.ts), so `n <= $room` also rules out an empty count read
  // through an unbound handle. And while no cache has been destroyed since the handle was
  // last checked (a plain load of a read-mostly header word; kmemCacheDestroy() in another
  // worker moves it, and the slow path then reports the destroyed cache: CacheDestroyedError).
  if (n !== 0 && n <= cache.$room && i32[SlabHeaderWord.DESTROYS] === cache.$destroys) {
    const obj = cache.$objs[n - 1]!;
    // Plain store: the object is this thread's; the state byte is read by a later free,
    // which either runs in this thread or learns of the object through a publication
    // (Atomics store, postMessage) that orders this store before it. Before the count: a
    // thread killed between the two leaves a LIVE object below its count, which draining its
    // array cache gives back (the other order would strand a CACHED object nobody holds).
    cache.$u8[obj.$s] = ObjState.LIVE;
    i32[cache.$count] = n - 1;
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
  const i32 = cache.$i32;
  const n = i32[cache.$count]!;
  if (n < cache.$room && i32[SlabHeaderWord.DESTROYS] === cache.$destroys) {
    // The cheap, always-on double-free check: a plain load of the state byte. Sequential
    // double frees (the usual bug) are always caught: anything but LIVE goes to the slow
    // path, which reports it (and which also reads the state of an object on a slab that
    // $u8 does not reach yet). Two threads freeing the same object at the very same instant
    // can both pass it. Debug caches (SLAB_POISON, SLAB_RED_ZONE) take the slow path, which
    // uses compareExchange and catches that too. (A seq-cst compareExchange on a byte costs
    // more than the whole rest of the fast path.)
    const u8 = cache.$u8;
    if (u8[o.$s] === ObjState.LIVE) {
      i32[cache.$entries + n] = o.$a;
      cache.$objs[n] = o;
      i32[cache.$count] = n + 1;
      // After the count, for a thread killed in between (see kmemCacheAlloc).
      u8[o.$s] = ObjState.CACHED;
      return;
    }
  }
  freeSlow(cache, o);
}

function allocSlow(cache: KmemCache): StructObjectBase {
  bind(cache, 'kmemCacheAlloc');
  if (cache.$views.i32[cache.$count] === 0) refill(cache);
  const i32 = cache.$views.i32;
  const u8 = cache.$views.u8;
  const n = i32[cache.$count]!;
  // A debug heap quarantines a plain cache's freed objects behind the others.
  if (cache.heap.debug !== null && !cache.typesafeByRcu) oldestToTop(cache, n);
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
  u8[obj.$s] = ObjState.LIVE;
  i32[cache.$count] = n - 1;
  refreshViews(cache);
  const d = cache.heap.debug;
  if (d !== null) {
    d.fresh.add(obj);
    d.noteObtained(obj, kmemCacheAlloc);
  }
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
  // Make room first: a destructor that throws in flush() leaves this object allocated.
  if (i32[cache.$count]! >= cache.$limit) flush(cache, cache.$batch);
  const n = i32[cache.$count]!;
  i32[cache.$entries + n] = o.$a;
  cache.$objs[n] = o;
  // Counted before the state changes: a thread killed in between (the compareExchange is a
  // call, where termination can land) leaves a LIVE object below its count, which draining
  // its array cache frees and slabinfo() counts as cached, never a CACHED one nobody holds.
  i32[cache.$count] = n + 1;
  const was = Atomics.compareExchange(u8, o.$s, ObjState.LIVE, ObjState.CACHED);
  if (was !== ObjState.LIVE) {
    i32[cache.$count] = n;
    throw doubleFree(cache, o, was);
  }
  // Debug heaps: the object's next life begins (debug/stale-objects.ts). The thread that frees
  // it knows; the others find out at their next use.
  if (cache.$genOffset !== 0) {
    Atomics.add(i32, (o.$a + cache.$genOffset) >> 2, 1);
    cache.heap.debug?.noteGeneration(o);
  }
  if (cache.$debug) {
    const size = cache.objectSize;
    if ((cache.flags & SLAB_RED_ZONE) !== 0) {
      const front = i32[cache.$d + CacheWord.OBJ_OFFSET]!;
      setRedZones(u8, o.$a, size, front, cache.stride - front - size, RED_INACTIVE);
    }
    if ((cache.flags & SLAB_POISON) !== 0 && cache.ctor === undefined) poisonObject(u8, o.$a, size);
  }
  cache.heap.debug?.fresh.delete(o);
  refreshViews(cache);
}

function notACache(what: string, cache: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `${what}(): expected a KmemCache from kmemCacheCreate(), got ${cache === null ? 'null' : typeof cache}`,
  );
}

export function wrongCache(cache: KmemCache, o: unknown): WrongCacheError | InvalidArgumentError {
  if (!(cache instanceof KmemCache)) return notACache('kmemCacheFree', cache);
  if (!(o instanceof StructObjectBase)) {
    return new WrongCacheError(`kmemCacheFree('${cache.name}'): not a slab object (a foreign value or address)`);
  }
  const other = o.$c as KmemCache | null;
  return new WrongCacheError(
    `kmemCacheFree('${cache.name}'): object 0x${o.$a.toString(16)} belongs to cache '${other?.name ?? '?'}'${other?.$dead ? ' (destroyed)' : ''}, not '${cache.name}'`,
  );
}

export function doubleFree(cache: KmemCache, o: StructObjectBase, state: number): DoubleFreeError {
  return new DoubleFreeError(
    `kmemCacheFree('${cache.name}'): object 0x${o.$a.toString(16)} is not allocated (${state === ObjState.CACHED ? 'already freed' : 'free in its slab'}): double free`,
  );
}
