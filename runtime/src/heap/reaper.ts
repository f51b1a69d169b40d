/**
 * @fileoverview Reaping a worker that dies while the thread that started it is blocked.
 *
 * watchWorker() reaps on the Worker's 'exit' event, which runs on its creator's event loop. A
 * creator blocked in synchronizeRcu(), a lock wait or kmemCacheDestroy() never runs that
 * event, so a worker terminated inside its read-side section, or holding a lock, wedges it
 * for ever. Node tells a blocked thread nothing else: the stopped worker's threadId and event
 * loop figures stay as they were until the event is delivered.
 *
 * What Node does tell, at once and to any thread: when a thread ends, every MessagePort it
 * owns is closed, and the other end of each emits 'close' on its own thread's loop. So
 * heap.startWorker() gives the new worker one end of a channel, its lifeline, inside the
 * shared heap in workerData, and hands the other end to a reaper: a worker of the heap's own,
 * attached to it, that never blocks. When a lifeline closes, the reaper reaps that threadId.
 * Node threadIds are never reused within a process, so a late or repeated reap finds no slot
 * and does nothing; a worker that detached, or reaped itself on the way out, is not touched.
 *
 * The lifeline must live exactly as long as the worker's thread: attachHeap() moves it out of
 * the shared-heap object into a module-level list (a MessagePort that is collected closes, and
 * would look like a death), and out of workerData, so the worker can pass heap.share()'s object
 * on to workers of its own without a transfer list.
 */

import { MessageChannel, MessagePort, Worker, type WorkerOptions } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.js';
import type { Heap, SharedHeap } from './heap.js';
import { describeValue, isSharedHeap } from './share-value.js';

/** What the creator posts to its reaper (runtime/src/heap/reaper-thread.ts). */
export type ReaperMessage =
  { readonly kind: 'watch'; readonly threadId: number; readonly lifeline: MessagePort } | { readonly kind: 'stop' };

/** This thread's reaper per heap it started workers on. */
const reapers = new WeakMap<Heap, Worker>();
/** The lifelines this thread was started with: kept until the thread ends. */
const heldLifelines: MessagePort[] = [];

const REAPER_URL = new URL('./reaper-thread.js', import.meta.url);

/** heap.startWorker(): a Worker whose death is reaped even while this thread is blocked. */
export function startReapedWorker(heap: Heap, filename: string | URL, options: WorkerOptions): Worker {
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    const workerData = withLifeline(heap, options.workerData, port2);
    worker = new Worker(filename, { ...options, workerData, transferList: [...(options.transferList ?? []), port2] });
  } catch (error) {
    port1.close();
    port2.close();
    throw error;
  }
  const message: ReaperMessage = { kind: 'watch', threadId: worker.threadId, lifeline: port1 };
  reaperOf(heap).postMessage(message, [port1]);
  // The 'exit' event still reaps when this thread is free to run it; whichever comes first
  // claims the slot, and the other finds nothing to do.
  return heap.watchWorker(worker);
}

/** At attachHeap(): keep the worker's lifeline for the life of its thread. */
export function holdLifeline(shared: SharedHeap): void {
  const lifeline = shared.lifeline;
  if (!(lifeline instanceof MessagePort)) return;
  heldLifelines.push(lifeline);
  // Nothing is ever posted on it: it must not keep this thread's event loop alive.
  lifeline.unref();
  delete (shared as { lifeline?: MessagePort }).lifeline;
}

/** At detach(): the reaper leaves the heap and ends. */
export function stopReaper(heap: Heap): void {
  const reaper = reapers.get(heap);
  if (reaper === undefined) return;
  reapers.delete(heap);
  const message: ReaperMessage = { kind: 'stop' };
  reaper.postMessage(message);
}

function reaperOf(heap: Heap): Worker {
  const running = reapers.get(heap);
  if (running !== undefined) return running;
  const reaper = heap.watchWorker(new Worker(REAPER_URL, { workerData: heap.share() }));
  // The reaper serves this thread's workers; it must not keep the process alive by itself.
  reaper.unref();
  reaper.once('error', (error) => {
    // A failed reaper must not take its creator down with an unhandled 'error'; the next
    // startWorker() starts a fresh one.
    if (reapers.get(heap) === reaper) reapers.delete(heap);
    process.emitWarning(`rcukit: the heap's reaper thread failed: ${String(error)}`, 'RcukitReaperWarning');
  });
  reapers.set(heap, reaper);
  return reaper;
}

/**
 * workerData with the lifeline added to the copy of `heap.share()` in it: workerData itself,
 * or one of its own properties (or elements).
 */
function withLifeline(heap: Heap, data: unknown, lifeline: MessagePort): unknown {
  const attach = (value: unknown): unknown => ({ ...(value as SharedHeap), lifeline });
  if (isShareOf(heap, data)) return attach(data);
  if (Array.isArray(data)) {
    const elements: unknown[] = data;
    const at = elements.findIndex((value) => isShareOf(heap, value));
    if (at >= 0) return elements.map((value, i) => (i === at ? attach(value) : value));
  } else if (typeof data === 'object' && data !== null) {
    const key = Object.keys(data).find((k) => isShareOf(heap, (data as Record<string, unknown>)[k]));
    if (key !== undefined) return { ...data, [key]: attach((data as Record<string, unknown>)[key]) };
  }
  throw new InvalidArgumentError(
    `heap.startWorker(): options.workerData must be heap.share(), or hold it as one of its own properties, ` +
      `so that the worker attaches with its lifeline; got ${describeValue(data)}`,
  );
}

function isShareOf(heap: Heap, value: unknown): boolean {
  return isSharedHeap(value) && value.memory === heap.memory;
}
