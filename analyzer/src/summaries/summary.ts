/**
 * @fileoverview FunctionSummary: what a call to a project function does to the facts, as the
 * caller sees it. Inferred bottom-up from the callee's own analysis (a helper that returns with
 * the read lock held; one that returns its result locked; one that may block) and overridden by
 * JSDoc annotations where the callee says more than inference can see.
 *
 * Lock names in a summary are written in the callee's terms (`sighand.siglock`, `this.lock`);
 * the caller substitutes its arguments (substituteLock).
 */

import { ts } from 'ts-morph';

export interface FunctionSummary {
  /** Display name, for messages. */
  readonly name: string;
  /** Read-lock depth change from entry to every normal return (0 when inconsistent: that is reported in the callee). */
  readonly readDelta: number;
  /**
   * Read-lock change that depends on the kind of result, where the returns disagree only by it:
   * on returns of a type-stable object, and on every other return (null, an ERR_PTR sentinel).
   * vma_start_read() keeps its caller's section when it returns the VMA and leaves it on
   * failure ("upon error IT IS RELEASED"): `{ onObject: 0, onOther: -1 }`. The caller's depth is
   * settled where it tests the result (dataflow/result-kinds.ts). Undefined otherwise.
   */
  readonly readDeltaByResult: { readonly onObject: number; readonly onOther: number } | undefined;
  /** The caller must hold rcuReadLock() (`@rcuReadLockHeld`, or an opening `rcuReadLockHeld()` assertion). */
  readonly requiresRead: boolean;
  /**
   * Parameter indexes the function dereferences outside any read-side section of its own, on
   * the strength of the parameter contract (a type-stable parameter is pinned by its caller, as
   * a pointer argument is in the kernel) — directly, or by handing it to a helper that does.
   * A caller inside the project must pass a pinned object there, or call inside a section.
   */
  readonly pinnedParams: readonly number[];
  /**
   * Parameters the function calls (a callback) before it returns, with the facts at those
   * calls relative to its entry: a callback passed there runs in place. A function parameter
   * not listed is kept for later (stored, or handed on), and its callback starts outside every
   * read-side section.
   */
  readonly invokesParams: readonly InvokedParam[];
  /** Spinlocks held on return that were not held on entry, in the callee's terms. */
  readonly acquires: readonly string[];
  /**
   * A conditional acquire (the kernel's `__cond_acquires`): spinlocks held on every return of
   * `true` and on every return of `false`, beyond `acquires` (nf_conntrack_double_lock returns
   * false holding both bucket locks, true holding none). Applied on the branches of a caller
   * that tests the result; undefined when the function returns anything but `true`/`false`
   * or both results hold the same.
   */
  readonly acquiresWhen: { readonly whenTrue: readonly string[]; readonly whenFalse: readonly string[] } | undefined;
  /** Spinlocks held on entry and released before return. */
  readonly releases: readonly string[];
  /**
   * Spinlocks a release helper unlocks without holding them itself (nf_conntrack_double_unlock
   * releases what its caller took): released at a call that holds them. Where the caller is not
   * known to hold one, the call changes nothing (the helper's own unlock is what is reported).
   */
  readonly releasesCallers: readonly string[];
  /** Spinlocks the caller must hold. */
  readonly mustHold: readonly string[];
  /**
   * Locks its opening `lockdepAssertHeld()` calls assert, not also declared `@mustHold`, each
   * with its lock class (summaries/asserted-locks.ts). Checked at the calls of callers that take
   * a lock of that class themselves.
   */
  readonly assertsHeld: readonly { readonly key: string; readonly lockClass: string | undefined }[];
  /**
   * The lock the returned object is handed over with, as a path from it, held on every return
   * where it is non-null: its own field (`siglock` for lockTaskSighand) or one reached through
   * it (`root.rwsem` for folio_lock_anon_vma_read).
   */
  readonly returnsLockedField: string | undefined;
  /**
   * The RCU pointer, in the callee's terms, that the returned locked object was re-checked
   * under its lock to be what it leads to, on every non-null return (`tsk.sighand` for
   * __lock_task_sighand): the caller then holds that pointer's lock (`p.sighand.siglock`), and
   * the pointer is pinned while it does (dataflow/pinned-paths.ts).
   */
  readonly returnsLockedPath: string | undefined;
  /** The returned type-stable object is stabilized (locked or referenced and revalidated, or fresh). */
  readonly returnsStable: boolean;
  /**
   * A private helper (all its callers in the project) whose every non-null return is an object
   * it loaded under RCU and took a reference on without re-checking its identity: the re-check
   * is left to its callers (pinPrimary() pins `registry.primary`, watchPrimary() compares it
   * again before trusting it), who are held to it as if they had taken the reference.
   */
  readonly returnsPinnedUnchecked: boolean;
  /**
   * Every non-null return is a candidate parameter handed back referenced, its identity not
   * re-checked here (dma_fence_get_rcu()): the result is the caller's own candidate, pinned by
   * the call, and the caller owes the re-check on it as on the argument (pinsParam).
   */
  readonly handsBackUnchecked: boolean;
  /** Every returned reference is one this function allocated (kmemCacheAlloc) and nobody else has seen: a constructor helper. */
  readonly returnsFresh: boolean;
  /**
   * A generator (`function*`, `async function*`) whose every `yield` gives an object pinned
   * there, released only after it is resumed: the consumer's loop variable is pinned for the
   * iteration (summaries/generator-yields.ts).
   */
  readonly yieldsPinned: boolean;
  /**
   * Parameter indexes the function changes on the strength of its caller's pin (a field written,
   * a list node linked or unlinked, directly or through another such function: written-params.ts).
   * A caller must pass them stabilized: a read-side section alone does not do.
   */
  readonly writesParams: readonly number[];
  /** Parameter indexes whose reference the callee drops (refcountDecAndTest on them). */
  readonly releasesRefOf: readonly number[];
  /**
   * Parameter indexes the function compares by identity or key and returns the verdict of
   * (a boolean predicate such as inetMatch(sk, key)): its true branch revalidates them.
   */
  readonly validatesParams: readonly number[];
  /**
   * Parameter indexes a function returning a number compares by identity or key to compute its
   * result (the kernel's compute_score): comparing a fresh result with the score the lookup
   * started from re-checks them.
   */
  readonly scoresParams: readonly number[];
  /**
   * Parameter indexes the function declares (`@revalidates <param>`) it re-checks the source
   * of: a true result proves that what was loaded from the argument is still current.
   */
  readonly revalidatesParams: readonly number[];
  /**
   * The parameter a truthy result says a reference was taken on (`try_get_ref(obj)` returning
   * refcountIncNotZero()'s result, `dma_fence_get_rcu(fence)` returning the fence or NULL).
   */
  readonly pinsParam: number | undefined;
  /** Returns a parameter's lock field on every path (`lockOf(s)` returns `s.siglock`). */
  readonly returnsLockOf: { readonly param: number; readonly field: string } | undefined;
  /** A call inside may block the thread (synchronizeRcu, rcuBarrier, Atomics.wait): the node, for messages. */
  readonly mayBlock: ts.Node | undefined;
  /** Parameter names, for substitution. */
  readonly params: readonly string[];
}

/** A parameter called in place: the facts at its calls (all of them agree on these). */
export interface InvokedParam {
  readonly index: number;
  /** Read-side sections the function itself holds at the calls, beyond its entry (fewest, most). */
  readonly readMin: number;
  readonly readMax: number;
  /** Spinlocks held at every call, in the function's terms (as in `acquires`). */
  readonly locks: readonly string[];
}

export const UNKNOWN_SUMMARY: Omit<FunctionSummary, 'name'> = {
  readDelta: 0,
  readDeltaByResult: undefined,
  requiresRead: false,
  pinnedParams: [],
  invokesParams: [],
  acquires: [],
  acquiresWhen: undefined,
  releases: [],
  releasesCallers: [],
  mustHold: [],
  assertsHeld: [],
  returnsLockedField: undefined,
  returnsLockedPath: undefined,
  returnsStable: false,
  returnsPinnedUnchecked: false,
  handsBackUnchecked: false,
  returnsFresh: false,
  yieldsPinned: false,
  writesParams: [],
  releasesRefOf: [],
  validatesParams: [],
  scoresParams: [],
  revalidatesParams: [],
  pinsParam: undefined,
  returnsLockOf: undefined,
  mayBlock: undefined,
  params: [],
};

/**
 * Rewrite a lock named in the callee's terms into the caller's: the leading parameter name is
 * replaced by the argument's text, `this` by the receiver's. Returns undefined when the lock
 * names something the caller cannot spell (a local of the callee).
 */
export function substituteLock(
  lock: string,
  summary: FunctionSummary,
  call: ts.CallExpression,
  textOf: (e: ts.Expression) => string,
): string | undefined {
  const dot = lock.indexOf('.');
  const head = dot < 0 ? lock : lock.slice(0, dot);
  const rest = dot < 0 ? '' : lock.slice(dot);
  if (head === 'this') {
    const callee = call.expression;
    if (ts.isPropertyAccessExpression(callee)) return textOf(callee.expression) + rest;
    return undefined;
  }
  const i = summary.params.indexOf(head);
  if (i >= 0) {
    const arg = call.arguments[i];
    return arg === undefined ? undefined : textOf(arg) + rest;
  }
  // One lock of a module-level array, picked by a parameter (`nfConntrackLocks[h1].lock`): the
  // caller names it by the argument it passed.
  const indexed = indexedByParam(head, summary.params);
  if (indexed !== undefined) {
    const arg = call.arguments[indexed.param];
    return arg === undefined ? undefined : `${indexed.array}[${textOf(arg)}]${rest}`;
  }
  // A module-level lock is spelled the same on both sides.
  return lock;
}

/**
 * `locks[p]` where `p` is a parameter: the array's name and the parameter's index. (A parameter
 * reduced in place first, `h1 %= CONNTRACK_LOCKS`, still names the lock by what it was passed:
 * helpers that pick their locks alike from the same arguments name the same locks.)
 */
export function indexedByParam(
  head: string,
  params: readonly string[],
): { readonly array: string; readonly param: number } | undefined {
  const m = /^([A-Za-z_$][\w$]*)\[([A-Za-z_$][\w$]*)\]$/.exec(head);
  if (m === null) return undefined;
  const param = params.indexOf(m[2]!);
  return param < 0 || params.includes(m[1]!) ? undefined : { array: m[1]!, param };
}
