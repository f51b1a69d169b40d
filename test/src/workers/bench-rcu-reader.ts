/**
 * @fileoverview Worker for the `rcu` benchmark suite: a busy default-flavor reader that runs
 * short read-side sections back to back until the benchmark raises STOP, so that every grace
 * period the benchmark measures has a reader to wait for.
 */

import { workerData } from 'node:worker_threads';
import { attachHeap, rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';
import { publish } from './handshake.js';

export interface BenchReaderData {
  readonly heap: unknown;
  /** Byte offset of the control block (BenchReaderWord). */
  readonly wordsByte: number;
}

export const BenchReaderWord = {
  /** Set by the reader once it is attached and reading. */
  READY: 0,
  /** Set by the benchmark to stop the reader. */
  STOP: 1,
  /** Read-side sections the reader ran (in thousands, so that it cannot overflow). */
  KILO_SECTIONS: 2,
  /** What the reader reads inside each section. */
  PAYLOAD: 3,
  /** The reader's accumulator, stored at the end so the reads cannot be optimized away. */
  SINK: 4,
  COUNT: 8,
} as const;

// Only run as a worker: the benchmark imports this module for the word names too.
if (workerData !== null && typeof workerData === 'object' && 'wordsByte' in workerData) {
  const data = workerData as BenchReaderData;
  const heap = attachHeap(data.heap, { threadName: 'bench-reader' });
  const i32 = heap.views.i32;
  const base = data.wordsByte >> 2;
  let acc = 0;
  publish(i32, base + BenchReaderWord.READY, 1);
  while (Atomics.load(i32, base + BenchReaderWord.STOP) === 0) {
    for (let n = 0; n < 1000; n++) {
      rcuReadLock();
      acc = (acc + i32[base + BenchReaderWord.PAYLOAD]! + n) | 0;
      rcuReadUnlock();
    }
    Atomics.add(i32, base + BenchReaderWord.KILO_SECTIONS, 1);
  }
  Atomics.store(i32, base + BenchReaderWord.SINK, acc);
  heap.detach();
}
