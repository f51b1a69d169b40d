/**
 * @fileoverview `npm run bench -- slab`: the cost of one allocation plus one free, side by side
 * in one run:
 * - `slab-alloc-free-pair`: kmemCacheAlloc + kmemCacheFree of a 4-field struct;
 * - `js-new-object`: a JS object literal with the same 4 fields, allocated and dropped (the
 *   garbage collector's cost is included: the objects escape into an array);
 * - `thi-ng-malloc`: @thi.ng/malloc MemPool malloc + free of the same byte size.
 * Each iteration allocates a batch of objects, keeps them live, then frees (or drops) them
 * all, so no allocator can hand the same block back every time. The named cases keep 16
 * live at a time, which stays within a thread's array cache (the slab fast path); the
 * `-256-live` cases keep 256, so every batch also moves objects between the array cache and
 * the slabs under the cache lock (the slow path, amortized). Unit: ns per pair.
 */

import { MemPool } from '@thi.ng/malloc';
import {
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheFree,
  type KmemCache,
  type StructRef,
} from '@rcukit/runtime';
import type { BenchEntry, BenchOptions, BenchSuite } from './bench-entry.js';
import { sampleNsPerOp, summarize } from './stats.js';

const Item = defineStruct('bench-item', { key: 'i32', value: 'f64', tag: 'u16', next: 'i32' });
type ItemRef = StructRef<typeof Item>;
interface JsItem {
  key: number;
  value: number;
  tag: number;
  next: number;
}

function cases(live: number, suffix: string, cache: KmemCache<typeof Item>, pool: MemPool): [string, (n: number) => void][] {
  const slabLive: (ItemRef | null)[] = new Array(live).fill(null);
  const jsLive: (JsItem | null)[] = new Array(live).fill(null);
  const mallocLive = new Float64Array(live);
  const bytes = Item.layout.size;
  let sink = 0;
  return [
    [
      `slab-alloc-free-pair${suffix}`,
      (n) => {
        for (let i = 0; i < n; i += live) {
          for (let k = 0; k < live; k++) {
            const o = kmemCacheAlloc(cache);
            o.key = k;
            slabLive[k] = o;
          }
          for (let k = 0; k < live; k++) {
            kmemCacheFree(cache, slabLive[k]!);
            slabLive[k] = null;
          }
        }
      },
    ],
    [
      `js-new-object${suffix}`,
      (n) => {
        for (let i = 0; i < n; i += live) {
          for (let k = 0; k < live; k++) jsLive[k] = { key: k, value: 0, tag: 0, next: 0 };
          for (let k = 0; k < live; k++) {
            sink += jsLive[k]!.key;
            jsLive[k] = null;
          }
        }
        if (sink === -1) throw new Error('unreachable');
      },
    ],
    [
      `thi-ng-malloc${suffix}`,
      (n) => {
        for (let i = 0; i < n; i += live) {
          for (let k = 0; k < live; k++) mallocLive[k] = pool.malloc(bytes);
          for (let k = 0; k < live; k++) pool.free(mallocLive[k]!);
        }
      },
    ],
  ];
}

export const suite: BenchSuite = {
  name: 'slab',
  description: 'alloc+free pair: slab cache vs JS object vs @thi.ng/malloc (ns per pair; 16, then 256 objects live at a time)',
  async run(options: BenchOptions): Promise<BenchEntry[]> {
    const iterations = options.quick ? 25_600 : 409_600;
    const samples = options.quick ? 5 : 21;
    using heap = createHeap({ maxBytes: 64 << 20 });
    const cache = kmemCacheCreate(heap, 'bench-item', Item);
    const pool = new MemPool({ size: 8 << 20, align: 8 });
    const all = [...cases(16, '', cache, pool), ...cases(256, '-256-live', cache, pool)];
    // Interleave the cases sample by sample, so that load from other processes on the machine
    // hits all of them alike rather than whichever ran during a busy moment.
    const perCase: number[][] = all.map(() => []);
    for (let s = 0; s < samples; s++) all.forEach(([, body], c) => perCase[c]!.push(...sampleNsPerOp(body, iterations, 1)));
    const entries = all.map(([name], c) => summarize(name, 'ns', perCase[c]!));
    for (const e of entries) options.log(`${e.name}: median ${e.median.toFixed(2)} ns per pair`);
    kmemCacheDestroy(cache);
    return entries;
  },
};
