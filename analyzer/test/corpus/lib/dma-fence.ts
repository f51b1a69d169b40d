/**
 * @fileoverview The fence structures of the kernel corpus (include/linux/dma-fence.h,
 * drivers/gpu/drm/i915/i915_active_types.h), declared with the runtime's struct API.
 *
 * A struct dma_fence may be embedded in an object of a SLAB_TYPESAFE_BY_RCU cache (i915
 * requests are), so a pointer to a fence read under RCU may lead to a fence that was freed and
 * reallocated: dma_fence_get_rcu_safe() exists for that case.
 */

import { defineStruct, type StructRef } from '@rcukit/runtime';

/** struct dma_fence, reduced. */
export const DmaFence = defineStruct(
  'dma_fence',
  {
    /** struct kref refcount. */
    refcount: 'refcount',
    lock: 'spinlock',
    flags: 'u32',
    context: 'u32',
    seqno: 'u32',
    error: 'i32',
  },
  { typesafeByRcu: true },
);
export type DmaFenceRef = StructRef<typeof DmaFence>;

/** struct i915_active_fence: the last fence of a timeline, RCU-protected. */
export const I915ActiveFence = defineStruct('i915_active_fence', {
  fence: { rcu: () => DmaFence },
});
export type I915ActiveFenceRef = StructRef<typeof I915ActiveFence>;

/** `struct dma_fence __rcu **fencep`: a place holding an RCU pointer to a fence, read through. */
export type FenceSlot = () => DmaFenceRef | null;

/** dma_fence_release(): the kref release function (frees the fence's container). */
export declare function dmaFenceRelease(fence: DmaFenceRef): void;
