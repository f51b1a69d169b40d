/**
 * @fileoverview The RCU calls slab.ts needs, in one place: the polled grace-period API that
 * decides when an empty type-stable slab's pages may go back to the page allocator, and the
 * blocking / async waits kmemCacheDestroy() does before releasing a type-stable cache.
 */

export { getStateSynchronizeRcu, pollStateSynchronizeRcu } from './rcu-poll.js';
export { synchronizeRcu, synchronizeRcuAsync } from './grace-period.js';
