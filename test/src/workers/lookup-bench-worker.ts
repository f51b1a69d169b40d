/**
 * @fileoverview Workers of the `lookup` benchmark (test/src/bench/lookup.ts).
 *
 * Roles:
 * - `table-reader`: reads of a key's value from the shared RCU hash table (the control word
 *   MODE says how: TableMode in lookup-bench-protocol.ts), lockless with read() (default RCU
 *   flavor, or QSBR) or under the bucket lock with readLocked(); or, the `-ref` modes, by
 *   lookup() or lookupLocked(), which take a reference, then the value, then put(); or, mode
 *   LOCAL_MAP, from a Map private to the worker instead (`local-map`);
 * - `table-writer`: replaces entries of the table (a fresh object per update), paced; parked
 *   while the readers are in LOCAL_MAP mode, since `local-map` has no writer;
 * - `owner`: holds a Map and answers lookups and updates sent by postMessage;
 * - `owner-reader` / `owner-writer`: the same lookups and updates, by message to the owner,
 *   one request in flight at a time (no batching);
 * - `local-reader`: lookups in a Map private to the worker, in workers of their own that
 *   run nothing else (`local-map-alone`).
 *
 * Readers publish their running lookup count in the control root; the main thread samples
 * the counts over fixed windows.
 */

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  attachHeap,
  kmemCacheAlloc,
  rcuQuiescentState,
  rcuRegisterThreadQsbr,
  rcuUnregisterThreadQsbr,
} from '@rcukit/runtime';
import { checkOf, openItemTable, xorshift, type ItemTable } from './hash-item.js';
import { zipfKeys } from './zipf-keys.js';
import {
  BenchCtl,
  TableMode,
  LOOKUP_BENCH_BUCKETS,
  LOOKUP_BENCH_CTL,
  LOOKUP_BENCH_CTL_BYTES,
  LOOKUP_BENCH_KEYS,
  WRITER_BATCH,
  WRITER_PAUSE_MS,
  type LookupWorkerData,
} from './lookup-bench-protocol.js';

const data = workerData as LookupWorkerData;
const uniform = xorshift(data.seed);
// Readers' keys: uniform, or Zipf-skewed (already below LOOKUP_BENCH_KEYS, so the loops'
// `& KEY_MASK` changes nothing). The writer always picks uniformly.
const rand =
  data.keys === 'zipf' && data.role !== 'table-writer' && data.role !== 'owner-writer'
    ? zipfKeys(LOOKUP_BENCH_KEYS, uniform)
    : uniform;
const KEY_MASK = LOOKUP_BENCH_KEYS - 1;
const BATCH = 1024;

/** A Map of every key, private to this worker: the `local-map` lookups. */
function privateMap(): Map<number, { value: number }> {
  const map = new Map<number, { value: number }>();
  for (let k = 0; k < LOOKUP_BENCH_KEYS; k++) map.set(k, { value: k * 0.5 });
  return map;
}

/** A batch of lookups in a private Map (`local-map`), shaped as the table batches are. */
function localBatch(map: Map<number, { value: number }>, rand: () => number): number {
  let sum = 0;
  for (let n = 0; n < BATCH; n++) {
    const found = map.get(rand() & KEY_MASK);
    if (found !== undefined) sum += found.value;
  }
  return sum;
}

/**
 * One batch of lookups per TableMode, each returning the sum of the values it got. Each mode
 * is a function of its own, so V8 optimizes each loop for its own calls only, and all share
 * the same loop shape and the same accumulator handling.
 */
const BATCHES: ((table: ItemTable, rand: () => number) => number)[] = [];
BATCHES[TableMode.READ] = BATCHES[TableMode.READ_QSBR] = (table, rand) => {
  let sum = 0;
  for (let n = 0; n < BATCH; n++) {
    const value = table.read(rand() & KEY_MASK, 'value');
    if (value !== undefined) sum += value;
  }
  return sum;
};
BATCHES[TableMode.READ_LOCKED] = (table, rand) => {
  let sum = 0;
  for (let n = 0; n < BATCH; n++) {
    const value = table.readLocked(rand() & KEY_MASK, 'value');
    if (value !== undefined) sum += value;
  }
  return sum;
};
BATCHES[TableMode.LOOKUP] = (table, rand) => {
  let sum = 0;
  for (let n = 0; n < BATCH; n++) {
    const item = table.lookup(rand() & KEY_MASK);
    if (item !== null) {
      sum += item.value;
      table.put(item);
    }
  }
  return sum;
};
/** The table readers' own Map for LOCAL_MAP mode, made before they report ready. */
let localMap = new Map<number, { value: number }>();
BATCHES[TableMode.LOCAL_MAP] = (_table, rand) => localBatch(localMap, rand);
BATCHES[TableMode.LOOKUP_LOCKED] = (table, rand) => {
  let sum = 0;
  for (let n = 0; n < BATCH; n++) {
    const item = table.lookupLocked(rand() & KEY_MASK);
    if (item !== null) {
      sum += item.value;
      table.put(item);
    }
  }
  return sum;
};

if (data.role === 'owner') {
  // The owner: what Node programs do today to share a map between workers.
  const map = new Map<number, { value: number }>();
  for (let k = 0; k < LOOKUP_BENCH_KEYS; k++) map.set(k, { value: k * 0.5 });
  for (const port of data.ports ?? []) {
    port.on('message', (msg: number | [number, number]) => {
      if (typeof msg === 'number') {
        port.postMessage(map.get(msg)?.value ?? null);
      } else {
        map.set(msg[0], { value: msg[1] });
      }
    });
  }
  parentPort!.postMessage('ready');
} else {
  const heap = attachHeap(data.shared, { threadName: `${data.role}-${data.seed}` });
  const ctl = heap.root(LOOKUP_BENCH_CTL, LOOKUP_BENCH_CTL_BYTES) >> 2;
  const i32 = heap.views.i32; // the control root lies in the static area: never remapped
  const running = () => Atomics.load(i32, ctl + BenchCtl.PHASE) === 1;
  const counter = ctl + BenchCtl.COUNTS + (data.index ?? 0);
  const ready = () => {
    Atomics.add(i32, ctl + BenchCtl.READY, 1);
    while (Atomics.load(i32, ctl + BenchCtl.PHASE) === 0) Atomics.wait(i32, ctl + BenchCtl.PHASE, 0, 20);
  };
  let sink = 0;

  if (data.role === 'table-reader' || data.role === 'table-writer') {
    const { cache, table } = openItemTable(heap, 'lookup-bench', { buckets: LOOKUP_BENCH_BUCKETS });
    if (data.role === 'table-reader') localMap = privateMap();
    ready();
    if (data.role === 'table-reader') {
      // The modes run in the same workers, on the same table, switched by the main thread
      // between measurement windows, so machine noise falls on all alike.
      let count = 0;
      let qsbr = false;
      while (running()) {
        const mode = Atomics.load(i32, ctl + BenchCtl.MODE);
        // QSBR mode: the same lockless reads, this worker registered as a QSBR reader (its
        // read-side sections cost next to nothing; it reports a quiescent state per batch).
        if ((mode === TableMode.READ_QSBR) !== qsbr) {
          if (qsbr) rcuUnregisterThreadQsbr();
          else rcuRegisterThreadQsbr();
          qsbr = !qsbr;
        }
        sink += BATCHES[mode]!(table, rand);
        if (qsbr) rcuQuiescentState();
        count += BATCH;
        Atomics.store(i32, counter, count);
      }
      if (qsbr) rcuUnregisterThreadQsbr();
    } else {
      let count = 0;
      while (running()) {
        if (Atomics.load(i32, ctl + BenchCtl.MODE) === TableMode.LOCAL_MAP) {
          Atomics.wait(i32, ctl + BenchCtl.PHASE, 1, 1);
          continue;
        }
        for (let n = 0; n < WRITER_BATCH; n++) {
          const key = rand() & KEY_MASK;
          const item = kmemCacheAlloc(cache);
          item.key = key;
          item.check = checkOf(key);
          item.value = uniform() * 0.5;
          table.replace(item);
        }
        count += WRITER_BATCH;
        Atomics.store(i32, counter, count);
        Atomics.wait(i32, ctl + BenchCtl.PHASE, 1, WRITER_PAUSE_MS);
      }
    }
  } else if (data.role === 'local-reader') {
    const map = privateMap();
    ready();
    let count = 0;
    while (running()) {
      sink += localBatch(map, rand);
      count += BATCH;
      Atomics.store(i32, counter, count);
    }
  } else {
    // owner-reader / owner-writer: one request in flight, awaited before the next.
    const port = data.port as MessagePort;
    const replies: ((value: unknown) => void)[] = [];
    port.on('message', (v: unknown) => replies.shift()?.(v));
    const ask = (key: number) =>
      new Promise((resolve) => {
        replies.push(resolve);
        port.postMessage(key);
      });
    ready();
    let count = 0;
    if (data.role === 'owner-reader') {
      while (running()) {
        const v = await ask(rand() & KEY_MASK);
        if (typeof v === 'number') sink += v;
        Atomics.store(i32, counter, ++count);
      }
    } else {
      while (running()) {
        for (let n = 0; n < WRITER_BATCH; n++) port.postMessage([rand() & KEY_MASK, rand() * 0.5]);
        count += WRITER_BATCH;
        Atomics.store(i32, counter, count);
        await new Promise((resolve) => setTimeout(resolve, WRITER_PAUSE_MS));
      }
    }
    port.close();
  }
  if (sink === -1) console.log('unreachable'); // keep the reads observable to the JIT
  heap.detach();
  parentPort!.postMessage('done');
}
