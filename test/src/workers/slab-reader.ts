/**
 * @fileoverview Worker for the type-stability test: enters rcuReadLock(), reaches objects of a
 * type-stable cache by address, reports the pages they live on, then keeps re-reading them
 * until told to stop, checking that each is still an object of its type (its `kind` word,
 * set once by the cache's constructor, never changes while the read lock is held).
 *
 * workerData: { shared, addresses, kind }. Control words in root 'test:reader' (READY, DONE).
 * Posts { pages } when ready, then { reads, violations } at the end.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, defineStruct, objectAt, rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';

export const Stable = defineStruct(
  'ts-item',
  { lock: 'spinlock', refcnt: 'refcount', kind: 'i32', key: 'i32' },
  { typesafeByRcu: true },
);
export const READER_ROOT = 'test:reader';
export const ReaderWord = { READY: 0, DONE: 1 } as const;

interface Data {
  shared: unknown;
  addresses: number[];
  kind: number;
}

function main(data: Data): void {
  const heap = attachHeap(data.shared, { threadName: 'ts-reader' });
  const ctl = heap.root(READER_ROOT, 8, 4) >> 2;
  rcuReadLock();
  const objs = data.addresses.map((a) => objectAt(Stable, heap, a));
  const pages = [...new Set(data.addresses.map((a) => a - (a % 4096)))];
  parentPort!.postMessage({ pages });
  Atomics.store(heap.views.i32, ctl + ReaderWord.READY, 1);
  Atomics.notify(heap.views.i32, ctl + ReaderWord.READY);
  let reads = 0;
  const violations: string[] = [];
  const deadline = Date.now() + 60_000;
  while (Atomics.load(heap.views.i32, ctl + ReaderWord.DONE) === 0 && Date.now() < deadline) {
    for (const o of objs) {
      heap.ensureMapped();
      reads++;
      if (o.kind !== data.kind && violations.length < 10) {
        violations.push(
          `object at 0x${data.addresses[objs.indexOf(o)]!.toString(16)} has kind 0x${(o.kind >>> 0).toString(16)} inside rcuReadLock()`,
        );
      }
    }
    Atomics.wait(heap.views.i32, ctl + ReaderWord.DONE, 0, 2);
  }
  // One last look after the writer finished its work.
  for (const o of objs)
    if (o.kind !== data.kind && violations.length < 10)
      violations.push(`kind changed to 0x${(o.kind >>> 0).toString(16)} at the end`);
  rcuReadUnlock();
  parentPort!.postMessage({ reads, violations });
  heap.detach();
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'addresses' in workerData)
  main(workerData as Data);
