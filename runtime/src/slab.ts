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
 * and destructors run with no cache lock held.
 */

import {
  CacheBusyError,
  DoubleFreeError,
  HeapAttachmentError,
  SlabCacheFlagsError,
  WrongCacheError,
} from './errors.js';
import type { Heap } from './heap.js';
import { CACHE_LINE, PAGE_SIZE, alignUp } from './heap-layout.js';
import { lockWordAcquire, lockWordRelease } from './lock-word.js';
import { MAX_ORDER, allocPages, freePages, orderForBytes, pageOwner, setPageOwner } from './page-allocator.js';
import {
  AcWord,
  CACHE_DIRECTORY_ROOT,
  CACHE_MAGIC,
  CACHE_NAME_BYTES,
  CacheWord,
  MAX_CACHES,
  ObjState,
  SLAB_MAGIC,
  SLAB_STACK_BYTE,
  SlabHeaderWord,
  SlabList,
  SlabWord,
  slabStateByte,
} from './slab-layout.js';
import { RED_ACTIVE, RED_INACTIVE, RED_ZONE_BYTES, checkPoison, checkRedZones, poisonObject, setRedZones } from './slab-debug.js';
import { resolveAddress, setCacheResolver } from './slab-object-map.js';
import { getStateSynchronizeRcu, pollStateSynchronizeRcu, synchronizeRcu, synchronizeRcuAsync } from './slab-rcu.js';
import { StructObjectBase, type AnyStructDef, type StructRef } from './struct.js';
import { currentThread, type ThreadContext } from './thread-context.js';

// ---------------------------------------------------------------------------------------------
// Flags (the kernel's values)
// ---------------------------------------------------------------------------------------------

/** Guard bytes around each object, checked on free and alloc (they lie outside the object, so type-stable caches may use them too). */
export const SLAB_RED_ZONE = 0x00000400;
/** Fill freed objects with a pattern, check it on alloc. Forbidden with SLAB_TYPESAFE_BY_RCU. */
export const SLAB_POISON = 0x00000800;
/** Align objects on cache lines (64 bytes). */
export const SLAB_HWCACHE_ALIGN = 0x00002000;
/** Type-stable memory: pages go back only after an RCU grace period. */
export const SLAB_TYPESAFE_BY_RCU = 0x00080000;
/** The first name of SLAB_TYPESAFE_BY_RCU (Linux 2.6.9 to 4.x); the same flag. */
export const SLAB_DESTROY_BY_RCU = SLAB_TYPESAFE_BY_RCU;

const KNOWN_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU;

/** Objects per array cache, and how many move per refill / flush. */
const AC_LIMIT = 60;
const AC_BATCH = 30;
/** Empty slabs a cache keeps before releasing more. */
const KEEP_EMPTY = 1;
/** Aim for at least this many objects per slab when choosing the slab order. */
const MIN_OBJS_PER_SLAB = 8;

export interface KmemCacheOptions<D extends AnyStructDef> {
  /** SLAB_* flags. */
  readonly flags?: number;
  /**
   * Runs once for every object of a new slab, before any thread can allocate it; never on
   * allocation. For a type-stable cache it sets up what must survive reuse (the lock).
   * Every worker that may grow the cache must pass the same constructor.
   */
  readonly ctor?: (obj: StructRef<D>) => void;
  /** Runs for every object of a slab whose pages are released. Forbidden with SLAB_TYPESAFE_BY_RCU. */
  readonly dtor?: (obj: StructRef<D>) => void;
  /** Minimum object alignment in bytes (a power of two up to 4096). */
  readonly align?: number;
}

// ---------------------------------------------------------------------------------------------
// The per-worker handle
// ---------------------------------------------------------------------------------------------

/** This worker's handle on a cache. The same handle for the same cache within a worker. */
export class KmemCache<D extends AnyStructDef = AnyStructDef> {
  /** Byte offset of the descriptor. */
  readonly descriptor: number;
  readonly serial: number;
  readonly flags: number;
  /** Bytes of each object (the struct's size). */
  readonly objectSize: number;
  /** Bytes from one object to the next (alignment and red zones included). */
  readonly stride: number;
  readonly objectsPerSlab: number;
  readonly slabOrder: number;
  readonly typesafeByRcu: boolean;
  ctor: ((obj: StructRef<D>) => void) | undefined;
  dtor: ((obj: StructRef<D>) => void) | undefined;

  /** @internal */ readonly $d: number;
  /** @internal */ readonly $debug: boolean;
  /** @internal */ readonly $views: Heap['views'];
  /** @internal Thread the array-cache fields below are bound to. */
  $ctx: ThreadContext | null = null;
  /** @internal This thread's array cache, as objects; mirrors AcWord.ENTRIES. */
  $objs: StructObjectBase[] = [];
  /** @internal Word indices of this thread's AcWord.COUNT, NET, ENTRIES. */
  $count = 0;
  $net = 0;
  $entries = 0;
  /** @internal */ $dead = false;

  /** @internal Use kmemCacheCreate(). */
  constructor(
    readonly heap: Heap,
    readonly name: string,
    readonly struct: D,
    descriptor: number,
  ) {
    const i32 = heap.views.i32;
    const d = descriptor >> 2;
    this.descriptor = descriptor;
    this.$d = d;
    this.serial = i32[d + CacheWord.SERIAL]!;
    this.flags = i32[d + CacheWord.FLAGS]!;
    this.objectSize = i32[d + CacheWord.STRUCT_SIZE]!;
    this.stride = i32[d + CacheWord.STRIDE]!;
    this.objectsPerSlab = i32[d + CacheWord.PER_SLAB]!;
    this.slabOrder = i32[d + CacheWord.SLAB_ORDER]!;
    this.typesafeByRcu = (this.flags & SLAB_TYPESAFE_BY_RCU) !== 0;
    this.$debug = (this.flags & (SLAB_POISON | SLAB_RED_ZONE)) !== 0;
    this.$views = heap.views;
  }
}

const handles = new WeakMap<Heap, Map<number, KmemCache>>();

function handleFor<D extends AnyStructDef>(heap: Heap, descriptor: number, struct: D, name: string): KmemCache<D> {
  let m = handles.get(heap);
  if (m === undefined) handles.set(heap, (m = new Map()));
  const serial = heap.views.i32[(descriptor >> 2) + CacheWord.SERIAL]!;
  const existing = m.get(descriptor);
  if (existing !== undefined && existing.serial === serial && !existing.$dead) return existing as unknown as KmemCache<D>;
  const handle = new KmemCache(heap, name, struct, descriptor);
  m.set(descriptor, handle as unknown as KmemCache);
  return handle;
}

setCacheResolver((heap, descriptor, struct) => {
  const existing = handles.get(heap)?.get(descriptor);
  const i32 = heap.views.i32;
  const d = descriptor >> 2;
  if (existing !== undefined && existing.serial === i32[d + CacheWord.SERIAL] && !existing.$dead) return existing;
  if (Atomics.load(i32, d + CacheWord.MAGIC) !== CACHE_MAGIC) {
    throw new WrongCacheError(`descriptor 0x${descriptor.toString(16)} is not a live cache`);
  }
  const name = readName(heap, d + CacheWord.NAME);
  if (i32[d + CacheWord.STRUCT_HASH] !== struct.layout.hash) {
    throw new WrongCacheError(`cache '${name}' holds '${readName(heap, d + CacheWord.STRUCT_NAME)}' objects, not '${struct.name}' (or another declaration of it)`);
  }
  return handleFor(heap, descriptor, struct, name);
});

// ---------------------------------------------------------------------------------------------
// Creation and lookup
// ---------------------------------------------------------------------------------------------

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
  const where = `kmemCacheCreate('${name}')`;
  const nameBytes = validateName(where, name);
  if (struct === null || typeof struct !== 'object' || typeof struct.objectClass !== 'function' || struct.layout === undefined) {
    throw new SlabCacheFlagsError(`${where}: the struct must come from defineStruct()`);
  }
  const flags = options.flags ?? 0;
  if (!Number.isInteger(flags) || (flags & ~KNOWN_FLAGS) !== 0) {
    throw new SlabCacheFlagsError(`${where}: unknown flags 0x${(flags & ~KNOWN_FLAGS).toString(16)}`);
  }
  const typesafe = (flags & SLAB_TYPESAFE_BY_RCU) !== 0;
  if (typesafe && (flags & SLAB_POISON) !== 0) {
    throw new SlabCacheFlagsError(`${where}: SLAB_POISON with SLAB_TYPESAFE_BY_RCU: readers still read freed objects, poison would corrupt them`);
  }
  if (typesafe && options.dtor !== undefined) {
    throw new SlabCacheFlagsError(`${where}: a destructor with SLAB_TYPESAFE_BY_RCU: freed objects stay in use by readers, nothing may tear them down`);
  }
  if (struct.typesafeByRcu && !typesafe) {
    throw new SlabCacheFlagsError(`${where}: struct '${struct.name}' is declared typesafeByRcu; its cache needs SLAB_TYPESAFE_BY_RCU`);
  }
  if (!struct.typesafeByRcu && typesafe) {
    throw new SlabCacheFlagsError(
      `${where}: SLAB_TYPESAFE_BY_RCU for struct '${struct.name}', which is not declared typesafeByRcu: its references would lack the TypeStable brand`,
    );
  }
  if (options.ctor !== undefined && typeof options.ctor !== 'function') throw new SlabCacheFlagsError(`${where}: ctor must be a function`);
  if (options.dtor !== undefined && typeof options.dtor !== 'function') throw new SlabCacheFlagsError(`${where}: dtor must be a function`);
  const align = options.align ?? 0;
  if (!Number.isInteger(align) || align < 0 || align > PAGE_SIZE || (align & (align - 1)) !== 0) {
    throw new SlabCacheFlagsError(`${where}: align ${align} must be a power of two up to ${PAGE_SIZE}`);
  }
  const geometry = computeGeometry(where, struct, flags, align);

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
        throw new SlabCacheFlagsError(`${where}: the cache exists with flags 0x${i32[d + CacheWord.FLAGS]!.toString(16)}, not 0x${flags.toString(16)}`);
      }
      if (i32[d + CacheWord.HAS_CTOR] === 1 && options.ctor === undefined) {
        throw new SlabCacheFlagsError(`${where}: the cache was created with a constructor; pass the same ctor so this worker can build slabs`);
      }
      descriptor = found;
    } else {
      descriptor = createDescriptor(heap, dirByte, nameBytes, struct, flags, geometry, options.ctor !== undefined, where);
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
    throw new WrongCacheError(`kmemCacheLookup('${name}'): the cache holds '${readName(heap, (found >> 2) + CacheWord.STRUCT_NAME)}' objects, not '${struct.name}'`);
  }
  return handleFor(heap, found, struct, name);
}

interface Geometry {
  align: number;
  objOffset: number;
  stride: number;
  order: number;
  perSlab: number;
  slabObjBase: number;
}

function computeGeometry(where: string, struct: AnyStructDef, flags: number, align: number): Geometry {
  let objAlign = Math.max(8, struct.layout.align, align);
  if ((flags & SLAB_HWCACHE_ALIGN) !== 0) objAlign = Math.max(objAlign, CACHE_LINE);
  const size = struct.layout.size;
  const red = (flags & SLAB_RED_ZONE) !== 0;
  const objOffset = red ? objAlign : 0;
  const stride = alignUp(objOffset + size + (red ? RED_ZONE_BYTES : 0), objAlign);
  const fit = (order: number): { n: number; base: number } => {
    const bytes = PAGE_SIZE << order;
    let n = Math.floor((bytes - SLAB_STACK_BYTE) / (stride + 5));
    while (n > 0 && alignUp(slabStateByte(n) + n, objAlign) + n * stride > bytes) n--;
    return { n, base: alignUp(slabStateByte(n) + n, objAlign) };
  };
  let chosen = -1;
  for (let order = 0; order <= MAX_ORDER && chosen < 0; order++) if (fit(order).n >= MIN_OBJS_PER_SLAB) chosen = order;
  for (let order = 0; order <= MAX_ORDER && chosen < 0; order++) if (fit(order).n >= 1) chosen = order;
  if (chosen < 0) throw new SlabCacheFlagsError(`${where}: objects of ${stride} bytes do not fit in a slab of ${PAGE_SIZE << MAX_ORDER} bytes`);
  const { n, base } = fit(chosen);
  return { align: objAlign, objOffset, stride, order: chosen, perSlab: n, slabObjBase: base };
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
  const acStride = alignUp(AcWord.ENTRIES + AC_LIMIT, CACHE_LINE / 4);
  const bytes = CacheWord.WORDS * 4 + slots * acStride * 4;
  const order = orderForBytes(bytes);
  const desc = allocPages(heap, order);
  i32 = heap.views.i32;
  heap.views.u8.fill(0, desc, desc + (PAGE_SIZE << order));
  const d = desc >> 2;
  i32[d + CacheWord.SERIAL] = Atomics.add(i32, SlabHeaderWord.NEXT_CACHE_SERIAL, 1) + 1;
  i32[d + CacheWord.FLAGS] = flags;
  i32[d + CacheWord.STRUCT_HASH] = struct.layout.hash;
  i32[d + CacheWord.STRUCT_SIZE] = struct.layout.size;
  i32[d + CacheWord.STRIDE] = g.stride;
  i32[d + CacheWord.OBJ_OFFSET] = g.objOffset;
  i32[d + CacheWord.ALIGN] = g.align;
  i32[d + CacheWord.SLAB_ORDER] = g.order;
  i32[d + CacheWord.PER_SLAB] = g.perSlab;
  i32[d + CacheWord.SLAB_OBJ_BASE] = g.slabObjBase;
  i32[d + CacheWord.AC_BYTE] = desc + CacheWord.WORDS * 4;
  i32[d + CacheWord.AC_STRIDE] = acStride;
  i32[d + CacheWord.AC_LIMIT] = AC_LIMIT;
  i32[d + CacheWord.AC_BATCH] = AC_BATCH;
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
  const objs = cache.$objs;
  const n = objs.length;
  const i32 = cache.$views.i32;
  // Fast path: this thread's own array cache, unshared words of its own cache line; the
  // length check catches an array cache drained by kmemCacheDestroy().
  if (cache.$ctx === currentThread && n !== 0 && !cache.$debug && i32[cache.$count] === n) {
    const obj = objs.pop()!;
    i32[cache.$count] = n - 1;
    i32[cache.$net]! += 1;
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
  const o = obj as unknown as StructObjectBase;
  if (!(o instanceof StructObjectBase) || o.$c !== cache) throw wrongCache(cache, o);
  const objs = cache.$objs;
  const n = objs.length;
  const i32 = cache.$views.i32;
  if (cache.$ctx === currentThread && n < AC_LIMIT && !cache.$debug && i32[cache.$count] === n) {
    // compareExchange, not a plain store: two threads freeing the same object at once must
    // not both succeed (a double free would put it in two array caches).
    const was = Atomics.compareExchange(cache.$views.u8, o.$s, ObjState.LIVE, ObjState.CACHED);
    if (was !== ObjState.LIVE) throw doubleFree(cache, o, was);
    i32[cache.$entries + n] = o.$a;
    objs.push(o);
    i32[cache.$count] = n + 1;
    i32[cache.$net]! -= 1;
    return;
  }
  freeSlow(cache, o);
}

function allocSlow(cache: KmemCache): StructObjectBase {
  bind(cache, 'kmemCacheAlloc');
  const i32 = cache.$views.i32;
  if (cache.$objs.length === 0) refill(cache);
  const u8 = cache.$views.u8;
  const obj = cache.$objs[cache.$objs.length - 1]!;
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
  cache.$objs.pop();
  i32[cache.$count] = cache.$objs.length;
  i32[cache.$net]! += 1;
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
  if (cache.$objs.length >= AC_LIMIT) flush(cache, AC_BATCH);
  const n = cache.$objs.length;
  i32[cache.$entries + n] = o.$a;
  cache.$objs.push(o);
  i32[cache.$count] = n + 1;
  i32[cache.$net]! -= 1;
}

/**
 * Bind the handle's array-cache fields to the calling thread. A slot whose owner tag is not
 * ours belonged to a thread that left (registry slots are reused only after release): its
 * objects go back to their slabs first.
 */
function bind(cache: KmemCache, what: string): void {
  const self = currentThread;
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
  cache.$net = ac + AcWord.NET;
  cache.$entries = ac + AcWord.ENTRIES;
  const objs: StructObjectBase[] = [];
  const count = i32[ac + AcWord.COUNT]!;
  for (let k = 0; k < count; k++) objs.push(resolveAddress(cache.struct, cache.heap, i32[ac + AcWord.ENTRIES + k]!));
  cache.$objs = objs;
  cache.$ctx = self;
}

/** Precondition: cache lock held, and the array cache's owner (if any) is gone. */
function drainArrayCache(cache: KmemCache, ac: number): void {
  const i32 = cache.$views.i32;
  const count = i32[ac + AcWord.COUNT]!;
  for (let k = 0; k < count; k++) returnToSlab(cache, i32[ac + AcWord.ENTRIES + k]!);
  i32[cache.$d + CacheWord.RETIRED_NET]! += i32[ac + AcWord.NET]!;
  i32[ac + AcWord.COUNT] = 0;
  i32[ac + AcWord.NET] = 0;
  i32[ac + AcWord.OWNER] = 0;
}

/** Return the array caches of threads that left. Precondition: cache lock held. */
function reapArrayCaches(cache: KmemCache): number {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const base = i32[d + CacheWord.AC_BYTE]! >> 2;
  const stride = i32[d + CacheWord.AC_STRIDE]!;
  let reaped = 0;
  for (let slot = 0; slot < i32[d + CacheWord.AC_SLOTS]!; slot++) {
    const ac = base + slot * stride;
    const owner = i32[ac + AcWord.OWNER]!;
    if (owner !== 0 && !cache.heap.registry.isOwnerAlive(owner)) {
      reaped += i32[ac + AcWord.COUNT]!;
      drainArrayCache(cache, ac);
    }
  }
  return reaped;
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

/** Move up to `want` free objects from slabs into this thread's array cache. Precondition: cache lock held. */
function takeObjects(cache: KmemCache, want: number): number {
  const i32 = cache.$views.i32;
  const u8 = cache.$views.u8;
  const d = cache.$d;
  const per = cache.objectsPerSlab;
  const objBase = i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
  let got = 0;
  while (got < want) {
    let slab = i32[d + CacheWord.PARTIAL]!;
    if (slab === 0) slab = i32[d + CacheWord.EMPTY]!;
    if (slab === 0) slab = i32[d + CacheWord.PENDING]!; // type-stable: reuse before release is fine
    if (slab === 0) break;
    const w = slab >> 2;
    const stack = w + (SLAB_STACK_BYTE >> 2);
    const states = slab + slabStateByte(per);
    let top = i32[w + SlabWord.FREE_TOP]!;
    while (top > 0 && got < want) {
      const index = i32[stack + --top]!;
      const address = slab + objBase + index * cache.stride;
      u8[states + index] = ObjState.CACHED;
      const n = cache.$objs.length;
      i32[cache.$entries + n] = address;
      cache.$objs.push(resolveAddress(cache.struct, cache.heap, address));
      i32[cache.$count] = n + 1;
      got++;
    }
    const took = i32[w + SlabWord.FREE_TOP]! - top;
    i32[w + SlabWord.FREE_TOP] = top;
    i32[w + SlabWord.INUSE]! += took;
    listDel(cache, slab);
    listAdd(cache, slab, top === 0 ? SlabList.FULL : SlabList.PARTIAL);
  }
  return got;
}

/** Give the oldest `n` objects of this thread's array cache back to their slabs. */
function flush(cache: KmemCache, n: number): void {
  const self = cache.$ctx!;
  const i32 = cache.$views.i32;
  const d = cache.$d;
  lockWord(cache.heap, d + CacheWord.LOCK, self);
  try {
    for (let k = 0; k < n; k++) returnToSlab(cache, i32[cache.$entries + k]!);
  } finally {
    unlockWord(cache.heap, d + CacheWord.LOCK, self);
  }
  const count = cache.$objs.length;
  i32.copyWithin(cache.$entries, cache.$entries + n, cache.$entries + count);
  cache.$objs.splice(0, n);
  i32[cache.$count] = count - n;
}

/** An object from an array cache goes back on its slab's free stack. Precondition: cache lock held. */
function returnToSlab(cache: KmemCache, address: number): void {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const slab = pageOwner(cache.heap, address);
  const w = slab >> 2;
  const index = (address - slab - i32[d + CacheWord.SLAB_OBJ_BASE]! - i32[d + CacheWord.OBJ_OFFSET]!) / cache.stride;
  const per = cache.objectsPerSlab;
  i32[w + (SLAB_STACK_BYTE >> 2) + i32[w + SlabWord.FREE_TOP]!] = index;
  i32[w + SlabWord.FREE_TOP]! += 1;
  cache.$views.u8[slab + slabStateByte(per) + index] = ObjState.FREE;
  const inuse = --i32[w + SlabWord.INUSE]!;
  if (inuse === 0) {
    slabEmptied(cache, slab);
  } else if (i32[w + SlabWord.LIST] === SlabList.FULL) {
    listDel(cache, slab);
    listAdd(cache, slab, SlabList.PARTIAL);
  }
}

/** Precondition: cache lock held; the slab's INUSE just reached 0. */
function slabEmptied(cache: KmemCache, slab: number): void {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  listDel(cache, slab);
  if (i32[d + CacheWord.NUM_EMPTY]! < KEEP_EMPTY) {
    listAdd(cache, slab, SlabList.EMPTY);
  } else {
    releaseSlab(cache, slab);
  }
}

/**
 * An empty slab off every list leaves the cache: type-stable caches park it on PENDING with a
 * grace-period cookie; others release its pages now. Precondition: cache lock held.
 */
function releaseSlab(cache: KmemCache, slab: number): void {
  if (cache.typesafeByRcu) {
    // The cookie is taken after the last object of the slab was freed: any reader that can
    // still hold one of its objects is inside a read-side section that began before now,
    // which the grace period this cookie names waits for.
    cache.$views.i32[(slab >> 2) + SlabWord.COOKIE] = getStateSynchronizeRcu();
    listAdd(cache, slab, SlabList.PENDING);
    return;
  }
  destroySlab(cache, slab);
}

/** Release pending slabs whose grace period has elapsed. Precondition: cache lock held. */
function releaseExpired(cache: KmemCache): number {
  const i32 = cache.$views.i32;
  let released = 0;
  let slab = i32[cache.$d + CacheWord.PENDING]!;
  while (slab !== 0) {
    const next = i32[(slab >> 2) + SlabWord.NEXT]!;
    if (pollStateSynchronizeRcu(i32[(slab >> 2) + SlabWord.COOKIE]!)) {
      listDel(cache, slab);
      destroySlab(cache, slab);
      released++;
    }
    slab = next;
  }
  return released;
}

/** Give a slab's pages back. Precondition: cache lock held, slab off every list, all objects free. */
function destroySlab(cache: KmemCache, slab: number): void {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const dtor = cache.dtor;
  try {
    if (dtor !== undefined) {
      const objBase = slab + i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
      for (let k = 0; k < cache.objectsPerSlab; k++) dtor(resolveAddress(cache.struct, cache.heap, objBase + k * cache.stride) as never);
    }
  } finally {
    // The serial changes with the magic: other workers' object maps drop their views of it.
    Atomics.store(i32, (slab >> 2) + SlabWord.MAGIC, 0);
    Atomics.store(i32, (slab >> 2) + SlabWord.SERIAL, 0);
    setPageOwner(cache.heap, slab, cache.slabOrder, 0);
    freePages(cache.heap, slab, cache.slabOrder);
    i32[d + CacheWord.NUM_SLABS]! -= 1;
    i32[d + CacheWord.SLABS_RELEASED]! += 1;
  }
}

/** Build a slab with every object free and constructed. No lock held. */
function newSlab(cache: KmemCache): number {
  const heap = cache.heap;
  const i32c = cache.$views.i32;
  const d = cache.$d;
  if (i32c[d + CacheWord.HAS_CTOR] === 1 && cache.ctor === undefined) {
    throw new SlabCacheFlagsError(
      `kmemCacheAlloc('${cache.name}'): the cache has a constructor but this worker's handle has none; call kmemCacheCreate() with the ctor in this worker`,
    );
  }
  const order = cache.slabOrder;
  const slab = allocPages(heap, order);
  const i32 = heap.views.i32;
  const u8 = heap.views.u8;
  const per = cache.objectsPerSlab;
  const w = slab >> 2;
  u8.fill(0, slab, slab + (PAGE_SIZE << order));
  i32[w + SlabWord.CACHE] = cache.descriptor;
  i32[w + SlabWord.FREE_TOP] = per;
  // Stack top = index 0, so a fresh slab hands out objects in address order.
  for (let k = 0; k < per; k++) i32[w + (SLAB_STACK_BYTE >> 2) + k] = per - 1 - k;
  const objBase = slab + i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
  const size = cache.objectSize;
  const front = i32[d + CacheWord.OBJ_OFFSET]!;
  const back = cache.stride - front - size;
  for (let k = 0; k < per; k++) {
    const a = objBase + k * cache.stride;
    if ((cache.flags & SLAB_RED_ZONE) !== 0) setRedZones(u8, a, size, front, back, RED_INACTIVE);
    if ((cache.flags & SLAB_POISON) !== 0 && cache.ctor === undefined) poisonObject(u8, a, size);
  }
  i32[w + SlabWord.SERIAL] = Atomics.add(i32, SlabHeaderWord.NEXT_SLAB_SERIAL, 1) + 1;
  // Page map, then magic: resolveAddress() trusts a page only when both are in place.
  setPageOwner(heap, slab, order, slab);
  Atomics.store(i32, w + SlabWord.MAGIC, SLAB_MAGIC);
  const ctor = cache.ctor;
  if (ctor !== undefined) {
    try {
      for (let k = 0; k < per; k++) ctor(resolveAddress(cache.struct, heap, objBase + k * cache.stride) as never);
    } catch (error) {
      Atomics.store(i32, w + SlabWord.MAGIC, 0);
      Atomics.store(i32, w + SlabWord.SERIAL, 0);
      setPageOwner(heap, slab, order, 0);
      freePages(heap, slab, order);
      throw error;
    }
  }
  return slab;
}

// ---------------------------------------------------------------------------------------------
// Slab lists (doubly linked through slab headers). Precondition: cache lock held.
// ---------------------------------------------------------------------------------------------

const LIST_HEAD = [0, CacheWord.FULL, CacheWord.PARTIAL, CacheWord.EMPTY, CacheWord.PENDING];
const LIST_COUNT = [0, 0, 0, CacheWord.NUM_EMPTY, CacheWord.NUM_PENDING];

function listAdd(cache: KmemCache, slab: number, list: number): void {
  const i32 = cache.$views.i32;
  const head = cache.$d + LIST_HEAD[list]!;
  const w = slab >> 2;
  const first = i32[head]!;
  i32[w + SlabWord.NEXT] = first;
  i32[w + SlabWord.PREV] = 0;
  if (first !== 0) i32[(first >> 2) + SlabWord.PREV] = slab;
  i32[head] = slab;
  i32[w + SlabWord.LIST] = list;
  if (LIST_COUNT[list] !== 0) i32[cache.$d + LIST_COUNT[list]!]! += 1;
}

function listDel(cache: KmemCache, slab: number): void {
  const i32 = cache.$views.i32;
  const w = slab >> 2;
  const list = i32[w + SlabWord.LIST]!;
  if (list === SlabList.NONE) return;
  const next = i32[w + SlabWord.NEXT]!;
  const prev = i32[w + SlabWord.PREV]!;
  if (prev === 0) i32[cache.$d + LIST_HEAD[list]!] = next;
  else i32[(prev >> 2) + SlabWord.NEXT] = next;
  if (next !== 0) i32[(next >> 2) + SlabWord.PREV] = prev;
  i32[w + SlabWord.NEXT] = 0;
  i32[w + SlabWord.PREV] = 0;
  i32[w + SlabWord.LIST] = SlabList.NONE;
  if (LIST_COUNT[list] !== 0) i32[cache.$d + LIST_COUNT[list]!]! -= 1;
}

// ---------------------------------------------------------------------------------------------
// Shrink and destroy
// ---------------------------------------------------------------------------------------------

/**
 * Give memory back: this thread's array cache and those of threads that left return to their
 * slabs; empty slabs are released (type-stable caches: parked until a grace period has passed);
 * pending slabs whose grace period has passed go back to the page allocator. Returns how many
 * slabs' pages were given back to the page allocator by this call.
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
    const net = i32[ac + AcWord.NET]!;
    drainArrayCache(cache, ac);
    // drainArrayCache moved our net count to RETIRED_NET and cleared the owner; keep both ours.
    i32[d + CacheWord.RETIRED_NET]! -= net;
    i32[ac + AcWord.NET] = net;
    i32[ac + AcWord.OWNER] = self.tag;
    cache.$objs = [];
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
    freePages(heap, cache.descriptor, i32[d + CacheWord.DESC_ORDER]!);
  } finally {
    unlockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  }
  cache.$dead = true;
  cache.$objs = [];
  cache.$ctx = null;
  handles.get(heap)?.delete(cache.descriptor);
}

/** Objects handed out and not freed, over all threads (exact when no thread is mid-operation). */
function liveObjects(cache: KmemCache): number {
  const i32 = cache.$views.i32;
  const d = cache.$d;
  const base = i32[d + CacheWord.AC_BYTE]! >> 2;
  const stride = i32[d + CacheWord.AC_STRIDE]!;
  let live = i32[d + CacheWord.RETIRED_NET]!;
  for (let slot = 0; slot < i32[d + CacheWord.AC_SLOTS]!; slot++) live += i32[base + slot * stride + AcWord.NET]!;
  return live;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function validateName(where: string, name: string): Uint8Array {
  if (typeof name !== 'string') throw new SlabCacheFlagsError(`${where}: the name must be a string`);
  const bytes = encoder.encode(name);
  if (bytes.length === 0 || bytes.length > CACHE_NAME_BYTES) {
    throw new SlabCacheFlagsError(`${where}: the name must be 1 to ${CACHE_NAME_BYTES} bytes of UTF-8`);
  }
  return bytes;
}

/** @internal */
export function readName(heap: Heap, word: number): string {
  const bytes = heap.views.u8.subarray(word * 4, word * 4 + CACHE_NAME_BYTES);
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes.slice() : bytes.slice(0, end));
}

function attached(heap: Heap, where: string): ThreadContext {
  const self = currentThread;
  if (self === null || self.heap !== heap) throw new HeapAttachmentError(`${where}: the calling thread is not attached to this heap`);
  return self;
}

function checkAlive(cache: KmemCache, what: string): void {
  const i32 = cache.$views.i32;
  if (cache.$dead || Atomics.load(i32, cache.$d + CacheWord.MAGIC) !== CACHE_MAGIC || i32[cache.$d + CacheWord.SERIAL] !== cache.serial) {
    cache.$dead = true;
    throw new WrongCacheError(`${what}('${cache.name}'): the cache has been destroyed`);
  }
}

/** @internal Take a lock word in the heap (cache lock, directory lock). */
export function lockWord(heap: Heap, index: number, self: ThreadContext): void {
  // OWNER_DEAD: a thread died inside a critical section; its updates are short store
  // sequences. We take the lock over and go on; see the known gaps in the slab README.
  lockWordAcquire(heap.views.i32, index, self.tag, heap.registry);
}

/** @internal */
export function unlockWord(heap: Heap, index: number, self: ThreadContext): void {
  lockWordRelease(heap.views.i32, index, self.tag);
}

function wrongCache(cache: KmemCache, o: unknown): WrongCacheError {
  if (!(o instanceof StructObjectBase)) {
    return new WrongCacheError(`kmemCacheFree('${cache.name}'): not a slab object (a foreign value or address)`);
  }
  const other = o.$c as KmemCache | null;
  return new WrongCacheError(
    `kmemCacheFree('${cache.name}'): object 0x${o.$a.toString(16)} belongs to cache '${other?.name ?? '?'}'${other?.$dead ? ' (destroyed)' : ''}, not '${cache.name}'`,
  );
}

function doubleFree(cache: KmemCache, o: StructObjectBase, state: number): DoubleFreeError {
  return new DoubleFreeError(
    `kmemCacheFree('${cache.name}'): object 0x${o.$a.toString(16)} is not allocated (${state === ObjState.CACHED ? 'already freed' : 'free in its slab'}): double free`,
  );
}

/** @internal For slabinfo.ts. */
export { liveObjects, handles as cacheHandles };
