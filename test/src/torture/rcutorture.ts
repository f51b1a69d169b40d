/**
 * @fileoverview rcutorture for rcukit, in the spirit of the Linux kernel's
 * (kernel/rcu/rcutorture.c): one writer worker keeps replacing an RCU-protected element and
 * retires the old ones through every grace-period API in turn; reader workers hold the
 * element for random times and record its age (grace periods since removal) in the
 * "Reader Pipe" histogram. A correct RCU keeps every read in buckets 0 and 1; anything in
 * bucket 2 or beyond, or a read of a freed or reused element, is a grace period that ended
 * while a reader still held what it protected.
 *
 * `busted: true` swaps in grace periods that do not wait (harness side, like the kernel's
 * rcu_busted ops), to prove the test can fail.
 *
 * runTorture() creates a fresh heap for the run and attaches the calling thread to it for the
 * duration, so the caller must not be attached to another heap.
 */

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createHeap, getStateSynchronizeRcu } from '@rcukit/runtime';
import { Ctl, PIPE_LEN, ROOT_NAME, rootBytes, tortureViews, type TortureWorkerData } from './torture-layout.js';

export interface TortureOptions {
  /** How long the writer and readers run. */
  seconds: number;
  /** Reader workers. Default: one per core but one, at least 2. */
  readers?: number;
  /** Use a broken grace period that does not wait: the run must then fail. */
  busted?: boolean;
  /** Workers that only wait for grace periods, contending with the writer. Default 1. */
  fakeWriters?: number;
  /** Elements in the pool. Default 64. */
  poolSize?: number;
  /** Progress lines (the CLI prints them). */
  log?: (line: string) => void;
}

export interface TortureResult {
  ok: boolean;
  /** Why it failed (empty when ok). */
  failures: string[];
  /** Reader Pipe: reads by observed age, 0..PIPE_LEN (the last bucket is PIPE_LEN or more). */
  pipe: number[];
  reads: number;
  freedReads: number;
  updates: number;
  frees: number;
  allocWaits: number;
  gpByMethod: { sync: number; async: number; callRcu: number; poll: number };
  /** Grace periods the heap ran during the run. */
  gracePeriods: number;
  seconds: number;
  readers: number;
  busted: boolean;
  /** The report, as the CLI prints it. */
  lines: string[];
}

const WORKER_DIR = new URL('../workers/', import.meta.url);
/** How long after the end of the run workers may take to finish before the run counts as wedged. */
const DRAIN_LIMIT_MS = 60_000;

export async function runTorture(options: TortureOptions): Promise<TortureResult> {
  const seconds = options.seconds;
  if (!(seconds > 0) || !Number.isFinite(seconds))
    throw new RangeError(`rcutorture: seconds must be a positive number; got ${seconds}`);
  const readers = options.readers ?? Math.max(2, availableParallelism() - 1);
  if (!Number.isInteger(readers) || readers < 1 || readers > 64)
    throw new RangeError(`rcutorture: readers must be 1 to 64; got ${readers}`);
  const poolSize = options.poolSize ?? 64;
  const busted = options.busted ?? false;
  const fakeWriters = options.fakeWriters ?? 1;
  if (!Number.isInteger(fakeWriters) || fakeWriters < 0 || fakeWriters > 16)
    throw new RangeError(`rcutorture: fakeWriters must be 0 to 16; got ${fakeWriters}`);
  const log = options.log ?? (() => {});

  using heap = createHeap({ threadName: 'rcutorture-main', maxThreads: readers + fakeWriters + 8 });
  const rootByte = heap.root(ROOT_NAME, rootBytes(poolSize));
  const { ctl } = tortureViews(heap.buffer, rootByte, poolSize);
  Atomics.store(ctl, Ctl.CURRENT, -1);
  const gpBefore = getStateSynchronizeRcu();

  const failures: string[] = [];
  const pipe = new Array<number>(PIPE_LEN + 1).fill(0);
  let reads = 0;
  let freedReads = 0;
  let fakeWaits = 0;

  const start = (
    script: string,
    name: string,
    seed: number,
  ): { worker: Worker; done: Promise<Record<string, unknown>> } => {
    const data: TortureWorkerData = { heap: heap.share(), rootByte, poolSize, busted, seed, name };
    const worker = heap.watchWorker(new Worker(new URL(script, WORKER_DIR), { workerData: data }));
    const done = new Promise<Record<string, unknown>>((resolve) => {
      // A worker reports { error: its stack } when it fails (torture-*.ts).
      worker.on('message', (m: Record<string, unknown> & { error?: string }) => {
        if (m.error !== undefined) failures.push(`${name}: ${m.error}`);
        resolve(m);
      });
      worker.once('error', (error) => {
        failures.push(`${name} died: ${error.stack ?? String(error)}`);
        resolve({});
      });
      worker.once('exit', (code) => {
        if (code !== 0) failures.push(`${name} exited with code ${code}`);
        resolve({});
      });
    });
    return { worker, done };
  };

  log(
    `rcutorture: ${seconds} s, ${readers} readers, ${fakeWriters} fake writers, pool ${poolSize}` +
      (busted ? ', BUSTED grace periods' : ''),
  );
  const readerWorkers = Array.from({ length: readers }, (_, i) =>
    start('torture-reader.js', `rcu_torture_reader-${i}`, 0x9e3779b9 * (i + 1)),
  );
  // Start the writer once the readers are reading, so the whole run is contended.
  await waitWord(ctl, Ctl.READERS_READY, readers, DRAIN_LIMIT_MS);
  const writer = start('torture-writer.js', 'rcu_torture_writer', 1);
  const fakes = Array.from({ length: fakeWriters }, (_, i) =>
    start('torture-fakewriter.js', `rcu_torture_fakewriter-${i}`, i),
  );
  // The run's seconds count from the writer's first update: a worker can take seconds to start
  // on a loaded machine (Node 24 more than 20), and a run whose writer never got going proves
  // nothing.
  await waitWord(ctl, Ctl.UPDATES, 1, DRAIN_LIMIT_MS);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  Atomics.store(ctl, Ctl.STOP, 1);

  const all = [writer, ...readerWorkers, ...fakes];
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), DRAIN_LIMIT_MS).unref());
  const finished = await Promise.race([Promise.all(all.map((w) => w.done)), timer]);
  if (finished === 'timeout') {
    failures.push(
      `workers did not finish within ${DRAIN_LIMIT_MS / 1000} s of the end of the run (a grace period wedged?)`,
    );
    await Promise.all(all.map((w) => w.worker.terminate()));
  } else {
    for (const m of finished) {
      fakeWaits += (m['waits'] as number | undefined) ?? 0;
      const p = m['pipe'] as number[] | undefined;
      if (p === undefined) continue;
      p.forEach((n, i) => (pipe[i]! += n));
      reads += m['reads'] as number;
      freedReads += m['freedReads'] as number;
    }
  }
  await Promise.all(all.map((w) => new Promise((r) => (w.worker.threadId < 0 ? r(0) : w.worker.once('exit', r)))));

  const result: TortureResult = {
    ok: false,
    failures,
    pipe,
    reads,
    freedReads,
    updates: Atomics.load(ctl, Ctl.UPDATES),
    frees: Atomics.load(ctl, Ctl.FREES),
    allocWaits: Atomics.load(ctl, Ctl.ALLOC_WAITS),
    gpByMethod: {
      sync: Atomics.load(ctl, Ctl.GP_SYNC),
      async: Atomics.load(ctl, Ctl.GP_ASYNC),
      callRcu: Atomics.load(ctl, Ctl.GP_CALL_RCU),
      poll: Atomics.load(ctl, Ctl.GP_POLL),
    },
    gracePeriods: ((getStateSynchronizeRcu() - gpBefore) | 0) / 4,
    seconds,
    readers,
    busted,
    lines: [],
  };
  const tooOld = pipe.slice(2).reduce((a, b) => a + b, 0);
  if (tooOld > 0) failures.push(`${tooOld} reads saw an element 2 or more grace periods after its removal`);
  if (freedReads > 0) failures.push(`${freedReads} reads saw a freed or reused element`);
  // A run that did nothing proves nothing.
  if (reads === 0 && finished !== 'timeout') failures.push('no reads were made');
  if (result.updates < 2) failures.push(`only ${result.updates} updates were made`);
  result.ok = failures.length === 0;
  const g = result.gpByMethod;
  result.lines = [
    `rcu_torture_writer: updates ${result.updates}, freed ${result.frees}, pool-empty waits ${result.allocWaits}`,
    `Grace periods waited by method: sync ${g.sync} async ${g.async} callRcu ${g.callRcu} poll ${g.poll}; ` +
      `fake-writer waits ${fakeWaits}; heap grace periods ${result.gracePeriods}`,
    `Reader reads: ${reads}, freed-element reads: ${freedReads}`,
    `Reader Pipe: ${pipe.join(' ')}`,
    result.ok ? `--- End of test: SUCCESS` : `--- End of test: FAILURE: ${failures.join('; ')}`,
  ];
  for (const line of result.lines) log(line);
  return result;
}

async function waitWord(i32: Int32Array, index: number, value: number, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = Atomics.load(i32, index);
    if (v >= value) return;
    if (Date.now() > deadline) throw new Error(`rcutorture: workers did not start within ${limitMs / 1000} s`);
    const w = Atomics.waitAsync(i32, index, v, 100);
    if (w.async) await w.value;
  }
}
