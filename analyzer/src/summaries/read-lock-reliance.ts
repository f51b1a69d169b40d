/**
 * @fileoverview Whether a function relies on a read-side section its caller holds: it calls an
 * `@rcuReadLockHeld` function (or one that itself so relies) outside any section of its own, or
 * ends a section it never opened. Read off the function's base analysis (entered as its
 * annotations say), so the answer never depends on who calls it.
 *
 * Two questions of caller context ask it (entry-context.ts, inherited-read-lock.ts): a helper
 * entered under a container lock by some of its callers is protected there only if it needs
 * nothing of the read lock but the protection of what it dereferences; and a wrapper whose
 * callers all hold the read lock inherits the requirement of what it calls.
 */

import type { ts } from 'ts-morph';
import type { FunctionLike } from '../ast.js';
import type { FunctionAnalysis } from './function-analysis.js';

/** What the reliance is computed from: base analyses and the project function a call invokes. */
export interface RelianceView {
  baseAnalysisOf(fn: FunctionLike): FunctionAnalysis | undefined;
  calleeFunction(call: ts.CallExpression): FunctionLike | undefined;
}

const memo = new WeakMap<FunctionAnalysis, boolean>();

/**
 * Whether the function, outside any section of its own, calls a function that requires the read
 * lock (declared, or by this same question asked of the callee's base analysis).
 */
export function needsCallersReadLock(fn: FunctionLike, view: RelianceView): boolean {
  return needs(fn, view, new Set());
}

function needs(fn: FunctionLike, view: RelianceView, visiting: Set<FunctionLike>): boolean {
  const a = view.baseAnalysisOf(fn);
  if (a === undefined || visiting.has(fn)) return false;
  const known = memo.get(a);
  if (known !== undefined) return known;
  visiting.add(fn);
  let found = false;
  for (const e of a.events) {
    if (e.kind !== 'call' || e.state.readMin > 0) continue;
    const callee = e.summary.requiresRead ? undefined : view.calleeFunction(e.node);
    found = e.summary.requiresRead || (callee !== undefined && needs(callee, view, visiting));
    if (found) break;
  }
  visiting.delete(fn);
  memo.set(a, found);
  return found;
}

/**
 * Whether the function takes or releases the read lock anywhere (an `rcuReadLock()`, a
 * `using` read guard, an unlock, or a call of a helper that changes the depth): a function
 * that manages sections of its own is not a wrapper run inside its caller's.
 */
export function managesReadLock(analysis: FunctionAnalysis): boolean {
  for (const e of analysis.events) {
    if (e.kind === 'readLock' || e.kind === 'readUnlock') return true;
    if (e.kind === 'call' && e.summary.readDelta !== 0) return true;
  }
  return false;
}

/** Whether the function ends, on some path, a section it did not open (one its caller holds). */
export function endsCallersSection(analysis: FunctionAnalysis): boolean {
  for (const e of analysis.events) {
    if (e.kind === 'readUnlock' && e.state.readMin <= 0) return true;
    if (e.kind === 'call' && e.summary.readDelta < 0 && e.state.readMin + e.summary.readDelta < 0) return true;
  }
  return false;
}
