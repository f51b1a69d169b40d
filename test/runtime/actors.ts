/**
 * @fileoverview Test helpers: start scripted RCU actors (test/src/workers/rcu-actor.ts) on a
 * heap, and wait on words of their shared control block without blocking the event loop.
 */

import { Worker } from 'node:worker_threads';
import type { Heap } from '@rcukit/runtime';
import type { ActorData, ActorStep } from '../dist/workers/rcu-actor.js';

export type { ActorStep };

const ACTOR_URL = new URL('../dist/workers/rcu-actor.js', import.meta.url);
const CTL_WORDS = 64;

/** The control block: Int32 words shared by the test and its actors. */
export function controlBlock(heap: Heap, name = 'test.ctl'): { ctl: Int32Array; ctlByte: number } {
  const ctlByte = heap.root(name, CTL_WORDS * 4);
  return { ctl: new Int32Array(heap.buffer, ctlByte, CTL_WORDS), ctlByte };
}

export interface Actor {
  worker: Worker;
  /** Resolves when the script has run to its end; rejects with the actor's error. */
  done: Promise<void>;
  /** Resolves with the exit code once the thread is gone. */
  exited: Promise<number>;
}

/**
 * Start an actor running `steps`; the heap watches it, so its slot is reaped when it exits.
 * With `startedBy: 'startWorker'` it is started by heap.startWorker(), whose reaper reaps it
 * even while this thread is blocked.
 */
export function startActor(
  heap: Heap,
  ctlByte: number,
  name: string,
  steps: ActorStep[],
  startedBy: 'watchWorker' | 'startWorker' = 'watchWorker',
): Actor {
  const data: ActorData = { heap: heap.share(), name, ctlByte, ctlWords: CTL_WORDS, steps };
  const worker =
    startedBy === 'startWorker'
      ? heap.startWorker(ACTOR_URL, { workerData: data })
      : heap.watchWorker(new Worker(ACTOR_URL, { workerData: data }));
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const done = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { done?: true; error?: { name: string; message: string } }) => {
      if (m.done) resolve();
      else if (m.error)
        reject(Object.assign(new Error(`${name}: ${m.error.name}: ${m.error.message}`), { actorError: m.error }));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${name} exited (code ${code}) before finishing its script`)));
  });
  done.catch(() => {});
  return { worker, done, exited };
}

/** Resolve once ctl[at] satisfies `ok` (bounded: rejects after `limitMs`). Never blocks the loop. */
export async function until(
  ctl: Int32Array,
  at: number,
  ok: (v: number) => boolean,
  limitMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = Atomics.load(ctl, at);
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`control word ${at} is ${v}: condition not met in ${limitMs} ms`);
    const w = Atomics.waitAsync(ctl, at, v, 50);
    if (w.async) await w.value;
  }
}

/** Set ctl[at] and wake whoever waits on it. */
export function signal(ctl: Int32Array, at: number, value: number): void {
  Atomics.store(ctl, at, value);
  Atomics.notify(ctl, at);
}

/** Let the event loop turn `n` times (lets pending promises and waitAsync settle). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 1));
}
