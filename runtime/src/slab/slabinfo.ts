/**
 * @fileoverview slabinfo(): per-cache statistics from shared memory, like /proc/slabinfo, and a
 * text formatter in its format.
 *
 * Each cache is read under its lock, so slab lists, free stacks and state bytes are
 * consistent; array-cache sizes and the state bytes of cached objects are written by their
 * threads without the lock, so while threads are allocating the figures are a close snapshot,
 * and once they are quiescent they are exact: numObjs = activeObjs + cachedObjs + freeObjs,
 * where each term is counted from a different structure (state bytes, array caches, free
 * stacks).
 */

import type { Heap } from '../heap/heap.js';
import { HeapAttachmentError } from '../errors.js';
import {
  AcWord,
  CACHE_DIRECTORY_ROOT,
  CACHE_MAGIC,
  CacheWord,
  MAX_CACHES,
  ObjState,
  SlabHeaderWord,
  slabStateByte,
  SlabWord,
} from '../heap/layout.js';
import { readName } from './cache-handle.js';
import { objectMapOf, slabOfAddress } from './object-map.js';
import { lockWord, unlockWord } from './cache-lock.js';
import { SLAB_HWCACHE_ALIGN, SLAB_POISON, SLAB_RED_ZONE, SLAB_TYPESAFE_BY_RCU } from './flags.js';
import { threadLocal } from '../heap/thread-context.js';

export interface SlabInfo {
  readonly name: string;
  readonly structName: string;
  /** Objects handed out by kmemCacheAlloc() and not freed (over all threads). */
  readonly activeObjs: number;
  /** Object slots in all the cache's slabs. */
  readonly numObjs: number;
  /**
   * Free objects held in threads' array caches, including one a thread that died was
   * allocating or freeing at that moment, until a drain gives it back to its slab.
   */
  readonly cachedObjs: number;
  /** Free objects on slabs' free stacks. */
  readonly freeObjs: number;
  /** Bytes per object (the struct), and per slot (alignment and red zones included). */
  readonly objSize: number;
  readonly stride: number;
  readonly objPerSlab: number;
  readonly pagesPerSlab: number;
  /** Slabs with at least one object out (in use or in an array cache). */
  readonly activeSlabs: number;
  readonly numSlabs: number;
  /** Empty slabs of a type-stable cache waiting for a grace period (included in numSlabs). */
  readonly pendingSlabs: number;
  /** Pages held by the cache's slabs. */
  readonly pages: number;
  readonly slabsCreated: number;
  readonly slabsReleased: number;
  /**
   * The array caches' tunables, as the kernel's slabinfo prints them: objects a thread's array
   * cache holds at most, and moves per refill or flush (sized per cache: slab/flags.ts).
   */
  readonly limit: number;
  readonly batchCount: number;
  readonly flags: readonly string[];
}

/** Statistics for every cache of the heap, in directory order. */
export function slabinfo(heap: Heap): SlabInfo[] {
  const self = threadLocal.current;
  if (self === null || self.heap !== heap)
    throw new HeapAttachmentError(`slabinfo(): the calling thread is not attached to this heap`);
  const dirByte = heap.root(CACHE_DIRECTORY_ROOT, MAX_CACHES * 4, 4);
  const out: SlabInfo[] = [];
  lockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  try {
    heap.ensureMapped();
    for (let k = 0; k < MAX_CACHES; k++) {
      const desc = heap.views.i32[(dirByte >> 2) + k]!;
      if (desc === 0 || Atomics.load(heap.views.i32, (desc >> 2) + CacheWord.MAGIC) !== CACHE_MAGIC) continue;
      const d = desc >> 2;
      lockWord(heap, d + CacheWord.LOCK, self);
      try {
        out.push(readCache(heap, d));
      } finally {
        unlockWord(heap, d + CacheWord.LOCK, self);
      }
    }
  } finally {
    unlockWord(heap, SlabHeaderWord.DIR_LOCK, self);
  }
  return out;
}

function readCache(heap: Heap, d: number): SlabInfo {
  const i32 = heap.views.i32;
  const per = i32[d + CacheWord.PER_SLAB]!;
  const order = i32[d + CacheWord.SLAB_ORDER]!;
  let numSlabs = 0;
  let activeSlabs = 0;
  let freeObjs = 0;
  let pendingSlabs = 0;
  let activeObjs = 0;
  const u8 = heap.views.u8;
  for (const head of [CacheWord.FULL, CacheWord.PARTIAL, CacheWord.EMPTY, CacheWord.PENDING]) {
    for (let slab = i32[d + head]!; slab !== 0; slab = i32[(slab >> 2) + SlabWord.NEXT]!) {
      numSlabs++;
      if (head === CacheWord.PENDING) pendingSlabs++;
      if (i32[(slab >> 2) + SlabWord.INUSE]! > 0) activeSlabs++;
      freeObjs += i32[(slab >> 2) + SlabWord.FREE_TOP]!;
      // Active objects are counted from their state bytes, independently of the free stacks
      // and array caches, so that activeObjs + cachedObjs + freeObjs = numObjs is a real check.
      const states = slab + slabStateByte(per);
      for (let k = 0; k < per; k++) if (u8[states + k] === ObjState.LIVE) activeObjs++;
    }
  }
  const acBase = i32[d + CacheWord.AC_BYTE]! >> 2;
  const acStride = i32[d + CacheWord.AC_STRIDE]!;
  let cachedObjs = 0;
  for (let slot = 0; slot < i32[d + CacheWord.AC_SLOTS]!; slot++) {
    const ac = acBase + slot * acStride;
    const count = i32[ac + AcWord.COUNT]!;
    cachedObjs += count;
    const owner = i32[ac + AcWord.OWNER]!;
    if (owner !== 0 && count > 0 && !heap.registry.isOwnerAlive(owner))
      activeObjs -= liveInDeadArrayCache(heap, d, ac, count);
  }
  const flagBits = i32[d + CacheWord.FLAGS]!;
  const flags: string[] = [];
  if (flagBits & SLAB_TYPESAFE_BY_RCU) flags.push('SLAB_TYPESAFE_BY_RCU');
  if (flagBits & SLAB_POISON) flags.push('SLAB_POISON');
  if (flagBits & SLAB_RED_ZONE) flags.push('SLAB_RED_ZONE');
  if (flagBits & SLAB_HWCACHE_ALIGN) flags.push('SLAB_HWCACHE_ALIGN');
  return {
    name: readName(heap, d + CacheWord.NAME),
    structName: readName(heap, d + CacheWord.STRUCT_NAME),
    activeObjs,
    numObjs: numSlabs * per,
    cachedObjs,
    freeObjs,
    objSize: i32[d + CacheWord.STRUCT_SIZE]!,
    stride: i32[d + CacheWord.STRIDE]!,
    objPerSlab: per,
    pagesPerSlab: 1 << order,
    activeSlabs,
    numSlabs,
    pendingSlabs,
    pages: numSlabs << order,
    slabsCreated: i32[d + CacheWord.SLABS_CREATED]!,
    slabsReleased: i32[d + CacheWord.SLABS_RELEASED]!,
    limit: i32[d + CacheWord.AC_LIMIT]!,
    batchCount: i32[d + CacheWord.AC_BATCH]!,
    flags,
  };
}

/**
 * Objects in the array cache of a thread that died (below its count) whose state byte still
 * says LIVE. The fast and slow paths order their two stores so that a thread killed between
 * them leaves exactly this (slab/alloc-free.ts): an object it was allocating or freeing, that
 * no user holds and that draining the array cache frees. It counts as cached, not active,
 * until then. Precondition: cache lock held.
 */
function liveInDeadArrayCache(heap: Heap, d: number, ac: number, count: number): number {
  const i32 = heap.views.i32;
  const u8 = heap.views.u8;
  const map = objectMapOf(heap);
  const objBase = i32[d + CacheWord.SLAB_OBJ_BASE]! + i32[d + CacheWord.OBJ_OFFSET]!;
  const stride = i32[d + CacheWord.STRIDE]!;
  const per = i32[d + CacheWord.PER_SLAB]!;
  let live = 0;
  for (let k = 0; k < count; k++) {
    const address = i32[ac + AcWord.ENTRIES + k]!;
    const slab = slabOfAddress(map, address);
    const index = (address - slab - objBase) / stride;
    if (u8[slab + slabStateByte(per) + index] === ObjState.LIVE) live++;
  }
  return live;
}

/** /proc/slabinfo-style text: one header, one line per cache. */
export function formatSlabinfo(infos: readonly SlabInfo[]): string {
  const lines = [
    'slabinfo - version: 2.1 (rcukit)',
    '# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> : slabdata <active_slabs> <num_slabs> <pending_rcu> : cached <cached_objs>',
  ];
  for (const s of infos) {
    lines.push(
      `${s.name.padEnd(17)} ${String(s.activeObjs).padStart(6)} ${String(s.numObjs).padStart(6)} ${String(s.objSize).padStart(6)} ` +
        `${String(s.objPerSlab).padStart(4)} ${String(s.pagesPerSlab).padStart(4)} : tunables ${String(s.limit).padStart(4)} ${String(s.batchCount).padStart(4)} : slabdata ${String(s.activeSlabs).padStart(6)} ` +
        `${String(s.numSlabs).padStart(6)} ${String(s.pendingSlabs).padStart(6)} : cached ${String(s.cachedObjs).padStart(6)}`,
    );
  }
  return lines.join('\n') + '\n';
}
