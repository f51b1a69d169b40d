/**
 * @fileoverview A cache's slab lists: full, partial, empty and pending, doubly linked through
 * the slab headers (SlabWord.NEXT / PREV, the list named in SlabWord.LIST), with counts kept
 * for the empty and pending ones; and the count of a cache's live objects.
 *
 * Precondition of every function here: the cache lock is held. Their stores go through the
 * intent log (heap/intent-log.ts): a thread killed halfway through relinking a slab is undone.
 */

import { CacheWord, ObjState, SlabList, slabStateByte, SlabWord } from '../heap/layout.js';
import type { KmemCache } from './cache-handle.js';
import { intentAdd, intentSet } from '../heap/intent-log.js';

/** Descriptor word of each list's head, by SlabList value. */
export const LIST_HEAD = [0, CacheWord.FULL, CacheWord.PARTIAL, CacheWord.EMPTY, CacheWord.PENDING];

/** Descriptor word of each list's count (0: not counted), by SlabList value. */
export const LIST_COUNT = [0, 0, 0, CacheWord.NUM_EMPTY, CacheWord.NUM_PENDING];

/** Put `slab` at the head of `list`. Precondition: cache lock held; the slab is on no list. */
export function listAdd(cache: KmemCache, slab: number, list: number): void {
  const i32 = cache.$views.i32;
  const head = cache.$d + LIST_HEAD[list]!;
  const w = slab >> 2;
  const first = i32[head]!;
  intentSet(i32, w + SlabWord.NEXT, first);
  intentSet(i32, w + SlabWord.PREV, 0);
  if (first !== 0) intentSet(i32, (first >> 2) + SlabWord.PREV, slab);
  intentSet(i32, head, slab);
  intentSet(i32, w + SlabWord.LIST, list);
  if (LIST_COUNT[list] !== 0) intentAdd(i32, cache.$d + LIST_COUNT[list]!, 1);
}

/** Take `slab` off its list (nothing when it is on none). Precondition: cache lock held. */
export function listDel(cache: KmemCache, slab: number): void {
  const i32 = cache.$views.i32;
  const w = slab >> 2;
  const list = i32[w + SlabWord.LIST]!;
  if (list === SlabList.NONE) return;
  const next = i32[w + SlabWord.NEXT]!;
  const prev = i32[w + SlabWord.PREV]!;
  if (prev === 0) intentSet(i32, cache.$d + LIST_HEAD[list]!, next);
  else intentSet(i32, (prev >> 2) + SlabWord.NEXT, next);
  if (next !== 0) intentSet(i32, (next >> 2) + SlabWord.PREV, prev);
  intentSet(i32, w + SlabWord.NEXT, 0);
  intentSet(i32, w + SlabWord.PREV, 0);
  intentSet(i32, w + SlabWord.LIST, SlabList.NONE);
  if (LIST_COUNT[list] !== 0) intentAdd(i32, cache.$d + LIST_COUNT[list]!, -1);
}

/**
 * Objects handed out and not freed: the LIVE state bytes of every slab. Exact under the cache
 * lock, because the state byte is written before an object enters or after it leaves an array
 * cache. Precondition: cache lock held (or a snapshot is good enough).
 */
export function liveObjects(cache: KmemCache): number {
  const i32 = cache.$views.i32;
  const u8 = cache.$views.u8;
  const d = cache.$d;
  const per = cache.objectsPerSlab;
  let live = 0;
  for (const head of [CacheWord.FULL, CacheWord.PARTIAL]) {
    for (let slab = i32[d + head]!; slab !== 0; slab = i32[(slab >> 2) + SlabWord.NEXT]!) {
      const states = slab + slabStateByte(per);
      for (let k = 0; k < per; k++) if (u8[states + k] === ObjState.LIVE) live++;
    }
  }
  return live;
}
