/**
 * @fileoverview Worker for the debug-mode StaleObjectError tests: attaches to the heap in
 * workerData and frees one object of the type-stable cache `dbg_sighand` (given by address),
 * as an updater in another thread would, then detaches. The struct is declared as
 * test/runtime/unit/debug-mode.test.ts declares it (the cache checks the layout matches).
 */

import { parentPort, workerData } from 'node:worker_threads';
import {
  SLAB_TYPESAFE_BY_RCU,
  attachHeap,
  defineStruct,
  kmemCacheCreate,
  kmemCacheFree,
  objectAt,
  spinLockInit,
} from '@rcukit/runtime';

interface Command {
  readonly heap: unknown;
  /** addressOf() the object to free. */
  readonly address: number;
}

const Sighand = defineStruct(
  'dbg_sighand',
  { siglock: 'spinlock', refcnt: 'refcount', key: 'i32', count: 'i32', node: 'hlistNulls' },
  { typesafeByRcu: true },
);

const data = workerData as Command;
const heap = attachHeap(data.heap, { threadName: 'stale-free-worker' });
const sighands = kmemCacheCreate(heap, 'dbg_sighand', Sighand, {
  flags: SLAB_TYPESAFE_BY_RCU,
  ctor: (s) => spinLockInit(s.siglock),
});
kmemCacheFree(sighands, objectAt(Sighand, heap, data.address));
heap.detach();
parentPort!.postMessage('done');
