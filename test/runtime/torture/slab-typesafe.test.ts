/**
 * @fileoverview Type-stability proven with a real reader worker: while it holds rcuReadLock()
 * on objects of a SLAB_TYPESAFE_BY_RCU cache, none of their pages is handed out again (every
 * hand-out of the page allocator is instrumented) and every object stays an object of its type,
 * even though all of them are freed, reused at once, freed again, the cache is shrunk and
 * another cache allocates heavily. After the reader leaves and a grace period passes, the
 * pages do go back.
 */

import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SLAB_TYPESAFE_BY_RCU,
  addressOf,
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheFree,
  kmemCacheShrink,
  onPageHandout,
  spinLockInit,
  synchronizeRcu,
  type Heap,
} from '@rcukit/runtime';
import { cacheInfo } from '../unit/slab-helpers.js';

// Same declaration as test/src/workers/slab-reader.ts.
const Stable = defineStruct(
  'ts-item',
  { lock: 'spinlock', refcnt: 'refcount', kind: 'i32', key: 'i32' },
  { typesafeByRcu: true },
);
const Other = defineStruct('other', { a: 'f64', b: 'f64', c: 'i32', d: 'i32' });
const READER_ROOT = 'test:reader';
const KIND = 0x5ec0beef | 0;
const WORKER = new URL('../../dist/workers/slab-reader.js', import.meta.url);

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

describe('SLAB_TYPESAFE_BY_RCU with a reader in another worker', () => {
  it('never hands a page a reader can reach to anyone else, while objects are reused at once', async () => {
    const h = (heap = createHeap({ maxBytes: 64 << 20 }));
    const ts = kmemCacheCreate(h, 'ts-item', Stable, {
      flags: SLAB_TYPESAFE_BY_RCU,
      ctor: (o) => {
        spinLockInit(o.lock);
        o.kind = KIND;
      },
    });
    const other = kmemCacheCreate(h, 'other', Other);
    const objs = Array.from({ length: ts.objectsPerSlab * 3 }, (_, i) => {
      const o = kmemCacheAlloc(ts);
      o.key = i;
      return o;
    });
    const addresses = objs.map(addressOf);

    const ctl = h.root(READER_ROOT, 8, 4) >> 2;
    const worker = h.watchWorker(new Worker(WORKER, { workerData: { shared: h.share(), addresses, kind: KIND } }));
    type ReaderMessage = { pages?: number[]; reads?: number; violations?: string[] };
    const messages: ReaderMessage[] = [];
    const exited = new Promise<number>((resolve, reject) => {
      worker.on('message', (m: ReaderMessage) => messages.push(m));
      worker.on('error', reject);
      worker.on('exit', resolve);
    });
    // Wait (bounded) for the reader to be inside its read-side section, and for its first
    // message: posted before READY is set, it may still be delivered after READY is seen.
    for (let waited = 0; Atomics.load(h.views.i32, ctl) === 0 || messages.length === 0; waited += 10) {
      if (waited > 30_000) throw new Error('reader never became ready');
      await new Promise((r) => setTimeout(r, 10));
    }
    const readerPages = new Set(messages[0]!.pages);
    expect(readerPages.size).toBeGreaterThanOrEqual(3);

    const handouts: [number, number][] = [];
    const off = onPageHandout(h, (at, order) => handouts.push([at, order]));
    const freed = new Set(addresses);
    for (const o of objs) kmemCacheFree(ts, o);
    // Reused at once: the next allocations are objects just freed, fields as they were left.
    const again = Array.from({ length: 50 }, () => kmemCacheAlloc(ts));
    for (const o of again) {
      expect(freed.has(addressOf(o))).toBe(true);
      expect(o.kind).toBe(KIND);
    }
    for (const o of again) kmemCacheFree(ts, o);
    kmemCacheShrink(ts);
    let info = cacheInfo(h, 'ts-item');
    expect(info.activeObjs).toBe(0);
    expect(info.pendingSlabs).toBeGreaterThanOrEqual(2);
    // Heavy allocation elsewhere: the page allocator must find other pages.
    for (let round = 0; round < 3; round++) {
      const many = Array.from({ length: 4000 }, () => kmemCacheAlloc(other));
      for (const m of many) {
        m.a = -1;
        m.c = -1;
      }
      for (const m of many) kmemCacheFree(other, m);
      kmemCacheShrink(other);
      kmemCacheShrink(ts);
    }
    off();
    expect(handouts.length).toBeGreaterThan(5);
    for (const [at, order] of handouts) {
      for (let p = at; p < at + (4096 << order); p += 4096) {
        expect(readerPages.has(p), `page 0x${p.toString(16)} handed out while a reader can reach it`).toBe(false);
      }
    }
    info = cacheInfo(h, 'ts-item');
    expect(info.slabsReleased).toBe(0);

    Atomics.store(h.views.i32, ctl + 1, 1);
    Atomics.notify(h.views.i32, ctl + 1);
    expect(await exited).toBe(0);
    const end = messages.find((m) => m.reads !== undefined)!;
    expect(end.violations).toEqual([]);
    expect(end.reads).toBeGreaterThan(0);

    // The reader has left: after a grace period the pages go back.
    synchronizeRcu();
    expect(kmemCacheShrink(ts)).toBeGreaterThanOrEqual(2);
    info = cacheInfo(h, 'ts-item');
    expect(info.pendingSlabs).toBe(0);
    kmemCacheDestroy(ts);
    kmemCacheDestroy(other);
  });
});
