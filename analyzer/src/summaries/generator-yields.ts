/**
 * @fileoverview What a generator hands its consumer: whether every object it yields is pinned
 * while the consumer has it.
 *
 * A generator runs in turns with its consumer: at a `yield` it stops, the consumer's loop body
 * runs, and only the consumer's next `next()` (or `return()`, when the loop is left) resumes it.
 * An object the generator holds a reference on at the `yield` — and drops only after it resumes,
 * typically in a `finally` around the `yield` — is therefore pinned for the consumer's whole
 * iteration, as a reference an iterator macro took and drops when it advances. Yielding a bare
 * candidate is another matter: inside the generator's own read-side section the section would
 * stay open across the suspension (rcu/blocking-in-read-section reports the `yield`), and with
 * no section of its own it is the consumer that must hold one around its loop, as around
 * `hlist_for_each_entry_rcu`: its loop variable is then what it loaded inside its section, and
 * a dereference outside one is reported where the consumer makes it.
 */

import { ts } from 'ts-morph';
import { isFunctionLike, isNullish, skipParens, walkTree, type FunctionLike } from '../ast.js';
import type { FactEvent } from '../dataflow/events.js';
import { isStableResult, pinnedHere, pinnedIteration } from '../dataflow/helper-results.js';
import type { TransferContext } from '../dataflow/rcu-transfer.js';

/**
 * Whether `fn` is a generator whose every `yield` of a type-stable object gives one pinned there
 * (and there is at least one): a variable referenced at the `yield`, a helper's stabilized
 * result, or `yield*` of an iteration that is itself pinned (another such generator, a pinned
 * collection).
 */
export function yieldsPinned(fn: FunctionLike, events: readonly FactEvent[], ctx: TransferContext): boolean {
  if (!ts.isFunctionDeclaration(fn) && !ts.isFunctionExpression(fn) && !ts.isMethodDeclaration(fn)) return false;
  if (fn.asteriskToken === undefined || fn.body === undefined) return false;
  const yields: ts.YieldExpression[] = [];
  walkTree(
    fn.body,
    (n) => {
      if (isFunctionLike(n)) return 'skip';
      if (ts.isYieldExpression(n)) yields.push(n);
      return undefined;
    },
    'children',
  );
  let sawObject = false;
  for (const y of yields) {
    const operand = y.expression === undefined ? undefined : skipParens(y.expression);
    if (operand === undefined || isNullish(operand)) continue;
    if (y.asteriskToken !== undefined) {
      if (!pinnedIteration(operand, ctx)) return false;
      sawObject = true;
      continue;
    }
    if (!ctx.primitives.isTypeStableExpr(operand)) continue;
    sawObject = true;
    if (!ts.isIdentifier(operand)) {
      if (!isStableResult(operand, ctx)) return false;
      continue;
    }
    const sym = ctx.checker.getSymbolAtLocation(operand);
    const states = events.flatMap((e) => (e.kind === 'blocking' && e.node === y ? [e.state] : []));
    // Unreachable yields give nothing; every path that reaches one must hold the reference.
    if (sym === undefined || !states.every((st) => pinnedHere(st, sym))) return false;
  }
  return sawObject;
}
