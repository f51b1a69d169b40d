/**
 * @fileoverview A private destroy helper receives the last reference: the parameters that every
 * call in the project passes an object its caller holds the last reference of (the true branch
 * of refcountDecAndTest on it, or the caller's own such parameter). put_anon_vma() calls
 * __put_anon_vma() only once the count reached zero, and __put_anon_vma() hands anon_vma_free()
 * the anon_vma and, once its count too reached zero, the root: each is exclusively the
 * helper's until it frees it (dataflow/last-reference.ts says what that allows).
 *
 * One call passing anything else (a reference the caller merely holds, a candidate) and the
 * parameter is the usual contract: pinned by the caller, its fields read as from any object.
 */

import { ts } from 'ts-morph';
import { skipParens, type FunctionLike } from '../ast.js';
import type { FactState } from '../dataflow/facts.js';

/** A call of a helper with the facts its caller holds there. */
export interface CallState {
  readonly call: ts.CallExpression;
  readonly state: FactState;
}

export function lastReferenceParams(fn: FunctionLike, sites: readonly CallState[], checker: ts.TypeChecker): number[] {
  if (sites.length === 0 || !ts.isFunctionLike(fn)) return [];
  const out: number[] = [];
  fn.parameters.forEach((p, i) => {
    if (!ts.isIdentifier(p.name)) return;
    const passed = sites.every(({ call, state }) => {
      const arg = call.arguments[i];
      const x = arg === undefined ? undefined : skipParens(arg);
      const sym = x !== undefined && ts.isIdentifier(x) ? checker.getSymbolAtLocation(x) : undefined;
      return sym !== undefined && state.objs.get(sym)?.lastRef !== undefined;
    });
    if (passed) out.push(i);
  });
  return out;
}
