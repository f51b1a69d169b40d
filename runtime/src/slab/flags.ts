/**
 * @fileoverview The SLAB_* flags kmemCacheCreate() takes (the kernel's values), and the slab
 * allocator's tuning: array-cache size and batch, empty slabs kept, objects per slab aimed at.
 */

/** Guard bytes around each object, checked on free and alloc (they lie outside the object, so type-stable caches may use them too). */
export const SLAB_RED_ZONE = 0x00000400;

/**
 * Fill freed objects with a pattern, check it on alloc (slab/debug.ts). Forbidden with
 * SLAB_TYPESAFE_BY_RCU; skipped for a cache with a constructor, whose constructed state must
 * survive free (as in the kernel).
 */
export const SLAB_POISON = 0x00000800;

/** Align objects on cache lines (64 bytes). */
export const SLAB_HWCACHE_ALIGN = 0x00002000;

/** Type-stable memory: pages go back only after an RCU grace period. */
export const SLAB_TYPESAFE_BY_RCU = 0x00080000;

/** The first name of SLAB_TYPESAFE_BY_RCU (Linux 2.6.9 to 4.x); the same flag. */
export const SLAB_DESTROY_BY_RCU = SLAB_TYPESAFE_BY_RCU;

/** Every flag kmemCacheCreate() understands. */
export const KNOWN_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU;

/**
 * Array-cache sizing. A thread's array cache should hold the objects a thread cycles through,
 * so that allocation and free stay on the fast path and the cache lock is rare: SLUB keeps
 * several slabs' worth of free objects per cpu for small objects, not a fixed count. Here the
 * limit is AC_OBJECT_BYTES worth of objects, at least 124 (the kernel's 120 for small
 * objects, rounded to fill a 128-word slot); the array caches of all registry slots of one
 * cache (4 bytes an entry) take at most AC_REGION_BYTES, and at most 1/AC_HEAP_SHARE of the
 * heap's maximum size. Measured (`npm run bench -- slab`, ns per alloc + free pair with N
 * objects live): with the fixed 120/60 of before, 256 live cost 2x the 16-live pair and
 * every batch went through the cache lock; the README's benchmark section has the figures.
 * The price is memory parked in array caches: up to AC_OBJECT_BYTES per thread per cache
 * until the thread frees past the limit or leaves.
 */
export const AC_OBJECT_BYTES = 128 << 10;
export const AC_REGION_BYTES = 1 << 20;
export const AC_HEAP_SHARE = 64;

/** Array-cache slot words at least (AcWord.ENTRIES of them are its header): a limit of 124. */
export const AC_MIN_SLOT_WORDS = 128;

/**
 * Objects moved per refill (from slabs) and per flush (back to slabs) at most, while the
 * cache lock is held: half the limit (the kernel's batchcount), but no more than this, so that
 * another thread never waits on the lock for thousands of moves.
 */
export const AC_MAX_BATCH = 256;

/**
 * A cache's array-cache geometry: words per registry slot (a power of two), objects held at
 * most (`limit`), and moved per refill or flush (`batch`).
 */
export function arrayCacheSize(
  stride: number,
  slots: number,
  maxHeapBytes: number,
  headerWords: number,
): { slotWords: number; limit: number; batch: number } {
  const regionBytes = Math.min(AC_REGION_BYTES, Math.floor(maxHeapBytes / AC_HEAP_SHARE));
  const wanted = Math.min(Math.floor(AC_OBJECT_BYTES / stride), Math.floor(regionBytes / (4 * slots)));
  let slotWords = AC_MIN_SLOT_WORDS;
  while (slotWords * 2 <= wanted) slotWords *= 2;
  const limit = slotWords - headerWords;
  return { slotWords, limit, batch: Math.min(limit >> 1, AC_MAX_BATCH) };
}

/** Empty slabs a cache keeps before releasing more. */
export const KEEP_EMPTY = 1;

/** Aim for at least this many objects per slab when choosing the slab order. */
export const MIN_OBJS_PER_SLAB = 8;
