/**
 * @fileoverview Several real workers allocate, free and hand objects to each other over one
 * shared cache, growing the heap as they go: no object is ever handed out twice, and slabinfo() agrees with what the
 * workers report. Half the workers detach, half just exit (reaped by watchWorker): their
 * cached objects are reclaimed, not lost.
 */

import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHeap,
  defineStruct,
  fieldIndex,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheAlloc,
  kmemCacheFree,
  kmemCacheShrink,
  objectAt,
  pageAllocatorStats,
  type Heap,
} from '@rcukit/runtime';
import { cacheInfo } from '../unit/slab-helpers.js';

// The same declaration as the worker's (test/src/workers/slab-churn.ts); the cache checks the layouts match.
const ChurnItem = defineStruct('churn-item', { owner: 'i32', seq: 'i32', pad: { array: 'u8', length: 200 } });
const HANDOFF_ROOT = 'test:handoff';
const HANDOFF_SLOTS = 16;
const WORKER = new URL('../../dist/workers/slab-churn.js', import.meta.url);

interface ChurnResult {
  id: number;
  allocs: number;
  frees: number;
  handoffs: number;
  received: number;
  violations: string[];
  kept: number[];
}

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

function run(h: Heap, workerData: object): Promise<ChurnResult> {
  return new Promise((resolve, reject) => {
    const w = h.watchWorker(new Worker(WORKER, { workerData }));
    let result: ChurnResult | null = null;
    w.on('message', (m: ChurnResult) => (result = m));
    w.on('error', reject);
    // Resolve after 'exit' (the heap's own exit listener, added first, has reaped the slot).
    w.on('exit', (code) =>
      result !== null && code === 0 ? resolve(result) : reject(new Error(`worker exited with ${code}`)),
    );
  });
}

describe('slab caches under concurrency', () => {
  it('never hands an object out twice, and slabinfo() agrees with the workers', async () => {
    // A small initial heap: workers grow it while others use objects on the new pages.
    const h = (heap = createHeap({ initialBytes: 256 << 10, maxBytes: 64 << 20, maxThreads: 16 }));
    const initialBytes = h.byteLength;
    const cache = kmemCacheCreate(h, 'churn', ChurnItem);
    const workers = 4;
    const results = await Promise.all(
      Array.from({ length: workers }, (_, k) =>
        run(h, {
          shared: h.share(),
          id: k + 1,
          iterations: 30_000,
          keep: 25,
          seed: 0x9e3779b9 * (k + 1),
          detach: k % 2 === 0,
        }),
      ),
    );
    for (const r of results) expect(r.violations).toEqual([]);
    expect(h.byteLength).toBeGreaterThan(initialBytes);
    const allocs = results.reduce((n, r) => n + r.allocs, 0);
    expect(allocs).toBeGreaterThan(workers * 30_000 * 0.3);
    expect(results.reduce((n, r) => n + r.received, 0)).toBeGreaterThan(0);

    // Objects still parked in the hand-off slots are live too: main takes them.
    const slots = h.root(HANDOFF_ROOT, HANDOFF_SLOTS * 4, 4) >> 2;
    const parked: number[] = [];
    for (let k = 0; k < HANDOFF_SLOTS; k++) {
      const a = Atomics.exchange(h.views.i32, slots + k, 0);
      if (a !== 0) parked.push(a);
    }
    const kept = results.flatMap((r) => r.kept.map((a) => ({ a, id: r.id })));
    const all = [...kept.map((k) => k.a), ...parked];
    expect(new Set(all).size).toBe(all.length);
    let info = cacheInfo(h, 'churn');
    expect(info.activeObjs).toBe(all.length);
    // Each kept object is still claimed by the worker that kept it.
    for (const { a, id } of kept) expect(h.views.i32[fieldIndex(objectAt(ChurnItem, h, a), 'owner')]).toBe(id);
    // Reuse really happened: far more allocations than object slots.
    expect(allocs).toBeGreaterThan(info.numObjs * 4);

    for (const a of all) kmemCacheFree(cache, objectAt(ChurnItem, h, a));
    info = cacheInfo(h, 'churn');
    expect(info.activeObjs).toBe(0);
    // The exited workers' array caches are reclaimed by shrink (they left, one way or the other).
    kmemCacheShrink(cache);
    info = cacheInfo(h, 'churn');
    expect(info.cachedObjs).toBe(0);
    expect(info.freeObjs).toBe(info.numObjs);
    kmemCacheDestroy(cache);
    const pages = pageAllocatorStats(h);
    expect(pages.freePages).toBe(pages.totalPages);
  });

  it('uses objects on pages another worker grew the heap for, with no remap by hand', async () => {
    const h = (heap = createHeap({ initialBytes: 256 << 10, maxBytes: 64 << 20 }));
    const GrowItem = defineStruct('grow-item', { stamp: 'i32', body: { array: 'f64', length: 250 } });
    const cache = kmemCacheCreate(h, 'grow', GrowItem);
    // Bound to this thread before the heap grows: the fast paths' views then end short of the
    // worker's slabs, and freeing their objects must still work (the state byte is read anew).
    kmemCacheFree(cache, kmemCacheAlloc(cache));
    const before = h.views.u8.length;
    const addresses = await new Promise<number[]>((resolve, reject) => {
      const w = h.watchWorker(
        new Worker(new URL('../../dist/workers/slab-grow.js', import.meta.url), {
          workerData: { shared: h.share(), count: 1000 },
        }),
      );
      w.on('message', resolve);
      w.on('error', reject);
    });
    // This thread has not looked at the heap since the worker grew it.
    expect(h.views.u8.length).toBe(before);
    expect(Math.max(...addresses)).toBeGreaterThan(before);
    // Highest first: the first frees are of objects beyond the fast paths' views.
    const order = addresses.map((a, i) => [a, i] as const).sort(([a], [b]) => b - a);
    for (const [a, i] of order) {
      const o = objectAt(GrowItem, h, a);
      expect(o.stamp).toBe(i);
      expect(o.body[249]).toBe(i);
      kmemCacheFree(cache, o);
    }
    const again = kmemCacheAlloc(cache);
    kmemCacheFree(cache, again);
    expect(cacheInfo(h, 'grow').activeObjs).toBe(0);
    kmemCacheShrink(cache);
    kmemCacheDestroy(cache);
  });

  it('returns the array cache of a terminated worker to the cache; only its allocated objects stay allocated', async () => {
    const h = (heap = createHeap({ maxBytes: 64 << 20, maxThreads: 16 }));
    const cache = kmemCacheCreate(h, 'churn', ChurnItem);
    const result = await new Promise<ChurnResult>((resolve, reject) => {
      const w = h.watchWorker(
        new Worker(WORKER, {
          workerData: { shared: h.share(), id: 9, iterations: 5_000, keep: 40, seed: 99, detach: false, park: true },
        }),
      );
      w.on('error', reject);
      w.once('message', (m: ChurnResult) => {
        // Terminated while blocked: it never detaches, never flushes its array cache.
        w.on('exit', () => resolve(m));
        void w.terminate();
      });
    });
    let info = cacheInfo(h, 'churn');
    expect(info.cachedObjs).toBeGreaterThan(0); // its array cache, still in shared memory
    const slots = h.root(HANDOFF_ROOT, HANDOFF_SLOTS * 4, 4) >> 2;
    const parked: number[] = [];
    for (let k = 0; k < HANDOFF_SLOTS; k++) {
      const a = Atomics.exchange(h.views.i32, slots + k, 0);
      if (a !== 0) parked.push(a);
    }
    expect(info.activeObjs).toBe(result.kept.length + parked.length);
    kmemCacheShrink(cache); // reaps the dead thread's array cache
    info = cacheInfo(h, 'churn');
    expect(info.cachedObjs).toBe(0);
    expect(info.activeObjs).toBe(result.kept.length + parked.length);
    for (const a of [...result.kept, ...parked]) kmemCacheFree(cache, objectAt(ChurnItem, h, a));
    kmemCacheShrink(cache);
    expect(cacheInfo(h, 'churn').activeObjs).toBe(0);
    kmemCacheDestroy(cache);
  });
});
