/**
 * @fileoverview The rcutorture writer: keeps replacing the published element and retires the
 * old one through each way of waiting for a grace period in turn — synchronizeRcu(),
 * synchronizeRcuAsync(), callRcu() and the polled API — then ages it by one and frees it.
 *
 * With `busted` set, each of those is replaced by a "grace period" that does not wait (the
 * harness's deliberate bug, like the kernel's rcu_busted ops); readers must catch it.
 */

import { parentPort, workerData } from 'node:worker_threads';
import {
  attachHeap,
  callRcu,
  pollStateSynchronizeRcu,
  rcuBarrierAsync,
  startPollSynchronizeRcu,
  synchronizeRcu,
  synchronizeRcuAsync,
} from '@rcukit/runtime';
import {
  Ctl,
  Elem,
  ElemState,
  FREE_AGE,
  checkValue,
  tortureViews,
  type TortureWorkerData,
} from '../torture/torture-layout.js';

/** The four ways to wait for a grace period, real or busted. */
interface GpOps {
  sync(): void;
  async(): Promise<void>;
  callRcu(fn: () => void): void;
  startPoll(): number;
  poll(cookie: number): boolean;
}

const realOps: GpOps = {
  sync: synchronizeRcu,
  async: synchronizeRcuAsync,
  callRcu,
  startPoll: startPollSynchronizeRcu,
  poll: pollStateSynchronizeRcu,
};

/** Returns without waiting for readers: every one of these is a bug the readers must see. */
const bustedOps: GpOps = {
  sync: () => {},
  async: () => Promise.resolve(),
  callRcu: (fn) => void setImmediate(fn),
  startPoll: () => 1,
  poll: () => true,
};

const data = workerData as TortureWorkerData;
const heap = attachHeap(data.heap, { threadName: data.name });
const { ctl, pool } = tortureViews(heap.buffer, data.rootByte, data.poolSize);
const ops = data.busted ? bustedOps : realOps;
const polled: Array<{ element: number; cookie: number }> = [];
let rover = 0;

/** Take a free element, or -1 when the pool is empty (retired elements still age). */
function allocate(): number {
  for (let i = 0; i < data.poolSize; i++) {
    const e = (rover + i) % data.poolSize;
    const base = e * Elem.WORDS;
    if (Atomics.load(pool, base + Elem.STATE) !== ElemState.FREE) continue;
    rover = (e + 1) % data.poolSize;
    const gen = (Atomics.load(pool, base + Elem.GEN) + 1) | 0;
    // Initialize everything before the publishing store below (which orders it for readers:
    // rcu_assign_pointer). A reader that still holds this element from its previous life
    // sees GEN change here — exactly the reuse a correct grace period rules out.
    Atomics.store(pool, base + Elem.GEN, gen);
    Atomics.store(pool, base + Elem.AGE, 0);
    Atomics.store(pool, base + Elem.CHECK, checkValue(e, gen));
    Atomics.store(pool, base + Elem.POISON, 0);
    Atomics.store(pool, base + Elem.STATE, ElemState.PUBLISHED);
    return e;
  }
  return -1;
}

/** One more grace period has completed since `e` was removed: age it, free it at FREE_AGE. */
function advance(e: number): void {
  const base = e * Elem.WORDS;
  const age = Atomics.add(pool, base + Elem.AGE, 1) + 1;
  if (age >= FREE_AGE) {
    Atomics.store(pool, base + Elem.POISON, 1);
    Atomics.store(pool, base + Elem.STATE, ElemState.FREE);
    Atomics.add(ctl, Ctl.FREES, 1);
  }
}

/** Age the polled elements whose grace period has completed (cookies only grow: a prefix). */
function reapPolled(): void {
  while (polled.length > 0 && ops.poll(polled[0]!.cookie)) {
    advance(polled.shift()!.element);
    Atomics.add(ctl, Ctl.GP_POLL, 1);
  }
}

async function main(): Promise<void> {
  let method = 0;
  while (Atomics.load(ctl, Ctl.STOP) === 0) {
    reapPolled();
    const e = allocate();
    if (e < 0) {
      // Pool empty: wait for retired elements to come back.
      Atomics.add(ctl, Ctl.ALLOC_WAITS, 1);
      await ops.async();
      await new Promise((r) => setImmediate(r));
      continue;
    }
    // rcu_assign_pointer(): the seq-cst exchange publishes e after its initialization.
    const old = Atomics.exchange(ctl, Ctl.CURRENT, e);
    Atomics.add(ctl, Ctl.UPDATES, 1);
    Atomics.notify(ctl, Ctl.UPDATES); // readers lingering until the writer moves on
    if (old < 0) continue;
    const base = old * Elem.WORDS;
    Atomics.store(pool, base + Elem.STATE, ElemState.RETIRED);
    Atomics.store(pool, base + Elem.AGE, 1); // removed: pipe count 1
    switch (method++ & 3) {
      case 0:
        ops.sync();
        Atomics.add(ctl, Ctl.GP_SYNC, 1);
        advance(old);
        break;
      case 1:
        await ops.async();
        Atomics.add(ctl, Ctl.GP_ASYNC, 1);
        advance(old);
        break;
      case 2:
        ops.callRcu(() => {
          Atomics.add(ctl, Ctl.GP_CALL_RCU, 1);
          advance(old);
        });
        break;
      case 3:
        polled.push({ element: old, cookie: ops.startPoll() });
        // Let callRcu() batches and kicked grace periods make progress.
        await new Promise((r) => setImmediate(r));
        break;
    }
  }
  // Drain: every retired element goes through its grace period before the run ends.
  await rcuBarrierAsync();
  while (polled.length > 0) {
    await ops.async();
    reapPolled();
  }
  heap.detach();
}

main().then(
  () => parentPort!.postMessage({ done: true }),
  (error: unknown) => parentPort!.postMessage({ error: String(error instanceof Error ? error.stack : error) }),
);
