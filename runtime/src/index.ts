/**
 * @fileoverview @rcukit/runtime: the kernel-named API and nothing else.
 */

export { createHeap, attachHeap, currentHeap, Heap } from './heap.js';
export type { HeapOptions, AttachOptions, SharedHeap, RcuStall, HeapEvents } from './heap.js';
export type { ThreadInfo } from './thread-registry.js';
export type { TypeStable } from './type-stable.js';
export * from './errors.js';
export { Spinlock, spinLock, spinUnlock, spinTrylock, spinLockInit } from './spinlock.js';
export { Refcount, REFCOUNT_MAX, refcountIncNotZero, refcountInc, refcountDecAndTest, refcountSet, refcountRead } from './refcount.js';
export { rcuReadLock, rcuReadUnlock, rcuReadLockHeld } from './rcu.js';
export { synchronizeRcu, synchronizeRcuAsync } from './grace-period.js';
export { getStateSynchronizeRcu, startPollSynchronizeRcu, pollStateSynchronizeRcu } from './rcu-poll.js';
export { callRcu, rcuBarrier, rcuBarrierAsync, configureCallRcu, callRcuBacklog } from './call-rcu.js';
export type { CallRcuOptions } from './call-rcu.js';
export {
  rcuRegisterThreadQsbr,
  rcuUnregisterThreadQsbr,
  rcuQuiescentState,
  rcuThreadOffline,
  rcuThreadOnline,
} from './qsbr.js';
