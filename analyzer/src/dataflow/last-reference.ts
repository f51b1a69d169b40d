/**
 * @fileoverview The last reference: an object whose count this function took to zero
 * (refcountDecAndTest on its true branch), or that every caller hands it so (a private
 * destroy helper, summaries/last-reference-params.ts), is being torn down and is nobody else's.
 * Its pointer fields no longer change under us, and the references they hold pass to the
 * destroyer, which drops them in turn (__put_anon_vma() reads anon_vma->root, frees the
 * anon_vma, then puts the root; anon_vma_free() takes the root's lock): what they point to is
 * held, as owned, without a read-side section.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../ast.js';
import type { FactState } from './facts.js';

/** Whether `x` reads a field (`dying.root`) of an object this function holds the last reference of. */
export function readFromLastReference(
  x: ts.Expression,
  s: FactState,
  symbolOf: (n: ts.Node) => ts.Symbol | undefined,
): boolean {
  const e = skipParens(x);
  if (!ts.isPropertyAccessExpression(e)) return false;
  const base = skipParens(e.expression);
  if (!ts.isIdentifier(base)) return false;
  const sym = symbolOf(base);
  return sym !== undefined && s.objs.get(sym)?.lastRef !== undefined;
}
