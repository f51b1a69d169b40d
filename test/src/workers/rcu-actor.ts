/**
 * @fileoverview A scripted RCU actor for tests: attaches to a heap, then runs a list of steps
 * (enter/leave read-side sections, run grace periods, report quiescent states, signal and wait
 * on words of a shared control block) and posts `{ done: true }` or `{ error }` when through.
 *
 * Tests coordinate with actors through the control block (an Int32Array root of the heap),
 * never through sleeps: an actor `set`s a word to say where it is, and `waitFor`s a word the
 * test sets to let it go on. That keeps the tests deterministic on a loaded machine.
 */

import { parentPort, workerData } from 'node:worker_threads';
import {
  HeapAttachmentError,
  attachHeap,
  callRcu,
  getStateSynchronizeRcu,
  pollStateSynchronizeRcu,
  rcuBarrier,
  rcuQuiescentState,
  rcuReadLock,
  rcuReadUnlock,
  rcuRegisterThreadQsbr,
  rcuThreadOffline,
  rcuThreadOnline,
  synchronizeRcu,
  synchronizeRcuAsync,
  type SharedHeap,
} from '@rcukit/runtime';

/** One step of an actor's script. `at` and `from` index the control block's Int32 words. */
export type ActorStep =
  | { op: 'lock' }
  | { op: 'unlock' }
  | { op: 'sync' }
  | { op: 'syncAsync' }
  | { op: 'barrier' }
  | { op: 'qsbrRegister' }
  | { op: 'quiescent' }
  | { op: 'offline' }
  | { op: 'online' }
  /** Store `value` into word `at` and wake its waiters. */
  | { op: 'set'; at: number; value: number }
  /** Add `value` to word `at` and wake its waiters. */
  | { op: 'add'; at: number; value: number }
  /** Sleep until word `at` equals `value` (gives up with an error after 60 s). */
  | { op: 'waitFor'; at: number; value: number }
  /** Copy word `from` into word `at`. */
  | { op: 'copy'; at: number; from: number }
  /** Run `count` blocking grace periods, adding 1 to word `at` after each. */
  | { op: 'syncLoop'; count: number; at: number }
  /** Store getStateSynchronizeRcu() into word `at`. */
  | { op: 'cookie'; at: number }
  /** Store pollStateSynchronizeRcu(word `from`) (1 or 0) into word `at`. */
  | { op: 'poll'; at: number; from: number }
  /** Queue a callRcu() callback that adds 1 to word `at` when it runs. */
  | { op: 'callRcu'; at: number }
  /** Queue a callRcu() callback that throws. */
  | { op: 'callRcuThrow' }
  /**
   * From now on, count uncaught exceptions in word `at` instead of dying of them; word
   * `at + 1` counts those that are HeapAttachmentErrors.
   */
  | { op: 'catchUncaught'; at: number }
  /** Block forever (until terminated). */
  | { op: 'hang' }
  /** End the thread where it stands (inside a section, say), as a crash would. */
  | { op: 'exit' };

export interface ActorData {
  heap: SharedHeap;
  name: string;
  /** Byte offset of the control block in the heap. */
  ctlByte: number;
  ctlWords: number;
  steps: ActorStep[];
}

const WAIT_LIMIT_MS = 60_000;

async function main(): Promise<void> {
  const data = workerData as ActorData;
  const heap = attachHeap(data.heap, { threadName: data.name });
  const ctl = new Int32Array(heap.buffer, data.ctlByte, data.ctlWords);
  for (const step of data.steps) {
    switch (step.op) {
      case 'lock':
        rcuReadLock();
        break;
      case 'unlock':
        rcuReadUnlock();
        break;
      case 'sync':
        synchronizeRcu();
        break;
      case 'syncAsync':
        await synchronizeRcuAsync();
        break;
      case 'barrier':
        rcuBarrier();
        break;
      case 'qsbrRegister':
        rcuRegisterThreadQsbr();
        break;
      case 'quiescent':
        rcuQuiescentState();
        break;
      case 'offline':
        rcuThreadOffline();
        break;
      case 'online':
        rcuThreadOnline();
        break;
      case 'set':
        Atomics.store(ctl, step.at, step.value);
        Atomics.notify(ctl, step.at);
        break;
      case 'add':
        Atomics.add(ctl, step.at, step.value);
        Atomics.notify(ctl, step.at);
        break;
      case 'waitFor':
        waitFor(ctl, step.at, step.value);
        break;
      case 'copy':
        Atomics.store(ctl, step.at, Atomics.load(ctl, step.from));
        Atomics.notify(ctl, step.at);
        break;
      case 'syncLoop':
        for (let i = 0; i < step.count; i++) {
          synchronizeRcu();
          Atomics.add(ctl, step.at, 1);
          Atomics.notify(ctl, step.at);
        }
        break;
      case 'cookie':
        Atomics.store(ctl, step.at, getStateSynchronizeRcu());
        break;
      case 'poll':
        Atomics.store(ctl, step.at, pollStateSynchronizeRcu(Atomics.load(ctl, step.from)) ? 1 : 0);
        break;
      case 'callRcu': {
        const at = step.at;
        callRcu(() => {
          Atomics.add(ctl, at, 1);
          Atomics.notify(ctl, at);
        });
        break;
      }
      case 'callRcuThrow':
        callRcu(() => {
          throw new Error('callback failure (on purpose)');
        });
        break;
      case 'catchUncaught': {
        const at = step.at;
        process.on('uncaughtException', (error) => {
          if (error instanceof HeapAttachmentError) Atomics.add(ctl, at + 1, 1);
          Atomics.add(ctl, at, 1);
          Atomics.notify(ctl, at);
        });
        break;
      }
      case 'hang':
        for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      case 'exit':
        process.exit(0);
    }
  }
  heap.detach();
}

function waitFor(ctl: Int32Array, at: number, value: number): void {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const v = Atomics.load(ctl, at);
    if (v === value) return;
    if (Date.now() > deadline)
      throw new Error(`actor: word ${at} is ${v}, still not ${value} after ${WAIT_LIMIT_MS} ms`);
    Atomics.wait(ctl, at, v, 100);
  }
}

main().then(
  () => parentPort!.postMessage({ done: true }),
  (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort!.postMessage({ error: { name: e.name, message: e.message, stack: e.stack } });
  },
);
