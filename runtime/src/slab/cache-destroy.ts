/**
 * @fileoverview kmemCacheShrink / kmemCacheDestroy / kmemCacheDestroyAsync: giving a cache's
 * memory back to the page allocator; for a type-stable cache only once a grace period has
 * passed since its objects were freed.
 */

import { CacheBusyError } from '../errors.js';
import { assertMayBlock } from '../debug/blocking.js';
import { synchronizeRcu, synchronizeRcuAsync } from '../rcu/grace-period.js';
import { bind, drainArrayCache, reapArrayCaches, unbind } from './array-cache.js';
import { checkAlive, handles, type KmemCache } from './cache-handle.js';
import { attached, lockWord, unlockWord } from './cache-lock.js';
import { AcWord, CACHE_DIRECTORY_ROOT, CacheWord, MAX_CACHES, SlabHeaderWord, SlabList } from '../heap/layout.js';
import { freePages } from './page-allocator.js';
import { destroySlab, releaseExpired, releaseSlab } from './slab-lifecycle.js';
import { LIST_HEAD, listDel, liveObjects } from './slab-list.js';
import { intentCheckpoint, intentSet, intentStore } from '../heap/intent-log.js';

/**
 * Give memory back: this thread's array cache and those of threads that left return to their
 * slabs; empty slabs are released (type-stable caches: parked until a grace period has passed);
 * pending slabs whose grace period has passed go back to the page allocator. Returns how many
 * slabs' pages were given back to the page allocator by this call. Shrink starts no grace
 * period: to get a type-stable cache's pages back now, call synchronizeRcu() (or await
 * synchronizeRcuAsync()) and then kmemCacheShrink(); otherwise, once a later grace period has
 * passed, the cache's next refill or shrink does, and so does any allocation or
 * kmemCacheCreate() in the heap that would otherwise run out of pages (slab/reclaim.ts).
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
    intentSet(i32, ac + AcWord.OWNER, self.tag); // drainArrayCache cleared it; the array cache stays ours
    intentCheckpoint(i32);
    reapArrayCaches(cache);
    for (let slab = i32[d + CacheWord.EMPTY]!; slab !== 0; slab = i32[d + CacheWord.EMPTY]!) {
      listDel(cache, slab);
      releaseSlab(cache, slab);
      intentCheckpoint(i32);
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
  if (cache.heap.debug !== null) assertMayBlock(cache.heap.debug, 'kmemCacheDestroy');
  const live = liveObjects(cache);
  if (live !== 0) {
    throw new CacheBusyError(
      `kmemCacheDestroy('${cache.name}'): ${live} object${live === 1 ? ' is' : 's are'} still allocated; free them first`,
    );
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
        throw new CacheBusyError(
          `kmemCacheDestroy('${cache.name}'): ${live} object${live === 1 ? ' is' : 's are'} still allocated; free them first`,
        );
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
      intentStore(i32, d + CacheWord.MAGIC, 0);
      intentStore(i32, d + CacheWord.SERIAL, 0);
      // Before any page goes back: other workers' stale handles leave their fast paths
      // (alloc-free.ts) from their next call on. Not logged: a spurious move only sends
      // fast paths through one slow path each.
      Atomics.add(i32, SlabHeaderWord.DESTROYS, 1);
    } finally {
      unlockWord(heap, d + CacheWord.LOCK, self);
    }
    for (let k = 0; k < MAX_CACHES; k++)
      if (i32[(dirByte >> 2) + k] === cache.descriptor) intentStore(i32, (dirByte >> 2) + k, 0);
    freePages(heap, i32[d + CacheWord.AC_BYTE]!, i32[d + CacheWord.AC_ORDER]!);
    freePages(heap, cache.descriptor, i32[d + CacheWord.DESC_ORDER]!);
  } finally {
    unlockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  }
  cache.$dead = true;
  cache.$objs = [];
  unbind(cache);
  handles.get(heap)?.delete(cache.descriptor);
}
