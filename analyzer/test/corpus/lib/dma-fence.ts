/**
 * @fileoverview The fence structures of the kernel corpus (include/linux/dma-fence.h,
 * drivers/gpu/drm/i915/i915_active_types.h), declared with the runtime's struct API.
 *
 * A struct dma_fence may be embedded in an object of a SLAB_TYPESAFE_BY_RCU cache (i915
 * requests are), so a pointer to a fence read under RCU may lead to a fence that was freed and
 * reallocated: dma_fence_get_rcu_safe() exists for that case.
 */

import { defineStruct, type Heap, type StructRef } from '@rcukit/runtime';

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

// ---------------------------------------------------------------------------------------------
// Reservation objects (include/linux/dma-resv.h, drivers/dma-buf/dma-resv.c).
// ---------------------------------------------------------------------------------------------

/** The largest dma_resv_list the corpus allocates (the kernel's is a flexible array). */
export const DMA_RESV_LIST_MAX = 32;

/**
 * struct dma_resv_list: a kmalloc'ed array of fences freed with kfree_rcu(), not type-stable.
 * Each `struct dma_fence __rcu *table[]` entry is the fence's address with the usage in its
 * low two bits (DMA_RESV_LIST_MASK).
 */
export const DmaResvList = defineStruct('dma_resv_list', {
  numFences: 'u32',
  maxFences: 'u32',
  table: { array: 'i32', length: DMA_RESV_LIST_MAX },
});
export type DmaResvListRef = StructRef<typeof DmaResvList>;

/** struct dma_resv: the ww_mutex (a spinlock here, see lib/kernel.ts) and the RCU-protected list. */
export const DmaResv = defineStruct('dma_resv', {
  lock: 'spinlock',
  fences: { rcu: () => DmaResvList },
});
export type DmaResvRef = StructRef<typeof DmaResv>;

/** enum dma_resv_usage. */
export const DMA_RESV_USAGE_KERNEL = 0;
export const DMA_RESV_USAGE_WRITE = 1;
export const DMA_RESV_USAGE_READ = 2;
export const DMA_RESV_USAGE_BOOKKEEP = 3;

/** The heap fences and reservation objects live in. */
export declare const dmaHeap: Heap;

/** dma_fence_is_signaled(): test (and maybe signal) the fence. */
export declare function dmaFenceIsSignaled(fence: DmaFenceRef): boolean;
/** dma_fence_is_later(f1, f2): is f1 later than f2 on their shared timeline? */
export declare function dmaFenceIsLater(f1: DmaFenceRef, f2: DmaFenceRef): boolean;
/** dma_fence_is_container(): a dma_fence_array or chain. */
export declare function dmaFenceIsContainer(fence: DmaFenceRef): boolean;
/** dma_fence_wait_timeout(): remaining jiffies, 0 on timeout, or a negative error. */
export declare function dmaFenceWaitTimeout(fence: DmaFenceRef, intr: boolean, timeout: number): number;
/** dma_fence_array_create() on the caller's references; null on -ENOMEM. */
export declare function dmaFenceArrayCreate(fences: DmaFenceRef[], context: number, seqno: number): DmaFenceRef | null;
/** dma_fence_context_alloc(1). */
export declare function dmaFenceContextAlloc(num: number): number;
