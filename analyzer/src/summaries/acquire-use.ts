/**
 * @fileoverview Whether a private helper's inferred acquire is one: a helper that returns
 * holding a lock it did not declare (`@acquires`), on every path or on the returns of one result
 * (a conditional acquire), is taken for an acquire helper only because its callers are all in
 * the project. When none of them ever releases what it leaves held, the
 * helper is no acquire helper but a leak, and the leak is the helper's: its rules report it at
 * its own returns, where the release went missing, not only at its callers'.
 */

import { ts } from 'ts-morph';
import { skipParens, type FunctionLike } from '../ast.js';
import { RCU_LOCK_NAME, normalizeLockText } from './annotations.js';
import { directCallSites } from './call-sites.js';
import { type CallerView, enclosingFunction } from './entry-context.js';
import type { FunctionAnalysis, UnreleasedAcquires } from './function-analysis.js';
import { substituteLock } from './summary.js';

export function unreleasedAcquires(
  fn: FunctionLike,
  analysis: FunctionAnalysis,
  view: CallerView,
): UnreleasedAcquires | undefined {
  // What the callers applied: the summary of the helper entered as its annotations say.
  const summary = (view.baseAnalysisOf(fn) ?? analysis).summary;
  const declared = analysis.annotations.acquires;
  const when = summary.acquiresWhen;
  const inferred = [...summary.acquires, ...(when?.whenTrue ?? []), ...(when?.whenFalse ?? [])];
  const locks = [...new Set(inferred)].filter((k) => !declared.includes(k));
  const read = summary.readDelta > 0 && !declared.includes(RCU_LOCK_NAME);
  if (locks.length === 0 && !read) return undefined;
  const calls = directCallSites(fn, view.checker);
  if (calls === undefined || calls.length === 0) return undefined;
  const text = (e: ts.Expression): string => normalizeLockText(skipParens(e).getText());
  const released = new Set<string>();
  let readReleased = false;
  for (const call of calls) {
    const callerFn = enclosingFunction(call);
    if (callerFn === fn) return undefined; // recursion: its own summary is not applied
    const caller = view.analysisOf(callerFn);
    if (caller === undefined) return undefined;
    for (const key of locks) {
      const mine = substituteLock(key, summary, call, text);
      if (mine === undefined || usesLock(caller, mine)) released.add(key);
    }
    if (read && usesReadSection(caller)) readReleased = true;
  }
  const unreleased = locks.filter((k) => !released.has(k));
  if (unreleased.length === 0 && (!read || readReleased)) return undefined;
  return { locks: unreleased, read: read && !readReleased };
}

/**
 * Whether a caller hands on what it returns holding: declared (`@acquires`), or a private
 * helper itself whose own callers release it (asked the same question, top-down). An exported
 * function that returns holding it undeclared is reported there, and hands nothing on.
 */
function handsOn(caller: FunctionAnalysis, lock: string): boolean {
  if (caller.annotations.acquires.includes(lock)) return true;
  if (!caller.callersKnown) return false;
  return lock === RCU_LOCK_NAME ? caller.unreleased?.read !== true : caller.unreleased?.locks.includes(lock) !== true;
}

/** The caller releases `key` somewhere it holds it, or hands it on to its own callers. */
function usesLock(caller: FunctionAnalysis, key: string): boolean {
  if (caller.summary.acquires.includes(key) && handsOn(caller, key)) return true;
  if (caller.summary.returnsLockedField !== undefined) return true;
  return caller.events.some((e) => e.kind === 'spinUnlock' && e.key === key && e.state.locks.has(key));
}

/** The caller closes, on every path to its returns, the sections it holds, or hands them on. */
function usesReadSection(caller: FunctionAnalysis): boolean {
  if (caller.summary.readDelta > 0 && handsOn(caller, RCU_LOCK_NAME)) return true;
  const entry = caller.initial.readMax;
  return !caller.events.some((e) => e.kind === 'exit' && e.how === 'return' && e.state.readMax > entry);
}
