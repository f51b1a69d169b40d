/**
 * @fileoverview Property-based: random sequences of alloc / free / shrink (over two caches,
 * one type-stable, with read-side sections and grace periods mixed in) against a model that
 * is just the set of live addresses per cache. After every step: no address is live twice,
 * live objects keep the value written at allocation, and slabinfo() agrees with the model.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
  pageAllocatorStats,
  rcuReadLock,
  rcuReadUnlock,
  synchronizeRcu,
  type KmemCache,
} from '@rcukit/runtime';
import { cacheInfo } from './slab-helpers.js';

const Plain = defineStruct('plain', { stamp: 'i32', pad: { array: 'u8', length: 40 } });
const Stable = defineStruct('stable', { lock: 'spinlock', stamp: 'i32' }, { typesafeByRcu: true });

type Op =
  | { kind: 'alloc'; cache: 0 | 1; count: number }
  | { kind: 'free'; cache: 0 | 1; pick: number; count: number }
  | { kind: 'shrink'; cache: 0 | 1 }
  | { kind: 'readLock' }
  | { kind: 'readUnlockAndSync' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('alloc' as const),
      cache: fc.constantFrom(0 as const, 1 as const),
      count: fc.integer({ min: 1, max: 150 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('free' as const),
      cache: fc.constantFrom(0 as const, 1 as const),
      pick: fc.nat(),
      count: fc.integer({ min: 1, max: 150 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('shrink' as const), cache: fc.constantFrom(0 as const, 1 as const) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'readLock' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'readUnlockAndSync' as const }) },
);

describe('slab caches against a model', () => {
  it('keep counts and exclusivity over random alloc/free/shrink sequences', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        // A small heap has small array caches (limit 508 here, slab/flags.ts), so that
        // sequences of a few hundred objects also run the flush and refill paths.
        const heap = createHeap({ maxBytes: 8 << 20 });
        let reading = false;
        try {
          const caches: [KmemCache<typeof Plain>, KmemCache<typeof Stable>] = [
            kmemCacheCreate(heap, 'plain', Plain),
            kmemCacheCreate(heap, 'stable', Stable, { flags: SLAB_TYPESAFE_BY_RCU }),
          ];
          const names = ['plain', 'stable'] as const;
          // The model: live objects per cache, with the stamp each was given.
          type Entry = { obj: { stamp: number }; stamp: number };
          const live = [new Map<number, Entry>(), new Map<number, Entry>()];
          let stamp = 0;
          for (const o of ops) {
            switch (o.kind) {
              case 'alloc':
                for (let k = 0; k < o.count; k++) {
                  const obj = kmemCacheAlloc(caches[o.cache] as KmemCache) as unknown as { stamp: number };
                  const a = addressOf(obj);
                  expect(live[0]!.has(a) || live[1]!.has(a), `address 0x${a.toString(16)} handed out twice`).toBe(
                    false,
                  );
                  obj.stamp = ++stamp;
                  live[o.cache]!.set(a, { obj, stamp });
                }
                break;
              case 'free': {
                const entries = [...live[o.cache]!.entries()];
                for (let k = 0; k < o.count && entries.length > 0; k++) {
                  const [a, e] = entries.splice((o.pick + k * 7) % entries.length, 1)[0]!;
                  kmemCacheFree(caches[o.cache] as KmemCache, e.obj as never);
                  live[o.cache]!.delete(a);
                }
                break;
              }
              case 'shrink':
                kmemCacheShrink(caches[o.cache]);
                break;
              case 'readLock':
                if (!reading) rcuReadLock();
                reading = true;
                break;
              case 'readUnlockAndSync':
                if (reading) rcuReadUnlock();
                reading = false;
                synchronizeRcu();
                break;
            }
            for (const c of [0, 1] as const) {
              const info = cacheInfo(heap, names[c]);
              expect(info.activeObjs).toBe(live[c]!.size);
              for (const e of live[c]!.values()) expect(e.obj.stamp).toBe(e.stamp);
            }
          }
          if (reading) rcuReadUnlock();
          reading = false;
          for (const c of [0, 1] as const)
            for (const e of live[c]!.values()) kmemCacheFree(caches[c] as KmemCache, e.obj as never);
          for (const c of caches) kmemCacheDestroy(c);
          const pages = pageAllocatorStats(heap);
          // Everything came back: no page is still handed out.
          expect(pages.freePages).toBe(pages.totalPages);
        } finally {
          // A failed step may leave this thread in a read-side section: leave it, so that the
          // heap can be detached and fast-check's shrinking runs start clean.
          if (reading) rcuReadUnlock();
          heap.detach();
        }
      }),
      { numRuns: 60 },
    );
  });
});
