/**
 * @fileoverview A worker of the `slab` benchmark (test/src/bench/slab.ts): runs the cases for
 * one live-object count, one sample of each per request from the main thread.
 *
 * Why a worker per live count: V8 keeps type feedback, and the optimized code built from it,
 * per function literal, shared by every closure made from that literal. Measured in one
 * isolate, the 16-live loop shares its code with the 256-live loop, whose slow paths and
 * different batch size shape what gets inlined: the 16-live slab pair measured 45 ns that
 * way against 25 to 33 ns alone, in the same sitting. A worker per count gives each its own
 * isolate, as a program whose allocation sites each see one pattern would.
 */

import { parentPort, workerData } from 'node:worker_threads';
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
import { sampleNsPerOp } from '../bench/stats.js';

/** What the main thread gives each worker. */
export interface SlabBenchWorkerData {
  /** Objects kept live at a time. */
  readonly live: number;
  /** Appended to the case names (`''`, `'-256-live'`). */
  readonly suffix: string;
  readonly iterations: number;
  /** Debug mode on the worker's heap: then only the slab case runs (`slab-alloc-free-pair-debug`). */
  readonly debug: boolean;
}

/** Requests: 'sample' (reply: one ns-per-pair figure per case, in `names` order) or 'stop'. */
export type SlabBenchRequest = 'sample' | 'stop';

const Item = defineStruct('bench-item', { key: 'i32', value: 'f64', tag: 'u16', next: 'i32' });
type ItemRef = StructRef<typeof Item>;
interface JsItem {
  key: number;
  value: number;
  tag: number;
  next: number;
}

export function cases(
  live: number,
  suffix: string,
  cache: KmemCache<typeof Item>,
  pool: MemPool,
): [string, (n: number) => void][] {
  const slabLive = new Array<ItemRef | null>(live).fill(null);
  const jsLive = new Array<JsItem | null>(live).fill(null);
  const mallocLive = new Float64Array(live);
  const bytes = Item.layout.size;
  // Read back what the JS case wrote, into an object the compiler cannot drop. (A test of a
  // sink after the loop, reached first after the loop was compiled on stack replacement,
  // deoptimized the case at the end of every sample on Node 24.)
  const sink = { value: 0 };
  const all: [string, (n: number) => void][] = [
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
            sink.value += jsLive[k]!.key;
            jsLive[k] = null;
          }
        }
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
  // @thi.ng/malloc's free list is searched per call: about 6 µs a pair with 4096 live, which
  // would take minutes per run and says nothing new; it is measured up to 256 live.
  return live > 256 ? all.filter(([name]) => !name.startsWith('thi-ng-malloc')) : all;
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'live' in workerData) {
  const data = workerData as SlabBenchWorkerData;
  const port = parentPort;
  const heap = createHeap({ maxBytes: 64 << 20, threadName: `slab-bench-${data.live}`, debug: data.debug });
  const cache = kmemCacheCreate(heap, 'bench-item', Item);
  const pool = new MemPool({ size: 8 << 20, align: 8 });
  const all = cases(data.live, data.suffix, cache, pool).filter(([name]) => !data.debug || name.startsWith('slab-'));
  port.postMessage({ names: all.map(([name]) => name) });
  port.on('message', (request: SlabBenchRequest) => {
    if (request === 'sample') {
      port.postMessage(all.map(([, body]) => sampleNsPerOp(body, data.iterations, 1)[0]!));
      return;
    }
    kmemCacheDestroy(cache);
    heap.detach();
    port.close();
  });
}
