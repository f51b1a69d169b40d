/**
 * @fileoverview Deferred work: callRcu(fn) runs fn in the queuing thread after a grace period;
 * rcuBarrier() / rcuBarrierAsync() wait until this thread's queued callbacks have run; the
 * backlog is bounded.
 *
 * Each thread has its own queue (this module is instantiated once per worker, and the
 * callbacks are closures of this thread, so they could not run anywhere else anyway).
 * Callbacks queued during one turn of the event loop form an *open* batch; a background loop
 * seals it with one cookie (rcu/poll.ts) — one grace period per batch, however many
 * callbacks — waits for that cookie asynchronously (the event loop never blocks) and runs the
 * batch's callbacks in the order they were queued. Batches run in order too: cookies only
 * grow, so a done batch implies every older one is done.
 *
 * Bounded backlog: at most `backlogLimit` callbacks (default 10 000) wait at a time. A
 * callRcu() past the bound either slows its caller — it waits for a grace period right there,
 * synchronously, and runs the ready callbacks (the default, `whenFull: 'wait'`) — or throws
 * RcuBacklogFullError (`whenFull: 'throw'`, and always inside a read-side section, where
 * waiting would deadlock). Memory never grows without bound. Set both per thread with
 * configureCallRcu().
 *
 * A callback that throws does not stop the others: the rest of its batch runs, and the error
 * is then re-thrown asynchronously, as an exception from a timer callback would be — it
 * reaches process.on('uncaughtException') (by default, the thread dies with it).
 *
 * Detach from the heap only after rcuBarrier(): callbacks still queued then never run, and
 * the thread is told so with a HeapAttachmentError re-thrown asynchronously.
 */

import { assertMayBlock } from '../debug/blocking.js';
import { threadId } from 'node:worker_threads';
import {
  HeapAttachmentError,
  InvalidArgumentError,
  RcuBacklogFullError,
  RcuBarrierInCallbackError,
  RcuDeadlockError,
} from '../errors.js';
import { cookieDone, currentCookie, waitForCookieAsync, waitForCookieBlocking } from './grace-period.js';
import { rcuSelf } from './read-side.js';
import { threadLocal, type ThreadContext } from '../heap/thread-context.js';

export interface CallRcuOptions {
  /** Most callbacks that may wait at once in this thread (1 .. 2^30). Default 10 000. */
  backlogLimit?: number;
  /**
   * What callRcu() does when the backlog is full: 'wait' (default) blocks the caller for a
   * grace period and runs the ready callbacks; 'throw' throws RcuBacklogFullError.
   */
  whenFull?: 'wait' | 'throw';
}

const DEFAULT_BACKLOG_LIMIT = 10_000;

interface Batch {
  /** The grace period after which these callbacks may run. */
  readonly cookie: number;
  readonly fns: Array<() => void>;
}

let backlogLimit = DEFAULT_BACKLOG_LIMIT;
let whenFull: 'wait' | 'throw' = 'wait';

/** Callbacks queued since the last seal, not yet covered by a cookie. */
let open: Array<() => void> = [];
/** Sealed batches, oldest first. */
const sealed: Batch[] = [];
/** Callbacks queued and not yet run. */
let backlog = 0;
/** How many callbacks were ever queued / have run in this thread (for barriers). */
let enqueued = 0;
let ran = 0;
let loopRunning = false;
/** Callbacks running now in this thread (runDone()): a barrier inside one would wait for itself. */
let inCallback = 0;
const barrierWaiters: Array<{ target: number; resolve: () => void; reject: (error: unknown) => void }> = [];

/**
 * Queue `fn` to run in this thread after a grace period: once every read-side section that
 * began before this call has ended. May be called inside a read-side section. Callbacks run in
 * the order they were queued.
 */
export function callRcu(fn: () => void): void {
  const t = rcuSelf('callRcu');
  const given: unknown = fn; // as a JavaScript caller may pass it
  if (typeof given !== 'function')
    throw new InvalidArgumentError(`callRcu(): expected a function, got ${given === null ? 'null' : typeof given}`);
  if (backlog >= backlogLimit) {
    if (whenFull === 'throw' || t.readNesting !== 0) {
      throw new RcuBacklogFullError(
        `callRcu() in thread ${threadId}: ${backlog} callbacks already wait for a grace period (backlogLimit ${backlogLimit})` +
          (t.readNesting !== 0 ? ' and the caller is inside a read-side section, so it cannot wait for one' : '') +
          `; call rcuBarrier() or raise the limit with configureCallRcu()`,
      );
    }
    // Slow the caller down: wait for the queued callbacks' grace period here and run them.
    drainSync(t);
  }
  open.push(fn);
  backlog++;
  enqueued++;
  startLoop(t);
}

/**
 * Wait until every callback this thread queued with callRcu() before the call has run.
 * Blocks; throws RcuDeadlockError inside a read-side section.
 */
export function rcuBarrier(): void {
  const t = rcuSelf('rcuBarrier');
  if (inCallback !== 0) throw barrierInCallback('rcuBarrier');
  if (t.readNesting !== 0) {
    throw new RcuDeadlockError(
      `rcuBarrier() in thread ${threadId} inside a read-side section: it waits for a grace period`,
    );
  }
  if (t.heap.debug !== null) assertMayBlock(t.heap.debug, 'rcuBarrier');
  const target = enqueued;
  while (ran < target) drainSync(t);
}

/**
 * Resolve once every callback this thread queued with callRcu() before the call has run.
 * Never blocks the event loop.
 */
export function rcuBarrierAsync(): Promise<void> {
  let t: ThreadContext;
  try {
    t = rcuSelf('rcuBarrierAsync');
  } catch (error) {
    return Promise.reject(error);
  }
  if (inCallback !== 0) return Promise.reject(barrierInCallback('rcuBarrierAsync'));
  if (t.readNesting !== 0) {
    // As synchronizeRcuAsync(): awaited inside the section, it would never settle.
    return Promise.reject(
      new RcuDeadlockError(
        `rcuBarrierAsync() in thread ${threadId} inside a read-side section: it waits for a grace period, which waits for this section`,
      ),
    );
  }
  const target = enqueued;
  if (ran >= target) return Promise.resolve();
  return new Promise((resolve, reject) => {
    barrierWaiters.push({ target, resolve, reject });
    startLoop(t);
  });
}

/** Set this thread's callRcu() backlog bound and what happens past it. */
export function configureCallRcu(options: CallRcuOptions): void {
  const given: unknown = options; // as a JavaScript caller may pass it
  if (given === null || typeof given !== 'object')
    throw new InvalidArgumentError('configureCallRcu(): options must be an object');
  const limit = options.backlogLimit ?? backlogLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > 2 ** 30) {
    throw new InvalidArgumentError(
      `configureCallRcu(): backlogLimit must be an integer from 1 to 2^30; got ${String(limit)}`,
    );
  }
  const mode: unknown = options.whenFull ?? whenFull;
  if (mode !== 'wait' && mode !== 'throw') {
    throw new InvalidArgumentError(`configureCallRcu(): whenFull must be 'wait' or 'throw'; got ${String(mode)}`);
  }
  backlogLimit = limit;
  whenFull = mode;
}

/** How many callbacks this thread has queued that have not run yet. */
export function callRcuBacklog(): number {
  return backlog;
}

/** Cover the open batch with a cookie. */
function seal(t: ThreadContext): void {
  if (open.length === 0) return;
  // Taken after every callback of the batch was queued, so the grace period it names began
  // after each of their callRcu() calls.
  sealed.push({ cookie: currentCookie(t), fns: open });
  open = [];
}

/** Run every sealed batch whose grace period has completed, oldest first. */
function runDone(t: ThreadContext): void {
  const i32 = t.heap.views.i32;
  let errors: unknown[] | null = null;
  while (sealed.length > 0 && cookieDone(i32, sealed[0]!.cookie)) {
    // Unlink before running: a callback may queue more (into `open`) or even drain.
    const batch = sealed.shift()!;
    for (const fn of batch.fns) {
      backlog--;
      ran++;
      inCallback++;
      try {
        fn();
      } catch (error) {
        (errors ??= []).push(error);
      } finally {
        inCallback--;
      }
    }
  }
  for (let i = 0; i < barrierWaiters.length;) {
    const w = barrierWaiters[i]!;
    if (ran >= w.target) {
      barrierWaiters.splice(i, 1);
      w.resolve();
    } else {
      i++;
    }
  }
  if (errors !== null) for (const error of errors) rethrowLater(error);
}

/** Wait (blocking) for the newest batch's grace period and run everything ready. */
function drainSync(t: ThreadContext): void {
  seal(t);
  const newest = sealed[sealed.length - 1];
  if (newest !== undefined) waitForCookieBlocking(t, newest.cookie);
  runDone(t);
}

function startLoop(t: ThreadContext): void {
  if (loopRunning) return;
  loopRunning = true;
  void drainLoop(t);
}

/** The background loop: one grace period per batch, never blocking. */
async function drainLoop(t: ThreadContext): Promise<void> {
  try {
    // Let the rest of this turn's synchronous code add to the batch before sealing it.
    await Promise.resolve();
    while (open.length > 0 || sealed.length > 0) {
      seal(t);
      await waitForCookieAsync(t, sealed[0]!.cookie);
      runDone(t);
    }
  } catch (error) {
    for (const w of barrierWaiters.splice(0)) w.reject(error);
    const lost = backlog;
    if (threadLocal.current !== t) {
      // Detached with callbacks queued: they can never run (their grace period is the heap's,
      // and their closures are this thread's). Say so loudly rather than leak silently.
      open = [];
      sealed.length = 0;
      backlog = 0;
      rethrowLater(
        new HeapAttachmentError(
          `thread ${threadId} detached from the heap with ${lost} callRcu() callbacks still queued; they will not run ` +
            `(call rcuBarrier() before detach())`,
        ),
      );
    } else {
      rethrowLater(error);
    }
  } finally {
    loopRunning = false;
  }
}

function barrierInCallback(what: string): RcuBarrierInCallbackError {
  return new RcuBarrierInCallbackError(
    `${what}() in thread ${threadId} inside a callRcu() callback: it would wait for the callback it runs in ` +
      `(and for those queued after it); call it outside the callback`,
  );
}

function rethrowLater(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}
