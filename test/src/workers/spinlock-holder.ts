/**
 * @fileoverview Worker: takes every lock in `targets`, says so (HELD), then blocks until the
 * test terminates it, so that it dies holding them.
 */

import { workerData } from 'node:worker_threads';
import { attachHeap, Spinlock, spinLock } from '@rcukit/runtime';
import { blockUntil, publish } from './handshake.js';
import { LockTestWord as W, type LockWorkerData } from './lock-test-words.js';

const data = workerData as LockWorkerData;
const heap = attachHeap(data.heap, { threadName: 'lock-holder' });
const i32 = heap.views.i32;
const base = data.wordsByte >> 2;
for (const [n, byte] of data.targets.entries()) spinLock(new Spinlock(heap, byte, `test.lock${n}`));
publish(i32, base + W.HELD, 1);
// NEVER is never written: this waits until terminate() interrupts it. The bound only keeps a
// broken test from leaving the worker behind for ever.
blockUntil(i32, base + W.NEVER, (v) => v !== 0, 'termination', 120_000);
