/**
 * @fileoverview Worker for the stale-handle test: binds its handle on cache 'stale' (allocates
 * and frees, so its fast paths are live), says 'bound', waits for the parent's 'destroyed',
 * then uses the stale handle and posts the code of what each call threw (or 'none').
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, defineStruct, kmemCacheAlloc, kmemCacheCreate, kmemCacheFree, RcukitError } from '@rcukit/runtime';

/** The test declares the same struct. */
const StaleItem = defineStruct('stale-item', { a: 'i32', b: 'f64' });

const heap = attachHeap((workerData as { heap: unknown }).heap, { threadName: 'stale-handle' });
const cache = kmemCacheCreate(heap, 'stale', StaleItem);
const kept = kmemCacheAlloc(cache);
for (let k = 0; k < 10; k++) kmemCacheFree(cache, kmemCacheAlloc(cache));
parentPort!.once('message', () => {
  const code = (fn: () => unknown): string => {
    try {
      fn();
      return 'none';
    } catch (error) {
      return error instanceof RcukitError ? error.code : String(error);
    }
  };
  parentPort!.postMessage({ alloc: code(() => kmemCacheAlloc(cache)), free: code(() => kmemCacheFree(cache, kept)) });
  heap.detach();
});
// The parent destroys the cache once this worker has freed everything, `kept` included.
kmemCacheFree(cache, kept);
parentPort!.postMessage('bound');
