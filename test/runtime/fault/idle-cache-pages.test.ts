/**
 * @fileoverview An idle type-stable cache must not keep its pages from the rest of the heap
 * (issue 12, bug 6): once its objects are freed and a grace period has passed, another cache's
 * allocation, or kmemCacheCreate(), that would otherwise run out of pages reclaims them.
 */

import { afterEach, expect, it } from 'vitest';
import {
  OutOfMemoryError,
  SLAB_TYPESAFE_BY_RCU,
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  slabinfo,
  synchronizeRcu,
  type Heap,
  type KmemCache,
  type StructRef,
} from '@rcukit/runtime';

const Stable = defineStruct('idle-stable', { a: 'i32', pad: { array: 'u8', length: 240 } }, { typesafeByRcu: true });
const Plain = defineStruct('idle-plain', { a: 'i32', pad: { array: 'u8', length: 240 } });

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

function fill<D extends typeof Stable | typeof Plain>(cache: KmemCache<D>): StructRef<D>[] {
  const objs: StructRef<D>[] = [];
  for (;;) {
    try {
      objs.push(kmemCacheAlloc(cache));
    } catch (error) {
      if (error instanceof OutOfMemoryError) return objs;
      throw error;
    }
  }
}

it("gives an idle type-stable cache's pages to other caches after a grace period", () => {
  heap = createHeap({ threadName: 'idle-cache', initialBytes: 1 << 20, maxBytes: 2 << 20 });
  const stable = kmemCacheCreate(heap, 'idle-stable', Stable, { flags: SLAB_TYPESAFE_BY_RCU });
  const held = fill(stable);
  expect(held.length).toBeGreaterThan(1000);
  for (const o of held) kmemCacheFree(stable, o);
  synchronizeRcu();
  synchronizeRcu();
  // The idle cache is not touched again: no refill, no shrink.
  const plain = kmemCacheCreate(heap, 'idle-plain', Plain);
  const got = fill(plain);
  // All but what the idle cache may keep (its array cache, one empty slab, the slabs those
  // objects sit on) comes back.
  expect(got.length).toBeGreaterThan(held.length * 0.8);
  const info = slabinfo(heap).find((c) => c.name === 'idle-stable')!;
  expect(info.pendingSlabs).toBe(0);
  expect(info.activeObjs + info.cachedObjs + info.freeObjs).toBe(info.numObjs);
});
