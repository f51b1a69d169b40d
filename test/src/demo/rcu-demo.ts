/**
 * @fileoverview `npm start`: a short demonstration of RCU across worker threads.
 *
 * A config record lives in shared memory in one of four slots; an Int32 word names the
 * current slot (the RCU-protected pointer). Reader workers read the current record under
 * rcuReadLock() as fast as they can. The writer (this thread) keeps publishing new versions:
 * fill a free slot, publish it, synchronizeRcu(), then retire the old slot — poison it — and
 * later reuse it. Readers check every read: the slot must still be live at the end of their
 * section and its payload must match its check word. At the end it prints what happened and
 * exits non-zero if any reader saw a retired or torn record.
 *
 * `node test/dist/demo/rcu-demo.js [--ms N] [--readers N]` (defaults: 2000 ms, 2 readers).
 */

import { Worker } from 'node:worker_threads';
import { createHeap, synchronizeRcu } from '@rcukit/runtime';
import {
  checkWord,
  DEMO_ROOT,
  DEMO_ROOT_BYTES,
  DEMO_SLOTS,
  DemoWord,
  payloadA,
  payloadB,
  SlotState,
  SlotWord,
  type DemoReaderData,
  type DemoReaderReport,
} from './demo-config.js';

const POISON = 0xdeadbeef | 0;

function option(name: string, fallback: number, min: number, max: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}; got ${process.argv[at + 1]}`);
  }
  return value;
}

async function main(): Promise<number> {
  const durationMs = option('--ms', 2000, 1, 60_000);
  const readerCount = option('--readers', 2, 1, 16);
  using heap = createHeap({ threadName: 'demo-writer' });
  const rootByte = heap.root(DEMO_ROOT, DEMO_ROOT_BYTES, 64);
  const i32 = heap.views.i32;
  const root = rootByte >> 2;
  const slotBase = (s: number): number => root + DemoWord.SLOTS + s * SlotWord.COUNT;

  /** Fill slot `s` with `version` and mark it live. Precondition: no reader can reach it. */
  const fill = (s: number, version: number): void => {
    const at = slotBase(s);
    const a = payloadA(version);
    const b = payloadB(version);
    i32[at + SlotWord.VERSION] = version;
    i32[at + SlotWord.A] = a;
    i32[at + SlotWord.B] = b;
    i32[at + SlotWord.CHECK] = checkWord(version, a, b);
    // Seq-cst: orders the payload stores above before the state (and, below, the publish).
    Atomics.store(i32, at + SlotWord.STATE, SlotState.LIVE);
  };
  /** Retire slot `s`: after its grace period nobody reads it, so poisoning it is safe. */
  const retire = (s: number): void => {
    const at = slotBase(s);
    Atomics.store(i32, at + SlotWord.STATE, SlotState.RETIRED);
    i32[at + SlotWord.VERSION] = -1;
    i32[at + SlotWord.A] = POISON;
    i32[at + SlotWord.B] = POISON;
    i32[at + SlotWord.CHECK] = POISON;
  };

  for (let s = 1; s < DEMO_SLOTS; s++) retire(s);
  let version = 1;
  let current = 0;
  fill(current, version);
  Atomics.store(i32, root + DemoWord.CURRENT, current);
  Atomics.store(i32, root + DemoWord.LATEST, version);

  console.log(`rcukit demo: ${readerCount} reader workers read a config record under rcuReadLock() while this thread`);
  console.log(
    `publishes new versions for ${durationMs} ms (${DEMO_SLOTS} slots; an old slot is poisoned and reused only after synchronizeRcu())`,
  );

  const reports: DemoReaderReport[] = [];
  const exits: Array<Promise<number>> = [];
  for (let r = 1; r <= readerCount; r++) {
    const data: DemoReaderData = { heap: heap.share(), rootByte, name: `reader-${r}` };
    const worker = heap.watchWorker(
      new Worker(new URL('../workers/demo-reader.js', import.meta.url), { workerData: data }),
    );
    worker.on('message', (report: DemoReaderReport) => reports.push(report));
    exits.push(
      new Promise((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', resolve);
      }),
    );
  }
  await waitForReaders(i32, root + DemoWord.READY, readerCount, Promise.all(exits));

  // The writer. synchronizeRcu() blocks this thread, which is fine: it has nothing else to do.
  const gpMs: number[] = [];
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    const old = current;
    current = (current + 1) % DEMO_SLOTS;
    version++;
    fill(current, version);
    // rcu_assign_pointer: the seq-cst store orders the slot's stores before the publication;
    // pairs with the readers' load of CURRENT.
    Atomics.store(i32, root + DemoWord.CURRENT, current);
    Atomics.store(i32, root + DemoWord.LATEST, version);
    const t0 = process.hrtime.bigint();
    synchronizeRcu();
    gpMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    retire(old);
  }
  Atomics.store(i32, root + DemoWord.STOP, 1);
  const codes = await Promise.all(exits);

  reports.sort((x, y) => x.name.localeCompare(y.name));
  gpMs.sort((x, y) => x - y);
  const median = gpMs[Math.floor(gpMs.length / 2)] ?? 0;
  console.log('');
  console.log(
    `writer:   published ${version - 1} new versions, waited for ${gpMs.length} grace periods ` +
      `(median ${median.toFixed(3)} ms, max ${(gpMs[gpMs.length - 1] ?? 0).toFixed(3)} ms), retired and reused ${gpMs.length} slots`,
  );
  for (const r of reports) {
    console.log(
      `${r.name}: ${r.reads} reads, saw ${r.versionsSeen} versions (${r.firstVersion}..${r.lastVersion}), ` +
        `max staleness ${r.maxStaleness}, retired-slot reads ${r.retiredReads}, torn reads ${r.tornReads}`,
    );
  }
  const retired = reports.reduce((n, r) => n + r.retiredReads, 0);
  const torn = reports.reduce((n, r) => n + r.tornReads, 0);
  const staleness = Math.max(0, ...reports.map((r) => r.maxStaleness));
  const ok = retired === 0 && torn === 0 && reports.length === readerCount && codes.every((c) => c === 0);
  console.log('');
  console.log(
    ok
      ? `OK: no reader ever saw a retired slot or a torn record; the stalest read was ${staleness} version(s) behind the newest ` +
          `(a grace period holds the writer back until every reader of the old version has finished).`
      : `FAILED: ${retired} retired-slot reads, ${torn} torn reads, ${reports.length}/${readerCount} reader reports, exit codes ${codes.join(', ')}`,
  );
  return ok ? 0 : 1;
}

/** Wait until `count` readers said they are ready (they notify), or one of them failed. */
async function waitForReaders(i32: Int32Array, index: number, count: number, exits: Promise<unknown>): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  // Set by the callbacks below (a property, so that the loop's check is not narrowed away).
  const readers: { failure?: Error } = {};
  exits.then(
    () => (readers.failure = new Error('a reader exited before it was ready')),
    (error: unknown) => (readers.failure = error instanceof Error ? error : new Error(String(error))),
  );
  try {
    for (;;) {
      const v = Atomics.load(i32, index);
      if (v >= count) return;
      if (readers.failure !== undefined) throw readers.failure;
      const w = Atomics.waitAsync(i32, index, v, 100);
      if (w.async) await w.value;
    }
  } finally {
    clearInterval(keepAlive);
  }
}

process.exitCode = await main();
