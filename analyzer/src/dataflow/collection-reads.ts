/**
 * @fileoverview Which expressions read a value out of a JS collection kept in a variable or a
 * class property: `this.#entries.get(id)`, `list[i]`, `map.values().next().value`, the `v` of
 * `const [k, v] = it.value`, the variable of `for (const v of set)`. The collection is named by
 * its symbol (the private field, the module's binding), so that summaries/pinned-collections.ts
 * can judge it once by every value the project puts into it, and the facts analysis can give
 * what is read out of a collection that only ever holds pinned objects the pinned fact.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../ast.js';
import type { Primitives } from '../primitives/primitives.js';

/** How deep a chain of reads (`m.entries().next().value[1]`) is followed. */
const MAX_CHAIN = 12;

/**
 * The symbol of a collection `e` names: a variable or a class property (`this.#entries`,
 * `this.cache`) whose type is a lib Map, Set or array.
 */
export function collectionRef(
  e: ts.Expression,
  checker: ts.TypeChecker,
  primitives: Primitives,
): ts.Symbol | undefined {
  const x = skipParens(e);
  let sym: ts.Symbol | undefined;
  if (ts.isPropertyAccessExpression(x)) sym = checker.getSymbolAtLocation(x.name);
  else if (ts.isIdentifier(x)) sym = checker.getSymbolAtLocation(x);
  const d = sym?.valueDeclaration;
  if (sym === undefined || d === undefined) return undefined;
  if (!ts.isPropertyDeclaration(d) && !ts.isVariableDeclaration(d)) return undefined;
  return primitives.isCollectionExpr(x) ? sym : undefined;
}

/**
 * The collection whose value (or part of one: an entry's value, a record's field) `e` is, or
 * undefined. Follows reads (`get`, `at`, `values()`, an iterator's `next()`, `.value`, `[1]`),
 * and consts and for-of variables that hold an iterator, an entry or a record read so.
 */
export function elementSource(
  e: ts.Expression,
  checker: ts.TypeChecker,
  primitives: Primitives,
): ts.Symbol | undefined {
  let x = skipParens(e);
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (ts.isCallExpression(x)) {
      const callee = skipParens(x.expression);
      if (!ts.isPropertyAccessExpression(callee)) return undefined;
      const owner = collectionRef(callee.expression, checker, primitives);
      if (owner !== undefined) return primitives.collectionMethod(callee)?.kind === 'read' ? owner : undefined;
      // `it.next()` of an iterator over a collection.
      if (!primitives.isLibMember(callee)) return undefined;
      x = skipParens(callee.expression);
      continue;
    }
    if (ts.isElementAccessExpression(x)) {
      const owner = collectionRef(x.expression, checker, primitives);
      if (owner !== undefined) return owner;
      x = skipParens(x.expression);
      continue;
    }
    if (ts.isPropertyAccessExpression(x)) {
      // A field of a type-stable object is a pointer load from it, not a part of the value.
      if (primitives.isTypeStableExpr(x.expression)) return undefined;
      if (collectionRef(x.expression, checker, primitives) !== undefined) return undefined;
      x = skipParens(x.expression);
      continue;
    }
    if (ts.isIdentifier(x)) {
      const source = heldBy(x, checker, primitives);
      if (source === undefined) return undefined;
      x = source.expr;
      if (source.whole) {
        const owner = collectionRef(x, checker, primitives);
        if (owner !== undefined) return owner;
      }
      continue;
    }
    return undefined;
  }
  return undefined;
}

/**
 * What a const or for-of variable that is no object reference itself (an iterator, an entry, a
 * record) was read from: the initializer, or the iterable walked (`whole`: each value of it).
 * A type-stable variable has facts of its own, which the dataflow keeps.
 */
function heldBy(
  id: ts.Identifier,
  checker: ts.TypeChecker,
  primitives: Primitives,
): { expr: ts.Expression; whole: boolean } | undefined {
  const d = checker.getSymbolAtLocation(id)?.valueDeclaration;
  if (d === undefined || !ts.isVariableDeclaration(d) || !ts.isVariableDeclarationList(d.parent)) return undefined;
  if ((d.parent.flags & ts.NodeFlags.Const) === 0 || primitives.isTypeStableExpr(id)) return undefined;
  const loop = d.parent.parent;
  if (ts.isForOfStatement(loop) && loop.initializer === d.parent) return { expr: loop.expression, whole: true };
  return d.initializer === undefined ? undefined : { expr: d.initializer, whole: false };
}

/**
 * The collection whose values a `for…of` over `iterable` (or an iteration method's callback)
 * walks: the collection itself, or a view of it (`values()`, `entries()`).
 */
export function iteratedCollection(
  iterable: ts.Expression,
  checker: ts.TypeChecker,
  primitives: Primitives,
): ts.Symbol | undefined {
  return collectionRef(iterable, checker, primitives) ?? elementSource(iterable, checker, primitives);
}
