/**
 * @fileoverview The per-worker cache handle (KmemCache): this worker's view of one cache
 * descriptor in shared memory, found by descriptor and checked for liveness.
 *
 * A KmemCache caches the geometry, read once, and mirrors the worker's own array cache as a
 * JS array of objects. The descriptor is the truth; a handle notices a destroyed cache by
 * the descriptor's magic and serial.
 */

import { CacheDestroyedError, WrongCacheError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import type { ThreadContext } from '../heap/thread-context.js';
import type { AnyStructDef, StructRef } from '../struct.js';
import type { StructObjectBase } from '../struct-object.js';
import { SLAB_POISON, SLAB_RED_ZONE, SLAB_TYPESAFE_BY_RCU } from './flags.js';
import { CACHE_MAGIC, CACHE_NAME_BYTES, CacheWord, SlabHeaderWord } from '../heap/layout.js';

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
  /** @internal Byte offset of each object's generation word (debug heaps, type-stable caches); 0 for none. */
  readonly $genOffset: number;
  /** @internal */ readonly $views: Heap['views'];
  /** @internal Thread the array-cache fields below are bound to. */
  $ctx: ThreadContext | null = null;
  /**
   * @internal The fast paths' bound on this thread's array-cache count: $limit while the
   * handle is bound to the calling thread (bind()) and the cache and heap have no debug
   * checks, 0 otherwise (then every allocation and free takes the slow path). One compare
   * stands for "bound here, no debug checks, room to free": the fast paths test no thread
   * context; the end of the attachment the handle is bound to sets it back to 0
   * (ThreadContext.atRelease, array-cache.ts).
   */
  $room = 0;
  /**
   * @internal The fast paths' views: heap.views' Int32Array and Uint8Array as of this handle's
   * last slow path. Fields of the handle itself, one load closer than heap.views (whose
   * fields a remap replaces); measured on Node 22 and 24, the slab pair costs about 15% less
   * this way. They may lag a remap, but they cover every word the fast paths touch: this
   * thread's array cache, and the state byte of each object on it (the slow paths that put
   * objects there refresh them last; the free fast path leaves an object it cannot read the
   * state of to the slow path).
   */
  $i32: Int32Array;
  $u8: Uint8Array;
  /**
   * @internal This thread's array cache as objects: $objs[k] is the object at entry k of
   * AcWord.ENTRIES, for k below the shared AcWord.COUNT (which is the only count: the JS
   * array has a fixed length of $limit, so the fast paths never resize it). Entries at or
   * above the count are stale and never read.
   */
  $objs: (StructObjectBase | null)[] = [];
  /** @internal The array cache's limit and batch (CacheWord.AC_LIMIT, AC_BATCH; flags.ts). */
  readonly $limit: number;
  readonly $batch: number;
  /** @internal Word indices of this thread's AcWord.COUNT and AcWord.ENTRIES. */
  $count = 0;
  $entries = 0;
  /** @internal */ $dead = false;
  /**
   * @internal SlabHeaderWord.DESTROYS when this handle was last checked alive: the fast paths
   * run only while it is unchanged, so that a cache destroyed by another worker is noticed
   * (by the slow path's checkAlive()) before this worker touches its freed array cache.
   */
  $destroys = -1;

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
    this.$limit = i32[d + CacheWord.AC_LIMIT]!;
    this.$batch = i32[d + CacheWord.AC_BATCH]!;
    this.typesafeByRcu = (this.flags & SLAB_TYPESAFE_BY_RCU) !== 0;
    this.$genOffset = i32[d + CacheWord.GEN_OFFSET]!;
    this.$debug = (this.flags & (SLAB_POISON | SLAB_RED_ZONE)) !== 0;
    this.$views = heap.views;
    this.$i32 = heap.views.i32;
    this.$u8 = heap.views.u8;
  }
}

export const handles = new WeakMap<Heap, Map<number, KmemCache>>();

export function handleFor<D extends AnyStructDef>(
  heap: Heap,
  descriptor: number,
  struct: D,
  name: string,
): KmemCache<D> {
  let m = handles.get(heap);
  if (m === undefined) handles.set(heap, (m = new Map<number, KmemCache>()));
  const serial = heap.views.i32[(descriptor >> 2) + CacheWord.SERIAL]!;
  const existing = m.get(descriptor);
  if (existing !== undefined && existing.serial === serial && !existing.$dead)
    return existing as unknown as KmemCache<D>;
  const handle = new KmemCache(heap, name, struct, descriptor);
  m.set(descriptor, handle);
  return handle;
}

/**
 * @internal This worker's handle on the cache whose descriptor is at `descriptor`, made on
 * first use, for the object map meeting a slab of it. Throws WrongCacheError when the
 * descriptor is not a live cache, or the cache holds objects of another struct.
 */
export function cacheHandleAt(heap: Heap, descriptor: number, struct: AnyStructDef): KmemCache {
  const existing = handles.get(heap)?.get(descriptor);
  const i32 = heap.views.i32;
  const d = descriptor >> 2;
  if (existing !== undefined && existing.serial === i32[d + CacheWord.SERIAL] && !existing.$dead) return existing;
  if (Atomics.load(i32, d + CacheWord.MAGIC) !== CACHE_MAGIC) {
    throw new WrongCacheError(`descriptor 0x${descriptor.toString(16)} is not a live cache`);
  }
  const name = readName(heap, d + CacheWord.NAME);
  if (i32[d + CacheWord.STRUCT_HASH] !== struct.layout.hash) {
    throw new WrongCacheError(
      `cache '${name}' holds '${readName(heap, d + CacheWord.STRUCT_NAME)}' objects, not '${struct.name}' (or another declaration of it)`,
    );
  }
  return handleFor(heap, descriptor, struct, name);
}

const decoder = new TextDecoder();

/** @internal */
export function readName(heap: Heap, word: number): string {
  const bytes = heap.views.u8.subarray(word * 4, word * 4 + CACHE_NAME_BYTES);
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes.slice() : bytes.slice(0, end));
}

export function checkAlive(cache: KmemCache, what: string): void {
  const i32 = cache.$views.i32;
  // Loaded before the checks: a destroy after them moves it, and the fast paths then stop.
  const destroys = Atomics.load(i32, SlabHeaderWord.DESTROYS);
  if (
    cache.$dead ||
    Atomics.load(i32, cache.$d + CacheWord.MAGIC) !== CACHE_MAGIC ||
    i32[cache.$d + CacheWord.SERIAL] !== cache.serial
  ) {
    cache.$dead = true;
    throw new CacheDestroyedError(`${what}('${cache.name}'): the cache has been destroyed (kmemCacheDestroy)`);
  }
  cache.$destroys = destroys;
}
