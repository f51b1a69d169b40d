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

/** Objects a thread's array cache holds at most. */
export const AC_LIMIT = 120;

/** Objects moved per refill (from slabs) and per flush (back to slabs), under the cache lock. */
export const AC_BATCH = 60;

/** Empty slabs a cache keeps before releasing more. */
export const KEEP_EMPTY = 1;

/** Aim for at least this many objects per slab when choosing the slab order. */
export const MIN_OBJS_PER_SLAB = 8;
