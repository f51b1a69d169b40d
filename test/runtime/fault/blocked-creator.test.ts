/**
 * @fileoverview heap.startWorker(): a worker terminated inside its read-side section, or
 * holding a lock, is reaped while the thread that started it is blocked in synchronizeRcu(),
 * kmemCacheDestroy() or spinLock(), none of which lets watchWorker()'s 'exit' event run.
 */

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HeapAttachmentError,
  InvalidArgumentError,
  SLAB_TYPESAFE_BY_RCU,
  Spinlock,
  SpinlockOwnerDeadError,
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheFree,
  spinLock,
  spinUnlock,
  synchronizeRcu,
  type Heap,
  type RcuStall,
} from '@rcukit/runtime';
import { LOCK_TEST_BYTES, LOCK_TEST_ROOT, LockTestWord as W } from '../../src/workers/lock-test-words.js';
import { controlBlock, startActor, until } from '../actors.js';
import { waitForWord } from '../worker-helpers.js';
import { wasm } from '../../../runtime/src/heap/wasm-api.ts';

const WORKERS = new URL('../../dist/workers/', import.meta.url);

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

/** A stall report means nobody reaped the dead worker: fail rather than wait for ever. */
function failOnStall(h: Heap): void {
  h.on('stall', (stall: RcuStall) => {
    throw new Error(`grace period stalled on ${stall.reader.name} (exited: ${stall.readerExited})`);
  });
}

async function readerDyingInSection(h: Heap, name: string): Promise<Worker> {
  const { ctl, ctlByte } = controlBlock(h);
  const steps = [{ op: 'lock' }, { op: 'lock' }, { op: 'set', at: 0, value: 1 }, { op: 'hang' }] as const;
  const reader = startActor(h, ctlByte, name, [...steps], 'startWorker');
  await until(ctl, 0, (v) => v === 1);
  return reader.worker;
}

describe('a creator blocked while its startWorker() worker is terminated', () => {
  it('synchronizeRcu() returns once the reaper reaps a reader terminated inside its section', async () => {
    heap = createHeap({ stallTimeoutMs: 10_000 });
    const worker = await readerDyingInSection(heap, 'doomed-reader');
    failOnStall(heap);
    const exit = once(worker, 'exit');
    // No await from here to the end of synchronizeRcu(): the 'exit' event cannot run, so only
    // the reaper can end this grace period.
    void worker.terminate();
    synchronizeRcu();
    expect(heap.threads().map((t) => t.name)).not.toContain('doomed-reader');
    await exit;
  });

  it('watchWorker() alone cannot do that: the same grace period stalls on the exited reader', async () => {
    heap = createHeap({ stallTimeoutMs: 50 });
    const { ctl, ctlByte } = controlBlock(heap);
    const reader = startActor(heap, ctlByte, 'watched-only', [
      { op: 'lock' },
      { op: 'set', at: 0, value: 1 },
      { op: 'hang' },
    ]);
    await until(ctl, 0, (v) => v === 1);
    const threadId = reader.worker.threadId;
    const stalls: RcuStall[] = [];
    heap.on('stall', (stall) => {
      stalls.push(stall);
      // Only this thread could end the wait now; the test does it by hand, as a user would have to.
      heap!.reapThread(threadId);
    });
    void reader.worker.terminate();
    synchronizeRcu();
    expect(stalls.map((s) => s.reader.name)).toContain('watched-only');
  });

  it('kmemCacheDestroy() of a type-stable cache returns: its grace period is not wedged', async () => {
    heap = createHeap({ stallTimeoutMs: 10_000 });
    const Item = defineStruct('blocked-item', { key: 'i32' }, { typesafeByRcu: true });
    const cache = kmemCacheCreate(heap, 'blocked-destroy', Item, { flags: SLAB_TYPESAFE_BY_RCU });
    kmemCacheFree(cache, kmemCacheAlloc(cache));
    const worker = await readerDyingInSection(heap, 'reader-at-destroy');
    failOnStall(heap);
    void worker.terminate();
    kmemCacheDestroy(cache);
    expect(heap.threads().map((t) => t.name)).not.toContain('reader-at-destroy');
  });

  it("spinLock() on the dead holder's lock throws SpinlockOwnerDeadError instead of hanging", async () => {
    heap = createHeap();
    const words = heap.root(LOCK_TEST_ROOT, LOCK_TEST_BYTES);
    const lock = new Spinlock(heap, heap.root('test.lock.reaped', 4, 4), 'test.lock.reaped');
    const holder = heap.startWorker(new URL('spinlock-holder.js', WORKERS), {
      workerData: { heap: heap.share(), wordsByte: words, targets: [lock.byteOffset], iterations: 0 },
    });
    await waitForWord(heap.views.i32, (words >> 2) + W.HELD, (v) => v === 1, 'the holder to take its lock');
    void holder.terminate();
    let caught: unknown = null;
    try {
      spinLock(lock);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpinlockOwnerDeadError);
    // The owner-dead locker holds the lock: the heap goes on.
    spinUnlock(lock);
    spinLock(lock);
    spinUnlock(lock);
  });
});

describe('heap.startWorker()', () => {
  it('takes the lifeline out of the shared heap, so the worker can pass it on without a transfer list', async () => {
    heap = createHeap();
    const worker = heap.startWorker(new URL('heap-attach-worker.js', WORKERS), {
      workerData: { heap: heap.share(), name: 'passes-on', command: 'pass-on' },
    });
    const [report] = (await once(worker, 'message')) as [{ lifelineLeft: boolean; cloned: string }];
    expect(report).toEqual({ lifelineLeft: false, cloned: 'ok' });
  });

  it('runs one reaper per heap, which leaves the heap when its creator detaches', async () => {
    const h = createHeap();
    heap = h;
    const workers = [0, 1].map((n) =>
      h.startWorker(new URL('heap-attach-worker.js', WORKERS), {
        workerData: { heap: h.share(), name: `lister-${n}`, command: 'threads' },
      }),
    );
    await Promise.all(workers.map((w) => once(w, 'exit')));
    // The reaper is a worker of its own: under load it may attach after the two listers exit.
    const reapers = (): number => h.threads().filter((t) => t.name === 'rcukit-reaper').length;
    const attachDeadline = Date.now() + 30_000;
    while (reapers() === 0 && Date.now() < attachDeadline) await new Promise((r) => setTimeout(r, 10));
    expect(reapers()).toBe(1);
    h.detach();
    heap = null;
    const deadline = Date.now() + 30_000;
    while (h.threads().some((t) => t.name === 'rcukit-reaper') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(h.threads()).toEqual([]);
  });

  it('refuses workerData without heap.share(), and a thread not attached to the heap', () => {
    heap = createHeap();
    const url = new URL('heap-attach-worker.js', WORKERS);
    expect(() => heap!.startWorker(url, { workerData: { name: 'x' } })).toThrow(InvalidArgumentError);
    expect(() => heap!.startWorker(url, { workerData: { name: 'x' } })).toThrow(
      /workerData must be heap.share\(\), or hold it as one of its own properties.*keys \[name\]/,
    );
    const other = createHeapElsewhere();
    expect(() => heap!.startWorker(url, { workerData: other })).toThrow(InvalidArgumentError);
    const h = heap;
    h.detach();
    heap = null;
    expect(() => h.startWorker(url, { workerData: h.share() })).toThrow(HeapAttachmentError);
    expect(h.threads()).toEqual([]);
  });
});

/** A share of some other heap (its memory differs), made without attaching this thread twice. */
function createHeapElsewhere(): unknown {
  return { kind: 'rcukit-heap', memory: new wasm.Memory({ initial: 1, maximum: 1, shared: true }) };
}
