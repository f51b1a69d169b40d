/**
 * @fileoverview A wrapper inherits the read-lock requirement of what it calls. An exported
 * function that calls an `@rcuReadLockHeld` function (or one that itself needs its caller's
 * section) outside any section of its own, and never takes or releases the read lock, either
 * forgot its section or is meant to run inside its caller's (br_fdb_find_rcu() around
 * fdb_find_rcu()). The project's own calls tell which: when there is at least one and every one
 * holds the read lock, the wrapper is analyzed as if it said `@rcuReadLockHeld`, as a private
 * helper every caller calls in a section is (entry-context.ts).
 *
 * With no call in the project there is no evidence, and the function's contract is what it
 * declares: an exported function that forgot its section looks exactly like one meant for
 * callers that hold the lock, and the checker will not silence the first to spare the second
 * annotating itself (Clang's thread-safety analysis never infers REQUIRES either). Where one
 * project call does not hold the lock, the finding stays in the wrapper, at its call.
 */

import type { FunctionLike } from '../ast.js';
import { projectCallSites } from './call-sites.js';
import { type CallerView, enclosingFunction, factsAt } from './entry-context.js';
import type { EntryContext } from './function-analysis.js';
import { managesReadLock, needsCallersReadLock } from './read-lock-reliance.js';

export function inheritedReadLockEntry(fn: FunctionLike, view: CallerView): EntryContext | undefined {
  const base = view.baseAnalysisOf(fn);
  if (base === undefined || base.annotations.rcuReadLockHeld || base.callersKnown) return undefined;
  if (managesReadLock(base) || !needsCallersReadLock(fn, view)) return undefined;
  const calls = projectCallSites(fn, view.checker, view.program);
  if (calls === undefined || calls.length === 0) return undefined;
  let readMin = Infinity;
  let readMax = -Infinity;
  for (const call of calls) {
    const caller = enclosingFunction(call);
    if (caller === fn) continue;
    const a = view.analysisOf(caller);
    const st = a === undefined ? undefined : factsAt(a, call);
    if (a === undefined) return undefined;
    if (st === undefined) continue; // unreachable
    if (st.readMin <= 0) return undefined;
    readMin = Math.min(readMin, st.readMin);
    readMax = Math.max(readMax, st.readMax);
  }
  if (readMin === Infinity) return undefined;
  return { readMin, readMax, locks: new Map(), objs: new Map(), params: 'candidates', from: 'callers' };
}
