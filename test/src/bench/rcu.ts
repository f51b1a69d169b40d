/**
 * @fileoverview `npm run bench -- rcu`: the cost of RCU's read side next to its floor and a
 * spinlock, grace-period latency with a busy reader, and callRcu() throughput (issue 2).
 *
 * Cases, all measured in one run:
 * - `two-atomics-store` (ns): two Atomics.store to an Int32Array over a SharedArrayBuffer
 *   around the same body — the floor for a seq-cst read side written with JavaScript's Atomics.
 * - `two-wasm-atomics` (ns): the same two seq-cst accesses (a store and an exchange) as two calls
 *   into the heap's WebAssembly atomics — the floor for the read side as rcukit runs it.
 * - `rcu-read-pair` (ns): rcuReadLock() + rcuReadUnlock(), default flavor.
 * - `qsbr-read-pair` (ns): the same pair in a thread registered as a QSBR reader.
 * - `spinlock-pair` (ns): spinLock() + spinUnlock(), uncontended.
 * - `rcu-read-pair-debug` (ns): the same pair on a heap in debug mode (createHeap({ debug: true })),
 *   sampled side by side with the plain pair (with fewer iterations: it is much slower); the
 *   log gives the ratio, debug mode's overhead, as lockdep's is given.
 * - `loop-body` (ns): the shared loop body alone, entering and leaving nothing — what every
 *   ns case above includes, so that a read side's own cost is its figure minus this one.
 * - `sync-gp-latency`, `async-gp-latency` (ms): one synchronizeRcu() / await
 *   synchronizeRcuAsync(), back to back, while one worker runs read-side sections in a loop.
 * - `call-rcu-throughput` (ops/s): callbacks queued with callRcu() and run after their grace
 *   period, per second of wall time (queue a batch, await rcuBarrierAsync()), same reader.
 *
 * Fairness: the ns cases share one loop shape — enter, one plain load of a shared word
 * added to an accumulator, leave — and are sampled interleaved (interleave.ts), so they differ
 * only in what enters and leaves. Accumulators are returned and folded into a sink, so no
 * case can be optimized away.
 */

import { Worker } from 'node:worker_threads';
import {
  attachHeap,
  callRcu,
  createHeap,
  rcuBarrierAsync,
  rcuReadLock,
  rcuReadUnlock,
  rcuRegisterThreadQsbr,
  rcuUnregisterThreadQsbr,
  Spinlock,
  spinLock,
  spinUnlock,
  synchronizeRcu,
  synchronizeRcuAsync,
  type Heap,
} from '@rcukit/runtime';
import type { BenchEntry, BenchOptions, BenchSuite } from './bench-entry.js';
import { benchSink, sampleInterleaved, type LoopCase } from './interleave.js';
import { summarize } from './stats.js';
import { BenchReaderWord, type BenchReaderData } from '../workers/bench-rcu-reader.js';

interface Sizes {
  /** Operations per timed sample of an ns case. */
  readonly loopIterations: number;
  /** Timed samples per ns case. */
  readonly loopSamples: number;
  /** Grace periods timed per latency case (after a few untimed). */
  readonly gracePeriods: number;
  /** callRcu() batches timed, and callbacks per batch (under the default backlog of 10 000). */
  readonly callRcuBatches: number;
  readonly callRcuBatchSize: number;
}

const FULL: Sizes = {
  loopIterations: 2_000_000,
  loopSamples: 31,
  gracePeriods: 300,
  callRcuBatches: 30,
  callRcuBatchSize: 5_000,
};
const QUICK: Sizes = {
  loopIterations: 100_000,
  loopSamples: 5,
  gracePeriods: 20,
  callRcuBatches: 3,
  callRcuBatchSize: 1_000,
};

export const suite: BenchSuite = {
  name: 'rcu',
  description:
    'read-side pairs vs two Atomics.store and a spinlock; grace-period latency with one busy reader; callRcu throughput',
  async run(options: BenchOptions): Promise<BenchEntry[]> {
    const sizes = options.quick ? QUICK : FULL;
    using heap = createHeap({ threadName: 'bench-rcu' });
    const entries = [...readSide(heap, sizes, options)];
    entries.push(...(await withBusyReader(heap, options, () => gracePeriods(sizes, options))));
    heap.detach();
    entries.push(...debugReadSide(sizes, options));
    // Keeps the sink observable (and so every measured loop alive) without printing it.
    if (benchSink() === 0.5) options.log('sink');
    return entries;
  },
};

/** The ns cases, sampled side by side. */
function readSide(heap: Heap, sizes: Sizes, options: BenchOptions): BenchEntry[] {
  const i32 = heap.views.i32;
  // Payload and the fake reader counter on separate cache lines, like a real slot and datum.
  const payload = heap.root('bench.payload', 64, 64) >> 2;
  const fakeCtr = heap.root('bench.fake-ctr', 64, 64) >> 2;
  const lock = new Spinlock(heap, heap.root('bench.lock', 64, 64), 'bench.lock');
  i32[payload] = 7;

  const cases: LoopCase[] = [
    {
      name: 'loop-body',
      body(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) acc = (acc + i32[payload]!) | 0;
        return acc;
      },
    },
    {
      name: 'two-atomics-store',
      body(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          Atomics.store(i32, fakeCtr, 1);
          acc = (acc + i32[payload]!) | 0;
          Atomics.store(i32, fakeCtr, 0);
        }
        return acc;
      },
    },
    {
      name: 'two-wasm-atomics',
      body(n) {
        const atomics = heap.atomics;
        let acc = 0;
        for (let i = 0; i < n; i++) {
          atomics.store(fakeCtr, 1);
          acc = (acc + i32[payload]!) | 0;
          atomics.xchg(fakeCtr, 0);
        }
        return acc;
      },
    },
    {
      name: 'rcu-read-pair',
      body(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          rcuReadLock();
          acc = (acc + i32[payload]!) | 0;
          rcuReadUnlock();
        }
        return acc;
      },
    },
    {
      name: 'qsbr-read-pair',
      // The thread is a QSBR reader only while this case runs, so the other cases (and the
      // grace periods later) see a default-flavor thread.
      before: rcuRegisterThreadQsbr,
      after: rcuUnregisterThreadQsbr,
      body(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          rcuReadLock();
          acc = (acc + i32[payload]!) | 0;
          rcuReadUnlock();
        }
        return acc;
      },
    },
    {
      name: 'spinlock-pair',
      body(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          spinLock(lock);
          acc = (acc + i32[payload]!) | 0;
          spinUnlock(lock);
        }
        return acc;
      },
    },
  ];
  options.log(
    `read side: ${cases.length} cases x ${sizes.loopSamples} samples x ${sizes.loopIterations} iterations, interleaved`,
  );
  const samples = sampleInterleaved(cases, sizes.loopIterations, sizes.loopSamples);
  return cases.map((c, k) => summarize(c.name, 'ns', samples[k]!));
}

/**
 * `rcu-read-pair-debug` beside a plain `rcu-read-pair`, each on a heap of its own. A thread
 * is attached to one heap at a time, so each case attaches to its heap around each of its
 * runs (untimed). Precondition: the calling thread is not attached.
 */
function debugReadSide(sizes: Sizes, options: BenchOptions): BenchEntry[] {
  const shared = [false, true].map((debug) => {
    const h = createHeap({ threadName: debug ? 'bench-rcu-debug' : 'bench-rcu-plain', debug });
    const s = h.share();
    h.detach();
    return s;
  });
  const i32 = new Int32Array(new SharedArrayBuffer(64));
  i32[0] = 7;
  let attached: Heap | null = null;
  const around = (k: number) => ({
    before: () => {
      attached = attachHeap(shared[k]);
    },
    after: () => {
      attached!.detach();
      attached = null;
    },
  });
  // Two closures with the same body, so that each call site sees one rcuReadLock binding.
  const cases: LoopCase[] = [
    {
      name: 'rcu-read-pair',
      ...around(0),
      body(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          rcuReadLock();
          acc = (acc + i32[0]!) | 0;
          rcuReadUnlock();
        }
        return acc;
      },
    },
    {
      name: 'rcu-read-pair-debug',
      ...around(1),
      body(n) {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          rcuReadLock();
          acc = (acc + i32[0]!) | 0;
          rcuReadUnlock();
        }
        return acc;
      },
    },
  ];
  const iterations = Math.max(1_000, Math.floor(sizes.loopIterations / 50));
  options.log(`debug mode: read-side pair with and without, ${sizes.loopSamples} samples x ${iterations} iterations`);
  const samples = sampleInterleaved(cases, iterations, sizes.loopSamples);
  const [plain, debug] = cases.map((c, k) => summarize(c.name, 'ns', samples[k]!));
  options.log(`debug mode overhead on rcu-read-pair: ${(debug!.median / plain!.median).toFixed(1)}x (median ratio)`);
  return [debug!];
}

/** Grace-period latencies and callRcu() throughput (a reader worker is running). */
async function gracePeriods(sizes: Sizes, options: BenchOptions): Promise<BenchEntry[]> {
  const warm = Math.min(10, sizes.gracePeriods);
  options.log(`grace periods: ${sizes.gracePeriods} sync, ${sizes.gracePeriods} async, one busy reader`);
  for (let n = 0; n < warm; n++) synchronizeRcu();
  const sync: number[] = [];
  for (let n = 0; n < sizes.gracePeriods; n++) {
    const t0 = process.hrtime.bigint();
    synchronizeRcu();
    sync.push(msSince(t0));
  }
  for (let n = 0; n < warm; n++) await synchronizeRcuAsync();
  const async_: number[] = [];
  for (let n = 0; n < sizes.gracePeriods; n++) {
    const t0 = process.hrtime.bigint();
    await synchronizeRcuAsync();
    async_.push(msSince(t0));
  }

  options.log(`callRcu: ${sizes.callRcuBatches} batches of ${sizes.callRcuBatchSize}`);
  let ran = 0;
  const callback = (): void => {
    ran++;
  };
  const throughput: number[] = [];
  for (let b = -1; b < sizes.callRcuBatches; b++) {
    const before = ran;
    const t0 = process.hrtime.bigint();
    for (let n = 0; n < sizes.callRcuBatchSize; n++) callRcu(callback);
    await rcuBarrierAsync();
    const ms = msSince(t0);
    if (ran - before !== sizes.callRcuBatchSize) {
      throw new Error(
        `callRcu benchmark: ${ran - before} of ${sizes.callRcuBatchSize} callbacks ran by rcuBarrierAsync()`,
      );
    }
    if (b >= 0) throughput.push((sizes.callRcuBatchSize * 1000) / ms); // batch -1 warms up
  }
  return [
    summarize('sync-gp-latency', 'ms', sync),
    summarize('async-gp-latency', 'ms', async_),
    summarize('call-rcu-throughput', 'ops/s', throughput),
  ];
}

/** Run `body` while one worker runs read-side sections in a loop; stop and join it after. */
async function withBusyReader<T>(heap: Heap, options: BenchOptions, body: () => Promise<T>): Promise<T> {
  const wordsByte = heap.root('bench.reader-words', BenchReaderWord.COUNT * 4, 64);
  const i32 = heap.views.i32;
  const base = wordsByte >> 2;
  const data: BenchReaderData = { heap: heap.share(), wordsByte };
  const worker = heap.watchWorker(
    new Worker(new URL('../workers/bench-rcu-reader.js', import.meta.url), { workerData: data }),
  );
  const exit = new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', resolve);
  });
  let result: T;
  let code: number;
  try {
    await waitUntilSet(i32, base + BenchReaderWord.READY, exit);
    result = await body();
    options.log(
      `busy reader ran ${Atomics.load(i32, base + BenchReaderWord.KILO_SECTIONS)}k read-side sections meanwhile`,
    );
  } finally {
    // Stop the reader and wait for it however the body ended; the body's error, if any, wins.
    Atomics.store(i32, base + BenchReaderWord.STOP, 1);
    code = await exit;
  }
  if (code !== 0) throw new Error(`benchmark reader worker exited with code ${code}`);
  return result;
}

/** Wait for a worker to set a word (it notifies), or for the worker to fail first. */
async function waitUntilSet(i32: Int32Array, index: number, exit: Promise<number>): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  // Set by the callbacks below (a property, so that the loop's check is not narrowed away).
  const reader: { ended?: Error } = {};
  exit.then(
    (code) => (reader.ended = new Error(`benchmark reader worker exited (code ${code}) before it was ready`)),
    (error: unknown) => (reader.ended = error instanceof Error ? error : new Error(String(error))),
  );
  try {
    const deadline = Date.now() + 60_000;
    while (Atomics.load(i32, index) === 0) {
      if (reader.ended !== undefined) throw reader.ended;
      if (Date.now() > deadline) throw new Error('benchmark reader worker did not start within 60 s');
      const w = Atomics.waitAsync(i32, index, 0, 100);
      if (w.async) await w.value;
    }
  } finally {
    clearInterval(keepAlive);
  }
}

function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
