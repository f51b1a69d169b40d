/**
 * @fileoverview Shared-memory layout of slab caches: the cache directory, cache descriptors,
 * per-thread array caches and slab headers. Word offsets only; the other files of slab/ own the algorithms.
 *
 * A slab is one run from the page allocator:
 *   [slab header: SlabWord.WORDS words][free-index stack: Int32 x count][state bytes: u8 x count]
 *   [pad to the object alignment][object 0][object 1]...
 * Objects are laid at `objBase + i * stride`; with SLAB_RED_ZONE each stride holds
 * [red zone][object][red zone]. The free list is the index stack in the header, never a word
 * of an object: a type-stable object keeps every field's value after it is freed, because a
 * reader inside rcuReadLock() may still be reading it.
 */

import { PageAllocWord } from './page-allocator.js';

/** Header words of the slab allocator: after the page allocator's, up to Header.ALLOCATOR_BASE + 80. */
export const SlabHeaderWord = {
  /** Lock word of the cache directory (creation, lookup, destruction). */
  DIR_LOCK: PageAllocWord.END + 0,
  /** Source of slab serials (a slab's identity for per-worker object maps). */
  NEXT_SLAB_SERIAL: PageAllocWord.END + 1,
  /** Source of cache serials. */
  NEXT_CACHE_SERIAL: PageAllocWord.END + 2,
} as const;

/** Root holding the cache directory: MAX_CACHES words, each a descriptor's byte offset or 0. */
export const CACHE_DIRECTORY_ROOT = 'slab:caches';
export const MAX_CACHES = 128;

export const CACHE_MAGIC = 0x43414c53; // 'SLAC'
export const SLAB_MAGIC = 0x42414c53; // 'SLAB'
export const CACHE_NAME_BYTES = 32;

/** Cache descriptor words (from the descriptor's first word). */
export const CacheWord = {
  MAGIC: 0,
  SERIAL: 1,
  /** The cache lock: slab lists, slab headers, counters, array caches of dead threads. */
  LOCK: 2,
  FLAGS: 3,
  STRUCT_HASH: 4,
  STRUCT_SIZE: 5,
  /** Bytes from one object slot to the next. */
  STRIDE: 6,
  /** Offset of the object inside its slot (the leading red zone). */
  OBJ_OFFSET: 7,
  ALIGN: 8,
  SLAB_ORDER: 9,
  PER_SLAB: 10,
  /** Offset from the slab's base to object 0's slot. */
  SLAB_OBJ_BASE: 11,
  /** List heads (slab byte offsets, 0 = empty). */
  FULL: 12,
  PARTIAL: 13,
  EMPTY: 14,
  /** Empty slabs of a type-stable cache waiting for a grace period before their pages go back. */
  PENDING: 15,
  NUM_SLABS: 16,
  NUM_EMPTY: 17,
  NUM_PENDING: 18,
  /** Array caches: byte offset, slot stride in words, capacity (objects), batch. */
  AC_BYTE: 20,
  AC_STRIDE: 21,
  AC_LIMIT: 22,
  AC_BATCH: 23,
  AC_SLOTS: 24,
  /** 1 when created with a constructor: workers that grow the cache must pass it too. */
  HAS_CTOR: 25,
  /** Order of the run holding the descriptor (0: one page). */
  DESC_ORDER: 26,
  /** Slabs created / released since creation (statistics). */
  SLABS_CREATED: 27,
  SLABS_RELEASED: 28,
  /** Order of the run holding the array caches (at AC_BYTE). */
  AC_ORDER: 29,
  /** Words 32..39: name, UTF-8, zero padded. */
  NAME: 32,
  /** Words 40..47: struct name. */
  STRUCT_NAME: 40,
  WORDS: 64,
} as const;

/** One array cache (per cache, per registry slot). */
export const AcWord = {
  /** Owner tag of the thread that uses it; another tag = left over from a thread that left. */
  OWNER: 0,
  /** Objects in it. Mirrors the owner's local JS array; written only by the owner (or under the cache lock once the owner is gone). */
  COUNT: 1,
  /** Words 4.. : object addresses, a stack. */
  ENTRIES: 4,
} as const;

/** Slab header words (from the slab's first word). */
export const SlabWord = {
  MAGIC: 0,
  SERIAL: 1,
  /** Descriptor byte offset of the owning cache. */
  CACHE: 2,
  NEXT: 3,
  PREV: 4,
  /** SlabList below. */
  LIST: 5,
  /** Objects out of the slab (in array caches or with users). */
  INUSE: 6,
  /** Entries in the free-index stack. */
  FREE_TOP: 7,
  /** Grace-period cookie, while on the PENDING list. */
  COOKIE: 8,
  WORDS: 16,
} as const;

export const SlabList = { NONE: 0, FULL: 1, PARTIAL: 2, EMPTY: 3, PENDING: 4 } as const;

/** Object states (one byte per object in its slab header). */
export const ObjState = {
  /** On its slab's free-index stack. */
  FREE: 0,
  /** In some thread's array cache. */
  CACHED: 1,
  /** Handed out by kmemCacheAlloc(). */
  LIVE: 2,
} as const;

/** Byte offset (from the slab base) of the free-index stack. */
export const SLAB_STACK_BYTE = SlabWord.WORDS * 4;
/** Byte offset (from the slab base) of the state bytes of a slab holding `count` objects. */
export function slabStateByte(count: number): number {
  return SLAB_STACK_BYTE + count * 4;
}
