/**
 * @fileoverview Per-worker map from heap addresses to this worker's struct objects, so that
 * two references to the same object are `===` and an address from another worker comes back
 * as the same object.
 *
 * One ObjectMap per heap in each worker, holding one SlabView per slab this worker has seen,
 * found by page number in a dense array; each view holds a dense array of objects by index in
 * the slab, filled lazily. Nothing leaks past the slab: when a slab's pages are released and
 * reused, its serial changes, the next lookup on those pages finds the mismatch and replaces
 * the view (the old view and its objects become garbage). The truth is the page map
 * (slab/page-allocator.ts) and the slab header; the view is a cache of it, revalidated on
 * every lookup by two shared loads.
 */

import { WrongCacheError } from '../errors.js';
import type { Heap, HeapViews } from '../heap/heap.js';
import { CacheWord, PAGE_SIZE, PageAllocWord, SLAB_MAGIC, slabStateByte, SlabWord } from '../heap/layout.js';
import type { StructObjectBase } from '../struct-object.js';
import type { AnyStructDef } from '../struct.js';
import { cacheHandleAt, type KmemCache } from './cache-handle.js';
import { firstPageByte } from './page-allocator.js';
import type { DebugThread } from '../debug/debug-thread.js';

/**
 * @internal This worker's object map of one heap. Every struct object of the heap holds it
 * (`$m`), so that an RCU pointer load resolves an address without a per-heap lookup.
 */
export class ObjectMap {
  /** The heap's views (heap.views, never replaced: remapping updates it in place). */
  readonly views: HeapViews;
  /** A SlabView per page number of the page allocator, dense. */
  readonly pages: (SlabView | undefined)[] = [];
  /** Byte offset of page 0 and word index of the page map, once known (else 0). */
  firstPage = 0;
  memmapWord = 0;
  /** The heap's debug mode, whose object classes check each use; null when off. */
  readonly debug: DebugThread | null;

  constructor(readonly heap: Heap) {
    this.views = heap.views;
    this.debug = heap.debug;
  }
}

/**
 * This worker's ObjectMap of a heap lives on the Heap object itself (a Heap is per worker),
 * under a module-private symbol: one property load, and nothing outlives the heap.
 */
const MAP = Symbol('rcukit.objectMap');
type HeapWithMap = Heap & { [MAP]?: ObjectMap };

/** @internal This worker's ObjectMap of a heap. */
export function objectMapOf(heap: Heap): ObjectMap {
  return ((heap as HeapWithMap)[MAP] ??= new ObjectMap(heap));
}

/** @internal One slab as this worker sees it. */
export class SlabView {
  readonly objects: (StructObjectBase | undefined)[];
  /** The cache's struct (compared by identity on the fast path). */
  readonly struct: AnyStructDef;
  /** 1 / stride: an index from an offset by multiplication, cheaper than a division. */
  readonly inverseStride: number;
  /** Word index of the slab's serial. */
  readonly serialWord: number;
  constructor(
    readonly addr: number,
    readonly serial: number,
    readonly objBase: number,
    readonly stride: number,
    readonly count: number,
    readonly cache: KmemCache,
    readonly map: ObjectMap,
  ) {
    this.objects = new Array<StructObjectBase | undefined>(count);
    this.struct = cache.struct;
    this.inverseStride = 1 / stride;
    this.serialWord = (addr >> 2) + SlabWord.SERIAL;
  }

  /** The object in slot `index`, created on first use. */
  object(index: number): StructObjectBase {
    let obj = this.objects[index];
    if (obj === undefined) {
      const debug = this.map.debug;
      const Ctor = debug === null ? this.cache.struct.objectClass : debug.objectClass(this.cache.struct);
      obj = new Ctor(
        this.map,
        this.objBase + index * this.stride,
        this.cache,
        this.addr + slabStateByte(this.count) + index,
      );
      this.objects[index] = obj;
    }
    return obj;
  }
}

/**
 * This worker's object at `address`. Throws WrongCacheError when no live slab of a cache of
 * `struct` has an object slot starting there.
 */
export function resolveAddress(struct: AnyStructDef, heap: Heap, address: number): StructObjectBase {
  return resolveIn(objectMapOf(heap), struct, address);
}

/**
 * resolveAddress() with the heap's ObjectMap at hand (an object's `$m`), which saves the
 * per-heap lookup on the rcu_dereference path. The fast path is a few plain loads and one
 * multiplication; anything unusual goes to resolveSlow().
 */
export function resolveIn(map: ObjectMap, struct: AnyStructDef, address: number): StructObjectBase {
  const i32 = map.views.i32;
  const page = (address - map.firstPage) >>> 12;
  const view = map.pages[page];
  // Revalidate the cached view: the page still belongs to the same slab incarnation. Plain
  // loads are enough: these words change only when a slab is built or its pages are released.
  // The address reached us through a publication (an Atomics store / lock release) made after
  // the slab was built; and a type-stable slab cannot be released while the caller is inside
  // the read-side section that found the address (for other caches, an address of a released
  // slab is a use after free). A stale value can only send us to the slow path.
  if (
    view !== undefined &&
    i32[map.memmapWord + page] === view.addr &&
    i32[view.serialWord] === view.serial &&
    view.struct === struct
  ) {
    const offset = address - view.objBase;
    // offset + 0.5 keeps exact multiples from rounding down; the check below rejects the rest.
    const index = ((offset + 0.5) * view.inverseStride) | 0;
    const obj = view.objects[index];
    if (obj !== undefined && obj.$a === address) return obj;
  }
  return resolveSlow(map, struct, address);
}

/**
 * @internal This worker's view of the slab at byte offset `slab` (a live slab of the cache
 * whose struct is `struct`), for walking many of its objects: view.objects[i] ?? view.object(i).
 */
export function slabViewAt(map: ObjectMap, struct: AnyStructDef, slab: number): SlabView {
  const page = (slab - map.firstPage) >>> 12;
  const view = map.pages[page];
  if (view !== undefined && view.addr === slab && map.firstPage !== 0 && map.views.i32[view.serialWord] === view.serial)
    return view;
  // Resolve object 0 the slow way: that builds (and caches) the view of its slab. The slab
  // may be new, on pages this thread's views do not cover yet.
  map.heap.ensureMapped(slab + SlabWord.WORDS * 4);
  const i32 = map.views.i32;
  const d = i32[(slab >> 2) + SlabWord.CACHE]! >> 2;
  return viewOf(
    resolveSlow(map, struct, slab + i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!),
    map,
  );
}

function viewOf(obj: StructObjectBase, map: ObjectMap): SlabView {
  return map.pages[(obj.$a - map.firstPage) >>> 12]!;
}

/**
 * @internal Make sure `map` knows where the page map is (set by the first resolution in
 * this worker; code that reads the page map without resolving first calls this).
 */
export function pageMapReady(map: ObjectMap): ObjectMap {
  if (map.firstPage === 0) {
    map.firstPage = firstPageByte(map.heap);
    map.memmapWord = map.views.i32[PageAllocWord.MEMMAP_BYTE]! >> 2;
  }
  return map;
}

/**
 * @internal The byte offset of the slab holding `address`, from the page map (a plain load: a
 * live slab's page-map words do not change, and the caller's cache lock orders their writing
 * before it).
 */
export function slabOfAddress(map: ObjectMap, address: number): number {
  const m = pageMapReady(map);
  return m.views.i32[m.memmapWord + ((address - m.firstPage) >>> 12)]!;
}

function resolveSlow(map: ObjectMap, struct: AnyStructDef, address: number): StructObjectBase {
  const i32 = map.views.i32;
  const page = (address - map.firstPage) >>> 12;
  let view = map.pages[page];
  if (
    view === undefined ||
    map.firstPage === 0 ||
    i32[map.memmapWord + page] !== view.addr ||
    i32[view.serialWord] !== view.serial
  ) {
    view = rebuild(map, struct, address);
  }
  const offset = address - view.objBase;
  const index = Math.floor(offset / view.stride);
  if (offset < 0 || index * view.stride !== offset || index >= view.count) {
    throw new WrongCacheError(
      `address 0x${address.toString(16)} is not the start of an object in cache '${view.cache.name}'`,
    );
  }
  const owner = view.cache.struct;
  if (owner !== struct && owner.layout.hash !== struct.layout.hash) {
    throw new WrongCacheError(
      `address 0x${address.toString(16)} holds a '${owner.name}' object of cache '${view.cache.name}', not a '${struct.name}'`,
    );
  }
  return view.objects[index] ?? view.object(index);
}

function rebuild(map: ObjectMap, struct: AnyStructDef, address: number): SlabView {
  const heap = map.heap;
  const first = firstPageByte(heap);
  if (!Number.isInteger(address) || first === 0 || address < first || address >= heap.byteLength) {
    const given: unknown = address; // as a JavaScript caller may pass it
    throw new WrongCacheError(`address 0x${Number(given).toString(16)} is not in any slab of this heap`);
  }
  heap.ensureMapped(address + 4);
  const i32 = map.views.i32;
  const page = (address - first) >>> 12;
  const slab = Atomics.load(i32, (i32[PageAllocWord.MEMMAP_BYTE]! >> 2) + page);
  if (slab <= 0 || Atomics.load(i32, (slab >> 2) + SlabWord.MAGIC) !== SLAB_MAGIC) {
    throw new WrongCacheError(
      `address 0x${address.toString(16)} is not in any slab of this heap (a foreign or freed address)`,
    );
  }
  const w = slab >> 2;
  const descriptor = Atomics.load(i32, w + SlabWord.CACHE);
  const d = descriptor >> 2;
  const cache = cacheHandleAt(heap, descriptor, struct);
  const count = i32[d + CacheWord.PER_SLAB]!;
  const order = i32[d + CacheWord.SLAB_ORDER]!;
  heap.ensureMapped(slab + (PAGE_SIZE << order));
  const view = new SlabView(
    slab,
    Atomics.load(i32, w + SlabWord.SERIAL),
    slab + i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!,
    i32[d + CacheWord.STRIDE]!,
    count,
    cache,
    map,
  );
  const firstPage = (slab - first) / PAGE_SIZE;
  for (let p = firstPage; p < firstPage + (1 << order); p++) map.pages[p] = view;
  // Constant once the page allocator is ready: cached for the fast path.
  map.firstPage = first;
  map.memmapWord = i32[PageAllocWord.MEMMAP_BYTE]! >> 2;
  return view;
}
