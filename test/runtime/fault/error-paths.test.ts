/**
 * @fileoverview Errors that must leave shared state as it was, and misuse that must be caught
 * where it happens with a named error (issue 12, bugs 3, 4, 5, 7 and 8): a destructor that
 * throws, a cache handle used after another worker destroyed the cache, a table used from a
 * thread of another heap, rcuBarrier() inside a callRcu() callback, rcuBarrierAsync() inside
 * a section, one put() too many, and arguments of the wrong kind.
 */

import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CacheDestroyedError,
  HeapAttachmentError,
  InvalidArgumentError,
  RcuBarrierInCallbackError,
  RcuDeadlockError,
  RcuUnbalancedError,
  RefcountError,
  SLAB_TYPESAFE_BY_RCU,
  addressOf,
  callRcu,
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheFree,
  rcuBarrier,
  rcuBarrierAsync,
  rcuHashTableCreate,
  rcuReadLock,
  rcuReadLockHeld,
  rcuReadUnlock,
  slabinfo,
  spinLock,
  type Heap,
  RcukitError,
} from '@rcukit/runtime';
import { startWorker } from '../worker-helpers.js';

const Item = defineStruct('fault-item', { a: 'i32', b: 'f64' });
/** As test/src/workers/stale-cache-worker.ts declares it. */
const StaleItem = defineStruct('stale-item', { a: 'i32', b: 'f64' });
const Entry = defineStruct(
  'fault-entry',
  { refcount: 'refcount', key: 'i32', node: 'hlistNulls' },
  { typesafeByRcu: true },
);

let heap: Heap | null = null;
afterEach(() => {
  heap?.detach();
  heap = null;
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (error) {
    return error instanceof RcukitError ? error.code : `bare ${(error as Error).name}`;
  }
}

function addsUp(h: Heap, name: string): void {
  const s = slabinfo(h).find((c) => c.name === name)!;
  expect(s.activeObjs + s.cachedObjs + s.freeObjs).toBe(s.numObjs);
  expect(s.slabsCreated - s.slabsReleased).toBe(s.numSlabs);
}

describe('a destructor that throws', () => {
  it('leaves every object in one place: none is handed out twice afterwards', () => {
    heap = createHeap({ threadName: 'dtor-test' });
    let throwOnce = true;
    const cache = kmemCacheCreate(heap, 'dtor-throws', Item, {
      dtor: () => {
        if (throwOnce) {
          throwOnce = false;
          throw new Error('dtor failed');
        }
      },
    });
    // A full array cache (its limit is sized per cache) and several slabs' worth more, so that
    // freeing them all releases slabs (and runs the dtor) from inside the array cache's flushes.
    const { limit } = slabinfo(heap).find((c) => c.name === 'dtor-throws')!;
    const n = limit + cache.objectsPerSlab * 6;
    const objs = Array.from({ length: n }, () => kmemCacheAlloc(cache));
    const thrown: unknown[] = [];
    const stillLive: typeof objs = [];
    for (const o of objs) {
      try {
        kmemCacheFree(cache, o);
      } catch (error) {
        thrown.push(error);
        stillLive.push(o);
      }
    }
    expect(thrown.map((e) => (e as Error).message)).toEqual(['dtor failed']);
    addsUp(heap, 'dtor-throws');
    // The free that threw left its object allocated: freeing it now is no double free.
    for (const o of stillLive) kmemCacheFree(cache, o);
    addsUp(heap, 'dtor-throws');
    const again = Array.from({ length: n }, () => kmemCacheAlloc(cache));
    expect(new Set(again.map((o) => addressOf(o))).size).toBe(n);
    addsUp(heap, 'dtor-throws');
  });
});

describe('a cache destroyed by another worker', () => {
  it("refuses the other worker's stale handle with CacheDestroyedError", async () => {
    heap = createHeap({ threadName: 'destroyer' });
    const worker = heap.watchWorker(startWorker('stale-cache-worker', { heap: heap.share() }));
    // Listened for from the start: a worker's last messages are delivered together with its
    // 'exit', in one task, before an await after the last message could listen for it.
    const exited = once(worker, 'exit');
    const [first] = (await once(worker, 'message')) as [string];
    expect(first).toBe('bound');
    kmemCacheDestroy(kmemCacheCreate(heap, 'stale', StaleItem));
    worker.postMessage('destroyed');
    const [codes] = (await once(worker, 'message')) as [{ alloc: string; free: string }];
    expect(codes).toEqual({ alloc: 'ERR_CACHE_DESTROYED', free: 'ERR_CACHE_DESTROYED' });
    await exited;
  });

  it('refuses the destroying thread’s own handle too', () => {
    heap = createHeap({ threadName: 'destroyer' });
    const cache = kmemCacheCreate(heap, 'gone', Item);
    kmemCacheFree(cache, kmemCacheAlloc(cache));
    kmemCacheDestroy(cache);
    expect(() => kmemCacheAlloc(cache)).toThrow(CacheDestroyedError);
  });
});

describe('a table used from a thread attached to another heap', () => {
  it('refuses lookup() and read() with HeapAttachmentError', () => {
    const a = createHeap({ threadName: 'heap-a' });
    const cache = kmemCacheCreate(a, 'entries', Entry, { flags: SLAB_TYPESAFE_BY_RCU });
    const table = rcuHashTableCreate(a, 'cross-heap', { cache, key: 'key', refcount: 'refcount', node: 'node' });
    const e = kmemCacheAlloc(cache);
    e.key = 7;
    table.insert(e);
    a.detach();
    heap = createHeap({ threadName: 'heap-b' });
    expect(() => table.lookup(7)).toThrow(HeapAttachmentError);
    expect(() => table.read(7, 'key')).toThrow(HeapAttachmentError);
    expect(codeOf(() => table.lookup(7))).toBe('ERR_HEAP_ATTACHMENT');
  });
});

describe('call_rcu barriers', () => {
  it('rcuBarrier() inside a callback throws RcuBarrierInCallbackError instead of spinning', async () => {
    heap = createHeap({ threadName: 'barrier-test' });
    let inside: unknown = null;
    let later = false;
    callRcu(() => {
      try {
        rcuBarrier();
      } catch (error) {
        inside = error;
      }
    });
    // Queued after it in the same batch: the barrier would wait for this one too.
    callRcu(() => {
      later = true;
    });
    await rcuBarrierAsync();
    expect(inside).toBeInstanceOf(RcuBarrierInCallbackError);
    expect(later).toBe(true);
  });

  it('rcuBarrierAsync() inside a callback or a read-side section rejects', async () => {
    heap = createHeap({ threadName: 'barrier-test' });
    let inside: Promise<void> | null = null;
    callRcu(() => {
      inside = rcuBarrierAsync();
    });
    await rcuBarrierAsync();
    await expect(inside!).rejects.toBeInstanceOf(RcuBarrierInCallbackError);
    callRcu(() => {});
    rcuReadLock();
    const inSection = rcuBarrierAsync();
    rcuReadUnlock();
    await expect(inSection).rejects.toBeInstanceOf(RcuDeadlockError);
    await rcuBarrierAsync();
  });
});

describe('one put() too many', () => {
  it('is caught at the faulty put(), and the table keeps its reference', () => {
    heap = createHeap({ threadName: 'put-test' });
    const cache = kmemCacheCreate(heap, 'entries', Entry, { flags: SLAB_TYPESAFE_BY_RCU });
    const table = rcuHashTableCreate(heap, 'puts', { cache, key: 'key', refcount: 'refcount', node: 'node' });
    const e = kmemCacheAlloc(cache);
    e.key = 3;
    table.insert(e);
    const found = table.lookup(3)!;
    table.put(found);
    expect(() => table.put(found)).toThrow(RefcountError);
    // Still in the table with the table's reference: found again, deleted and freed once.
    const again = table.lookup(3);
    expect(again).not.toBeNull();
    table.put(again!);
    expect(table.delete(3)).toBe(true);
    expect(table.size).toBe(0);
    addsUp(heap, 'entries');
  });
});

describe('arguments of the wrong kind', () => {
  it('get named errors with codes, not bare TypeError or RangeError', () => {
    heap = createHeap({ threadName: 'args-test' });
    const h = heap;
    expect(codeOf(() => h.root('x', -5))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => h.root('x', 8, 3))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => kmemCacheAlloc(undefined as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => kmemCacheAlloc({} as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => kmemCacheFree(undefined as never, kmemCacheAlloc(kmemCacheCreate(h, 'c', Item))))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(codeOf(() => spinLock(undefined as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => callRcu(42 as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(() => spinLock(null as never)).toThrow(InvalidArgumentError);
  });
});

describe('a table whose initializer died halfway', () => {
  it('is initialized by the next opener instead of staying unusable', () => {
    heap = createHeap({ threadName: 'init-test' });
    // What a worker killed inside rcuHashTableCreate() leaves: the root exists, its state says
    // "being initialized by" an owner that is gone (registry slot 63 with generation 5, never
    // attached here), and the buckets are half written.
    const rootBytes = 64 + 16 * 12;
    const root = heap.root('hash:half-made', rootBytes, 64) >> 2;
    const deadTag = (5 << 8) | 64;
    heap.views.i32[root + 1] = 12345;
    heap.views.i32[root + 16] = 77;
    Atomics.store(heap.views.i32, root, (deadTag << 2) | 1);
    const cache = kmemCacheCreate(heap, 'entries', Entry, { flags: SLAB_TYPESAFE_BY_RCU });
    const started = Date.now();
    const table = rcuHashTableCreate(heap, 'half-made', {
      cache,
      key: 'key',
      refcount: 'refcount',
      node: 'node',
      buckets: 16,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    const e = kmemCacheAlloc(cache);
    e.key = 11;
    expect(table.insert(e)).toBe(true);
    expect(table.lookup(11)).not.toBeNull();
    expect(table.size).toBe(1);
    for (let b = 0; b < 16; b++) expect(table.chain(b).nulls).toBe(b);
  });
});

describe('an rcuReadLock() guard disposed twice', () => {
  it('throws RcuUnbalancedError instead of closing the outer section', () => {
    heap = createHeap({ threadName: 'guard-test' });
    const outer = rcuReadLock();
    const inner = rcuReadLock();
    inner[Symbol.dispose]();
    expect(() => inner[Symbol.dispose]()).toThrow(RcuUnbalancedError);
    expect(rcuReadLockHeld()).toBe(true);
    outer[Symbol.dispose]();
    expect(rcuReadLockHeld()).toBe(false);
  });
});
