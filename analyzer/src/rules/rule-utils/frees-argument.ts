/**
 * @fileoverview Frees into a cache that is not type-stable, direct or through a project helper:
 * what rcu/free-without-grace-period reports and what its mutation operator removes the grace
 * period from. The kernel names such helpers after what call_rcu() runs later
 * (`fdb_rcu_free(f)`, `put_cred_rcu(cred)`); called directly, they free at once.
 *
 * A helper *always frees* argument i when a top-level statement of its body is
 * `kmemCacheFree(cache, param)` (or a call of a helper that always frees it), reached before any
 * statement that may return or throw and before any `await` or grace period of its own.
 * It *may free* it when such a call appears anywhere in its body outside nested functions.
 * A put that frees only with the last reference (`if (refcountDecAndTest(x.ref)) free(x)`) may
 * free: the caller dropped a reference, and another holder may still keep the object alive, so
 * the rule, which wants certainty, follows only the first kind.
 */

import { ts } from 'ts-morph';
import { skipParens, walkTree } from '../../ast.js';
import type { Primitives } from '../../primitives/primitives.js';
import { SLAB_TYPESAFE_BY_RCU_BIT } from '../../primitives/slab-model.js';
import { functionBodyOf, mayLeave, waitsForGracePeriod } from './slab-sites.js';

/** What a helper does with one of its parameters. */
export interface ArgumentFree {
  /** The kmemCacheFree call (in the helper, or in a helper it calls) that frees it. */
  readonly free: ts.CallExpression;
  /** On every path through the helper that returns, before any grace period it waits for. */
  readonly always: boolean;
}

/**
 * Whether `kmemCacheFree(cache, obj)` frees into a cache that is not type-stable: the object's
 * type has no TypeStable brand, and the cache (a const bound to its kmemCacheCreate call) does
 * not fold to flags with SLAB_TYPESAFE_BY_RCU. Unknown flags count as plain: the brand already
 * said no, and the runtime ties the two together.
 */
export function freesIntoPlainCache(free: ts.CallExpression, primitives: Primitives, checker: ts.TypeChecker): boolean {
  const [cacheArg, obj] = free.arguments;
  if (obj === undefined || primitives.isTypeStableExpr(obj)) return false;
  const x = cacheArg === undefined ? undefined : skipParens(cacheArg);
  const d = x !== undefined && ts.isIdentifier(x) ? checker.getSymbolAtLocation(x)?.valueDeclaration : undefined;
  const init =
    d !== undefined && ts.isVariableDeclaration(d) && d.initializer !== undefined
      ? skipParens(d.initializer)
      : undefined;
  const cache = init === undefined ? undefined : primitives.slab.caches().find((c) => c.call === init);
  return cache?.flags === undefined || (cache.flags & SLAB_TYPESAFE_BY_RCU_BIT) === 0;
}

const memo = new WeakMap<ts.Node, ReadonlyMap<number, ArgumentFree>>();
/** Helpers calling helpers deeper than this are not followed. */
const MAX_DEPTH = 4;

/** The arguments a call of a project function frees into a plain cache, by index. */
export function freedArguments(
  call: ts.CallExpression,
  primitives: Primitives,
  checker: ts.TypeChecker,
  depth = 0,
): ReadonlyMap<number, ArgumentFree> {
  if (depth > MAX_DEPTH || primitives.callKind(call) !== undefined) return new Map();
  const body = functionBodyOf(primitives.calleeSymbol(call)?.valueDeclaration);
  if (body === undefined || !ts.isFunctionLike(body.parent)) return new Map();
  const known = memo.get(body);
  if (known !== undefined) return known;
  const out = new Map<number, ArgumentFree>();
  // A helper that reaches itself again sees what is known so far (nothing): recursion has no summary.
  memo.set(body, out);
  const params = new Map<ts.Symbol, number>();
  body.parent.parameters.forEach((p, i) => {
    const s = ts.isIdentifier(p.name) ? checker.getSymbolAtLocation(p.name) : undefined;
    if (s !== undefined) params.set(s, i);
  });
  const paramAt = (a: ts.Expression | undefined): number | undefined => {
    const x = a === undefined ? undefined : skipParens(a);
    const s = x !== undefined && ts.isIdentifier(x) ? checker.getSymbolAtLocation(x) : undefined;
    return s === undefined ? undefined : params.get(s);
  };
  /** The parameters of this helper that one call in its body frees, and how. */
  const freedBy = (c: ts.CallExpression): Array<[number, ArgumentFree]> => {
    if (primitives.callKind(c) === 'kmemCacheFree') {
      const i = paramAt(c.arguments[1]);
      return i !== undefined && freesIntoPlainCache(c, primitives, checker) ? [[i, { free: c, always: true }]] : [];
    }
    const found: Array<[number, ArgumentFree]> = [];
    for (const [j, f] of freedArguments(c, primitives, checker, depth + 1)) {
      const i = paramAt(c.arguments[j]);
      if (i !== undefined) found.push([i, f]);
    }
    return found;
  };
  // Anywhere outside nested functions (a callRcu callback is one): may free.
  walkTree(body, (n) => {
    if (ts.isFunctionLike(n)) return 'skip';
    if (ts.isCallExpression(n)) for (const [i, f] of freedBy(n)) if (!out.has(i)) out.set(i, { ...f, always: false });
    return undefined;
  });
  // A top-level statement before any exit, await or grace period: always frees.
  const statements: readonly ts.Node[] = ts.isBlock(body) ? body.statements : [body];
  for (const st of statements) {
    const e = ts.isExpressionStatement(st)
      ? skipParens(st.expression)
      : ts.isExpression(st)
        ? skipParens(st)
        : undefined;
    if (e !== undefined && ts.isCallExpression(e)) {
      const kind = primitives.callKind(e);
      if (kind === 'synchronizeRcu' || (kind === undefined && waitsForGracePeriod(e, primitives))) break;
      for (const [i, f] of freedBy(e)) if (f.always) out.set(i, f);
    }
    if ((e !== undefined && ts.isAwaitExpression(e)) || mayLeave(st)) break;
  }
  return out;
}
