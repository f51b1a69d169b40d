/**
 * @fileoverview Fills the items table of the hash-item helpers from another worker: inserts
 * keys `from` to `from + count - 1` (check and value derived from the key), enough of them to
 * make the heap grow, then says so. The parent then reads them through views made before the
 * growth.
 *
 * workerData: { shared, name, buckets, from, count }.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, kmemCacheAlloc } from '@rcukit/runtime';
import { checkOf, openItemTable } from './hash-item.js';

interface Data {
  readonly shared: unknown;
  readonly name: string;
  readonly buckets: number;
  readonly from: number;
  readonly count: number;
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'from' in workerData) {
  const data = workerData as Data;
  const heap = attachHeap(data.shared, { threadName: 'hash-filler' });
  const { cache, table } = openItemTable(heap, data.name, { buckets: data.buckets });
  for (let key = data.from; key < data.from + data.count; key++) {
    const item = kmemCacheAlloc(cache);
    item.key = key;
    item.check = checkOf(key);
    item.value = key * 0.5;
    if (!table.insert(item)) throw new Error(`key ${key} was already in the table`);
  }
  heap.detach();
  parentPort.postMessage('filled');
}
