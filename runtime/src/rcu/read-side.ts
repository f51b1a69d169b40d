/**
 * @fileoverview The RCU read side of both flavors: rcuReadLock / rcuReadUnlock /
 * rcuReadLockHeld, the QSBR fast path, and RCU's words in a new heap.
 *
 * The default flavor works like liburcu's urcu-memb, minus the membarrier: every atomic
 * operation (JavaScript's Atomics and WebAssembly's alike) is sequentially consistent, so the
 * reader's store to its counter is already ordered before the loads of its read-side section,
 * and the grace period's store of the new counter before its loads of the readers' counters,
 * without any extra fence. The outermost lock and unlock run in WebAssembly, one call each
 * (heap/atomics.ts says why).
 *
 * The grace-period counter (RcuWord.GP_CTR) is a full 32-bit epoch, always 1 modulo 4, that
 * each grace period advances by 4 (GP_STEP): it is odd so that 0 can mean "not in a read-side
 * section", and its bit 1 is always clear so that a reader's copy can carry a flag. A reader's
 * registry slot holds in Slot.CTR the value of GP_CTR it read at its outermost rcuReadLock(),
 * or 0 outside any section; a grace period waiting on that reader sets bit 1 (WAIT_BIT) of the
 * copy before it sleeps, and the reader's outermost rcuReadUnlock() clears the word with one
 * atomic exchange and calls Atomics.notify only when the old value carried the flag. So the
 * unlock is a single atomic read-modify-write, with no separate load of a "someone waits" word,
 * and the lock is one atomic load and one atomic store.
 * Nesting is counted in the thread-local ThreadContext.readNesting: only the outermost lock
 * and unlock touch shared memory.
 *
 * Why a full counter and not liburcu's phase bit: a grace period that flips GP_CTR to C waits
 * for every reader whose CTR is neither 0 nor C, until that CTR changes. A reader that loaded
 * C-4 before the flip but stored it into its slot only after the grace period scanned that
 * slot is still caught by the *next* grace period (its CTR stays C-4, not C+4); with a phase
 * bit its stale value could alias the new phase, which is why liburcu flips twice. One flip
 * suffices here. (That late reader is harmless to the grace period that missed it: its
 * store, and so every load of its section, comes after that grace period's scan in the single
 * total order of seq-cst operations, hence after the updater's unpublish that preceded the
 * flip.) Grace periods compare reader counters for equality only, so the counter may wrap
 * freely; only polled cookies compare by order (modulo 2^32, see rcu/poll.ts).
 *
 * The QSBR flavor (rcu/qsbr.ts) shares the slot: CTR holds the GP_CTR value seen at the thread's
 * last quiescent state, 0 while offline, and rcuReadLock/rcuReadUnlock touch no shared memory:
 * they count nesting in checked mode and, unchecked, do nothing (the QSBR fast path below).
 */

import { RcuUnbalancedError, HeapAttachmentError } from '../errors.js';
import { RcuWord as LayoutRcuWord, WAIT_BIT } from '../heap/layout.js';
import { threadLocal, type ThreadContext } from '../heap/thread-context.js';
import { threadId } from 'node:worker_threads';

/**
 * A module-local alias of the imported holder: V8 checks an imported binding for the
 * temporal dead zone on every access, which measured at ~5 ns per read-side pair here.
 */
const tl = threadLocal;

/**
 * RCU's header words (heap/layout.ts) under a module-local name: the outermost rcuReadLock()
 * loads RcuWord.GP_CTR, and V8 checks an imported binding for the temporal dead zone on every
 * access, as it does not a module's own constant (see `tl` above).
 */
const RcuWord = LayoutRcuWord;

/**
 * @internal RCU's words in a new heap's header, called by createHeap() (heap/heap.ts) before
 * it publishes the heap. `initialGpCounter` is odd (createHeap() checks).
 */
export function initRcuWords(i32: Int32Array, initialGpCounter: number): void {
  // Nobody else sees the buffer yet: plain stores are enough here. Clearing WAIT_BIT makes
  // the odd counter 1 modulo 4.
  const start = initialGpCounter & ~WAIT_BIT;
  i32[RcuWord.GP_CTR] = start;
  i32[RcuWord.GP_COMPLETED] = start;
  i32[RcuWord.GP_LOCK] = 0;
  i32[RcuWord.GP_COUNT] = 0;
}

/**
 * Whether the calling thread is an online QSBR reader: thread-local (this module is
 * instantiated once per worker), kept by rcu/qsbr.ts, so that a QSBR read-side section checks it
 * without touching shared memory. A const object's field, not a `let` (see threadLocal), declared above the functions that
 * read it so that V8 needs no temporal-dead-zone check on each access.
 */
const qsbr = { online: false };

/**
 * The guard rcuReadLock() returns: one per thread (this module is instantiated once per
 * worker), so a read-side section allocates nothing. Disposing it is rcuReadUnlock(), which
 * is what makes `using _ = rcuReadLock()` work.
 */
const readGuard: Disposable = Object.freeze({
  [Symbol.dispose](): void {
    rcuReadUnlock();
  },
});

/**
 * The guards of counted sections (default flavor, checked QSBR), one per nesting depth, made
 * on first use: disposing one checks that the section it closes is the innermost, so a guard
 * disposed twice throws RcuUnbalancedError instead of closing an unrelated outer section.
 */
const depthGuards: Disposable[] = [];

function depthGuard(depth: number): Disposable {
  return depthGuards[depth] ?? makeDepthGuard(depth);
}

function makeDepthGuard(depth: number): Disposable {
  const guard = Object.freeze({
    [Symbol.dispose](): void {
      const t = tl.current;
      if (t !== null && t.readNesting !== depth) {
        throw new RcuUnbalancedError(
          `rcuReadLock() guard of a section at nesting ${depth} disposed at nesting ${t.readNesting}: ` +
            `disposed twice, or out of order; nothing was unlocked`,
        );
      }
      rcuReadUnlock();
    },
  });
  depthGuards[depth] = guard;
  return guard;
}

/** The guard of every outermost counted section, made once (rcuReadLockFull's common case). */
const outermostGuard = makeDepthGuard(1);

/**
 * @internal rcuReadLock() in full: every flavor and every check. The exported rcuReadLock is
 * this function except while the thread is an online, unchecked QSBR reader (see the QSBR
 * fast path below). The runtime's own read-side sections (RcuHashTable.lookup) call this one
 * directly: their call sites run in both flavors, and must not go megamorphic.
 *
 * The outermost section of a default-flavor thread, the common case, is tested first with
 * one compare per field it needs; everything else (nesting, QSBR, not attached) is
 * rcuReadLockOther(). A thread whose rcuReadLock is the QSBR fast path has `t.qsbr` set, so
 * it never takes this branch. Measured against the former shape (the QSBR binding, flavor and
 * nesting tested in turn, the guard looked up by depth): about 3 ns less per pair on Node 20
 * and 24 (`npm run bench -- rcu --node all`).
 */
export function rcuReadLockFull(): Disposable {
  const t = tl.current;
  if (t !== null && t.readNesting === 0 && !t.qsbr) {
    // rcuEnter: an atomic load of GP_CTR and the one store that makes this section
    // visible. Seq-cst: the store is ordered before every load this section makes (the
    // RCU-protected pointer loads), and pairs with the grace period's flip-then-scan in
    // rcu/grace-period.ts: either the scan sees this value and waits for us, or our loads come
    // after the scan and so after the updater's unpublish. Without that order a reader
    // could use an object the updater has freed. If the load returns a value other than
    // the flip's C (an old one), the grace period waits for us until our CTR changes; if
    // it returns C, the load saw the flip and so everything the updater did before it.
    t.atomics.rcuEnter(t.ctrWord, RcuWord.GP_CTR);
    t.readNesting = 1;
    return outermostGuard;
  }
  return rcuReadLockOther(t);
}

function rcuReadLockOther(t: ThreadContext | null): Disposable {
  // The QSBR fast path for callers that do not go through the binding: one load and compare.
  if (rcuReadLock === rcuReadLockQsbr) return readGuard;
  if (t === null) notAttached('rcuReadLock');
  if (t.qsbr && !t.qsbrChecked) {
    // Unchecked QSBR: being online is the protection; nothing to record.
    if (!qsbr.online) qsbrCheckOnline();
    return readGuard;
  }
  // Nested, or the outermost section of a checked QSBR thread (a default-flavor thread's
  // outermost section is rcuReadLockFull's own branch).
  if (t.readNesting === 0) qsbrCheckOnline();
  return depthGuard(++t.readNesting);
}

/** @internal rcuReadUnlock() in full, as rcuReadLockFull() is rcuReadLock(). */
export function rcuReadUnlockFull(): void {
  const t = tl.current;
  if (t !== null && t.readNesting === 1 && !t.qsbr) {
    // rcuExit: a seq-cst exchange with 0, and a notify when the old value had WAIT_BIT.
    // Every load of the section is ordered before the exchange, so once a grace period sees
    // 0 here the section's loads are done (pairs with the scan in rcu/grace-period.ts). A
    // waiting grace period sets WAIT_BIT with a compareExchange *before* it sleeps on the
    // old value, so either the exchange returns the flag and we wake it, or its
    // compareExchange fails on our 0 and it never sleeps: no lost wake-up.
    t.readNesting = 0;
    t.atomics.rcuExit(t.ctrWord);
    return;
  }
  rcuReadUnlockOther(t);
}

function rcuReadUnlockOther(t: ThreadContext | null): void {
  if (rcuReadUnlock === rcuReadUnlockQsbr) return;
  if (t !== null && t.qsbr && !t.qsbrChecked) return;
  if (t === null || t.readNesting === 0) unbalanced(t);
  // Nested, or a checked QSBR thread: shared memory is not touched (a default-flavor thread's
  // outermost unlock is rcuReadUnlockFull's own branch).
  t.readNesting--;
}

// The QSBR fast path. rcuReadLock and rcuReadUnlock are live bindings that this module
// re-points (per thread: each worker instantiates it) to rcuReadLockQsbr/rcuReadUnlockQsbr
// exactly while the thread is an online, unchecked QSBR reader, and to the full functions
// otherwise. A caller goes through the binding, so its call site only ever sees the QSBR
// functions while it runs QSBR sections, and V8 inlines them with *their own* feedback: no
// Atomics calls of the default flavor in the inlined code (those made V8 spill the caller's
// loop variables to the stack on every iteration), and nothing to test at run time:
//  - Each QSBR function still checks that it is the current binding, for a caller that kept
//    a reference (`const { rcuReadLock } = await import(...)`) and calls it after the thread
//    went offline, unregistered or detached: then it is no longer the binding, and the full
//    function runs (and throws, or protects a default-flavor section). So no stale reference
//    can skip a check. In the caller's optimized code this check costs nothing: the caller
//    has just loaded the same binding (the export's cell) and checked it against this very
//    function before inlining it, so V8's load elimination and branch elimination fold
//    `rcuReadLock === rcuReadLockQsbr` to true.
//  - The fallback is chosen as a call *target*, not behind an `if`: an `if` whose other arm
//    never ran leaves V8 (Node 20's) with a soft deoptimization inside the caller's loop,
//    which it takes for an unmarked loop exit and so does not peel the loop (checked with
//    --trace-turbo-loop). A conditional target keeps one call site that always has feedback.
//  - `var`, not `let`: reading a `let` from inside a function costs a temporal-dead-zone
//    check whose throw is, again, an unmarked exit that stops loop peeling.
// Measured (node 20, this machine, 2M iterations x 31 samples interleaved, min ns per pair
// with the benchmark's loop, whose body alone is 0.69): the former shape (one field test of
// a thread-local flag, the full functions inlined) 2.79; the same test in separate QSBR
// functions behind these bindings 2.09; the binding check with an `if` fallback 1.75;
// with `let` 1.75; this shape 1.22 — the same as functions that do nothing at all (1.20).
// The default flavor is unchanged (27.0 vs 27.1). What is left over the bare loop body is
// the caller's own load and check of the imported binding, for each of the two calls.
// The price: V8 call sites have no polymorphic state, so a call site that one thread runs
// both as an unchecked online QSBR reader and otherwise (before registering, after
// unregistering) goes megamorphic and is no longer inlined: measured (same loop, loaded
// machine) 21.5 ns per QSBR pair instead of 5.7, 66 instead of 54 per default-flavor pair.
// That is why the runtime's own read-side sections call rcuReadLockFull() directly (one
// target, one compare for QSBR, as before), and why rcuRegisterThreadQsbr() advises
// registering before the thread's first read-side section.
const qsbrReadLockNoop = (): Disposable => readGuard;
const qsbrReadUnlockNoop = (): void => {};
const rcuReadLockQsbr = (): Disposable => (rcuReadLock === rcuReadLockQsbr ? qsbrReadLockNoop : rcuReadLockFull)();
const rcuReadUnlockQsbr = (): void => (rcuReadUnlock === rcuReadUnlockQsbr ? qsbrReadUnlockNoop : rcuReadUnlockFull)();

/**
 * Enter a read-side critical section. Sections nest; only the outermost one is visible to
 * grace periods. Returns a Disposable whose disposal leaves the section:
 * `using _ = rcuReadLock();` or the kernel's explicit rcuReadLock() / rcuReadUnlock() pair.
 *
 * Throws HeapAttachmentError when the thread is not attached to a heap, and
 * RcuUnbalancedError for an offline QSBR thread (it would be unprotected).
 */
// eslint-disable-next-line no-var -- a `var` on purpose, as rcuReadUnlock: see the QSBR fast path above
export var rcuReadLock: () => Disposable = rcuReadLockFull;

/**
 * Leave a read-side critical section. Throws RcuUnbalancedError, changing nothing, when the
 * thread is not inside one.
 */
// eslint-disable-next-line no-var -- a `var` on purpose: see the QSBR fast path above
export var rcuReadUnlock: () => void = rcuReadUnlockFull;

/**
 * @internal Called by heap/heap.ts after the calling thread attaches or detaches: that ends any
 * QSBR fast path, which belonged to the previous context.
 */
export function rcuThreadChanged(): void {
  setQsbrOnline(false);
}

/**
 * Whether the calling thread is protected by RCU now: inside a read-side section, or (QSBR)
 * online. For assertions (`assert(rcuReadLockHeld())`), like the kernel's
 * rcu_read_lock_held(). False for a thread not attached to a heap.
 */
export function rcuReadLockHeld(): boolean {
  const t = threadLocal.current;
  if (t === null) return false;
  if (t.readNesting > 0) return true;
  return t.qsbr && qsbr.online;
}

/**
 * @internal For code whose whole read-side section is one WebAssembly call (the hash table's
 * lookup attempt, HashLookupFlag.OWN_SECTION): the calling thread's reader word when it is a
 * default-flavor thread outside any section, so that the call may enter and leave one by
 * itself (rcuEnter / rcuExit, the same two operations as rcuReadLock() / rcuReadUnlock());
 * -1 when the caller must use rcuReadLock() instead (nested, QSBR, or not attached). Such a
 * section counts no nesting, so no JavaScript may run inside the call.
 */
export function rcuOwnSectionWord(): number {
  const t = tl.current;
  return t !== null && t.readNesting === 0 && !t.qsbr ? t.ctrWord : -1;
}

/**
 * @internal True while the calling thread is an online, unchecked QSBR reader: it is then in
 * a read-side section all the time, and code whose section is one WebAssembly call may run
 * it without entering one (what rcuReadLockFull() would do for it: nothing).
 */
export function rcuQsbrSectionImplicit(): boolean {
  return rcuReadLock === rcuReadLockQsbr;
}

/** @internal The calling thread's context, or a HeapAttachmentError naming `what`. */
export function rcuSelf(what: string): ThreadContext {
  const t = threadLocal.current;
  if (t === null) notAttached(what);
  return t;
}

/** Wrap-safe "a is at or after b" for GP counter values (within 2^30 of each other). */
export function gpAtOrAfter(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** @internal Called by rcu/qsbr.ts when the thread goes online or offline (or unregisters). */
export function setQsbrOnline(online: boolean): void {
  qsbr.online = online;
  const t = tl.current;
  const fast = online && t !== null && t.qsbr && !t.qsbrChecked;
  rcuReadLock = fast ? rcuReadLockQsbr : notFast.lock;
  rcuReadUnlock = fast ? rcuReadUnlockQsbr : notFast.unlock;
}

/**
 * What rcuReadLock and rcuReadUnlock are bound to outside the QSBR fast path: the full
 * functions, or debug mode's wrappers of them (debug/section-tracking.ts) while the thread is
 * attached to a debug heap.
 */
const notFast: { lock: () => Disposable; unlock: () => void } = { lock: rcuReadLockFull, unlock: rcuReadUnlockFull };

/** @internal Bind debug mode's read side (null: the full functions). Called on attach and detach. */
export function setReadSideBindings(fns: { lock: () => Disposable; unlock: () => void } | null): void {
  notFast.lock = fns?.lock ?? rcuReadLockFull;
  notFast.unlock = fns?.unlock ?? rcuReadUnlockFull;
  setQsbrOnline(qsbr.online);
}

function qsbrCheckOnline(): void {
  if (!qsbr.online) {
    throw new RcuUnbalancedError(
      `rcuReadLock() in thread ${threadId}: this QSBR thread is offline, so a read-side section would not be ` +
        `protected; call rcuThreadOnline() first`,
    );
  }
}

function notAttached(what: string): never {
  throw new HeapAttachmentError(
    `${what}() in thread ${threadId}: the thread is not attached to a heap (createHeap() or attachHeap())`,
  );
}

function unbalanced(t: ThreadContext | null): never {
  if (t === null) notAttached('rcuReadUnlock');
  throw new RcuUnbalancedError(
    `rcuReadUnlock() in thread ${threadId} without a matching rcuReadLock(): not inside a read-side section`,
  );
}
