/**
 * @fileoverview `npm run bench -- slab`: the cost of one allocation plus one free, side by side
 * in one run:
 * - `slab-alloc-free-pair`: kmemCacheAlloc + kmemCacheFree of a 4-field struct (the per-thread
 *   array-cache fast path, with its slow-path refills and flushes amortized in);
 * - `js-new-object`: a JS object literal with the same 4 fields, allocated and dropped (the
 *   garbage collector's cost is included: the objects escape into an array);
 * - `thi-ng-malloc`: @thi.ng/malloc MemPool malloc + free of the same byte size.
 * Each iteration allocates a batch of BATCH objects, keeps them live, then frees (or drops)
 * them all, so no allocator can hand the same block back every time. Unit: ns per pair.
 */

import { MemPool } from '@thi.ng/malloc';
import {
  createHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheDestroy,
  kmemCacheFree,
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

/** Objects live at once per iteration: within one array cache (60), as a loop of real work would be. */
const BATCH = Number(process.env.SLAB_BENCH_BATCH ?? 16);

export const suite: BenchSuite = {
  name: 'slab',
  description: `alloc+free pair, ${BATCH} live at a time: slab cache vs JS object vs @thi.ng/malloc (ns per pair)`,
  async run(options: BenchOptions): Promise<BenchEntry[]> {
    const iterations = options.quick ? 20_000 : 400_000;
    const samples = options.quick ? 5 : 21;
    using heap = createHeap({ maxBytes: 64 << 20 });
    const cache = kmemCacheCreate(heap, 'bench-item', Item);
    const slabLive: (ItemRef | null)[] = new Array(BATCH).fill(null);
    const jsLive: (JsItem | null)[] = new Array(BATCH).fill(null);
    const pool = new MemPool({ size: 8 << 20, align: 8 });
    const mallocLive = new Float64Array(BATCH);
    const bytes = Item.layout.size;
    let sink = 0;

    const cases: [string, (n: number) => void][] = [
      [
        'slab-alloc-free-pair',
        (n) => {
          for (let i = 0; i < n; i += BATCH) {
            for (let k = 0; k < BATCH; k++) {
              const o = kmemCacheAlloc(cache);
              o.key = k;
              slabLive[k] = o;
            }
            for (let k = 0; k < BATCH; k++) {
              kmemCacheFree(cache, slabLive[k]!);
              slabLive[k] = null;
            }
          }
        },
      ],
      [
        'js-new-object',
        (n) => {
          for (let i = 0; i < n; i += BATCH) {
            for (let k = 0; k < BATCH; k++) jsLive[k] = { key: k, value: 0, tag: 0, next: 0 };
            for (let k = 0; k < BATCH; k++) {
              sink += jsLive[k]!.key;
              jsLive[k] = null;
            }
          }
        },
      ],
      [
        'thi-ng-malloc',
        (n) => {
          for (let i = 0; i < n; i += BATCH) {
            for (let k = 0; k < BATCH; k++) mallocLive[k] = pool.malloc(bytes);
            for (let k = 0; k < BATCH; k++) pool.free(mallocLive[k]!);
          }
        },
      ],
    ];
    const entries: BenchEntry[] = [];
    // Interleave the cases sample by sample, so that load from other processes on the machine
    // hits all of them alike rather than whichever ran during a busy moment.
    const perCase: number[][] = cases.map(() => []);
    for (let s = 0; s < samples; s++) {
      cases.forEach(([, body], c) => perCase[c]!.push(...sampleNsPerOp(body, iterations, 1)));
    }
    cases.forEach(([name], c) => {
      const e = summarize(name, 'ns', perCase[c]!);
      options.log(`${name}: median ${e.median.toFixed(2)} ns per pair`);
      entries.push(e);
    });
    if (sink === -1) options.log('');
    kmemCacheDestroy(cache);
    return entries;
  },
};
