/**
 * @fileoverview Reclaiming the pages of every cache's pending slabs whose grace period has
 * passed: what an allocation does before it reports OutOfMemoryError, so that an idle
 * type-stable cache (no refill, no shrink since its objects were freed) does not keep its
 * pages from everyone else for ever.
 */

import type { Heap } from '../heap/heap.js';
import { CACHE_DIRECTORY_ROOT, CACHE_MAGIC, CacheWord, MAX_CACHES, SlabHeaderWord } from '../heap/layout.js';
import type { AnyStructDef } from '../struct.js';
import { handles, KmemCache, readName } from './cache-handle.js';
import { attached, lockWord, unlockWord } from './cache-lock.js';
import { SLAB_TYPESAFE_BY_RCU } from './flags.js';
import { releaseExpired } from './slab-lifecycle.js';

/**
 * Give back the pages of every pending slab, in every cache, whose grace period has passed.
 * Returns how many slabs it released. Precondition: the calling thread holds no slab or page
 * allocator lock (it takes the directory lock, then each cache's).
 */
export function reclaimExpiredSlabs(heap: Heap): number {
  const self = attached(heap, 'reclaimExpiredSlabs');
  const dirByte = heap.root(CACHE_DIRECTORY_ROOT, MAX_CACHES * 4, 4);
  let released = 0;
  lockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  try {
    for (let k = 0; k < MAX_CACHES; k++) {
      const i32 = heap.views.i32;
      const desc = i32[(dirByte >> 2) + k]!;
      if (desc === 0) continue;
      const d = desc >> 2;
      if (Atomics.load(i32, d + CacheWord.MAGIC) !== CACHE_MAGIC) continue;
      if ((i32[d + CacheWord.FLAGS]! & SLAB_TYPESAFE_BY_RCU) === 0 || i32[d + CacheWord.NUM_PENDING] === 0) continue;
      // This thread's handle if it has one; else a bare one: releasing a type-stable cache's
      // slabs needs its geometry, never its struct (such caches have no destructor).
      const cache =
        handles.get(heap)?.get(desc) ??
        new KmemCache(heap, readName(heap, d + CacheWord.NAME), undefined as unknown as AnyStructDef, desc);
      lockWord(heap, d + CacheWord.LOCK, self);
      try {
        released += releaseExpired(cache);
      } finally {
        unlockWord(heap, d + CacheWord.LOCK, self);
      }
    }
  } finally {
    unlockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  }
  return released;
}
