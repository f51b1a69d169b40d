/**
 * @fileoverview Translation of the reference helpers of Linux include/linux/dma-fence.h, among
 * them dma_fence_get_rcu_safe(), the getter for fences that may be reallocated within a grace
 * period (SLAB_TYPESAFE_BY_RCU), and of its user i915_active_fence_get().
 *
 * Sources read:
 * - include/linux/dma-fence.h at torvalds/linux commit 8632987380765dee716d460640aa58d58d52998e
 *   (dma_fence_put, dma_fence_get, dma_fence_get_rcu, dma_fence_get_rcu_safe);
 * - drivers/gpu/drm/i915/i915_active.h at torvalds/linux commit
 *   f365ab31efacb70bed1e821f7435626e0b2528a6 (i915_active_fence_get).
 *
 * `struct dma_fence __rcu **fencep` is a FenceSlot: a function that reads the place.
 */

import { rcuReadLock, rcuReadUnlock, refcountDecAndTest, refcountInc, refcountIncNotZero } from '@rcukit/runtime';
import { dmaFenceRelease, type DmaFenceRef, type FenceSlot, type I915ActiveFenceRef } from '../lib/dma-fence.js';

/** dma_fence_put (include/linux/dma-fence.h): decreases refcount of the fence. */
export function dmaFencePut(fence: DmaFenceRef | null): void {
  if (fence && refcountDecAndTest(fence.refcount)) dmaFenceRelease(fence);
}

/** dma_fence_get (include/linux/dma-fence.h): increases refcount of the fence (kref_get: on a fence already referenced). */
export function dmaFenceGet(fence: DmaFenceRef | null): DmaFenceRef | null {
  if (fence) refcountInc(fence.refcount);
  return fence;
}

/**
 * dma_fence_get_rcu (include/linux/dma-fence.h): "get a fence from a dma_resv_list with rcu
 * read lock"; returns NULL if no refcount could be obtained, or the fence.
 * @rcuReadLockHeld
 */
export function dmaFenceGetRcu(fence: DmaFenceRef): DmaFenceRef | null {
  if (refcountIncNotZero(fence.refcount)) return fence;
  else return null;
}

/**
 * dma_fence_get_rcu_safe (include/linux/dma-fence.h): acquire a reference to an RCU tracked
 * fence that may be reallocated within the RCU grace period (such as with
 * SLAB_TYPESAFE_BY_RCU). "The caller is required to hold the RCU read lock."
 * @rcuReadLockHeld
 */
export function dmaFenceGetRcuSafe(fencep: FenceSlot): DmaFenceRef | null {
  do {
    const fence = fencep(); // rcu_dereference(*fencep)
    if (!fence) return null;

    if (!dmaFenceGetRcu(fence)) continue;

    // The increment inside dma_fence_get_rcu() is a full barrier on success, paired with the
    // write barrier of assigning the __rcu pointer: if the pointer still matches the fence, the
    // reference is on it. If not, we hold a reference to some other reallocated fence, and must
    // drop it.
    if (fence === fencep()) return fence; // rcu_access_pointer(*fencep); rcu_pointer_handoff(fence)

    dmaFencePut(fence);
  } while (true);
}

/**
 * i915_active_fence_get (drivers/gpu/drm/i915/i915_active.h): a reference to the active fence,
 * or NULL if the tracker is idle. "The reference is obtained under RCU, so no locking is
 * required by the caller."
 */
export function i915ActiveFenceGet(active: I915ActiveFenceRef): DmaFenceRef | null {
  rcuReadLock();
  const fence = dmaFenceGetRcuSafe(() => active.fence);
  rcuReadUnlock();

  return fence;
}
