/**
 * @fileoverview Every offset in a shared heap, in one place.
 *
 * A heap is one shared WebAssembly.Memory (its buffer a SharedArrayBuffer). Its first page is
 * a header of 32-bit words; then the thread registry (one 64-byte line per attachable thread,
 * so that each reader's counter sits on its own cache line and readers never false-share);
 * then the root directory and the static area (named allocations any worker can find: locks,
 * published pointers, table roots); then pages handed out by the page allocator. Word indices
 * below are indices into an Int32Array over the whole buffer; byte offsets say so in their name.
 *
 * Invariant: nothing in this file depends on which worker reads it. Changing any offset or
 * meaning here must bump LAYOUT_VERSION, so that a worker built against another layout
 * refuses to attach instead of corrupting the heap.
 */

/** 'RCUK' read as a little-endian 32-bit word. */
export const HEAP_MAGIC = 0x4b554352;
/**
 * Bumped whenever any offset or encoding in this file changes, or the meaning of shared words
 * elsewhere (3: a hash bucket's third word became a sequence count every writer bumps twice).
 */
export const LAYOUT_VERSION = 3;

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
  /** Source of registry generations (see Slot.GEN). */
  NEXT_GENERATION: 13,
  /**
   * The heap's usable length in bytes: the memory's, at most MAX_PAGES pages. Raised (never
   * lowered) after each growth, so that a thread sees growth with one load of this word; the
   * memory's own `buffer` getter costs about 37 ns in Node 20.
   */
  BYTE_LENGTH: 14,

  /** Words 16..47 belong to RCU (rcu-layout in rcu/read-side.ts names them). */
  RCU_BASE: 16,
  RCU_WORDS: 32,
  /** Words 48..127 belong to the page allocator and slab (named in their own files). */
  ALLOCATOR_BASE: 48,
  ALLOCATOR_WORDS: 80,

  /** Number of header words; the header occupies the first page. */
  WORDS: 128,
} as const;

/** One registry slot: 16 words = one cache line per attached thread. */
export const Slot = {
  /** SlotState below. */
  STATE: 0,
  /**
   * Incremented every time the slot is taken. Together with the slot index it forms the
   * owner tag written into lock words, so a lock held by a dead thread is never mistaken
   * for one held by the slot's next occupant.
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
} as const;

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
