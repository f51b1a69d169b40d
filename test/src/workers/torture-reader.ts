/**
 * @fileoverview An rcutorture reader: loads the published element inside a read-side section,
 * lingers there for a random while (sometimes not at all, sometimes spinning, now and then
 * sleeping), and records the element's age in the Reader Pipe histogram. An age of 2 or
 * more, a poisoned element, a changed generation or a bad checksum means a grace period
 * ended while this reader still held the element.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachHeap, rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';
import { Ctl, Elem, PIPE_LEN, checkValue, tortureViews, type TortureWorkerData } from '../torture/torture-layout.js';

const data = workerData as TortureWorkerData;
const heap = attachHeap(data.heap, { threadName: data.name });
const { ctl, pool } = tortureViews(heap.buffer, data.rootByte, data.poolSize);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

let seed = data.seed | 1;
/** xorshift32: cheap, and each reader gets its own sequence. */
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

const pipe = new Float64Array(PIPE_LEN + 1);
let reads = 0;
let freedReads = 0;
let sink = 0;
/** A long linger at most this often (checked every 1024 reads), so that a correct writer, which must wait for it, still gets most of the time. */
const LONG_EVERY_MS = 20;
const WAIT_UPDATES_MS = 3;
let lastLong = 0;

/**
 * How long to linger inside the section. Mostly not at all; sometimes a short spin; now and
 * then a 1 ms sleep; and every LONG_EVERY_MS or so, until the writer has published two more
 * elements (or WAIT_UPDATES_MS passed). That last one makes detection certain rather than
 * lucky: the writer has then removed our element, and with a busted grace period freed and
 * reused it under us, however loaded the machine. With a correct one, a writer that waits
 * for this reader cannot publish twice, and the reader gives up after WAIT_UPDATES_MS.
 */
function linger(): void {
  if ((reads & 1023) === 1023 && performance.now() - lastLong >= LONG_EVERY_MS) {
    lastLong = performance.now();
    const start = Atomics.load(ctl, Ctl.UPDATES);
    const deadline = lastLong + WAIT_UPDATES_MS;
    for (;;) {
      const now = Atomics.load(ctl, Ctl.UPDATES);
      const left = deadline - performance.now();
      if (((now - start) | 0) >= 2 || left <= 0) return;
      Atomics.wait(ctl, Ctl.UPDATES, now, left);
    }
  }
  const r = random();
  if ((r & 0x3ff) === 0) {
    Atomics.wait(sleeper, 0, 0, 1); // sleep inside the section: the writer surely moves on
  } else if ((r & 0x7) === 0) {
    const spins = (r >>> 10) & 0x3ff;
    for (let i = 0; i < spins; i++) sink = (sink + i) | 0;
  }
}

/** One read-side section; returns false once the run is over. */
function readOnce(): boolean {
  const nested = (random() & 3) === 0;
  rcuReadLock();
  try {
    // Nest now and then, with the `using` form (the outer section uses the explicit pair).
    using _inner = nested ? rcuReadLock() : null;
    const e = Atomics.load(ctl, Ctl.CURRENT); // rcu_dereference()
    if (e < 0) return Atomics.load(ctl, Ctl.STOP) === 0;
    const base = e * Elem.WORDS;
    const gen = Atomics.load(pool, base + Elem.GEN);
    const check = Atomics.load(pool, base + Elem.CHECK);
    let age = Atomics.load(pool, base + Elem.AGE);
    let bad = Atomics.load(pool, base + Elem.POISON) !== 0 || check !== checkValue(e, gen);
    linger();
    age = Math.max(age, Atomics.load(pool, base + Elem.AGE));
    if (Atomics.load(pool, base + Elem.POISON) !== 0 || Atomics.load(pool, base + Elem.GEN) !== gen) bad = true;
    pipe[Math.min(Math.max(age, 0), PIPE_LEN)]!++;
    reads++;
    if (bad) freedReads++;
  } finally {
    rcuReadUnlock();
  }
  return Atomics.load(ctl, Ctl.STOP) === 0;
}

Atomics.add(ctl, Ctl.READERS_READY, 1);
Atomics.notify(ctl, Ctl.READERS_READY);
while (readOnce());
heap.detach();
// Counts go back by message, not shared words: a long run overflows 32 bits.
parentPort!.postMessage({ done: true, pipe: Array.from(pipe), reads, freedReads, sink });
