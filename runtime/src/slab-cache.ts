/**
 * @fileoverview The per-worker cache handle (KmemCache), the SLAB_* flags, and the small
 * helpers every part of the slab allocator shares: locks, names, liveness, error builders.
 *
 * A KmemCache is this worker's view of one cache descriptor in shared memory: geometry read
 * once, and the worker's own array cache mirrored as a JS array of objects. The descriptor is
 * the truth; a handle notices a destroyed cache by the descriptor's magic and serial.
 */

import { DoubleFreeError, HeapAttachmentError, SlabCacheFlagsError, WrongCacheError } from './errors.js';
import type { Heap } from './heap/heap.js';
import { lockWordAcquire, lockWordRelease } from './heap/lock-word.js';
import { CACHE_MAGIC, CACHE_NAME_BYTES, CacheWord, ObjState } from './slab-layout.js';
import { setCacheResolver } from './slab-object-map.js';
import { StructObjectBase, type AnyStructDef, type StructRef } from './struct.js';
import { threadLocal, type ThreadContext } from './heap/thread-context.js';

// ---------------------------------------------------------------------------------------------
// Flags (the kernel's values) and tuning
// ---------------------------------------------------------------------------------------------

/** Guard bytes around each object, checked on free and alloc (they lie outside the object, so type-stable caches may use them too). */
export const SLAB_RED_ZONE = 0x00000400;

/**
 * Fill freed objects with a pattern, check it on alloc (slab-debug.ts). Forbidden with
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
  /**
   * @internal The thread the fast paths may run for: $ctx for a cache without debug flags,
   * otherwise NOT_BOUND, so that one comparison stands for "bound here, no debug checks".
   * Never null, so an unattached thread (threadLocal.current === null) never matches it.
   */
  $fast: unknown = NOT_BOUND;
  /**
   * @internal This thread's array cache as objects: $objs[k] is the object at entry k of
   * AcWord.ENTRIES, for k below the shared AcWord.COUNT (which is the only count: the JS
   * array has a fixed length of AC_LIMIT, so the fast paths never resize it). Entries at or
   * above the count are stale and never read.
   */
  $objs: (StructObjectBase | null)[] = [];
  /** @internal Word indices of this thread's AcWord.COUNT and AcWord.ENTRIES. */
  $count = 0;
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

/** @internal Matches no thread context. */
export const NOT_BOUND: unique symbol = Symbol('not bound');

export const handles = new WeakMap<Heap, Map<number, KmemCache>>();

export function handleFor<D extends AnyStructDef>(heap: Heap, descriptor: number, struct: D, name: string): KmemCache<D> {
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

export const encoder = new TextEncoder();

export const decoder = new TextDecoder();

export function validateName(where: string, name: string): Uint8Array {
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

export function attached(heap: Heap, where: string): ThreadContext {
  const self = threadLocal.current;
  if (self === null || self.heap !== heap) throw new HeapAttachmentError(`${where}: the calling thread is not attached to this heap`);
  return self;
}

export function checkAlive(cache: KmemCache, what: string): void {
  const i32 = cache.$views.i32;
  if (cache.$dead || Atomics.load(i32, cache.$d + CacheWord.MAGIC) !== CACHE_MAGIC || i32[cache.$d + CacheWord.SERIAL] !== cache.serial) {
    cache.$dead = true;
    throw new WrongCacheError(`${what}('${cache.name}'): the cache has been destroyed`);
  }
}

/** @internal Take a lock word in the heap (cache lock, directory lock). */
export function lockWord(heap: Heap, index: number, self: ThreadContext): void {
  // OWNER_DEAD: a thread died inside a critical section; its updates are short store
  // sequences. We take the lock over and go on (a known gap: a thread terminated in the
  // middle of one can leave a slab list half-linked).
  lockWordAcquire(heap, index, self.tag, heap.registry);
  // Another worker may have grown the heap and put slabs there; the lock acquisition orders
  // its stores before ours, and remapping makes its pages addressable in this thread.
  heap.ensureMapped();
}

/** @internal */
export function unlockWord(heap: Heap, index: number, self: ThreadContext): void {
  lockWordRelease(heap, index, self.tag);
}

export function wrongCache(cache: KmemCache, o: unknown): WrongCacheError {
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
