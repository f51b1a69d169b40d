/**
 * @fileoverview Debug mode's quarantine for plain (not type-stable) caches, in the spirit of
 * KASAN's: a freed object should not be handed out again at once, so that a reference kept
 * past kmemCacheFree() still finds a freed object (and UseAfterFreeError) rather than the next
 * owner's. The per-thread array cache is the quarantine: a debug heap allocates from its
 * oldest entry instead of its newest, so an object just freed waits behind every other free
 * object of the thread's array cache (up to its limit, cache.$limit) before it is reused. Nothing is held
 * outside the allocator's own lists, so counts (slabinfo(), kmemCacheDestroy()'s busy check)
 * are the same as without debug mode. Type-stable caches keep their newest-first reuse: it
 * is the behaviour their readers must cope with, and what fuzzing should provoke.
 */

import type { StructObjectBase } from '../struct-object.js';

/** The part of a cache handle the rotation touches (slab/cache-handle.ts). */
interface ArrayCacheMirror {
  readonly $views: { readonly i32: Int32Array };
  readonly $objs: (StructObjectBase | null)[];
  readonly $entries: number;
}

/**
 * Move the oldest of the array cache's `n` entries to the top, where allocation takes from,
 * shifting the others down by one. Precondition: n > 0, the handle bound to this thread.
 */
export function oldestToTop(cache: ArrayCacheMirror, n: number): void {
  const i32 = cache.$views.i32;
  const objs = cache.$objs;
  const e = cache.$entries;
  const oldest = objs[0]!;
  for (let k = 0; k < n - 1; k++) {
    objs[k] = objs[k + 1]!;
    i32[e + k] = i32[e + k + 1]!;
  }
  objs[n - 1] = oldest;
  i32[e + n - 1] = oldest.$a;
}
