/**
 * @fileoverview `npm run bench -- lookup`: lookups per second from 1 and 2 reader workers (or
 * the counts `--readers=` gives) while one writer worker updates the data, for four ways of
 * sharing a keyed table between workers. A lookup gets the value stored under a random key.
 *
 * - `rcu-table`: the RCU hash table, lockless: read() walks the chain under rcuReadLock and
 *   validates the value it read by the bucket's sequence count, taking no reference;
 * - `spinlock-table`: the same table and the same work under the bucket's spinlock
 *   (readLocked()), as a table without RCU must read;
 * - `rcu-table-qsbr` (extra): `rcu-table` with the readers registered as QSBR readers, whose
 *   read-side sections cost next to nothing (they report a quiescent state every 1024 lookups);
 * - `rcu-table-ref` and `spinlock-table-ref` (extra): the same two, but each lookup takes a
 *   reference (lookup(): refcountIncNotZero and the key re-check; lookupLocked(): the
 *   reference under the lock), reads the value and drops it (put()), as code that keeps the
 *   object past the lookup must;
 * - `owner-thread`: a Map owned by one worker; readers send each lookup by postMessage and
 *   wait for the answer before the next (one request in flight, no batching), the writer
 *   sends its updates the same way: what Node programs do today;
 * - `local-map`: each reader looks up in its own private Map, no writer, no sharing: the upper
 *   bound of a lookup in JavaScript. It is one more mode of the table readers (the writer parks
 *   while it runs), so it is measured in the windows between theirs, on the same machine;
 * - `local-map-alone` (extra): the same lookups in workers of their own that do nothing else,
 *   measured after the tables. Its samples are minutes away from the tables' on a machine whose
 *   speed drifts by a third from one minute to the next, so it is not what targets divide by.
 *
 * - `rcu-table-debug` (extra): `rcu-table` on a heap in debug mode (createHeap({ debug: true }),
 *   which every attached worker inherits), uniform keys only: its ratio to `rcu-table` is
 *   debug mode's overhead on a lookup, as lockdep's is given.
 *
 * Keys are uniform over the table, and again Zipf-skewed (`-zipf-` entries, s = 0.99 as in
 * YCSB: workers/zipf-keys.ts), since real caches are skewed: hot keys keep their buckets and
 * objects in the readers' CPU caches. The writer replaces uniformly chosen keys in both.
 *
 * The writer replaces WRITER_BATCH entries then sleeps WRITER_PAUSE_MS (a read-mostly load);
 * it runs for every variant but the two local maps, and sets each new object's value before
 * inserting it. The table variants and `local-map` run side by side in the same workers, the
 * tables through the API users write: the readers switch mode at every measurement window,
 * so a busy machine slows all alike. Entries are `<variant>-<readers>r`, in lookups per second summed over the readers,
 * one sample per window.
 *
 * Why the `-ref` pair stays below 2x at two readers whatever the tuning: each of its lookups
 * writes the object's refcount twice, and the spinlock variant also writes the bucket's
 * lock word twice. With readers on different cores those writes move cache lines between
 * them: about one line per RCU lookup against two per locked lookup, on top of work of
 * which the locked variant does less than twice as much. read() writes nothing shared.
 */

import { once } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { createHeap, kmemCacheAlloc } from '@rcukit/runtime';
import type { BenchEntry, BenchOptions, BenchSuite } from './bench-entry.js';
import { summarize } from './stats.js';
import { checkOf, openItemTable } from '../workers/hash-item.js';
import {
  BenchCtl,
  TableMode,
  LOOKUP_BENCH_BUCKETS,
  LOOKUP_BENCH_CTL,
  LOOKUP_BENCH_CTL_BYTES,
  LOOKUP_BENCH_KEYS,
  MAX_LOOKUP_READERS,
  WRITER_BATCH,
  WRITER_PAUSE_MS,
  WRITER_SLOT,
  type KeyDistribution,
  type LookupWorkerData,
} from '../workers/lookup-bench-protocol.js';

const workerUrl = new URL('../workers/lookup-bench-worker.js', import.meta.url);

type Variant =
  | 'rcu-table'
  | 'spinlock-table'
  | 'rcu-table-qsbr'
  | 'rcu-table-ref'
  | 'spinlock-table-ref'
  | 'owner-thread'
  | 'local-map'
  | 'local-map-alone';
const VARIANTS: readonly Variant[] = [
  'rcu-table',
  'spinlock-table',
  'rcu-table-qsbr',
  'rcu-table-ref',
  'spinlock-table-ref',
  'local-map',
  'owner-thread',
  'local-map-alone',
];
const TABLE_MODES: Partial<Record<Variant, number>> = {
  'rcu-table': TableMode.READ,
  'spinlock-table': TableMode.READ_LOCKED,
  'rcu-table-qsbr': TableMode.READ_QSBR,
  'rcu-table-ref': TableMode.LOOKUP,
  'spinlock-table-ref': TableMode.LOOKUP_LOCKED,
  'local-map': TableMode.LOCAL_MAP,
};
/** The variants measured side by side in the same reader workers. */
const TABLE_VARIANTS = VARIANTS.filter((v) => TABLE_MODES[v] !== undefined);
/** Reader counts by default: the 1 and 2 (`--readers=` gives others). */
const READERS: readonly number[] = [1, 2];

export const suite: BenchSuite = {
  name: 'lookup',
  description:
    `lookups/s from reader workers (1 and 2, or --readers=), one writer replacing ${WRITER_BATCH} entries every ${WRITER_PAUSE_MS} ms; ` +
    `${LOOKUP_BENCH_KEYS} keys, ${LOOKUP_BENCH_BUCKETS} buckets`,
  async run(options: BenchOptions): Promise<BenchEntry[]> {
    const entries: BenchEntry[] = [];
    for (const readers of options.readers ?? READERS) {
      for (const keys of ['uniform', 'zipf'] as const) {
        const tag = keys === 'zipf' ? '-zipf' : '';
        const samples = await measure('tables', readers, options, keys);
        // Windows alternate rcu / spinlock / qsbr, so neighbouring windows saw about the same
        // machine: the median of their ratios is steadier than the ratio of the medians.
        const paired = (a: Variant, b: Variant) => median(samples[a]!.map((x, i) => x / samples[b]![i]!)).toFixed(2);
        options.log(
          `${readers}r${tag} paired ratios (median over windows): rcu-table / spinlock-table ${paired('rcu-table', 'spinlock-table')}, ` +
            `rcu-table-qsbr / spinlock-table ${paired('rcu-table-qsbr', 'spinlock-table')}, ` +
            `rcu-table-ref / spinlock-table-ref ${paired('rcu-table-ref', 'spinlock-table-ref')}, ` +
            `rcu-table / local-map ${paired('rcu-table', 'local-map')}`,
        );
        // Zipf keys: the tables and local-map (the owner thread is bound by its messages,
        // whatever the keys).
        for (const variant of keys === 'zipf' ? VARIANTS.filter((v) => v !== 'owner-thread') : VARIANTS) {
          let variantSamples = samples[variant];
          if (variantSamples === undefined) variantSamples = (await measure(variant, readers, options, keys))[variant]!;
          const entry = summarize(`${variant}${tag}-${readers}r`, 'ops/s', variantSamples);
          options.log(`${entry.name}: median ${Math.round(entry.median)} lookups/s`);
          entries.push(entry);
        }
      }
      const debugSamples = (await measure('tables', readers, options, 'uniform', true))['rcu-table']!;
      const debugEntry = summarize(`rcu-table-debug-${readers}r`, 'ops/s', debugSamples);
      const plain = entries.find((e) => e.name === `rcu-table-${readers}r`)!;
      options.log(
        `${debugEntry.name}: median ${Math.round(debugEntry.median)} lookups/s; ` +
          `debug mode overhead on rcu-table: ${(plain.median / debugEntry.median).toFixed(1)}x (median ratio)`,
      );
      entries.push(debugEntry);
    }
    return entries;
  },
};

/**
 * Measure one setup: 'tables' runs the table variants in the same workers, switching the
 * readers' mode at every window, so all see the same machine; the others run alone. With
 * `debug`, the heap is in debug mode and only `rcu-table` is measured. Returns samples per
 * variant.
 */
async function measure(
  setup: Variant | 'tables',
  readers: number,
  options: BenchOptions,
  keys: KeyDistribution,
  debug = false,
): Promise<Partial<Record<Variant, number[]>>> {
  const heap = createHeap({ threadName: 'lookup-bench', maxThreads: MAX_LOOKUP_READERS + 8, debug });
  const workers: Worker[] = [];
  const exits = new Map<Worker, Promise<unknown>>();
  try {
    const ctl = heap.root(LOOKUP_BENCH_CTL, LOOKUP_BENCH_CTL_BYTES) >> 2;
    const i32 = heap.views.i32;
    const spawn = (workerData: LookupWorkerData, transferList: readonly MessagePort[] = []) => {
      const w = new Worker(workerUrl, { workerData, transferList: [...transferList] });
      if (workerData.role !== 'owner') heap.watchWorker(w);
      w.on('error', (error) => {
        process.stderr.write(`lookup bench: ${workerData.role} worker failed: ${String(error)}\n`);
        process.exitCode = 1;
      });
      workers.push(w);
      exits.set(w, once(w, 'exit'));
      return w;
    };
    let expectedReady = readers;
    let owner: Worker | null = null;
    if (setup === 'tables') {
      const { cache, table } = openItemTable(heap, 'lookup-bench', { buckets: LOOKUP_BENCH_BUCKETS });
      for (let key = 0; key < LOOKUP_BENCH_KEYS; key++) {
        const item = kmemCacheAlloc(cache);
        item.key = key;
        item.check = checkOf(key);
        item.value = key * 0.5;
        table.insert(item);
      }
      for (let r = 0; r < readers; r++)
        spawn({ role: 'table-reader', seed: 101 + r, shared: heap.share(), index: r, keys });
      spawn({ role: 'table-writer', seed: 7, shared: heap.share(), index: WRITER_SLOT });
      expectedReady++;
    } else if (setup === 'owner-thread') {
      const channels = Array.from({ length: readers + 1 }, () => new MessageChannel());
      owner = spawn(
        { role: 'owner', seed: 1, ports: channels.map((c) => c.port1) },
        channels.map((c) => c.port1),
      );
      await once(owner, 'message');
      for (let r = 0; r < readers; r++) {
        spawn({ role: 'owner-reader', seed: 101 + r, shared: heap.share(), index: r, port: channels[r]!.port2 }, [
          channels[r]!.port2,
        ]);
      }
      spawn(
        { role: 'owner-writer', seed: 7, shared: heap.share(), index: WRITER_SLOT, port: channels[readers]!.port2 },
        [channels[readers]!.port2],
      );
      expectedReady++;
    } else {
      // local-map-alone
      for (let r = 0; r < readers; r++)
        spawn({ role: 'local-reader', seed: 101 + r, shared: heap.share(), index: r, keys });
    }

    const readyBy = Date.now() + 60_000;
    while (Atomics.load(i32, ctl + BenchCtl.READY) < expectedReady) {
      if (Date.now() > readyBy) throw new Error(`lookup bench ${setup}: workers did not get ready`);
      await sleep(10);
    }
    Atomics.store(i32, ctl + BenchCtl.PHASE, 1);
    Atomics.notify(i32, ctl + BenchCtl.PHASE);

    const windowMs = options.quick ? 100 : 250;
    const windowsPerVariant = options.quick ? 3 : 10;
    // The variants measured in this setup, alternated window by window.
    const modes: readonly Variant[] = setup !== 'tables' ? [setup] : debug ? ['rcu-table'] : TABLE_VARIANTS;
    await sleep(options.quick ? 100 : 400); // warm-up: let the JIT settle in every worker
    const readTotal = () => {
      let total = 0;
      for (let r = 0; r < readers; r++) total += Atomics.load(i32, ctl + BenchCtl.COUNTS + r);
      return total;
    };
    const samples: Partial<Record<Variant, number[]>> = {};
    for (let w = 0; w < windowsPerVariant * modes.length; w++) {
      const variant = modes[w % modes.length]!;
      Atomics.store(i32, ctl + BenchCtl.MODE, TABLE_MODES[variant] ?? 0);
      // Readers look at MODE every 1024 lookups: let them all switch before counting.
      if (modes.length > 1) await sleep(20);
      const c0 = readTotal();
      const t0 = process.hrtime.bigint();
      await sleep(windowMs);
      const c1 = readTotal();
      const t1 = process.hrtime.bigint();
      (samples[variant] ??= []).push(((c1 - c0) * 1e9) / Number(t1 - t0));
    }

    Atomics.store(i32, ctl + BenchCtl.PHASE, 2);
    Atomics.notify(i32, ctl + BenchCtl.PHASE);
    // Readers and writers stop themselves (bounded wait); the owner serves until terminated.
    await Promise.all(
      workers
        .filter((w) => w !== owner)
        .map(async (w) => {
          // An unref'd timer: once every worker has stopped, a pending timeout must not keep
          // the process alive for its remaining seconds.
          const stopped = await Promise.race([
            exits.get(w)!.then(() => true),
            sleep(10_000, { unref: true }).then(() => false),
          ]);
          if (!stopped) await w.terminate();
        }),
    );
    return samples;
  } finally {
    for (const w of workers) await w.terminate();
    heap.detach();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function sleep(ms: number, options: { unref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (options.unref === true) timer.unref();
  });
}
