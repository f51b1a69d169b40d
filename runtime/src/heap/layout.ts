/**
 * @fileoverview Every word a heap shares, in one place: the header, the thread registry and
 * the root directory, and the shared structures of RCU, the page allocator, the slab
 * allocator and the RCU hash table. Changing an offset or an encoding here bumps
 * LAYOUT_VERSION, and this file is the diff to review.
 *
 * A heap is one shared WebAssembly.Memory (its buffer a SharedArrayBuffer). Its first page is
 * a header of 32-bit words; then the thread registry (one 64-byte line per attachable thread,
 * so that each reader's counter sits on its own cache line and readers never false-share);
 * then the root directory and the static area (named allocations any worker can find: locks,
 * published pointers, table roots); then pages handed out by the page allocator. Word indices
 * below are indices into an Int32Array over the whole buffer; byte offsets say so in their name.
 *
 * Encodings that live with the code that owns them, and that a LAYOUT_VERSION bump covers
 * too: a lock word's owner tag and waiters bit (heap/lock-word.ts), what a reader counter
 * holds (rcu/read-side.ts; GP_STEP and WAIT_BIT are named here), nulls markers and
 * PPREV_POISON (hash/hlist-nulls.ts), and an hlist_nulls node's two words
 * (hash/hlist-nulls-node.ts).
 *
 * Invariant: nothing in this file depends on which worker reads it. Changing any offset or
 * meaning here must bump LAYOUT_VERSION, so that a worker built against another layout
 * refuses to attach instead of corrupting the heap.
 */

// ---------------------------------------------------------------------------------------------
// The header, the thread registry and the root directory
// ---------------------------------------------------------------------------------------------

/** 'RCUK' read as a little-endian 32-bit word. */
export const HEAP_MAGIC = 0x4b554352;
/**
 * Bumped whenever any offset or encoding in this file changes, or the meaning of shared words
 * elsewhere (3: a hash bucket's third word became a sequence count every writer bumps twice;
 * 4: each registry slot got an intent log, and a slot being reaped its own state; Header.DEBUG_FLAGS).
 */
export const LAYOUT_VERSION = 5;

export const PAGE_SIZE = 4096;
export const CACHE_LINE = 64;

/** Header words (indices into the heap's Int32Array). */
export const Header = {
  MAGIC: 0,
  LAYOUT_VERSION: 1,
  /** Maximum number of threads that may be attached at once (size of the registry). */
  MAX_THREADS: 2,
  /** Byte offset of the thread registry. */
  REGISTRY_BYTE: 3,
  /** Byte offset and size of the root directory. */
  ROOTS_BYTE: 4,
  ROOTS_COUNT: 5,
  /** Static area: [STATIC_BYTE, STATIC_BYTE + STATIC_SIZE); STATIC_TOP is the bump pointer. */
  STATIC_BYTE: 6,
  STATIC_SIZE: 7,
  STATIC_TOP: 8,
  /** First byte handed out by the page allocator (page aligned). */
  PAGES_BYTE: 9,
  /** Maximum heap size in pages (the buffer's maxByteLength / PAGE_SIZE). */
  MAX_PAGES: 10,
  /** Lock word protecting the registry and the root directory (a spinlock word). */
  REGISTRY_LOCK: 11,
  /** Grace-period stall timeout in milliseconds; 0 disables stall reports. */
  STALL_TIMEOUT_MS: 12,
  /** Spare, zero. */
  SPARE_13: 13,
  /**
   * The heap's usable length in bytes: the memory's, at most MAX_PAGES pages. Raised (never
   * lowered) after each growth, so that a thread sees growth with one load of this word; the
   * memory's own `buffer` getter costs about 37 ns in Node 20.
   */
  BYTE_LENGTH: 14,
  /** Byte offset of the intent logs: one of INTENT_WORDS words per registry slot (IntentWord). */
  INTENT_BYTE: 15,

  /** Words 16..47 belong to RCU (RcuWord below). */
  RCU_BASE: 16,
  RCU_WORDS: 32,
  /** Words 48..127 belong to the page allocator and the slab allocator (PageAllocWord, SlabHeaderWord below). */
  ALLOCATOR_BASE: 48,
  ALLOCATOR_WORDS: 80,

  /**
   * Debug mode of the heap, set once by createHeap(): DebugFlag bits (debug/debug-options.ts);
   * 0 when off. (Words 0..15 are full; the header's first page has room after the allocator's.)
   */
  DEBUG_FLAGS: 128,

  /** Number of header words; the header occupies the first page. */
  WORDS: 144,
} as const;

/** One registry slot: 16 words = one cache line per attached thread. */
export const Slot = {
  /** SlotState below. */
  STATE: 0,
  /**
   * Incremented every time the slot is taken, and never wrapped: together with the slot index
   * it forms the owner tag written into lock words, so a lock held by a dead thread is never
   * mistaken for one held by the slot's next occupant, however long ago that thread died. A
   * slot whose generation is spent is retired (SlotState.RETIRED) instead of reissuing a tag.
   */
  GEN: 1,
  /** worker_threads threadId of the occupant (0 for the main thread). */
  THREAD_ID: 2,
  /**
   * The reader counter. Default flavor: 0 outside a read-side section, otherwise the grace
   * period counter read at the outermost rcuReadLock(). QSBR flavor: 0 while offline,
   * otherwise the grace period counter read at the last quiescent state.
   */
  CTR: 3,
  /** RcuFlavor below. */
  FLAVOR: 4,
  /** Time (ms, from Date.now() low bits) a waiting grace period last reported this reader. */
  STALL_REPORTED: 5,
  /** Spare, zero. */
  SPARE_6: 6,
  SPARE_7: 7,
  /** Words 8..15: the thread's name, UTF-8, zero padded (at most SLOT_NAME_BYTES bytes). */
  NAME: 8,
  WORDS: 16,
} as const;

export const SLOT_NAME_BYTES = 32;

export const SlotState = {
  FREE: 0,
  LIVE: 1,
  /** (2 is a slot being claimed, private to heap/thread-registry.ts.) */
  /**
   * Its thread died and a reaper is undoing its half-done updates (heap/intent-log.ts): it
   * still counts as alive for the locks it holds, so nobody takes them over before that ends.
   */
  REAPING: 3,
  /**
   * Its generations are spent (OWNER_GEN_MASK attaches): it is never taken again, because its
   * next owner tag would repeat one that a dead thread's lock word may still hold.
   */
  RETIRED: 4,
} as const;

/**
 * One registry slot's intent log (heap/intent-log.ts): the locks its thread holds, innermost
 * last, and the old values of the words it changed under them since the last consistent point.
 */
export const IntentWord = {
  /** Entries in use. */
  LEN: 0,
  /** Frames in use. */
  DEPTH: 1,
  /** INTENT_MAX_FRAMES frames of two words: the lock's word index, LEN when the frame began. */
  FRAMES: 2,
  /** INTENT_CAPACITY entries of two words: the word index (or -1 - byte offset for a byte), the old value. */
  ENTRIES: 16,
} as const;
export const INTENT_MAX_FRAMES = 7;
export const INTENT_CAPACITY = 248;
/** Words of one slot's log: 2 KiB. */
export const INTENT_WORDS = IntentWord.ENTRIES + 2 * INTENT_CAPACITY;

export const RcuFlavor = {
  MEMB: 0,
  QSBR: 1,
} as const;

/** One root directory entry: a name and the static allocation it names. */
export const Root = {
  /** Words 0..7: the name, UTF-8, zero padded; all zero = unused entry. */
  NAME: 0,
  BYTE: 8,
  SIZE: 9,
  WORDS: 12,
} as const;

export const ROOT_NAME_BYTES = 32;

/** An owner tag fits in 30 bits: 22 bits of generation, 8 bits of (slot index + 1). */
export const OWNER_SLOT_BITS = 8;
export const OWNER_GEN_MASK = 0x3fffff;
export const MAX_THREADS_LIMIT = 255;

export function ownerTag(slot: number, generation: number): number {
  return ((generation & OWNER_GEN_MASK) << OWNER_SLOT_BITS) | (slot + 1);
}

export function ownerTagSlot(tag: number): number {
  return (tag & ((1 << OWNER_SLOT_BITS) - 1)) - 1;
}

export function slotWord(registryByte: number, slot: number, field: number): number {
  return (registryByte >> 2) + slot * Slot.WORDS + field;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

// ---------------------------------------------------------------------------------------------
// RCU (rcu/): header words Header.RCU_BASE ..
// ---------------------------------------------------------------------------------------------

/** RCU's words in the heap header (indices into the heap's Int32Array), within Header.RCU_BASE.. */
export const RcuWord = {
  /**
   * The grace-period counter: 1 modulo 4, advanced by GP_STEP by each grace period, under
   * GP_LOCK. Readers copy it into their slot's CTR at the outermost rcuReadLock().
   */
  GP_CTR: Header.RCU_BASE + 0,
  /**
   * The counter value of the latest completed grace period (a GP_CTR value). Cookies
   * compare against it.
   */
  GP_COMPLETED: Header.RCU_BASE + 1,
  /** Lock word (heap/lock-word.ts, owner tagged) held by the thread running a grace period. */
  GP_LOCK: Header.RCU_BASE + 2,
  /** Number of grace periods completed since the heap was created (statistics, wraps). */
  GP_COUNT: Header.RCU_BASE + 3,
} as const;

/** How far one grace period advances GP_CTR. */
export const GP_STEP = 4;
/**
 * Set in a reader's CTR copy by a grace period about to sleep on it; the reader's unlock (or
 * quiescent state) then notifies. Never set in GP_CTR itself. (heap/atomics.wat's rcuExit
 * tests it as the constant 2.)
 */
export const WAIT_BIT = 2;

// ---------------------------------------------------------------------------------------------
// The page allocator (slab/page-allocator.ts): header words Header.ALLOCATOR_BASE ..
// ---------------------------------------------------------------------------------------------

/** Header words of the page allocator: Header.ALLOCATOR_BASE + 0 .. 23. */
export const PageAllocWord = {
  LOCK: Header.ALLOCATOR_BASE + 0,
  /** 0 until the first allocation lays out the page map; then 1. */
  READY: Header.ALLOCATOR_BASE + 1,
  MEMMAP_BYTE: Header.ALLOCATOR_BASE + 2,
  /** Byte offset of page number 0 of the buddy allocator. */
  FIRST_PAGE_BYTE: Header.ALLOCATOR_BASE + 3,
  /** Pages managed so far (the heap has been grown to cover them). */
  TOP_PAGE: Header.ALLOCATOR_BASE + 4,
  /** Pages the heap's maximum allows. */
  MAX_PAGE: Header.ALLOCATOR_BASE + 5,
  FREE_PAGES: Header.ALLOCATOR_BASE + 6,
  /** Runs handed out since the heap was created (instrumentation). */
  HANDOUTS: Header.ALLOCATOR_BASE + 7,
  /** Pages handed out since the heap was created. */
  PAGES_HANDED: Header.ALLOCATOR_BASE + 8,
  /** Runs freed since the heap was created. */
  FREES: Header.ALLOCATOR_BASE + 9,
  /** Free-list heads, one per order: page number + 1, 0 = empty. */
  FREE_HEAD: Header.ALLOCATOR_BASE + 10,
  /** First word after the page allocator's; SlabHeaderWord starts here. */
  END: Header.ALLOCATOR_BASE + 24,
} as const;

// ---------------------------------------------------------------------------------------------
// The slab allocator (slab/)
// ---------------------------------------------------------------------------------------------

/*
 * A slab is one run from the page allocator:
 *   [slab header: SlabWord.WORDS words][free-index stack: Int32 x count][state bytes: u8 x count]
 *   [pad to the object alignment][object 0][object 1]...
 * Objects are laid at `objBase + i * stride`; with SLAB_RED_ZONE each stride holds
 * [red zone][object][red zone]. The free list is the index stack in the header, never a word
 * of an object: a type-stable object keeps every field's value after it is freed, because a
 * reader inside rcuReadLock() may still be reading it.
 */

/** Header words of the slab allocator: after the page allocator's, up to Header.ALLOCATOR_BASE + 80. */
export const SlabHeaderWord = {
  /** Lock word of the cache directory (creation, lookup, destruction). */
  DIR_LOCK: PageAllocWord.END + 0,
  /** Source of slab serials (a slab's identity for per-worker object maps). */
  NEXT_SLAB_SERIAL: PageAllocWord.END + 1,
  /** Source of cache serials. */
  NEXT_CACHE_SERIAL: PageAllocWord.END + 2,
  /**
   * Caches destroyed since the heap was created. A handle's fast paths run only while it is
   * what the handle last saw (KmemCache.$destroys), so a stale handle in another worker takes
   * the slow path, which refuses a destroyed cache, instead of writing into freed pages.
   */
  DESTROYS: PageAllocWord.END + 3,
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
  /**
   * Byte offset, from an object's address, of its generation word; 0 for none. Only a
   * type-stable cache of a debug heap has one (debug/stale-objects.ts): kmemCacheFree() bumps
   * it, so a thread can tell that an object it loaded was freed and reused since.
   */
  GEN_OFFSET: 30,
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

// ---------------------------------------------------------------------------------------------
// An RCU hash table's root (hash/): a named root `hash:<name>`
// ---------------------------------------------------------------------------------------------

/** Header words at the start of the root (word offsets). */
export const TableWord = {
  /** TableState below. */
  STATE: 0,
  BUCKET_BITS: 1,
  KEY_OFFSET: 2,
  REFCOUNT_OFFSET: 3,
  NODE_OFFSET: 4,
  /** Hash of the struct layout, so a worker declaring another struct is refused. */
  STRUCT_HASH: 5,
  /** Number of objects in the table (Atomics.add under bucket locks). */
  COUNT: 6,
  /** Restarts of lockless lookups, all workers together (statistics; rare, so shared). */
  RESTARTS: 7,
  /** Lookups that fell back to the bucket lock, all workers together. */
  LOCK_FALLBACKS: 8,
  WORDS: 16,
} as const;
export const TABLE_HEADER_BYTES = TableWord.WORDS * 4;
/** Words of one bucket: the chain head, the bucket's spinlock, and its sequence count. */
export const BucketWord = {
  HEAD: 0,
  LOCK: 1,
  /**
   * The bucket's sequence count: every writer (insert, delete, replace, clear) increments it
   * before it changes the chain and again after, both under the bucket lock, so it is odd
   * while a change is under way. A lookup that ends on its own marker without finding its
   * key re-reads it, and restarts if it moved (see "the third race" in #lookupAttempts() of
   * hash/rcu-hash-table.ts); a read() accepts what it read only if the count was even and has
   * not moved (see read()).
   */
  SEQ: 2,
} as const;
export const BUCKET_BYTES = 12;
/**
 * TableWord.STATE: whichever worker opens the table first initializes it (hash/table-root.ts);
 * while it does, the word is (its owner tag << 2) | INITIALIZING.
 */
export const TableState = {
  NONE: 0,
  INITIALIZING: 1,
  READY: 2,
} as const;

// ---------------------------------------------------------------------------------------------
// Debug mode (debug/): the lock-order graph, a root of debug heaps only
// ---------------------------------------------------------------------------------------------

/** Root holding debug mode's lock-order graph (debug/lock-order.ts); created with a debug heap. */
export const LOCKDEP_ROOT = 'debug:lockdep';
/** Lock classes the graph can hold; later classes are not order-checked. */
export const LOCKDEP_MAX_CLASSES = 128;
/** Bytes of a lock class's name (UTF-8, zero-padded, truncated). */
export const LOCKDEP_NAME_BYTES = 48;

/**
 * Words of the lock-order root. Classes are numbered in the order first seen by any thread;
 * EDGES is a LOCKDEP_MAX_CLASSES x LOCKDEP_MAX_CLASSES bit matrix, row a, bit b set once some
 * thread took a lock of class b while holding one of class a. Bits are only ever set.
 */
export const LockdepWord = {
  /** Lock word guarding class registration. */
  LOCK: 0,
  /** Classes registered. */
  COUNT: 1,
  /** First word of the class names, LOCKDEP_NAME_BYTES each. */
  NAMES: 2,
  /** First word of the edge matrix. */
  EDGES: 2 + (LOCKDEP_MAX_CLASSES * LOCKDEP_NAME_BYTES) / 4,
  WORDS: 2 + (LOCKDEP_MAX_CLASSES * LOCKDEP_NAME_BYTES) / 4 + (LOCKDEP_MAX_CLASSES * LOCKDEP_MAX_CLASSES) / 32,
} as const;
