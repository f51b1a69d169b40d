/**
 * @fileoverview @rcukit/runtime: the kernel-named API and nothing else.
 */

export { createHeap, attachHeap, currentHeap, Heap } from './heap/heap.js';
export type { HeapOptions, AttachOptions, SharedHeap, RcuStall, HeapEvents } from './heap/heap.js';
export type { ThreadInfo } from './heap/thread-registry.js';
export type { TypeStable } from './type-stable.js';
export * from './errors.js';
export { Spinlock, spinLock, spinUnlock, spinTrylock, spinLockInit, lockdepAssertHeld } from './spinlock.js';
export {
  Refcount,
  REFCOUNT_MAX,
  refcountIncNotZero,
  refcountIncNotZeroLimited,
  refcountInc,
  refcountDecAndTest,
  refcountSet,
  refcountRead,
} from './refcount.js';
export { rcuReadLock, rcuReadUnlock, rcuReadLockHeld } from './rcu/read-side.js';
export { rcuDereferenceProtected } from './rcu/dereference-protected.js';
export { synchronizeRcu, synchronizeRcuAsync } from './rcu/grace-period.js';
export { getStateSynchronizeRcu, startPollSynchronizeRcu, pollStateSynchronizeRcu } from './rcu/poll.js';
export { callRcu, rcuBarrier, rcuBarrierAsync, configureCallRcu, callRcuBacklog } from './rcu/call-rcu.js';
export type { CallRcuOptions } from './rcu/call-rcu.js';
export {
  rcuRegisterThreadQsbr,
  rcuUnregisterThreadQsbr,
  rcuQuiescentState,
  rcuThreadOffline,
  rcuThreadOnline,
} from './rcu/qsbr.js';
export type { QsbrOptions } from './rcu/qsbr.js';
export {
  nullsMarker,
  isANulls,
  getNullsValue,
  initNullsHead,
  initHlistNullsNode,
  hlistNullsFirstRcu,
  hlistNullsNextRcu,
  hlistNullsEmpty,
  hlistNullsUnhashed,
  hlistNullsAddHeadRcu,
  hlistNullsDelInitRcu,
  hlistNullsDelRcu,
  hlistNullsReplaceRcu,
  hlistNullsForEachRcu,
  NULLS_VALUE_MAX,
  PPREV_POISON,
} from './hash/hlist-nulls.js';
export type { HlistNullsNodeRef } from './hash/hlist-nulls.js';
export { defineStruct, offsetOf } from './struct.js';
export { addressOf, objectAt, structOf, fieldIndex } from './struct-object.js';
export type {
  StructDef,
  StructRef,
  StructObject,
  StructLayout,
  FieldLayout,
  FieldKind,
  FieldSpec,
  FieldValue,
  StructOptions,
  AnyStructDef,
  NumberKind,
  NumberFieldName,
  BigIntKind,
  ScalarKind,
  ArrayFieldKind,
  RcuFieldKind,
} from './struct.js';
export { HlistNullsNode, HlistNullsNodeWord, HLIST_NULLS_NODE_BYTES } from './hash/hlist-nulls-node.js';
export { allocPages, freePages, pageAllocatorStats, onPageHandout, MAX_ORDER } from './slab/page-allocator.js';
export type { PageAllocatorStats, PageHandoutHook } from './slab/page-allocator.js';
export { KmemCache } from './slab/cache-handle.js';
export { kmemCacheCreate, kmemCacheLookup } from './slab/cache-create.js';
export type { KmemCacheOptions } from './slab/cache-create.js';
export { kmemCacheAlloc, kmemCacheFree } from './slab/alloc-free.js';
export { kmemCacheShrink, kmemCacheDestroy, kmemCacheDestroyAsync } from './slab/cache-destroy.js';
export {
  SLAB_TYPESAFE_BY_RCU,
  SLAB_DESTROY_BY_RCU,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_HWCACHE_ALIGN,
} from './slab/flags.js';
export { slabinfo, formatSlabinfo } from './slab/slabinfo.js';
export type { SlabInfo } from './slab/slabinfo.js';
export { RcuHashTable, rcuHashTableCreate } from './hash/rcu-hash-table.js';
export type { RcuHashTableOptions, LookupPhase } from './hash/table-options.js';
export type { RcuHashTableStats } from './hash/table-stats.js';
