/**
 * @fileoverview Whether a caller relies on a helper's result being pinned: it keeps the result
 * and uses it where only a lock or a reference can keep it alive — outside every read-side
 * section, or after the section it was obtained in ended — without taking that lock or
 * reference itself (the kernel's contract of a `*_get()`/`lock_*()` helper, inferred from how it
 * is used). A result used only inside the caller's section relies on nothing but the section.
 */

import { ts } from 'ts-morph';
import { outermostWrapper } from '../../ast.js';
import { lockHeldFor, type FactState } from '../../dataflow/facts.js';
import type { Primitives } from '../../primitives/primitives.js';
import type { CallerSite } from '../../summaries/function-analysis.js';
import { containerLockHeld } from '../../dataflow/container-lock.js';

export interface Reliance {
  readonly call: ts.CallExpression;
  /** The caller's use of the result that needs it pinned. */
  readonly use: ts.Node;
  /** What the use is, for messages: "dereferenced", "returned", … */
  readonly how: string;
  /** The caller's name, for messages. */
  readonly caller: string;
}

/** The variable the call's result is kept in (`const r = f()`, `r = f()`), if any. */
function resultVariable(call: ts.CallExpression, checker: ts.TypeChecker): ts.Symbol | undefined {
  const child = outermostWrapper(call);
  const p = child.parent;
  if (ts.isVariableDeclaration(p) && p.initializer === child && ts.isIdentifier(p.name))
    return checker.getSymbolAtLocation(p.name);
  if (
    ts.isBinaryExpression(p) &&
    p.right === child &&
    p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isIdentifier(p.left)
  )
    return checker.getSymbolAtLocation(p.left);
  return undefined;
}

/**
 * Whether `sym`, holding the result of `call`, is unprotected but for what the callee promised:
 * outside every section (or past the one it came from), no container lock held, and neither a
 * reference nor a lock the caller took itself.
 */
function needsPin(
  state: FactState,
  sym: ts.Symbol,
  call: ts.CallExpression,
  checker: ts.TypeChecker,
  primitives: Primitives,
): boolean {
  const o = state.objs.get(sym);
  if (o?.loadSite !== call) return false;
  if (state.readMin > 0 && o.sectionEnded === undefined) return false;
  if (o.origin === 'fresh' || o.origin === 'owned') return false;
  if (o.refHeld !== undefined && o.refHeld !== call) return false;
  for (const l of state.locks.values()) if (lockHeldFor(l, sym) && l.site !== call) return false;
  return !containerLockHeld(state, checker, primitives);
}

/** How an escape moves an object out of the function, in the words the messages use. */
export const ESCAPE_HOW = {
  return: 'returned',
  arg: 'passed on',
  storeOuter: 'stored outside the function',
  storeField: 'stored in a field',
  postMessage: 'posted to another thread',
} as const;

/**
 * Whether the caller pins the result itself, or tries to: a reference taken or attempted
 * (refcountIncNotZero), or its lock taken, on the object still holding the call's result. Such a
 * caller takes the result as a candidate, whatever it then gets wrong.
 */
function pinsItself(analysis: CallerSite['analysis'], sym: ts.Symbol, call: ts.CallExpression): boolean {
  for (const e of analysis.events) {
    if (e.kind !== 'refTaken' && e.kind !== 'incIgnored' && e.kind !== 'spinLock' && e.kind !== 'deref') continue;
    const o = e.state.objs.get(sym);
    if (o?.loadSite !== call) continue;
    if (e.kind === 'deref') {
      if (o.incFailed !== undefined || (o.pending !== undefined && o.refHeld !== call)) return true;
      continue;
    }
    if (e.sym === sym && !(e.kind === 'spinLock' && e.node === call)) return true;
  }
  return false;
}

/**
 * A use of the helper's result that relies on it being pinned, when no caller takes the result
 * as a candidate: one that pins it itself, or dereferences it only inside its section, makes
 * the helper's unpinned return its contract, not a bug. A caller that only hands the result on
 * (returns it from inside its section) says nothing either way.
 */
export function callerReliance(
  callers: readonly CallerSite[],
  checker: ts.TypeChecker,
  primitives: Primitives,
): Reliance | undefined {
  let first: Reliance | undefined;
  for (const { call, analysis } of callers) {
    const sym = resultVariable(call, checker);
    if (sym === undefined) continue;
    let found: Reliance | undefined;
    let derefInSection = false;
    for (const e of analysis.events) {
      if ((e.kind !== 'deref' && e.kind !== 'use') || e.sym !== sym) continue;
      if (!needsPin(e.state, sym, call, checker, primitives)) {
        if (e.kind === 'deref' && e.state.objs.get(sym)?.loadSite === call) derefInSection = true;
        continue;
      }
      found ??= {
        call,
        use: e.node,
        how: e.kind === 'deref' ? 'dereferenced' : ESCAPE_HOW[e.how],
        caller: analysis.cfg.name,
      };
    }
    if (pinsItself(analysis, sym, call) || (found === undefined && derefInSection)) return undefined;
    first ??= found;
  }
  return first;
}
