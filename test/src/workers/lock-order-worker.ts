/**
 * @fileoverview Worker for the debug-mode lock-order test: attaches to the heap in workerData
 * and takes two named spinlocks (roots) in the order given, then releases them and detaches.
 * What it leaves behind is the edge in the heap's lock-order graph.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { Spinlock, attachHeap, spinLock, spinUnlock } from '@rcukit/runtime';

interface Command {
  readonly heap: unknown;
  /** Root names, outer lock first. */
  readonly order: readonly [string, string];
}

const data = workerData as Command;
const heap = attachHeap(data.heap, { threadName: 'lock-order-worker' });
const [outer, inner] = data.order.map((name) => new Spinlock(heap, heap.root(name, 4, 4), name)) as [
  Spinlock,
  Spinlock,
];
spinLock(outer);
spinLock(inner);
spinUnlock(inner);
spinUnlock(outer);
heap.detach();
parentPort!.postMessage('done');
