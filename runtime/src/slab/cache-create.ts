/**
 * @fileoverview kmemCacheCreate() and kmemCacheLookup(): validating a request, choosing the
 * slab geometry, and the cache directory in shared memory (root 'slab:caches'), where any
 * worker finds a cache by name.
 *
 * Precondition of everything below the public calls: the directory lock is held (lock order:
 * heap/lock-word.ts).
 */

import { OutOfMemoryError, SlabCacheFlagsError, WrongCacheError } from '../errors.js';
import { reclaimExpiredSlabs } from './reclaim.js';
import type { Heap } from '../heap/heap.js';
import {
  AcWord,
  alignUp,
  CACHE_DIRECTORY_ROOT,
  CACHE_LINE,
  CACHE_MAGIC,
  CACHE_NAME_BYTES,
  CacheWord,
  MAX_CACHES,
  PAGE_SIZE,
  SLAB_STACK_BYTE,
  SlabHeaderWord,
  slabStateByte,
} from '../heap/layout.js';
import { MAX_ORDER, allocPages, freePages, orderForBytes } from './page-allocator.js';
import {
  arrayCacheSize,
  KNOWN_FLAGS,
  MIN_OBJS_PER_SLAB,
  SLAB_HWCACHE_ALIGN,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_TYPESAFE_BY_RCU,
} from './flags.js';
import { handleFor, readName, type KmemCache } from './cache-handle.js';
import { attached, lockWord, unlockWord } from './cache-lock.js';
import { RED_ZONE_BYTES } from './debug.js';
import type { AnyStructDef, StructRef } from '../struct.js';

export interface KmemCacheOptions<D extends AnyStructDef> {
  /** SLAB_* flags. */
  readonly flags?: number;
  /**
   * Runs once for every object of a new slab, before any thread can allocate it; never on
   * allocation. For a type-stable cache it sets up what must survive reuse (the lock).
   * Every worker that may grow the cache must pass the same constructor.
   */
  readonly ctor?: (obj: StructRef<D>) => void;
  /**
   * Runs for every object of a slab when the slab's pages are released (shrink, destroy, or a
   * second empty slab), under the cache lock: it must not call into the same cache. Forbidden
   * with SLAB_TYPESAFE_BY_RCU (freed objects are still read there).
   */
  readonly dtor?: (obj: StructRef<D>) => void;
  /** Minimum object alignment in bytes (a power of two up to 4096). */
  readonly align?: number;
}

const encoder = new TextEncoder();

/**
 * Create a cache named `name` for objects of `struct`, or, when a cache of that name already
 * exists in the heap (created by any worker), return this worker's handle on it: the struct
 * layout and flags must then be the same, and a constructor must be passed if it was created
 * with one (this worker runs it for the slabs it builds).
 *
 * Throws SlabCacheFlagsError for contradicting flags (SLAB_TYPESAFE_BY_RCU with SLAB_POISON or
 * a dtor: the kernel's BUG_ONs), a struct declared typesafeByRcu without SLAB_TYPESAFE_BY_RCU
 * or the reverse, unknown flags, a bad alignment or name, or objects too large for a slab.
 */
export function kmemCacheCreate<D extends AnyStructDef>(
  heap: Heap,
  name: string,
  struct: D,
  options: KmemCacheOptions<D> = {},
): KmemCache<D> {
  try {
    return createOrFind(heap, name, struct, options);
  } catch (error) {
    // Out of pages: reclaim the pending slabs whose grace period has passed, then try again.
    if (!(error instanceof OutOfMemoryError) || reclaimExpiredSlabs(heap) === 0) throw error;
    return createOrFind(heap, name, struct, options);
  }
}

function createOrFind<D extends AnyStructDef>(
  heap: Heap,
  name: string,
  struct: D,
  options: KmemCacheOptions<D>,
): KmemCache<D> {
  const where = `kmemCacheCreate('${name}')`;
  const nameBytes = validateName(where, name);
  const given: unknown = struct; // as a JavaScript caller may pass it
  if (
    given === null ||
    typeof given !== 'object' ||
    typeof struct.objectClass !== 'function' ||
    typeof struct.layout !== 'object'
  ) {
    throw new SlabCacheFlagsError(`${where}: the struct must come from defineStruct()`);
  }
  const flags = options.flags ?? 0;
  if (!Number.isInteger(flags) || (flags & ~KNOWN_FLAGS) !== 0) {
    throw new SlabCacheFlagsError(`${where}: unknown flags 0x${(flags & ~KNOWN_FLAGS).toString(16)}`);
  }
  const typesafe = (flags & SLAB_TYPESAFE_BY_RCU) !== 0;
  if (typesafe && (flags & SLAB_POISON) !== 0) {
    throw new SlabCacheFlagsError(
      `${where}: SLAB_POISON with SLAB_TYPESAFE_BY_RCU: readers still read freed objects, poison would corrupt them`,
    );
  }
  if (typesafe && options.dtor !== undefined) {
    throw new SlabCacheFlagsError(
      `${where}: a destructor with SLAB_TYPESAFE_BY_RCU: freed objects stay in use by readers, nothing may tear them down`,
    );
  }
  if (struct.typesafeByRcu && !typesafe) {
    throw new SlabCacheFlagsError(
      `${where}: struct '${struct.name}' is declared typesafeByRcu; its cache needs SLAB_TYPESAFE_BY_RCU`,
    );
  }
  if (!struct.typesafeByRcu && typesafe) {
    throw new SlabCacheFlagsError(
      `${where}: SLAB_TYPESAFE_BY_RCU for struct '${struct.name}', which is not declared typesafeByRcu: its references would lack the TypeStable brand`,
    );
  }
  if (options.ctor !== undefined && typeof options.ctor !== 'function')
    throw new SlabCacheFlagsError(`${where}: ctor must be a function`);
  if (options.dtor !== undefined && typeof options.dtor !== 'function')
    throw new SlabCacheFlagsError(`${where}: dtor must be a function`);
  const align = options.align ?? 0;
  if (!Number.isInteger(align) || align < 0 || align > PAGE_SIZE || (align & (align - 1)) !== 0) {
    throw new SlabCacheFlagsError(`${where}: align ${align} must be a power of two up to ${PAGE_SIZE}`);
  }
  // A debug heap gives each object of a type-stable cache a generation word after its fields
  // (not with SLAB_RED_ZONE, whose trailing guard is the rest of the slot).
  const genWord = heap.debug !== null && typesafe && (flags & SLAB_RED_ZONE) === 0;
  const geometry = computeGeometry(where, struct, flags, align, genWord);

  const self = attached(heap, where);
  const dirByte = heap.root(CACHE_DIRECTORY_ROOT, MAX_CACHES * 4, 4);
  lockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  let descriptor: number;
  try {
    const found = findCache(heap, dirByte, nameBytes);
    if (found !== 0) {
      const i32 = heap.views.i32;
      const d = found >> 2;
      if (i32[d + CacheWord.STRUCT_HASH] !== struct.layout.hash) {
        throw new SlabCacheFlagsError(
          `${where}: a cache of that name exists for struct '${readName(heap, d + CacheWord.STRUCT_NAME)}' with another layout than '${struct.name}'`,
        );
      }
      if (i32[d + CacheWord.FLAGS] !== flags) {
        throw new SlabCacheFlagsError(
          `${where}: the cache exists with flags 0x${i32[d + CacheWord.FLAGS]!.toString(16)}, not 0x${flags.toString(16)}`,
        );
      }
      if (i32[d + CacheWord.HAS_CTOR] === 1 && options.ctor === undefined) {
        throw new SlabCacheFlagsError(
          `${where}: the cache was created with a constructor; pass the same ctor so this worker can build slabs`,
        );
      }
      descriptor = found;
    } else {
      descriptor = createDescriptor(
        heap,
        dirByte,
        nameBytes,
        struct,
        flags,
        geometry,
        options.ctor !== undefined,
        where,
      );
    }
  } finally {
    unlockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  }
  const handle = handleFor(heap, descriptor, struct, name);
  if (options.ctor !== undefined) handle.ctor = options.ctor;
  if (options.dtor !== undefined) handle.dtor = options.dtor;
  return handle;
}

/** This worker's handle on the cache named `name`, or null when no such cache exists. */
export function kmemCacheLookup<D extends AnyStructDef>(heap: Heap, name: string, struct: D): KmemCache<D> | null {
  const nameBytes = validateName(`kmemCacheLookup('${name}')`, name);
  const self = attached(heap, `kmemCacheLookup('${name}')`);
  const dirByte = heap.root(CACHE_DIRECTORY_ROOT, MAX_CACHES * 4, 4);
  lockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  let found: number;
  try {
    found = findCache(heap, dirByte, nameBytes);
  } finally {
    unlockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  }
  if (found === 0) return null;
  if (heap.views.i32[(found >> 2) + CacheWord.STRUCT_HASH] !== struct.layout.hash) {
    throw new WrongCacheError(
      `kmemCacheLookup('${name}'): the cache holds '${readName(heap, (found >> 2) + CacheWord.STRUCT_NAME)}' objects, not '${struct.name}'`,
    );
  }
  return handleFor(heap, found, struct, name);
}

export interface Geometry {
  align: number;
  /** Byte offset of the generation word from the object's address; 0 for none. */
  genOffset: number;
  objOffset: number;
  stride: number;
  order: number;
  perSlab: number;
  slabObjBase: number;
}

function computeGeometry(
  where: string,
  struct: AnyStructDef,
  flags: number,
  align: number,
  genWord: boolean,
): Geometry {
  let objAlign = Math.max(8, struct.layout.align, align);
  if ((flags & SLAB_HWCACHE_ALIGN) !== 0) objAlign = Math.max(objAlign, CACHE_LINE);
  const size = struct.layout.size;
  const red = (flags & SLAB_RED_ZONE) !== 0;
  const objOffset = red ? objAlign : 0;
  const genOffset = genWord ? alignUp(size, 4) : 0;
  const stride = alignUp(objOffset + (genWord ? genOffset + 4 : size) + (red ? RED_ZONE_BYTES : 0), objAlign);
  const fit = (order: number): { n: number; base: number } => {
    const bytes = PAGE_SIZE << order;
    let n = Math.floor((bytes - SLAB_STACK_BYTE) / (stride + 5));
    while (n > 0 && alignUp(slabStateByte(n) + n, objAlign) + n * stride > bytes) n--;
    return { n, base: alignUp(slabStateByte(n) + n, objAlign) };
  };
  let chosen = -1;
  for (let order = 0; order <= MAX_ORDER && chosen < 0; order++) if (fit(order).n >= MIN_OBJS_PER_SLAB) chosen = order;
  for (let order = 0; order <= MAX_ORDER && chosen < 0; order++) if (fit(order).n >= 1) chosen = order;
  if (chosen < 0)
    throw new SlabCacheFlagsError(
      `${where}: objects of ${stride} bytes do not fit in a slab of ${PAGE_SIZE << MAX_ORDER} bytes`,
    );
  const { n, base } = fit(chosen);
  return { align: objAlign, genOffset, objOffset, stride, order: chosen, perSlab: n, slabObjBase: base };
}

/** Precondition: the directory lock is held. */
function createDescriptor(
  heap: Heap,
  dirByte: number,
  nameBytes: Uint8Array,
  struct: AnyStructDef,
  flags: number,
  g: Geometry,
  hasCtor: boolean,
  where: string,
): number {
  let i32 = heap.views.i32;
  let slot = -1;
  for (let i = 0; i < MAX_CACHES; i++) {
    if (i32[(dirByte >> 2) + i] === 0) {
      slot = i;
      break;
    }
  }
  if (slot < 0) throw new SlabCacheFlagsError(`${where}: the heap already has ${MAX_CACHES} caches`);
  const slots = heap.registry.maxThreads;
  const ac = arrayCacheSize(g.stride, slots, heap.maxByteLength, AcWord.ENTRIES);
  const acStride = ac.slotWords;
  // The descriptor takes one page; the array caches a run of their own (putting both in one
  // run would round 32 KiB + 256 bytes up to 64 KiB for the default 64 threads).
  const acOrder = orderForBytes(slots * acStride * 4);
  const desc = allocPages(heap, 0);
  let acByte: number;
  try {
    acByte = allocPages(heap, acOrder);
  } catch (error) {
    freePages(heap, desc, 0);
    throw error;
  }
  const order = 0;
  i32 = heap.views.i32;
  heap.views.u8.fill(0, desc, desc + (PAGE_SIZE << order));
  heap.views.u8.fill(0, acByte, acByte + (PAGE_SIZE << acOrder));
  const d = desc >> 2;
  i32[d + CacheWord.SERIAL] = Atomics.add(i32, SlabHeaderWord.NEXT_CACHE_SERIAL, 1) + 1;
  i32[d + CacheWord.FLAGS] = flags;
  i32[d + CacheWord.STRUCT_HASH] = struct.layout.hash;
  i32[d + CacheWord.STRUCT_SIZE] = struct.layout.size;
  i32[d + CacheWord.STRIDE] = g.stride;
  i32[d + CacheWord.OBJ_OFFSET] = g.objOffset;
  i32[d + CacheWord.GEN_OFFSET] = g.genOffset;
  i32[d + CacheWord.ALIGN] = g.align;
  i32[d + CacheWord.SLAB_ORDER] = g.order;
  i32[d + CacheWord.PER_SLAB] = g.perSlab;
  i32[d + CacheWord.SLAB_OBJ_BASE] = g.slabObjBase;
  i32[d + CacheWord.AC_BYTE] = acByte;
  i32[d + CacheWord.AC_ORDER] = acOrder;
  i32[d + CacheWord.AC_STRIDE] = acStride;
  i32[d + CacheWord.AC_LIMIT] = ac.limit;
  i32[d + CacheWord.AC_BATCH] = ac.batch;
  i32[d + CacheWord.AC_SLOTS] = slots;
  i32[d + CacheWord.HAS_CTOR] = hasCtor ? 1 : 0;
  i32[d + CacheWord.DESC_ORDER] = order;
  heap.views.u8.set(nameBytes, (d + CacheWord.NAME) * 4);
  heap.views.u8.set(encoder.encode(struct.name).subarray(0, CACHE_NAME_BYTES), (d + CacheWord.STRUCT_NAME) * 4);
  // Magic, then the directory entry, last: a lookup (under the same lock anyway) and the
  // object map (without it) see either no cache or a complete one.
  Atomics.store(i32, d + CacheWord.MAGIC, CACHE_MAGIC);
  Atomics.store(i32, (dirByte >> 2) + slot, desc);
  return desc;
}

function findCache(heap: Heap, dirByte: number, nameBytes: Uint8Array): number {
  const i32 = heap.views.i32;
  const u8 = heap.views.u8;
  for (let i = 0; i < MAX_CACHES; i++) {
    const desc = i32[(dirByte >> 2) + i]!;
    if (desc === 0) continue;
    const at = desc + CacheWord.NAME * 4;
    let same = true;
    for (let k = 0; k < CACHE_NAME_BYTES; k++) {
      if (u8[at + k] !== (nameBytes[k] ?? 0)) {
        same = false;
        break;
      }
    }
    if (same) return desc;
  }
  return 0;
}

export function validateName(where: string, name: string): Uint8Array {
  if (typeof name !== 'string') throw new SlabCacheFlagsError(`${where}: the name must be a string`);
  const bytes = encoder.encode(name);
  if (bytes.length === 0 || bytes.length > CACHE_NAME_BYTES) {
    throw new SlabCacheFlagsError(`${where}: the name must be 1 to ${CACHE_NAME_BYTES} bytes of UTF-8`);
  }
  return bytes;
}
