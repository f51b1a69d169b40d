/**
 * @fileoverview Two reader workers read the current configuration while the main thread
 * replaces it, freeing each old one after a grace period. Exits 1 if a reader ever saw a torn
 * configuration.
 */

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import {
  createHeap,
  kmemCacheAlloc,
  kmemCacheFree,
  rcuDereferenceProtected,
  spinLock,
  spinUnlock,
  synchronizeRcuAsync,
} from '@rcukit/runtime';
import { countSwap, limitFor, openCaches, publishRegistry } from './shared.js';

using heap = createHeap({ threadName: 'main' });
const { configs, registries } = openCaches(heap);
const registry = kmemCacheAlloc(registries);
publishRegistry(heap, registry);

const stop = new Int32Array(new SharedArrayBuffer(4));
const readers = [0, 1].map((index) =>
  heap.watchWorker(
    new Worker(new URL('./reader.js', import.meta.url), { workerData: { shared: heap.share(), stop, index } }),
  ),
);
const exits = readers.map((w) => once(w, 'exit'));
await Promise.all(readers.map((w) => once(w, 'message')));
const reports = readers.map(
  (w) => once(w, 'message') as Promise<[{ reads: number; torn: number; lastVersion: number }]>,
);

for (let version = 1; version <= 200; version++) {
  const next = kmemCacheAlloc(configs);
  next.version = version;
  next.limit = limitFor(version);
  // Updaters take the registry's lock: under it the pointer is read without a read-side section.
  spinLock(registry.lock);
  const old = rcuDereferenceProtected(registry.current, registry.lock);
  registry.current = next;
  countSwap(registry);
  spinUnlock(registry.lock);
  if (old !== null) {
    await synchronizeRcuAsync();
    kmemCacheFree(configs, old);
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
Atomics.store(stop, 0, 1);
const results = (await Promise.all(reports)).map(([r]) => r);
await Promise.all(exits);
const torn = results.reduce((n, r) => n + r.torn, 0);
console.log(
  `readers: ${results.map((r) => `${r.reads} reads up to version ${r.lastVersion}`).join(', ')}; torn: ${torn}; swaps: ${registry.swaps}`,
);
process.exitCode = torn === 0 && results.every((r) => r.reads > 0) && registry.swaps === 200 ? 0 : 1;
