/**
 * @fileoverview Grace periods: synchronizeRcu() (blocking) and synchronizeRcuAsync() (never
 * blocks the event loop), with batching, stall reports and robustness against dead threads.
 *
 * One grace period, run by the holder of the GP lock (RcuWord.GP_LOCK):
 *   1. flip:  C := GP_CTR + GP_STEP; store it into GP_CTR;
 *   2. wait:  for every registry slot whose CTR is neither 0 nor C (a reader that may have
 *             entered before the flip, or a QSBR reader whose last quiescent state may
 *             precede it), set WAIT_BIT in that CTR and sleep on the word until it changes
 *             from the value first seen (see holdsUp());
 *   3. done:  GP_COMPLETED := C (store-max).
 * (rcu/read-side.ts explains why one flip of a full counter is enough.)
 *
 * Batching, as liburcu does with its wait queue: a caller first takes a cookie
 * (GP_CTR + GP_STEP, the value the next flip will store) and is done as soon as GP_COMPLETED has
 * reached it — whoever ran that grace period. A caller that cannot take the GP lock sleeps
 * on the lock word (the robust heap/lock-word.ts sleep), and on getting it re-polls its cookie
 * first: a grace period that started after the caller arrived has already served it. So N
 * concurrent callers share about two grace periods instead of running N.
 *
 * Within one thread the GP lock is shared: an asynchronous grace period holds it across its
 * awaits, and a synchronizeRcu() (or a second async one) of the same thread runs under the
 * same hold rather than deadlocking on its own suspended self. Each still waits for every
 * reader that may predate its own flip (the older one may also wait for readers that entered
 * between the two flips: conservative, never wrong), and GP_COMPLETED only moves forward
 * (store-max).
 *
 * Dead threads: heap.watchWorker()/reapThread() clear a dead reader's CTR and notify it, so
 * a grace period waiting on it wakes and completes. A thread that died holding the GP lock is
 * detected through the lock word's owner tag: the next caller takes the lock over
 * (LockResult.OWNER_DEAD) and runs a fresh grace period, which covers whatever the dead one
 * had flipped.
 */

import { threadId } from 'node:worker_threads';
import { HeapAttachmentError, RcuDeadlockError } from '../errors.js';
import { assertMayBlock } from '../debug/blocking.js';
import { GP_STEP, Header, RcuWord, Slot, SlotState, WAIT_BIT } from '../heap/layout.js';
import type { Heap } from '../heap/heap.js';
import { keepAlive, lockWordAcquire, lockWordAcquireAsync, lockWordOwner, lockWordRelease } from '../heap/lock-word.js';
import { gpAtOrAfter, rcuSelf, setQsbrOnline } from './read-side.js';
import { threadLocal, type ThreadContext } from '../heap/thread-context.js';

/**
 * Upper bound on one sleep on a reader's counter. Wake-ups are never lost (see rcuReadUnlock),
 * so this only bounds how stale the stall clock can get when stall reports are disabled.
 */
const MAX_SLEEP_MS = 1000;

/** How many grace periods of this thread hold the GP lock now (the lock is shared within a thread). */
let lockHolds = 0;
/** The heap the hold above is on (a thread may detach and attach another heap). */
let lockHeap: Heap | null = null;

/**
 * Wait for a grace period: every read-side section (and every QSBR reader's interval between
 * quiescent states) that began before this call has ended when it returns. Blocks the calling
 * thread (Atomics.wait); in the main thread prefer synchronizeRcuAsync().
 *
 * Throws RcuDeadlockError inside a read-side section: the grace period would wait for the
 * caller itself. An online QSBR thread is taken offline for the wait and brought back online
 * after it, as liburcu's urcu-qsbr does.
 */
export function synchronizeRcu(): void {
  const t = rcuSelf('synchronizeRcu');
  if (t.readNesting !== 0) throw deadlock('synchronizeRcu', t);
  if (t.heap.debug !== null) assertMayBlock(t.heap.debug, 'synchronizeRcu');
  waitForCookieBlocking(t, currentCookie(t));
}

/**
 * @internal Block until `cookie` is done. Precondition: not inside a read-side section. An
 * online QSBR caller goes offline for the wait (nothing else runs on this thread while it
 * blocks, so it holds no reference meanwhile) and comes back online with a fresh snapshot.
 */
export function waitForCookieBlocking(t: ThreadContext, cookie: number): void {
  const i32 = t.heap.views.i32;
  const wasOnline = t.qsbr && Atomics.load(i32, t.ctrWord) !== 0;
  if (wasOnline) {
    qsbrStore(i32, t.ctrWord, 0);
    setQsbrOnline(false);
  }
  try {
    waitForCookieSync(t, cookie);
  } finally {
    if (wasOnline) {
      qsbrStore(i32, t.ctrWord, Atomics.load(i32, RcuWord.GP_CTR));
      setQsbrOnline(true);
    }
  }
}

/**
 * Wait for a grace period without blocking the event loop: the promise resolves once every
 * read-side section that began before the call has ended. Keeps the process alive meanwhile.
 *
 * Rejects with RcuDeadlockError when called inside a read-side section (awaiting it there
 * could never end). A QSBR thread stays online while it awaits: like any QSBR reader it must
 * keep reporting quiescent states (or go offline), or this grace period waits on it.
 */
export function synchronizeRcuAsync(): Promise<void> {
  let t: ThreadContext;
  try {
    t = rcuSelf('synchronizeRcuAsync');
  } catch (error) {
    return Promise.reject(error);
  }
  if (t.readNesting !== 0) return Promise.reject(deadlock('synchronizeRcuAsync', t));
  return waitForCookieAsync(t, currentCookie(t));
}

/** @internal The cookie a grace period starting now would satisfy: GP_CTR + GP_STEP. */
export function currentCookie(t: ThreadContext): number {
  return (Atomics.load(t.heap.views.i32, RcuWord.GP_CTR) + GP_STEP) | 0;
}

/** @internal Whether the grace period a cookie names has completed (wrap safe). */
export function cookieDone(i32: Int32Array, cookie: number): boolean {
  return gpAtOrAfter(Atomics.load(i32, RcuWord.GP_COMPLETED), cookie);
}

/**
 * Block until GP_COMPLETED reaches `cookie`, running grace periods as needed.
 * Precondition: the caller is not inside a read-side section, and not an online QSBR reader
 * (otherwise the grace period waits on the caller).
 */
function waitForCookieSync(t: ThreadContext, cookie: number): void {
  const i32 = t.heap.views.i32;
  while (!cookieDone(i32, cookie)) {
    acquireGpLockSync(t);
    try {
      // Re-poll under the lock: the previous holder may have run the grace period we need.
      if (!cookieDone(i32, cookie)) runGracePeriodSync(t);
    } finally {
      releaseGpLock(t);
    }
  }
}

/**
 * @internal Resolve once GP_COMPLETED reaches `cookie`, running grace periods as needed, never
 * blocking the event loop. Unlike synchronizeRcuAsync() this may be called inside a
 * read-side section (callRcu() and startPollSynchronizeRcu() do): the grace period then
 * waits, asynchronously, for the caller's own section to end too.
 */
export async function waitForCookieAsync(t: ThreadContext, cookie: number): Promise<void> {
  const i32 = t.heap.views.i32;
  while (!cookieDone(i32, cookie)) {
    // Batch within the thread: while one asynchronous grace period of this thread runs,
    // later callers wait for it and re-poll, instead of running their own under the shared
    // hold of the GP lock (which would cost one grace period each).
    if (asyncGp !== null) {
      await asyncGp.catch(() => {});
      continue;
    }
    const run = asyncGracePeriodFor(t, cookie);
    asyncGp = run;
    try {
      await run;
    } finally {
      if (asyncGp === run) asyncGp = null;
    }
  }
}

/** The asynchronous grace period this thread is running now, if any. */
let asyncGp: Promise<void> | null = null;

async function asyncGracePeriodFor(t: ThreadContext, cookie: number): Promise<void> {
  await acquireGpLockAsync(t);
  try {
    if (!cookieDone(t.heap.views.i32, cookie)) await runGracePeriodAsync(t);
  } finally {
    releaseGpLock(t);
  }
}

// ---------------------------------------------------------------------------------------
// The GP lock
// ---------------------------------------------------------------------------------------

function acquireGpLockSync(t: ThreadContext): void {
  checkLockHeap(t);
  if (lockHolds > 0) {
    lockHolds++;
    return;
  }
  // ACQUIRED, or OWNER_DEAD, which is fine: the dead holder's flip is covered by the grace
  // period we run next, and the only state it could leave half-done (GP_COMPLETED not yet
  // advanced) is exactly what a fresh grace period repairs. Or SELF: an asynchronous
  // acquisition of this thread has taken the word and its continuation has not run yet; we
  // use that hold and release it, and the continuation sees it no longer owns the word
  // (acquireGpLockAsync) and tries again.
  lockWordAcquire(t.heap, RcuWord.GP_LOCK, t.tag, t.heap.registry);
  lockHolds = 1;
  lockHeap = t.heap;
}

async function acquireGpLockAsync(t: ThreadContext): Promise<void> {
  const i32 = t.heap.views.i32;
  for (;;) {
    checkLockHeap(t);
    if (lockHolds > 0) {
      lockHolds++;
      return;
    }
    await lockWordAcquireAsync(t.heap, RcuWord.GP_LOCK, t.tag, t.heap.registry);
    if (threadLocal.current !== t) {
      // Detached while waiting: the word may now name our dead tag; give it back.
      lockWordRelease(t.heap, RcuWord.GP_LOCK, t.tag);
      stillAttached(t);
    }
    if (lockHolds > 0) {
      lockHolds++;
      return;
    }
    // Between the acquisition and this continuation other code of this thread ran: make sure
    // the word is still ours (see the SELF case in acquireGpLockSync()).
    if (lockWordOwner(i32, RcuWord.GP_LOCK) === t.tag) {
      lockHolds = 1;
      lockHeap = t.heap;
      return;
    }
  }
}

function releaseGpLock(t: ThreadContext): void {
  if (--lockHolds === 0) {
    lockHeap = null;
    lockWordRelease(t.heap, RcuWord.GP_LOCK, t.tag);
  }
}

function checkLockHeap(t: ThreadContext): void {
  if (lockHolds > 0 && lockHeap !== t.heap) {
    throw new HeapAttachmentError(`thread ${threadId} still runs a grace period on the heap it detached from`);
  }
}

// ---------------------------------------------------------------------------------------
// One grace period (precondition for all below: the calling thread holds the GP lock)
// ---------------------------------------------------------------------------------------

/** Flip the counter. Always called with the GP lock held. Returns the new value C. */
function flip(i32: Int32Array): number {
  const c = (Atomics.load(i32, RcuWord.GP_CTR) + GP_STEP) | 0;
  // Must be in memory before we load any reader's CTR: a reader that has not yet loaded
  // GP_CTR will then load C (and need not be waited for). Seq-cst store, paired with the
  // reader's load of GP_CTR in rcuReadLock().
  Atomics.store(i32, RcuWord.GP_CTR, c);
  return c;
}

/** Record completion of the grace period that flipped to `c`. Always called with the GP lock held. */
function complete(i32: Int32Array, c: number): void {
  // Store-max: a grace period of this same thread that flipped later may have completed
  // first (shared hold, see the file overview); GP_COMPLETED never moves backwards.
  for (;;) {
    const done = Atomics.load(i32, RcuWord.GP_COMPLETED);
    if (gpAtOrAfter(done, c)) break;
    if (Atomics.compareExchange(i32, RcuWord.GP_COMPLETED, done, c) === done) break;
  }
  Atomics.add(i32, RcuWord.GP_COUNT, 1);
}

/**
 * The reader counter in `word` as first seen by the grace period that flipped to `c`, or 0
 * when that reader does not hold it up: outside any section (0), or entered after the flip
 * (exactly c: its loads come after its store, hence after the flip and the unpublish).
 * Any other value — older, or stale, or (when this thread runs two grace periods at once)
 * newer — is a section or QSBR interval that may predate the flip: wait until the word
 * *changes* from it, which only an exit, a quiescent state, going offline or being reaped
 * does. Equality tests only, so the wait is right whatever the values and however the counter
 * has wrapped.
 */
function holdsUp(i32: Int32Array, word: number, c: number): number {
  const v = Atomics.load(i32, word) & ~WAIT_BIT;
  return v === c ? 0 : v;
}

/**
 * Ask the reader in `word`, whose counter was `v`, to notify us when it moves on. Returns the
 * value to sleep on, or 0 when the word changed meanwhile (look again). The compareExchange
 * pairs with the exchange in rcuReadUnlock() (and the quiescent-state store in rcu/qsbr.ts): if
 * the reader's exchange comes first our compareExchange fails; if ours comes first, the
 * reader's exchange returns WAIT_BIT and it notifies. Atomics.wait then sleeps only while
 * the word still holds the flagged value, so the wake-up cannot fall between the two.
 */
function flagWaiter(i32: Int32Array, word: number, v: number): number {
  if ((v & WAIT_BIT) !== 0) return v;
  const flagged = v | WAIT_BIT;
  return Atomics.compareExchange(i32, word, v, flagged) === v ? flagged : 0;
}

/** One sleep a grace period needs: on `word` while it still holds `value`, for at most `ms`. */
interface ReaderWait {
  readonly word: number;
  readonly value: number;
  readonly ms: number;
}

/**
 * The body of a grace period, shared by the blocking and the asynchronous one: flip the
 * counter, then wait for every reader that entered its section before the flip. It yields
 * each sleep it needs; the caller sleeps (Atomics.wait, or Atomics.waitAsync) and resumes it.
 * Precondition: the caller holds the GP lock.
 */
function* gracePeriodSteps(heap: Heap): Generator<ReaderWait, void, void> {
  const i32 = heap.views.i32;
  const c = flip(i32);
  const slots = heap.registry.maxThreads;
  for (let slot = 0; slot < slots; slot++) {
    const word = heap.registry.word(slot, Slot.CTR);
    const first = holdsUp(i32, word, c);
    if (first === 0) continue;
    const stall = new StallClock(heap, slot);
    for (;;) {
      const v = Atomics.load(i32, word);
      if ((v & ~WAIT_BIT) !== first) break;
      const sleepOn = flagWaiter(i32, word, v);
      if (sleepOn === 0) continue;
      // The sleep ends at once ('not-equal') if the reader left between our load and it.
      yield { word, value: sleepOn, ms: stall.sleepMs() };
      stall.check();
    }
  }
  complete(i32, c);
}

function runGracePeriodSync(t: ThreadContext): void {
  const i32 = t.heap.views.i32;
  for (const wait of gracePeriodSteps(t.heap)) Atomics.wait(i32, wait.word, wait.value, wait.ms);
}

async function runGracePeriodAsync(t: ThreadContext): Promise<void> {
  const i32 = t.heap.views.i32;
  for (const wait of gracePeriodSteps(t.heap)) {
    const waiter = Atomics.waitAsync(i32, wait.word, wait.value, wait.ms);
    if (waiter.async) {
      // In Node 20 a pending waitAsync does not keep the process alive: keepAlive() does.
      await keepAlive(waiter.value);
      stillAttached(t);
    }
  }
}

/**
 * After an await: the thread may have detached from the heap meanwhile (its owner tag is then
 * dead, and another thread may have taken the GP lock over). Stop rather than go on as a
 * holder that no longer exists.
 */
function stillAttached(t: ThreadContext): void {
  if (threadLocal.current !== t) {
    throw new HeapAttachmentError(
      `thread ${threadId} detached from the heap while one of its asynchronous grace periods was running`,
    );
  }
}

/**
 * Times how long a grace period has waited on one reader, and emits the heap's 'stall' event
 * (in the waiting thread) each time another stallTimeoutMs has passed.
 */
class StallClock {
  readonly #start = performance.now();
  readonly #timeoutMs: number;
  #nextReport: number;

  constructor(
    private readonly heap: Heap,
    private readonly slot: number,
  ) {
    this.#timeoutMs = Atomics.load(heap.views.i32, Header.STALL_TIMEOUT_MS);
    this.#nextReport = this.#timeoutMs;
  }

  /** How long the next sleep may last before the clock must be looked at again. */
  sleepMs(): number {
    if (this.#timeoutMs <= 0) return MAX_SLEEP_MS;
    const left = this.#nextReport - (performance.now() - this.#start);
    return Math.min(MAX_SLEEP_MS, Math.max(1, Math.ceil(left)));
  }

  check(): void {
    if (this.#timeoutMs <= 0) return;
    const waited = performance.now() - this.#start;
    if (waited < this.#nextReport) return;
    this.#nextReport = waited + this.#timeoutMs;
    const i32 = this.heap.views.i32;
    const registry = this.heap.registry;
    // The slot may have been freed since (the reader exited): nothing to report then.
    if (Atomics.load(i32, registry.word(this.slot, Slot.STATE)) !== SlotState.LIVE) return;
    Atomics.store(i32, registry.word(this.slot, Slot.STALL_REPORTED), Date.now() | 0);
    const reader = registry.info(this.slot);
    this.heap.emit('stall', {
      reader,
      waitedMs: Math.round(waited),
      readerExited: this.heap.threadExited(reader.threadId),
    });
  }
}

/** Store a QSBR thread's counter, waking a grace period that flagged it (see flagWaiter()). */
export function qsbrStore(i32: Int32Array, word: number, value: number): void {
  if ((Atomics.exchange(i32, word, value) & WAIT_BIT) !== 0) Atomics.notify(i32, word);
}

function deadlock(what: string, t: ThreadContext): RcuDeadlockError {
  return new RcuDeadlockError(
    `${what}() in thread ${threadId} inside a read-side section (nesting ${t.readNesting}): ` +
      `the grace period would wait for this very section; leave it first (or use callRcu())`,
  );
}
