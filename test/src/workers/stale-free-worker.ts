/**
 * @fileoverview Worker for the debug-mode StaleObjectError tests: attaches to the heap in
 * workerData and frees one object of a type-stable cache (given by address), as an updater in
 * another thread would, then detaches. The struct comes as its name and fields (plain kinds
 * only), declared here as the test declares it; the cache checks that the layouts match.
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
  type FieldSpec,
} from '@rcukit/runtime';

interface Command {
  readonly heap: unknown;
  readonly cache: string;
  readonly struct: { readonly name: string; readonly fields: FieldSpec };
  /** The name of the struct's spinlock field, which the cache's constructor initializes. */
  readonly lock: string;
  /** addressOf() the object to free. */
  readonly address: number;
}

const data = workerData as Command;
const heap = attachHeap(data.heap, { threadName: 'stale-free-worker' });
const struct = defineStruct(data.struct.name, data.struct.fields, { typesafeByRcu: true });
const cache = kmemCacheCreate(heap, data.cache, struct, {
  flags: SLAB_TYPESAFE_BY_RCU,
  ctor: (o) => spinLockInit((o as unknown as Record<string, Parameters<typeof spinLockInit>[0]>)[data.lock]!),
});
kmemCacheFree(cache, objectAt(struct, heap, data.address));
heap.detach();
parentPort!.postMessage('done');
