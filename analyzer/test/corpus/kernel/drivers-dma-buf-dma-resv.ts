/**
 * @fileoverview Translation of the unlocked fence iterator of Linux drivers/dma-buf/dma-resv.c:
 * a reader walks a reservation object's fence list under rcu_read_lock(), takes a reference on
 * each fence with dma_fence_get_rcu() (fences may be embedded in SLAB_TYPESAFE_BY_RCU objects,
 * i915 requests), restarts from scratch when an increment fails, and repeats the whole walk
 * while the object's list pointer changed under it; and the writer that replaces and appends
 * fences under the object's lock.
 *
 * Source read: drivers/dma-buf/dma-resv.c at torvalds/linux commit
 * 0791faebfe750292a8a842b64795a390ca4a3b51; with include/linux/dma-resv.h
 * (dma_resv_iter_begin, dma_resv_iter_end, dma_resv_iter_is_restarted,
 * dma_resv_for_each_fence_unlocked, dma_resv_held, dma_resv_assert_held).
 * Functions: dma_resv_list_entry, dma_resv_list_set, dma_resv_fences_list, dma_resv_add_fence,
 * dma_resv_iter_restart_unlocked, dma_resv_iter_walk_unlocked, dma_resv_iter_first_unlocked,
 * dma_resv_iter_next_unlocked, dma_resv_get_fences, dma_resv_get_singleton,
 * dma_resv_wait_timeout, dma_resv_test_signaled.
 *
 * The ww_mutex is the runtime's spinlock (lib/kernel.ts). `struct dma_resv_iter` lives on the
 * caller's stack: a plain object here. dma_resv_for_each_fence_unlocked(cursor, fence) is the
 * loop `for (fence = first_unlocked(cursor); fence; fence = next_unlocked(cursor))`.
 * krealloc_array() of the fences array is a JavaScript array; kfree() of it is dropping it.
 */

import { addressOf, objectAt, rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';
import { ENOMEM, lockdepAssertHeld, warnOn } from '../lib/kernel.js';
import {
  DmaFence,
  dmaFenceArrayCreate,
  dmaFenceContextAlloc,
  dmaFenceIsContainer,
  dmaFenceIsLater,
  dmaFenceIsSignaled,
  dmaFenceWaitTimeout,
  dmaHeap,
  type DmaFenceRef,
  type DmaResvListRef,
  type DmaResvRef,
} from '../lib/dma-fence.js';
import { dmaFenceGet, dmaFenceGetRcu, dmaFencePut } from './include-linux-dma-fence.js';

/** DMA_RESV_LIST_MASK: the usage bits below a fence pointer in the list. */
const DMA_RESV_LIST_MASK = 0x3;

/** struct dma_resv_iter (include/linux/dma-resv.h). */
interface DmaResvIter {
  /** The dma_resv object we iterate. */
  readonly obj: DmaResvRef;
  /** Return fences with this usage or lower. */
  readonly usage: number;
  /** The currently handled fence. */
  fence: DmaFenceRef | null;
  /** The usage of the current fence. */
  fenceUsage: number;
  /** Index into the shared fences. */
  index: number;
  /** The shared fences; private, *MUST* not dereference. */
  fences: DmaResvListRef | null;
  /** Number of fences. */
  numFences: number;
  /** True if this is the first returned fence. */
  isRestarted: boolean;
}

/**
 * dma_resv_list_entry (drivers/dma-buf/dma-resv.c): the fence and usage of one entry.
 * rcu_dereference_check(list->table[index], resv ? dma_resv_held(resv) : true).
 */
function dmaResvListEntry(list: DmaResvListRef, index: number): { fence: DmaFenceRef; usage: number } {
  const tmp = Atomics.load(list.table, index);
  const fence = objectAt(DmaFence, dmaHeap, tmp & ~DMA_RESV_LIST_MASK);
  return { fence, usage: tmp & DMA_RESV_LIST_MASK };
}

/** dma_resv_list_set (drivers/dma-buf/dma-resv.c): RCU_INIT_POINTER(list->table[index], fence | usage). */
function dmaResvListSet(list: DmaResvListRef, index: number, fence: DmaFenceRef, usage: number): void {
  const tmp = addressOf(fence) | usage;

  Atomics.store(list.table, index, tmp);
}

/** dma_resv_fences_list (drivers/dma-buf/dma-resv.c): rcu_dereference_check(obj->fences, dma_resv_held(obj)). */
function dmaResvFencesList(obj: DmaResvRef): DmaResvListRef | null {
  return obj.fences;
}

/**
 * dma_resv_add_fence (drivers/dma-buf/dma-resv.c): add a fence to a slot; "@obj must be locked
 * with dma_resv_lock(), and dma_resv_reserve_fences() has been called." dma_resv_assert_held(obj).
 * @mustHold obj.lock
 */
export function dmaResvAddFence(obj: DmaResvRef, fence: DmaFenceRef, usage: number): void {
  dmaFenceGet(fence);

  lockdepAssertHeld(obj.lock);

  // Drivers should not add containers here, instead add each fence individually.
  warnOn(dmaFenceIsContainer(fence));

  const fobj = dmaResvFencesList(obj)!;
  let count = fobj.numFences;

  let i: number;
  for (i = 0; i < count; ++i) {
    const { fence: old, usage: oldUsage } = dmaResvListEntry(fobj, i);
    if ((old.context === fence.context && oldUsage >= usage && dmaFenceIsLater(fence, old)) || dmaFenceIsSignaled(old)) {
      dmaResvListSet(fobj, i, fence, usage);
      dmaFencePut(old);
      return;
    }
  }

  warnOn(fobj.numFences >= fobj.maxFences); // BUG_ON
  count++;

  dmaResvListSet(fobj, i, fence, usage);
  // pointer update must be visible before we extend the num_fences (smp_store_mb)
  fobj.numFences = count;
}

/** dma_resv_iter_begin (include/linux/dma-resv.h): initialize a cursor. */
function dmaResvIterBegin(obj: DmaResvRef, usage: number): DmaResvIter {
  return { obj, usage, fence: null, fenceUsage: 0, index: 0, fences: null, numFences: 0, isRestarted: false };
}

/** dma_resv_iter_end (include/linux/dma-resv.h): drop the reference on the current fence. */
function dmaResvIterEnd(cursor: DmaResvIter): void {
  dmaFencePut(cursor.fence);
}

/** dma_resv_iter_is_restarted (include/linux/dma-resv.h): was the iteration restarted? */
function dmaResvIterIsRestarted(cursor: DmaResvIter): boolean {
  return cursor.isRestarted;
}

/** dma_resv_iter_restart_unlocked (drivers/dma-buf/dma-resv.c): restart by re-reading the list. */
function dmaResvIterRestartUnlocked(cursor: DmaResvIter): void {
  cursor.index = 0;
  cursor.numFences = 0;
  cursor.fences = dmaResvFencesList(cursor.obj);
  if (cursor.fences) cursor.numFences = cursor.fences.numFences;
  cursor.isRestarted = true;
}

/** dma_resv_iter_walk_unlocked (drivers/dma-buf/dma-resv.c): walk to the next unsignaled fence and reference it. */
function dmaResvIterWalkUnlocked(cursor: DmaResvIter): void {
  if (!cursor.fences) return;

  do {
    // Drop the reference from the previous round
    dmaFencePut(cursor.fence);

    if (cursor.index >= cursor.numFences) {
      cursor.fence = null;
      break;
    }

    const entry = dmaResvListEntry(cursor.fences, cursor.index++);
    cursor.fence = entry.fence;
    cursor.fenceUsage = entry.usage;
    cursor.fence = dmaFenceGetRcu(cursor.fence);
    if (!cursor.fence) {
      dmaResvIterRestartUnlocked(cursor);
      continue;
    }

    if (!dmaFenceIsSignaled(cursor.fence) && cursor.usage >= cursor.fenceUsage) break;
  } while (true);
}

/**
 * dma_resv_iter_first_unlocked (drivers/dma-buf/dma-resv.c): the first fence of an unlocked
 * dma_resv object, referenced. "Beware that the iterator can be restarted."
 */
export function dmaResvIterFirstUnlocked(cursor: DmaResvIter): DmaFenceRef | null {
  rcuReadLock();
  do {
    dmaResvIterRestartUnlocked(cursor);
    dmaResvIterWalkUnlocked(cursor);
  } while (dmaResvFencesList(cursor.obj) !== cursor.fences);
  rcuReadUnlock();

  return cursor.fence;
}

/**
 * dma_resv_iter_next_unlocked (drivers/dma-buf/dma-resv.c): the next fence of an unlocked
 * dma_resv object, referenced (the previous one's reference is dropped).
 */
export function dmaResvIterNextUnlocked(cursor: DmaResvIter): DmaFenceRef | null {
  let restart: boolean;

  rcuReadLock();
  cursor.isRestarted = false;
  restart = dmaResvFencesList(cursor.obj) !== cursor.fences;
  do {
    if (restart) dmaResvIterRestartUnlocked(cursor);
    dmaResvIterWalkUnlocked(cursor);
    restart = true;
  } while (dmaResvFencesList(cursor.obj) !== cursor.fences);
  rcuReadUnlock();

  return cursor.fence;
}

/**
 * dma_resv_get_fences (drivers/dma-buf/dma-resv.c): every fence of the object with `usage` or
 * lower, each referenced, without the update-side lock. 0, or -ENOMEM.
 */
export function dmaResvGetFences(obj: DmaResvRef, usage: number, out: { fences: DmaFenceRef[] }): number {
  out.fences = [];

  const cursor = dmaResvIterBegin(obj, usage);
  for (let fence = dmaResvIterFirstUnlocked(cursor); fence; fence = dmaResvIterNextUnlocked(cursor)) {
    if (dmaResvIterIsRestarted(cursor)) {
      while (out.fences.length) dmaFencePut(out.fences.pop()!);

      // Eventually re-allocate the array (krealloc_array to num_fences + 1 entries)
      out.fences = [];
    }

    out.fences.push(dmaFenceGet(fence)!);
  }
  dmaResvIterEnd(cursor);

  return 0;
}

/**
 * dma_resv_get_singleton (drivers/dma-buf/dma-resv.c): one fence standing for all the fences
 * of the object, referenced, or null; 0 or -ENOMEM.
 */
export function dmaResvGetSingleton(obj: DmaResvRef, usage: number, fence: { value: DmaFenceRef | null }): number {
  const got = { fences: [] as DmaFenceRef[] };

  const r = dmaResvGetFences(obj, usage, got);
  if (r) return r;
  const fences = got.fences;
  let count = fences.length;

  if (count === 0) {
    fence.value = null;
    return 0;
  }

  if (count === 1) {
    fence.value = fences[0]!;
    return 0;
  }

  const array = dmaFenceArrayCreate(fences, dmaFenceContextAlloc(1), 1);
  if (!array) {
    while (count--) dmaFencePut(fences[count]!);
    return -ENOMEM;
  }

  fence.value = array;
  return 0;
}

/**
 * dma_resv_wait_timeout (drivers/dma-buf/dma-resv.c): wait on the object's fences. "Callers
 * are not required to hold specific locks, but maybe hold dma_resv_lock() already."
 */
export function dmaResvWaitTimeout(obj: DmaResvRef, usage: number, intr: boolean, timeout: number): number {
  let ret = timeout ? timeout : 1;

  const cursor = dmaResvIterBegin(obj, usage);
  for (let fence = dmaResvIterFirstUnlocked(cursor); fence; fence = dmaResvIterNextUnlocked(cursor)) {
    ret = dmaFenceWaitTimeout(fence, intr, ret);
    if (ret <= 0) {
      dmaResvIterEnd(cursor);
      return ret;
    }
  }
  dmaResvIterEnd(cursor);

  return ret;
}

/**
 * dma_resv_test_signaled (drivers/dma-buf/dma-resv.c): true if all fences signaled. "Callers
 * are not required to hold specific locks, but maybe hold dma_resv_lock() already."
 */
export function dmaResvTestSignaled(obj: DmaResvRef, usage: number): boolean {
  const cursor = dmaResvIterBegin(obj, usage);
  for (let fence = dmaResvIterFirstUnlocked(cursor); fence; fence = dmaResvIterNextUnlocked(cursor)) {
    dmaResvIterEnd(cursor);
    return false;
  }
  dmaResvIterEnd(cursor);
  return true;
}
