/**
 * @fileoverview One worker of the hash-table torture test: a reader that looks keys up and
 * checks what it gets while holding the reference (or reads fields with read() and checks
 * them against the key), or a writer that deletes, frees and
 * reinserts objects under other keys at full speed (so objects move between chains while
 * readers walk them), or a recycler that gives the table's emptied slabs back to the page
 * allocator and lets another cache scribble on them (protocol: TortureWorkerData.role).
 *
 * workerData: TortureWorkerData (hash-torture-protocol.ts). The control root
 * 'hash-torture-ctl' holds CtlWord words: workers count themselves ready, wait for START,
 * run until STOP, then post their counters.
 */

import { parentPort, workerData } from 'node:worker_threads';
import {
  attachHeap,
  defineStruct,
  kmemCacheAlloc,
  kmemCacheCreate,
  kmemCacheFree,
  kmemCacheShrink,
  synchronizeRcu,
  type Heap,
  type LookupPhase,
} from '@rcukit/runtime';
import { checkOf, openItemTable, spin, xorshift } from './hash-item.js';
import {
  CTL_BYTES,
  CTL_ROOT,
  CtlWord,
  type ReaderReport,
  type TortureWorkerData,
  type WriterReport,
} from './hash-torture-protocol.js';

/** A new object for `key`, whole before any table sees it: check and value follow from the key. */
function freshItem(cache: ReturnType<typeof openItemTable>['cache'], key: number) {
  const item = kmemCacheAlloc(cache);
  item.key = key;
  item.check = checkOf(key);
  item.value = key * 0.5;
  return item;
}

/** Words another cache writes over the pages the table's cache gave back. */
const Scribble = defineStruct('hash-torture-scribble', {
  w0: 'i32',
  w1: 'i32',
  w2: 'i32',
  w3: 'i32',
  w4: 'i32',
  w5: 'i32',
  w6: 'i32',
  w7: 'i32',
});
const SCRIBBLE_FIELDS = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7'] as const;

if (parentPort !== null) {
  const data = workerData as TortureWorkerData;
  const heap = attachHeap(data.shared, { threadName: `torture-${data.role}-${data.seed}` });
  const ctl = heap.root(CTL_ROOT, CTL_BYTES) >> 2;
  const i32 = () => heap.views.i32;
  const rand = xorshift(data.seed);
  const delay = data.delays
    ? (phase: LookupPhase) => {
        // Mostly no delay; sometimes a short one at a node; sometimes a long one between the
        // key match and refcountIncNotZero(), the window the key re-check covers.
        const r = rand();
        if ((r & 3) === 0) spin((r >>> 8) % (phase === 'match' ? 20_000 : 10_000));
      }
    : undefined;
  const { cache, table } = openItemTable(heap, 'torture', {
    buckets: data.buckets,
    unsafeSkipKeyRecheckForTesting: data.unsafe === 'skip-key-recheck',
    unsafeSkipNullsCheckForTesting: data.unsafe === 'skip-nulls-check',
    unsafeSkipReadValidationForTesting: data.unsafe === 'skip-read-validation',
    ...(delay !== undefined ? { readerDelayForTesting: delay } : {}),
  });

  Atomics.add(i32(), ctl + CtlWord.READY, 1);
  Atomics.notify(i32(), ctl + CtlWord.READY);
  while (Atomics.load(i32(), ctl + CtlWord.START) === 0) Atomics.wait(i32(), ctl + CtlWord.START, 0, 50);

  if (data.role === 'reader') {
    let lookups = 0;
    let hits = 0;
    let wrongKey = 0;
    let badCheck = 0;
    let missingPinned = 0;
    while (Atomics.load(i32(), ctl + CtlWord.STOP) === 0) {
      for (let n = 0; n < 64; n++) {
        const r = rand();
        // One lookup in two is of a key that is always present: it must always be found.
        const pinned = (r & 1) === 0;
        const key = pinned ? data.keys + ((r >>> 2) % data.pinned) : (r >>> 2) % data.keys;
        lookups++;
        if (data.api === 'read') {
          // Each field by its own reference-free read: each must be the key's own, from an
          // object the table held under that key (writers set check and value from the key).
          const check = table.read(key, 'check');
          if (check === undefined) {
            if (pinned) {
              missingPinned++;
              Atomics.add(i32(), ctl + CtlWord.MISSING_PINNED, 1);
            }
            continue;
          }
          hits++;
          if (check !== checkOf(key)) {
            wrongKey++;
            Atomics.add(i32(), ctl + CtlWord.WRONG_KEY, 1);
          }
          const value = table.read(key, 'value');
          if (value !== undefined && value !== key * 0.5) badCheck++;
          continue;
        }
        const item = table.lookup(key);
        if (item === null) {
          if (pinned) {
            missingPinned++;
            Atomics.add(i32(), ctl + CtlWord.MISSING_PINNED, 1);
          }
          continue;
        }
        try {
          hits++;
          // We hold a reference: the object cannot be freed and reused under us, so its
          // fields are stable. Any mismatch here is a lookup bug, not a race in the check.
          const actual = item.key;
          if (actual !== key) {
            wrongKey++;
            Atomics.add(i32(), ctl + CtlWord.WRONG_KEY, 1);
          }
          if (item.check !== checkOf(actual)) badCheck++;
        } finally {
          table.put(item);
        }
      }
    }
    const report: ReaderReport = {
      role: 'reader',
      lookups,
      hits,
      wrongKey,
      badCheck,
      missingPinned,
      stats: { ...table.stats() },
    };
    parentPort.postMessage(report);
  } else if (data.role === 'recycler') {
    parentPort.postMessage(
      recycle(heap, data, cache, table, rand, () => Atomics.load(i32(), ctl + CtlWord.STOP) !== 0),
    );
  } else {
    let deletes = 0;
    let inserts = 0;
    let replaces = 0;
    const fresh = (key: number) => freshItem(cache, key);
    while (Atomics.load(i32(), ctl + CtlWord.STOP) === 0) {
      for (let n = 0; n < 64; n++) {
        const r = rand();
        const key = r % data.keys;
        if (r >>> 24 < 200) {
          // Delete, then reuse the memory at once for another key: the freed object comes
          // straight back from this worker's free list and lands in another chain.
          if (table.delete(key)) {
            deletes++;
            const other = rand() % data.keys;
            const item = fresh(other);
            if (table.insert(item)) inserts++;
            else kmemCacheFree(cache, item);
          } else {
            const item = fresh(key);
            if (table.insert(item)) inserts++;
            else kmemCacheFree(cache, item);
          }
        } else {
          // Replace a general key (inserting it if absent) or an always-present one: readers
          // find the old object or the new one, never none.
          table.replace(fresh(r >>> 24 < 228 ? key : data.keys + ((r >>> 8) % data.pinned)));
          replaces++;
        }
      }
    }
    const report: WriterReport = { role: 'writer', deletes, inserts, replaces };
    parentPort.postMessage(report);
  }
  heap.detach();
}

/** The recycler's rounds (TortureWorkerData.role says what one does), until `stopped()`. */
function recycle(
  heap: Heap,
  data: TortureWorkerData,
  cache: ReturnType<typeof openItemTable>['cache'],
  table: ReturnType<typeof openItemTable>['table'],
  rand: () => number,
  stopped: () => boolean,
): WriterReport {
  const scribble = kmemCacheCreate(heap, 'hash-torture-scribble', Scribble);
  const fresh = (key: number) => freshItem(cache, key);
  let rounds = 0;
  let deletes = 0;
  let inserts = 0;
  let replaces = 0;
  let slabsReleased = 0;
  while (!stopped()) {
    for (let key = 0; key < data.keys; key++) if (table.delete(key)) deletes++;
    // The always-present keys move too, so their slabs empty in turn.
    for (let p = 0; p < data.pinned; p++) {
      table.replace(fresh(data.keys + p));
      replaces++;
    }
    slabsReleased += kmemCacheShrink(cache);
    synchronizeRcu();
    slabsReleased += kmemCacheShrink(cache);
    // Another cache takes the pages and writes random words over them (in the range of no
    // heap, and odd or misaligned as often as not), then gives them back.
    const junk = [];
    for (let n = 0; n < data.keys; n++) {
      const s = kmemCacheAlloc(scribble);
      for (const f of SCRIBBLE_FIELDS) s[f] = rand() | 0;
      junk.push(s);
    }
    for (const s of junk) kmemCacheFree(scribble, s);
    kmemCacheShrink(scribble);
    for (let key = 0; key < data.keys; key++) if (table.insert(fresh(key))) inserts++;
    rounds++;
  }
  return { role: 'recycler', deletes, inserts, replaces, rounds, slabsReleased };
}
