/**
 * @fileoverview Worker that grows the heap: allocates `count` objects of a large struct from
 * cache 'grow' (so the page allocator must grow the buffer), stamps each with its index, and
 * posts their addresses. The objects stay allocated for the parent to use and free.
 *
 * workerData: { shared, count }.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { addressOf, attachHeap, defineStruct, kmemCacheAlloc, kmemCacheCreate } from '@rcukit/runtime';

export const GrowItem = defineStruct('grow-item', { stamp: 'i32', body: { array: 'f64', length: 250 } });

interface Data {
  shared: unknown;
  count: number;
}

function main(data: Data): number[] {
  const heap = attachHeap(data.shared, { threadName: 'grower' });
  const cache = kmemCacheCreate(heap, 'grow', GrowItem);
  const out: number[] = [];
  for (let i = 0; i < data.count; i++) {
    const o = kmemCacheAlloc(cache);
    o.stamp = i;
    o.body[249] = i;
    out.push(addressOf(o));
  }
  heap.detach();
  return out;
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'count' in workerData) {
  parentPort.postMessage(main(workerData as Data));
}
