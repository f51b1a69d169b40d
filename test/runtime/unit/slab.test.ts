/**
 * @fileoverview Slab caches in one thread: allocation, the type-stable rules (reuse at once,
 * fields kept after free, constructor once per slab, pages back only after a grace period),
 * lookup by name, slabinfo(), and every misuse raising its named error with the heap intact.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  CacheBusyError,
  CacheDestroyedError,
  DoubleFreeError,
  HeapAttachmentError,
  InvalidArgumentError,
  OutOfMemoryError,
  RcuDeadlockError,
  SLAB_DESTROY_BY_RCU,
  SLAB_HWCACHE_ALIGN,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_TYPESAFE_BY_RCU,
  SlabCacheFlagsError,
  SlabCorruptionError,
  WrongCacheError,
  addressOf,
  attachHeap,
  createHeap,
  defineStruct,
  formatSlabinfo,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheDestroyAsync,
  kmemCacheFree,
  kmemCacheLookup,
  kmemCacheShrink,
  offsetOf,
  pageAllocatorStats,
  rcuReadLock,
  rcuReadUnlock,
  refcountIncNotZero,
  refcountRead,
  refcountSet,
  slabinfo,
  spinLockInit,
  synchronizeRcu,
  type Heap,
  type StructRef,
} from '@rcukit/runtime';
import { cacheInfo } from './slab-helpers.js';

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});
function newHeap(maxBytes = 16 << 20): Heap {
  heap = createHeap({ maxBytes });
  return heap;
}

const Item = defineStruct('item', { key: 'i32', value: 'f64', tag: 'u16' });
const Sock = defineStruct(
  'sock',
  { lock: 'spinlock', refcnt: 'refcount', key: 'i32', node: 'hlistNulls' },
  { typesafeByRcu: true },
);

describe('kmemCacheAlloc / kmemCacheFree', () => {
  it('hands out distinct objects across many slabs and takes them all back', () => {
    const h = newHeap();
    const c = kmemCacheCreate(h, 'item', Item);
    const objs = Array.from({ length: 2000 }, (_, i) => {
      const o = kmemCacheAlloc(c);
      o.key = i;
      return o;
    });
    expect(new Set(objs.map(addressOf)).size).toBe(objs.length);
    objs.forEach((o, i) => expect(o.key).toBe(i)); // nobody else wrote into them
    let s = cacheInfo(h, 'item');
    expect(s.activeObjs).toBe(2000);
    expect(s.numSlabs).toBeGreaterThan(1);
    for (const o of objs) kmemCacheFree(c, o);
    s = cacheInfo(h, 'item');
    expect(s.activeObjs).toBe(0);
    kmemCacheShrink(c);
    s = cacheInfo(h, 'item');
    expect(s.numSlabs).toBe(0);
    kmemCacheDestroy(c);
    expect(slabinfo(h).find((x) => x.name === 'item')).toBeUndefined();
    const pages = pageAllocatorStats(h);
    expect(pages.freePages).toBe(pages.totalPages);
  });

  it('returns the existing cache for an existing name, and finds it with kmemCacheLookup()', () => {
    const h = newHeap();
    expect(kmemCacheLookup(h, 'item', Item)).toBeNull();
    const a = kmemCacheCreate(h, 'item', Item);
    expect(kmemCacheCreate(h, 'item', Item)).toBe(a);
    expect(kmemCacheLookup(h, 'item', Item)).toBe(a);
    expect(() => kmemCacheCreate(h, 'item', Sock, { flags: SLAB_TYPESAFE_BY_RCU })).toThrow(SlabCacheFlagsError);
    expect(() => kmemCacheCreate(h, 'item', Item, { flags: SLAB_HWCACHE_ALIGN })).toThrow(SlabCacheFlagsError);
    expect(() => kmemCacheLookup(h, 'item', Sock)).toThrow(WrongCacheError);
    kmemCacheDestroy(a);
    // A cache created with a constructor must be opened with one: this worker may build slabs.
    kmemCacheCreate(h, 'with-ctor', Item, { ctor: (o) => (o.key = 5) });
    expect(() => kmemCacheCreate(h, 'with-ctor', Item)).toThrow(/pass the same ctor/);
  });

  it('prints /proc/slabinfo-style text', () => {
    const h = newHeap();
    const c = kmemCacheCreate(h, 'item', Item);
    const o = kmemCacheAlloc(c);
    const text = formatSlabinfo(slabinfo(h));
    expect(text).toMatch(/^slabinfo - version: 2\.1/);
    expect(text).toMatch(/\nitem +1 +\d+ +24 /);
    kmemCacheFree(c, o);
    kmemCacheDestroy(c);
  });

  it('sizes each array cache by object size and heap size, and moves at most a bounded batch under the lock', () => {
    const Big = defineStruct('big-item', { body: { array: 'f64', length: 512 } });
    let h = newHeap(256 << 20);
    const small = cacheInfo(h, kmemCacheCreate(h, 'item', Item).name);
    const large = cacheInfo(h, kmemCacheCreate(h, 'big', Big).name);
    // Small objects: thousands per thread, so a working set of thousands stays on the fast path.
    expect(small.limit).toBeGreaterThanOrEqual(4000);
    expect(small.limit * small.stride).toBeLessThanOrEqual(128 << 10);
    // Large objects: no more than the same bytes' worth, but never fewer than the kernel's 120.
    expect(large.limit).toBeGreaterThanOrEqual(120);
    expect(large.limit).toBeLessThan(small.limit);
    for (const s of [small, large]) expect(s.batchCount).toBe(Math.min(s.limit >> 1, 256));
    h.detach();
    // A small heap keeps its array caches small: all threads' take at most 1/64 of its maximum.
    h = newHeap(4 << 20);
    const inSmallHeap = cacheInfo(h, kmemCacheCreate(h, 'item', Item).name);
    expect(inSmallHeap.limit).toBeLessThan(small.limit);
    expect(inSmallHeap.limit * 4 * 64).toBeLessThanOrEqual((4 << 20) / 64);
  });

  it('runs the constructor per object when a slab is built and the destructor when its pages go back', () => {
    const h = newHeap();
    const constructed = new Set<number>();
    const destroyed: number[] = [];
    const c = kmemCacheCreate(h, 'item', Item, {
      ctor: (o) => {
        constructed.add(addressOf(o));
        o.key = 1;
      },
      dtor: (o) => destroyed.push(addressOf(o)),
    });
    const objs = Array.from({ length: c.objectsPerSlab * 2 }, () => kmemCacheAlloc(c));
    expect(constructed.size).toBe(c.objectsPerSlab * 2);
    for (const o of objs) expect(constructed.has(addressOf(o))).toBe(true);
    expect(destroyed).toEqual([]);
    for (const o of objs) kmemCacheFree(c, o);
    kmemCacheShrink(c);
    expect(new Set(destroyed)).toEqual(constructed);
    kmemCacheDestroy(c);
  });

  it('throws OutOfMemoryError when the heap is full and keeps working after', () => {
    const h = newHeap(2 << 20);
    const Big = defineStruct('big', { data: { array: 'u8', length: 3000 } });
    const c = kmemCacheCreate(h, 'big', Big);
    const objs: StructRef<typeof Big>[] = [];
    expect(() => {
      for (;;) objs.push(kmemCacheAlloc(c));
    }).toThrow(OutOfMemoryError);
    expect(cacheInfo(h, 'big').activeObjs).toBe(objs.length);
    kmemCacheFree(c, objs.pop()!);
    objs.push(kmemCacheAlloc(c));
    for (const o of objs) kmemCacheFree(c, o);
    kmemCacheShrink(c);
    kmemCacheDestroy(c);
  });
});

describe('SLAB_TYPESAFE_BY_RCU', () => {
  it('runs the constructor once per slab object, never on allocation, and keeps fields after free', () => {
    const h = newHeap();
    let ctorCalls = 0;
    const c = kmemCacheCreate(h, 'sock', Sock, {
      flags: SLAB_DESTROY_BY_RCU,
      ctor: (s) => {
        ctorCalls++;
        spinLockInit(s.lock);
        s.key = -1;
      },
    });
    const a = kmemCacheAlloc(c);
    expect(ctorCalls).toBe(c.objectsPerSlab);
    expect(a.key).toBe(-1);
    a.key = 77;
    refcountSet(a.refcnt, 1);
    kmemCacheFree(c, a);
    // Freed but type-stable: a reader still sees the key, the refcount word is untouched (the
    // freer's refcountDecAndTest made it 0 in real code; here it is 1) and the lock is a lock.
    expect(a.key).toBe(77);
    expect(refcountRead(a.refcnt)).toBe(1);
    // Reused at once, without re-running the constructor or touching its words.
    const b = kmemCacheAlloc(c);
    expect(b).toBe(a);
    expect(b.key).toBe(77);
    expect(refcountRead(b.refcnt)).toBe(1);
    expect(ctorCalls).toBe(c.objectsPerSlab);
    refcountSet(b.refcnt, 0);
    expect(refcountIncNotZero(b.refcnt)).toBe(false);
    kmemCacheFree(c, b);
    kmemCacheDestroy(c);
  });

  it('keeps an empty slab until a grace period has passed, then gives its pages back', () => {
    const h = newHeap();
    const c = kmemCacheCreate(h, 'sock', Sock, { flags: SLAB_TYPESAFE_BY_RCU });
    const objs = Array.from({ length: c.objectsPerSlab * 3 }, () => kmemCacheAlloc(c));
    rcuReadLock(); // this thread is a reader: no grace period can complete
    for (const o of objs) kmemCacheFree(c, o);
    kmemCacheShrink(c);
    let s = cacheInfo(h, 'sock');
    expect(s.activeObjs).toBe(0);
    expect(s.pendingSlabs).toBe(s.numSlabs);
    expect(s.numSlabs).toBe(3);
    expect(s.slabsReleased).toBe(0);
    // A pending slab may be reused by its own cache.
    const again = kmemCacheAlloc(c);
    expect(objs).toContain(again);
    kmemCacheFree(c, again);
    kmemCacheShrink(c); // the slab empties again: pending with a new cookie
    expect(cacheInfo(h, 'sock').pendingSlabs).toBe(3);
    expect(() => kmemCacheDestroy(c)).toThrow(RcuDeadlockError);
    expect(cacheInfo(h, 'sock').numSlabs).toBe(3); // the failed destroy changed nothing
    rcuReadUnlock();
    synchronizeRcu();
    kmemCacheShrink(c);
    s = cacheInfo(h, 'sock');
    expect(s.numSlabs).toBe(0);
    expect(s.slabsReleased).toBe(3);
    kmemCacheDestroy(c);
  });

  it('destroys asynchronously after a grace period', async () => {
    const h = newHeap();
    const c = kmemCacheCreate(h, 'sock', Sock, { flags: SLAB_TYPESAFE_BY_RCU });
    const o = kmemCacheAlloc(c);
    kmemCacheFree(c, o);
    await kmemCacheDestroyAsync(c);
    expect(kmemCacheLookup(h, 'sock', Sock)).toBeNull();
    const pages = pageAllocatorStats(h);
    expect(pages.freePages).toBe(pages.totalPages);
  });
});

describe('misuse raises named errors and leaves the heap intact', () => {
  /** After an error: a cache still allocates and frees, and the accounting still holds. */
  function stillWorks(h: Heap, name: string): void {
    const c = kmemCacheLookup(h, name, Item)!;
    const before = cacheInfo(h, name).activeObjs;
    const o = kmemCacheAlloc(c);
    expect(cacheInfo(h, name).activeObjs).toBe(before + 1);
    kmemCacheFree(c, o);
    expect(cacheInfo(h, name).activeObjs).toBe(before);
  }

  it.each([
    ['SLAB_POISON with SLAB_TYPESAFE_BY_RCU', () => ({ flags: SLAB_TYPESAFE_BY_RCU | SLAB_POISON, struct: Sock })],
    ['a destructor with SLAB_TYPESAFE_BY_RCU', () => ({ flags: SLAB_TYPESAFE_BY_RCU, struct: Sock, dtor: () => {} })],
    ['a typesafeByRcu struct without the flag', () => ({ flags: 0, struct: Sock })],
    ['the flag on a struct not declared typesafeByRcu', () => ({ flags: SLAB_TYPESAFE_BY_RCU, struct: Item })],
    ['unknown flags', () => ({ flags: 1 << 30, struct: Item })],
    ['an alignment that is not a power of two', () => ({ flags: 0, struct: Item, align: 24 })],
  ])('kmemCacheCreate with %s throws SlabCacheFlagsError and creates nothing', (_what, make) => {
    const h = newHeap();
    const { struct, ...options } = make() as { struct: typeof Item; flags: number };
    expect(() => kmemCacheCreate(h, 'bad', struct, options)).toThrow(SlabCacheFlagsError);
    expect(slabinfo(h)).toEqual([]);
  });

  it('double free, free into the wrong cache and foreign values are named errors', () => {
    const h = newHeap();
    const c = kmemCacheCreate(h, 'item', Item);
    const d = kmemCacheCreate(h, 'item2', Item);
    const o = kmemCacheAlloc(c);
    const p = kmemCacheAlloc(d);
    kmemCacheFree(c, o);
    expect(() => kmemCacheFree(c, o)).toThrow(DoubleFreeError);
    expect(() => kmemCacheFree(c, p)).toThrow(WrongCacheError);
    expect(() => kmemCacheFree(c, { key: 1 } as never)).toThrow(WrongCacheError);
    expect(() => kmemCacheFree(c, addressOf(p) as never)).toThrow(WrongCacheError);
    // A double free detected after the object went back to its slab (array cache flushed).
    const many = Array.from({ length: cacheInfo(h, 'item').limit + 100 }, () => kmemCacheAlloc(c));
    for (const m of many) kmemCacheFree(c, m);
    expect(() => kmemCacheFree(c, many[0]!)).toThrow(DoubleFreeError);
    stillWorks(h, 'item');
    kmemCacheFree(d, p);
    stillWorks(h, 'item2');
  });

  it('a handle whose thread detached, or a value that is no cache, is refused without touching the array cache', () => {
    const h = newHeap();
    const c = kmemCacheCreate(h, 'item', Item);
    // Warm the fast paths: they run only for a handle bound to the calling thread.
    const kept = Array.from({ length: 32 }, () => kmemCacheAlloc(c));
    for (const o of kept.splice(16)) kmemCacheFree(c, o);
    const before = cacheInfo(h, 'item');
    const shared = h.share();
    h.detach();
    heap = null;
    expect(() => kmemCacheAlloc(c)).toThrow(HeapAttachmentError);
    expect(() => kmemCacheFree(c, kept[0]!)).toThrow(HeapAttachmentError);
    // Attached again (a new Heap object for the same memory): the old handle is still not
    // this thread's, and the array cache the thread left behind is as it was.
    heap = attachHeap(shared);
    expect(() => kmemCacheAlloc(c)).toThrow(HeapAttachmentError);
    expect(() => kmemCacheFree(c, kept[0]!)).toThrow(HeapAttachmentError);
    const after = cacheInfo(heap, 'item');
    expect(after.activeObjs).toBe(before.activeObjs);
    for (const value of [undefined, null, 7, {}]) {
      expect(() => kmemCacheAlloc(value as never)).toThrow(InvalidArgumentError);
    }
  });

  it('destroying a cache with live objects throws CacheBusyError naming how many, and changes nothing', () => {
    const h = newHeap();
    const c = kmemCacheCreate(h, 'item', Item);
    const objs = Array.from({ length: 3 }, () => kmemCacheAlloc(c));
    expect(() => kmemCacheDestroy(c)).toThrow(CacheBusyError);
    expect(() => kmemCacheDestroy(c)).toThrow(/3 objects are still allocated/);
    expect(cacheInfo(h, 'item').activeObjs).toBe(3);
    stillWorks(h, 'item');
    for (const o of objs) kmemCacheFree(c, o);
    kmemCacheDestroy(c);
    expect(() => kmemCacheAlloc(c)).toThrow(CacheDestroyedError); // a destroyed cache is refused
    expect(() => kmemCacheAlloc(c)).toThrow(/'item'\): the cache has been destroyed/);
  });

  it('SLAB_POISON reports a write after free with cache and offset, then keeps working', () => {
    // Debug mode would report the write itself (UseAfterFreeError); this is the check without it.
    const h = (heap = createHeap({ maxBytes: 16 << 20, debug: false }));
    const c = kmemCacheCreate(h, 'item', Item, { flags: SLAB_POISON });
    const o = kmemCacheAlloc(c);
    kmemCacheFree(c, o);
    o.tag = 0x1234; // use after free
    let error: unknown;
    try {
      kmemCacheAlloc(c); // LIFO: hands o out again, and finds the write
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SlabCorruptionError);
    expect((error as Error).message).toContain(`'item'`);
    expect((error as Error).message).toContain(`offset ${offsetOf(Item, 'tag')}`);
    stillWorks(h, 'item');
    expect(cacheInfo(h, 'item').activeObjs).toBe(0);
  });

  it('SLAB_RED_ZONE catches an overrun on free; the object stays allocated and the cache works', () => {
    const h = newHeap();
    const c = kmemCacheCreate(h, 'item', Item, { flags: SLAB_RED_ZONE });
    const o = kmemCacheAlloc(c);
    h.views.u8[addressOf(o) + Item.layout.size] = 0; // one byte past the end
    expect(() => kmemCacheFree(c, o)).toThrow(SlabCorruptionError);
    expect(() => kmemCacheFree(c, o)).toThrow(/red zone after object/);
    expect(cacheInfo(h, 'item').activeObjs).toBe(1);
    stillWorks(h, 'item');
    // Repair the guard: now it frees.
    h.views.u8[addressOf(o) + Item.layout.size] = 0xbb;
    kmemCacheFree(c, o);
    expect(cacheInfo(h, 'item').activeObjs).toBe(0);
    kmemCacheDestroy(c);
  });

  it('a constructor that throws leaves no half-built slab', () => {
    const h = newHeap();
    let fail = true;
    const c = kmemCacheCreate(h, 'item', Item, {
      ctor: () => {
        if (fail) throw new Error('ctor failed');
      },
    });
    const pages = pageAllocatorStats(h).freePages;
    expect(() => kmemCacheAlloc(c)).toThrow('ctor failed');
    expect(pageAllocatorStats(h).freePages).toBe(pages);
    expect(cacheInfo(h, 'item').numSlabs).toBe(0);
    fail = false;
    const o = kmemCacheAlloc(c);
    kmemCacheFree(c, o);
    kmemCacheDestroy(c);
  });
});
