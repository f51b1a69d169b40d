/**
 * @fileoverview The kill torture (`npm run torture -- --kill`): fault injection in the spirit
 * of the kernel's and liburcu's, for the failure a runtime over shared memory must survive:
 * a worker terminated at an arbitrary point. Victim workers (workers/kill-victim.ts) loop over
 * every operation at random (section enter and exit, synchronizeRcu, alloc, free, shrink,
 * table insert, replace, delete and lookup, spinlock lock and unlock); the harness terminates
 * one at a random moment, reaps it (by watchWorker(), or by hand with heap.reapThread(),
 * alternately), holds the survivors at their gate between operations, and checks:
 * - a grace period completes (synchronizeRcuAsync() within GP_LIMIT_MS);
 * - no object was handed out twice (victims claim every object with compareExchange, and the
 *   table refuses an object that is not fresh);
 * - slabinfo adds up for every cache (active + cached + free = numObjs, and the slab counters
 *   match the lists);
 * - every table entry is reachable exactly once, in the bucket its key hashes to, and the
 *   table's size is the number reachable;
 * - every lock is recoverable: the spinlock (a dead holder is reported, the pair repaired),
 *   each cache's and the page allocator's locks (slabinfo, kmemCacheShrink, pageAllocatorStats),
 *   and each bucket lock (the table walk takes them all).
 * Then it releases the survivors and starts a replacement victim.
 *
 * `busted: true` sets RCUKIT_FAULT_SKIP_RECOVERY=1 (heap/intent-log.ts): reaping then skips
 * undoing the dead thread's half-done updates, and the run must fail.
 *
 * runKillTorture() creates a fresh heap and attaches the calling thread to it for the run.
 */

import { Worker } from 'node:worker_threads';
import {
  createHeap,
  kmemCacheShrink,
  pageAllocatorStats,
  slabinfo,
  spinTrylock,
  SpinlockOwnerDeadError,
  spinUnlock,
  synchronizeRcuAsync,
  type Heap,
} from '@rcukit/runtime';
import {
  KILL_OP_GROUPS,
  KillCtl,
  killCaches,
  KillLock,
  killTable,
  TABLE_BUCKETS,
  type KillOpGroup,
  type KillWorkerData,
} from './kill-layout.js';

export interface KillTortureOptions {
  seconds: number;
  /** Victims running at once. Default 2. */
  victims?: number;
  /** Operation groups the victims mix. Default all. */
  groups?: readonly KillOpGroup[];
  /** Skip the recovery of dead threads' half-done updates: the run must fail. */
  busted?: boolean;
  /** Seed of the harness's and victims' choices. Default: from the clock. */
  seed?: number;
  log?: (line: string) => void;
}

export interface KillTortureResult {
  ok: boolean;
  failures: string[];
  kills: number;
  /** Kills (the victims still running at the end included), reaped by watchWorker() / by heap.reapThread() by hand. */
  watched: number;
  byHand: number;
  /** Operations the victims completed. */
  ops: number;
  /** Full checks run (one after each kill, one at the end). */
  checks: number;
  /** Spinlock takeovers from a dead holder the harness saw, and pairs it had to repair. */
  lockTakeovers: number;
  seconds: number;
  busted: boolean;
  seed: number;
  lines: string[];
}

const VICTIM = new URL('../workers/kill-victim.js', import.meta.url);
const GATE_LIMIT_MS = 20_000;
/**
 * A new victim's start: a worker thread loading the runtime, then attaching and opening the
 * caches and the table. Longer than the gate: once in CI, on Node 24 with the suite's other
 * files sharing two cores, one start took more than 20 s (the failure now says where it was).
 */
const START_LIMIT_MS = 60_000;
const GP_LIMIT_MS = 20_000;
/** Longest wait between a victim's start and its kill. */
const MAX_KILL_DELAY_MS = 40;

interface Victim {
  readonly worker: Worker;
  readonly threadId: number;
  readonly watched: boolean;
  readonly exit: Promise<void>;
}

export async function runKillTorture(options: KillTortureOptions): Promise<KillTortureResult> {
  const seconds = options.seconds;
  if (!(seconds > 0)) throw new RangeError(`--seconds must be positive; got ${seconds}`);
  const victimCount = options.victims ?? 2;
  if (!Number.isInteger(victimCount) || victimCount < 1)
    throw new RangeError(`victims must be at least 1; got ${victimCount}`);
  const groups = options.groups ?? (Object.keys(KILL_OP_GROUPS) as KillOpGroup[]);
  const ops = groups.flatMap((g) => KILL_OP_GROUPS[g]);
  const busted = options.busted === true;
  const seed = options.seed ?? (Date.now() & 0x7fffffff) | 1;
  const log = options.log ?? (() => {});
  const failures: string[] = [];
  const saved = process.env['RCUKIT_FAULT_SKIP_RECOVERY'];
  if (busted) process.env['RCUKIT_FAULT_SKIP_RECOVERY'] = '1';

  let x = seed;
  const rand = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };

  using heap = createHeap({ threadName: 'kill-torture', maxThreads: 32, maxBytes: 128 << 20 });
  const ctl = heap.root(KillCtl.ROOT, KillCtl.BYTES) >> 2;
  const caches = killCaches(heap);
  const table = killTable(heap, caches.items);
  const lock = KillLock.open(heap);
  const i32 = (): Int32Array => heap.views.i32;

  let nextId = 1;
  let started = 0;
  let kills = 0;
  let watched = 0;
  let byHand = 0;
  let checks = 0;
  let lockTakeovers = 0;
  const live: Victim[] = [];

  const spawn = (): void => {
    const data: KillWorkerData = { heap: heap.share(), id: nextId++, seed: (seed + nextId * 7919) | 1, ops };
    const worker = new Worker(VICTIM, { workerData: data });
    const isWatched = rand(2) === 0;
    if (isWatched) heap.watchWorker(worker);
    const exit = new Promise<void>((resolve) => {
      worker.once('error', (error) => failures.push(`victim ${data.id}: ${error.message}`));
      worker.once('exit', () => resolve());
    });
    live.push({ worker, threadId: worker.threadId, watched: isWatched, exit });
    started++;
  };

  const waitWord = async (
    index: number,
    ready: (v: number) => boolean,
    what: string,
    limit: number,
  ): Promise<boolean> => {
    const deadline = Date.now() + limit;
    for (;;) {
      const v = Atomics.load(i32(), index);
      if (ready(v)) return true;
      if (Date.now() > deadline || failures.length > 0) {
        if (failures.length === 0) failures.push(`timed out after ${limit} ms waiting for ${what} (${v})`);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };

  const kill = async (victim: Victim): Promise<void> => {
    live.splice(live.indexOf(victim), 1);
    await victim.worker.terminate();
    await victim.exit;
    kills++;
    // watchWorker() reaped it in its own 'exit' listener, registered before ours.
    if (victim.watched) watched++;
    else {
      heap.reapThread(victim.threadId);
      byHand++;
    }
  };

  const check = async (when: string): Promise<void> => {
    checks++;
    const before = failures.length;
    const fail = (what: string): void => {
      failures.push(`${when}: ${what}`);
    };
    checkSlabs(heap, fail);
    checkTable(table, fail);
    let held = false;
    try {
      held = spinTrylock(lock.lock);
      if (!held) fail('the spinlock could not be taken with every victim at its gate');
    } catch (error) {
      if (!(error instanceof SpinlockOwnerDeadError)) throw error;
      held = true;
      lockTakeovers++;
      lock.repair();
    }
    if (held) spinUnlock(lock.lock);
    for (const cache of [caches.typesafe, caches.plain, caches.items]) kmemCacheShrink(cache);
    const pages = pageAllocatorStats(heap);
    if (pages.freePages > pages.totalPages) fail(`page allocator: ${pages.freePages} free of ${pages.totalPages}`);
    let timer: NodeJS.Timeout | undefined;
    const gp = await Promise.race([
      synchronizeRcuAsync().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), GP_LIMIT_MS))),
    ]);
    clearTimeout(timer);
    if (!gp) fail(`a grace period did not complete within ${GP_LIMIT_MS} ms`);
    if (failures.length > before) log(`check failed ${when}:\n  ${failures.slice(before).join('\n  ')}`);
  };

  const pause = async (): Promise<boolean> => {
    Atomics.store(i32(), ctl + KillCtl.PAUSE, 1);
    return waitWord(
      ctl + KillCtl.PAUSED,
      (v) => v === live.length,
      `${live.length} victims at their gate`,
      GATE_LIMIT_MS,
    );
  };
  const resume = (): void => {
    Atomics.store(i32(), ctl + KillCtl.PAUSE, 0);
    Atomics.notify(i32(), ctl + KillCtl.PAUSE);
  };

  const t0 = Date.now();
  try {
    for (let k = 0; k < victimCount; k++) spawn();
    while (Date.now() - t0 < seconds * 1000 && failures.length === 0) {
      if (!(await waitWord(ctl + KillCtl.STARTED, (v) => v >= started, 'victims to start', START_LIMIT_MS))) {
        failures.push(`  ${startDiagnosis(heap, live)}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1 + rand(MAX_KILL_DELAY_MS)));
      await kill(live[rand(live.length)]!);
      const atGate = await pause();
      if (atGate) await check(`after kill ${kills}`);
      resume();
      if (!atGate) break;
      spawn();
    }
    for (const victim of [...live]) await kill(victim);
    if (failures.length === 0) await check('at the end');
  } finally {
    resume();
    for (const victim of [...live]) await victim.worker.terminate();
    if (saved === undefined) delete process.env['RCUKIT_FAULT_SKIP_RECOVERY'];
    else process.env['RCUKIT_FAULT_SKIP_RECOVERY'] = saved;
  }
  const opCount = Atomics.load(i32(), ctl + KillCtl.OPS);
  const elapsed = (Date.now() - t0) / 1000;
  const ok = failures.length === 0;
  const lines = [
    `kill torture: ${elapsed.toFixed(1)} s, ${victimCount} victims, ops: ${groups.join(' ')}${busted ? ' (BUSTED: recovery skipped)' : ''}, seed ${seed}`,
    `Kills: ${kills} (watchWorker ${watched}, reapThread ${byHand}) Ops: ${opCount} Checks: ${checks} Lock takeovers: ${lockTakeovers} Violations: ${failures.length}`,
    ...failures.slice(0, 20).map((f) => `  ${f}`),
    ok ? 'SUCCESS' : 'FAILURE',
  ];
  for (const line of lines) log(line);
  return {
    ok,
    failures,
    kills,
    watched,
    byHand,
    ops: opCount,
    checks,
    lockTakeovers,
    seconds: elapsed,
    busted,
    seed,
    lines,
  };
}

/** Where the victims are when one did not start: attached (then stuck opening) or not. */
function startDiagnosis(heap: Heap, live: readonly Victim[]): string {
  const attached = new Map(heap.threads().map((t) => [t.threadId, t] as const));
  const victims = live.map((v) => {
    const t = attached.get(v.threadId);
    const state = v.worker.threadId === -1 ? 'stopped' : t === undefined ? 'not attached' : `attached as '${t.name}'`;
    return `thread ${v.threadId} ${state}`;
  });
  const others = [...attached.values()]
    .filter((t) => !live.some((v) => v.threadId === t.threadId))
    .map((t) => `'${t.name}' (thread ${t.threadId}${t.rcuActive ? ', in a section' : ''})`);
  return `victims: ${victims.join('; ')}; other attached threads: ${others.join(', ') || 'none'}`;
}

/** slabinfo adds up for every cache. */
function checkSlabs(heap: Heap, fail: (what: string) => void): void {
  for (const s of slabinfo(heap)) {
    if (s.activeObjs + s.cachedObjs + s.freeObjs !== s.numObjs) {
      fail(
        `slabinfo '${s.name}': active ${s.activeObjs} + cached ${s.cachedObjs} + free ${s.freeObjs} != numObjs ${s.numObjs}`,
      );
    }
    if (s.slabsCreated - s.slabsReleased !== s.numSlabs) {
      fail(
        `slabinfo '${s.name}': created ${s.slabsCreated} - released ${s.slabsReleased} != slabs on lists ${s.numSlabs}`,
      );
    }
    if (s.cachedObjs < 0 || s.freeObjs < 0 || s.activeObjs < 0) fail(`slabinfo '${s.name}': a negative count`);
  }
}

/** Every entry reachable exactly once, in its own bucket, and size = entries reachable. */
function checkTable(table: ReturnType<typeof killTable>, fail: (what: string) => void): void {
  const seen = new Set<number>();
  for (let b = 0; b < TABLE_BUCKETS; b++) {
    const { keys, nulls } = table.chain(b);
    if (nulls !== b) fail(`table bucket ${b} ends on the nulls marker of bucket ${nulls}`);
    for (const key of keys) {
      if (seen.has(key)) fail(`table key ${key} reachable twice`);
      seen.add(key);
      if (table.bucketOf(key) !== b) fail(`table key ${key} in bucket ${b}, hashes to ${table.bucketOf(key)}`);
    }
  }
  if (table.size !== seen.size) fail(`table size ${table.size} but ${seen.size} entries reachable`);
}
