/**
 * @fileoverview Helpers shared by slab tests: the accounting invariant of slabinfo().
 */

import { expect } from 'vitest';
import { slabinfo, type Heap, type SlabInfo } from '@rcukit/runtime';

/** slabinfo() of one cache, asserting the accounting identity that holds at quiescence. */
export function cacheInfo(heap: Heap, name: string): SlabInfo {
  const info = slabinfo(heap).find((s) => s.name === name);
  expect(info, `cache ${name} in slabinfo()`).toBeDefined();
  const s = info!;
  expect(s.numObjs).toBe(s.numSlabs * s.objPerSlab);
  expect(s.activeObjs + s.cachedObjs + s.freeObjs).toBe(s.numObjs);
  expect(s.activeSlabs).toBeLessThanOrEqual(s.numSlabs);
  return s;
}
