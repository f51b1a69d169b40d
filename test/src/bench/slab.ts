/**
 * @fileoverview `npm run bench -- slab`: the cost of one allocation plus one free, side by side
 * in one run:
 * - `slab-alloc-free-pair`: kmemCacheAlloc + kmemCacheFree of a 4-field struct;
 * - `js-new-object`: a JS object literal with the same 4 fields, allocated and dropped (the
 *   garbage collector's cost is included: the objects escape into an array);
 * - `thi-ng-malloc`: @thi.ng/malloc MemPool malloc + free of the same byte size.
 * Each iteration allocates a batch of objects, keeps them live, then frees (or drops) them
 * all, so no allocator can hand the same block back every time. The named cases keep 16
 * live at a time, the `-256-live` and `-4096-live` cases 256 and 4096: how the cost grows with
 * the working set. A working set larger than a thread's array cache (sized per cache,
 * runtime/src/slab/flags.ts) also moves objects between the array cache and the slabs under
 * the cache lock (the slow path, in batches). Unit: ns per pair. Each live count runs in a
 * worker of its own (test/src/workers/slab-bench-worker.ts says why).
 * - `slab-alloc-free-pair-debug`: the slab pair (16 live) on a heap in debug mode, where every
 *   allocation and free takes the slow path with its checks; its ratio to
 *   `slab-alloc-free-pair` is debug mode's overhead, as lockdep's is given.
 * The other cases run on heaps with debug mode off whatever RCUKIT_DEBUG says.
 */

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { BenchEntry, BenchOptions, BenchSuite } from './bench-entry.js';
import { summarize } from './stats.js';
import type { SlabBenchRequest, SlabBenchWorkerData } from '../workers/slab-bench-worker.js';

const workerUrl = new URL('../workers/slab-bench-worker.js', import.meta.url);

/** Live-object counts, each measured in its own worker (see slab-bench-worker.ts for why). */
const GROUPS: readonly { live: number; suffix: string; debug: boolean }[] = [
  { live: 16, suffix: '', debug: false },
  { live: 256, suffix: '-256-live', debug: false },
  { live: 4096, suffix: '-4096-live', debug: false },
  // The slab pair again on a debug heap (createHeap({ debug: true })): debug mode's overhead.
  { live: 16, suffix: '-debug', debug: true },
];

export const suite: BenchSuite = {
  name: 'slab',
  description:
    'alloc+free pair: slab cache vs JS object vs @thi.ng/malloc (ns per pair; 16, 256 and 4096 objects live at a time)',
  async run(options: BenchOptions): Promise<BenchEntry[]> {
    const iterations = options.quick ? 25_600 : 409_600;
    const samples = options.quick ? 5 : 21;
    const workers = GROUPS.map(
      (g) => new Worker(workerUrl, { workerData: { ...g, iterations } satisfies SlabBenchWorkerData }),
    );
    // Listen to every worker before awaiting any: an emitter does not keep a message for a
    // listener that comes later.
    const hellos = workers.map((w) => once(w, 'message') as Promise<[{ names: string[] }]>);
    try {
      const names = (await Promise.all(hellos)).map(([hello]) => hello.names);
      const perCase = names.map((group) => group.map((): number[] => []));
      // One sample of every case in turn, one worker at a time (never two measuring at
      // once), so load from other processes on the machine hits all cases alike.
      for (let s = 0; s < samples; s++) {
        for (const [g, w] of workers.entries()) {
          w.postMessage('sample' satisfies SlabBenchRequest);
          const [figures] = (await once(w, 'message')) as [number[]];
          figures.forEach((ns, c) => perCase[g]![c]!.push(ns));
        }
      }
      const entries = names.flatMap((group, g) => group.map((name, c) => summarize(name, 'ns', perCase[g]![c]!)));
      for (const e of entries) options.log(`${e.name}: median ${e.median.toFixed(2)} ns per pair`);
      const plain = entries.find((e) => e.name === 'slab-alloc-free-pair');
      const debug = entries.find((e) => e.name === 'slab-alloc-free-pair-debug');
      if (plain !== undefined && debug !== undefined)
        options.log(`debug mode overhead: ${(debug.median / plain.median).toFixed(1)}x (median ratio)`);
      for (const w of workers) w.postMessage('stop' satisfies SlabBenchRequest);
      await Promise.all(workers.map((w) => once(w, 'exit')));
      return entries;
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  },
};
