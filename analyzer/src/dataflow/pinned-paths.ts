/**
 * @fileoverview RCU pointer paths that a held lock pins. A lock taken on an object found through
 * an RCU pointer (`sighand = tsk.sighand; spinLock(sighand.siglock)`) and then re-checked, under
 * the lock, against a fresh read of that same pointer (`sighand === tsk.sighand`) is the lock of
 * what the pointer leads to, and stays so while it is held. The checker's model already rests
 * on the premise that makes this true: whoever unlinks a type-stable object (here, stores
 * another value into the pointer, as exec's unshare_sighand() and __exit_signal() do to
 * task->sighand) holds that object's lock — the premise under which a revalidated lock keeps
 * the object past its read-side section at all. So while such a lock is held:
 *
 * - a re-read of the path (`tsk.sighand` again, here or, renamed, in a helper entered holding the
 *   lock) gives the locked object: stable without a read-side section, as the kernel's
 *   `rcu_dereference_protected(p, lockdep_is_held(&p->siglock))` would read it ("task->sighand is
 *   stable under siglock");
 * - the lock can be named through the path (`tsk.sighand.siglock`), as the kernel names it in
 *   lock_task_sighand()'s `__cond_lock(&task->sighand->siglock, ret)` and in
 *   unlock_task_sighand(), which unlocks `task->sighand->siglock` by re-reading the pointer.
 *
 * A re-check against anything else (a key, another pointer) pins nothing: it proves the object's
 * identity, not what a pointer leads to.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../ast.js';
import { normalizeLockText } from '../summaries/annotations.js';
import { substituteLock, type FunctionSummary } from '../summaries/summary.js';
import type { FactState, LockFact } from './facts.js';

/** The lock named through its pinned path (`tsk.sighand.siglock`), or undefined. */
export function pathKey(l: LockFact): string | undefined {
  return l.pinnedPath === undefined || l.field === undefined ? undefined : `${l.pinnedPath}.${l.field}`;
}

/** The text a pointer path is compared by: `tsk.sighand!` and `tsk . sighand` are `tsk.sighand`. */
export function pathText(e: ts.Expression): string | undefined {
  const x = skipParens(e);
  return ts.isPropertyAccessExpression(x) ? normalizeLockText(x.getText()) : undefined;
}

/**
 * The lock held on every path here that pins the pointer `load` re-reads (`task.sighand` while
 * `task.sighand.siglock`, re-checked, is held): what the load gives is that lock's object.
 */
export function pinningLock(s: FactState, load: ts.Expression): LockFact | undefined {
  if (s.locks.size === 0) return undefined;
  const text = pathText(load);
  if (text === undefined) return undefined;
  for (const l of s.locks.values()) if (l.must && l.pinnedPath === text) return l;
  return undefined;
}

/**
 * The key under which the lock an unlock names is held: its own key, else the key of a held
 * lock it names through the pinned path (`spinUnlock(task.sighand.siglock)` for the lock taken
 * as `sighand.siglock`) or through a re-read kept in a variable (`sh.siglock`, `sh` being such a
 * re-read). Undefined when none is held.
 */
export function heldKey(
  s: FactState,
  key: string,
  sym: ts.Symbol | undefined,
  field: string | undefined,
): string | undefined {
  if (s.locks.has(key)) return key;
  for (const [k, l] of s.locks) {
    if (l.pinnedPath === undefined) continue;
    if (pathKey(l) === key || (sym !== undefined && l.obj === sym && l.field === field)) return k;
  }
  return undefined;
}

/**
 * After an identity re-check of `sym` passed: if the lock its pending revalidation came from was
 * re-checked against a fresh read of the very pointer the object was loaded from (`other` reads
 * what `loadSite` read), that lock now pins the pointer.
 */
export function pinByRecheck(before: FactState, after: FactState, sym: ts.Symbol, other: ts.Expression): FactState {
  const was = before.objs.get(sym);
  const now = after.objs.get(sym);
  if (was?.pending?.kind !== 'lock' || now === undefined || now.pending !== undefined) return after;
  const path = pathText(other);
  const site = was.loadSite;
  if (path === undefined || site === undefined || !ts.isExpression(site) || pathText(site) !== path) return after;
  for (const [k, l] of after.locks) {
    if (l.obj !== sym || l.site !== was.pending.site || l.pinnedPath === path) continue;
    const locks = new Map(after.locks);
    locks.set(k, { ...l, pinnedPath: path });
    return { ...after, locks };
  }
  return after;
}

/** `s` with the lock held under `key` pinning `path` (a lock handed over by a helper that re-checked it). */
export function withPinnedPath(s: FactState, key: string, path: string | undefined): FactState {
  const l = s.locks.get(key);
  if (path === undefined || l === undefined || l.pinnedPath === path) return s;
  const locks = new Map(s.locks);
  locks.set(key, { ...l, pinnedPath: path });
  return { ...s, locks };
}

/** The pointer path a helper's returned lock pins (its summary's), in the caller's terms at `call`. */
export function lockedPath(summary: FunctionSummary, call: ts.CallExpression): string | undefined {
  const path = summary.returnsLockedPath;
  return path === undefined
    ? undefined
    : substituteLock(path, summary, call, (e) => normalizeLockText(skipParens(e).getText()));
}
