/**
 * @fileoverview Per-worker map from heap addresses to this worker's struct objects, so that
 * two references to the same object are `===` and an address from another worker comes back
 * as the same object.
 *
 * One SlabView per slab this worker has seen, found by page number in a dense array; each view
 * holds a dense array of objects by index in the slab, filled lazily. Nothing leaks past the
 * slab: when a slab's pages are released and reused, its serial changes, the next lookup on
 * those pages finds the mismatch and replaces the view (the old view and its objects become
 * garbage). The truth is the page map (page-allocator.ts) and the slab header; the view is a
 * cache of it, revalidated on every lookup by two shared loads.
 */

import { WrongCacheError } from './errors.js';
import type { Heap } from './heap.js';
import { PAGE_SIZE } from './heap-layout.js';
import { PageAllocWord, firstPageByte } from './page-allocator.js';
import { CacheWord, SLAB_MAGIC, SlabWord, slabStateByte } from './slab-layout.js';
import { structViews, type AnyStructDef, type StructObjectBase, type StructViews } from './struct.js';

/** What the object map needs from a cache handle of this worker. */
export interface CacheForMap {
  readonly struct: AnyStructDef;
  readonly name: string;
}

/** @internal One slab as this worker sees it. */
export class SlabView {
  readonly objects: (StructObjectBase | undefined)[];
  constructor(
    readonly addr: number,
    readonly serial: number,
    readonly objBase: number,
    readonly stride: number,
    readonly count: number,
    readonly cache: CacheForMap,
    readonly views: StructViews,
  ) {
    this.objects = new Array<StructObjectBase | undefined>(count);
  }

  /** The object in slot `index`, created on first use. */
  object(index: number): StructObjectBase {
    let obj = this.objects[index];
    if (obj === undefined) {
      const Ctor = this.cache.struct.objectClass;
      obj = new Ctor(this.views, this.objBase + index * this.stride, this.cache, this.addr + slabStateByte(this.count) + index);
      this.objects[index] = obj;
    }
    return obj;
  }
}

interface HeapObjectMap {
  readonly heap: Heap;
  readonly views: StructViews;
  readonly pages: (SlabView | undefined)[];
}

const maps = new WeakMap<Heap, HeapObjectMap>();

/** Set by slab.ts: this worker's cache handle for a descriptor (created on first use). */
let cacheForDescriptor: (heap: Heap, descriptor: number, struct: AnyStructDef) => CacheForMap = () => {
  throw new Error('slab.ts not loaded');
};
/** @internal */
export function setCacheResolver(fn: typeof cacheForDescriptor): void {
  cacheForDescriptor = fn;
}

/** @internal This worker's object map of a heap. */
export function objectMap(heap: Heap): HeapObjectMap {
  let m = maps.get(heap);
  if (m === undefined) {
    m = { heap, views: structViews(heap), pages: [] };
    maps.set(heap, m);
  }
  return m;
}

/** @internal Record a slab this worker has just built (its views are known without a lookup). */
export function registerSlabView(heap: Heap, view: SlabView, pages: number): void {
  const m = objectMap(heap);
  const first = (view.addr - firstPageByte(heap)) / PAGE_SIZE;
  for (let p = first; p < first + pages; p++) m.pages[p] = view;
}

/**
 * This worker's object at `address`. Throws WrongCacheError when no live slab of a cache of
 * `struct` has an object slot starting there.
 */
export function resolveAddress(struct: AnyStructDef, heap: Heap, address: number): StructObjectBase {
  const m = objectMap(heap);
  const i32 = m.views.i32;
  const first = i32[PageAllocWord.FIRST_PAGE_BYTE]!;
  const page = (address - first) >>> 12;
  let view = m.pages[page];
  // Revalidate the cached view: the page still belongs to the same slab incarnation. The
  // page-map word is written before the slab is published (setPageOwner), so an address that
  // reached us through a publication finds it in place.
  if (
    view === undefined ||
    Atomics.load(i32, (i32[PageAllocWord.MEMMAP_BYTE]! >> 2) + page) !== view.addr ||
    Atomics.load(i32, (view.addr >> 2) + SlabWord.SERIAL) !== view.serial
  ) {
    view = rebuild(m, struct, address);
  }
  const offset = address - view.objBase;
  const index = (offset / view.stride) | 0;
  if (offset < 0 || index * view.stride !== offset || index >= view.count) {
    throw new WrongCacheError(`address 0x${address.toString(16)} is not the start of an object in cache '${view.cache.name}'`);
  }
  const owner = view.cache.struct;
  if (owner !== struct && owner.layout.hash !== struct.layout.hash) {
    throw new WrongCacheError(
      `address 0x${address.toString(16)} holds a '${owner.name}' object of cache '${view.cache.name}', not a '${struct.name}'`,
    );
  }
  return view.objects[index] ?? view.object(index);
}

function rebuild(m: HeapObjectMap, struct: AnyStructDef, address: number): SlabView {
  const heap = m.heap;
  const first = firstPageByte(heap);
  if (!Number.isInteger(address) || first === 0 || address < first || address >= heap.byteLength) {
    throw new WrongCacheError(`address 0x${Number(address).toString(16)} is not in any slab of this heap`);
  }
  m.views.ensure(address + 4);
  const i32 = m.views.i32;
  const page = (address - first) >>> 12;
  const slab = Atomics.load(i32, (i32[PageAllocWord.MEMMAP_BYTE]! >> 2) + page);
  if (slab <= 0 || Atomics.load(i32, (slab >> 2) + SlabWord.MAGIC) !== SLAB_MAGIC) {
    throw new WrongCacheError(`address 0x${address.toString(16)} is not in any slab of this heap (a foreign or freed address)`);
  }
  const w = slab >> 2;
  const descriptor = Atomics.load(i32, w + SlabWord.CACHE);
  const d = descriptor >> 2;
  const cache = cacheForDescriptor(heap, descriptor, struct);
  const count = i32[d + CacheWord.PER_SLAB]!;
  const order = i32[d + CacheWord.SLAB_ORDER]!;
  m.views.ensure(slab + (PAGE_SIZE << order));
  const view = new SlabView(
    slab,
    Atomics.load(i32, w + SlabWord.SERIAL),
    slab + i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!,
    i32[d + CacheWord.STRIDE]!,
    count,
    cache,
    m.views,
  );
  const firstPage = (slab - first) / PAGE_SIZE;
  for (let p = firstPage; p < firstPage + (1 << order); p++) m.pages[p] = view;
  return view;
}
