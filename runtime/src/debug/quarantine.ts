/**
 * @fileoverview Debug mode's quarantine for plain (not type-stable) caches, in the spirit of
 * KASAN's: a freed object should not be handed out again at once, so that a reference kept
 * past kmemCacheFree() still finds a freed object (and UseAfterFreeError) rather than the next
 * owner's. The per-thread array cache is the quarantine: a debug heap allocates from an old
 * entry instead of its newest, so an object just freed waits behind up to QUARANTINE_DEPTH
 * other free objects of the thread's array cache before it is reused. Nothing is held outside
 * the allocator's own lists, so counts (slabinfo(), kmemCacheDestroy()'s busy check) are the
 * same as without debug mode. Type-stable caches keep their newest-first reuse: it is the
 * behaviour their readers must cope with, and what fuzzing should provoke.
 *
 * The rotation is one intent-log step under the cache lock (heap/intent-log.ts): shifting
 * entries one store at a time leaves an object in two entries for a moment, and a worker
 * killed then would have it given back twice. The depth keeps the step within the log.
 */

import { intentSet } from '../heap/intent-log.js';
import { CacheWord, INTENT_CAPACITY } from '../heap/layout.js';
import type { KmemCache } from '../slab/cache-handle.js';
import { lockWord, unlockWord } from '../slab/cache-lock.js';

/** Entries one rotation moves at most: one logged store each. */
const QUARANTINE_DEPTH = INTENT_CAPACITY - 8;

/**
 * Move the oldest of the array cache's top min(n, QUARANTINE_DEPTH) entries to the top, where
 * allocation takes from, shifting the others down by one. Precondition: n > 0, the handle
 * bound to this thread.
 */
export function oldestToTop(cache: KmemCache, n: number): void {
  const self = cache.$ctx!;
  const d = cache.$d;
  lockWord(cache.heap, d + CacheWord.LOCK, self);
  try {
    const i32 = cache.$views.i32; // after lockWord(), which may have remapped
    const objs = cache.$objs;
    const e = cache.$entries;
    const from = n - Math.min(n, QUARANTINE_DEPTH);
    const oldest = objs[from]!;
    for (let k = from; k < n - 1; k++) {
      objs[k] = objs[k + 1]!;
      intentSet(i32, e + k, i32[e + k + 1]!);
    }
    objs[n - 1] = oldest;
    intentSet(i32, e + n - 1, oldest.$a);
  } finally {
    unlockWord(cache.heap, d + CacheWord.LOCK, self);
  }
}
