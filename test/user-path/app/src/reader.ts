/**
 * @fileoverview A reader worker: attaches to the heap, finds the registry by its named root, and
 * reads the current configuration inside read-side sections until the main thread says stop.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, rcuReadLock, rcuReadUnlock, type SharedHeap } from '@rcukit/runtime';
import { findRegistry, limitFor, openCaches } from './shared.js';

const { shared, stop } = workerData as { shared: SharedHeap; stop: Int32Array };
using heap = attachHeap(shared, { threadName: 'reader' });
openCaches(heap);
const registry = findRegistry(heap);
parentPort!.postMessage('ready');

let reads = 0;
let torn = 0;
let lastVersion = 0;
while (Atomics.load(stop, 0) === 0) {
  rcuReadLock();
  const config = registry.current;
  if (config !== null) {
    if (config.limit !== limitFor(config.version)) torn++;
    lastVersion = Math.max(lastVersion, config.version);
  }
  rcuReadUnlock();
  reads++;
}
parentPort!.postMessage({ reads, torn, lastVersion });
