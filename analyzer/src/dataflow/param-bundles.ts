/**
 * @fileoverview Argument bundles: a parameter that is a plain object built by the caller (the
 * kernel's `struct vma_exclude_readers_state` on the caller's stack, an options object) whose
 * `readonly` property holds a type-stable reference. That reference is an argument like any
 * other, passed in a wrapper: it is pinned by the caller as a type-stable parameter is (the
 * parameter contract), and a caller inside the project is checked at the call, property by
 * property (rules/deref-outside-read-lock.ts). `readonly` is what makes this sound: neither the
 * function nor anyone else can put another object there after the caller built it.
 */

import { ts } from 'ts-morph';
import { skipParens, type FunctionLike } from '../ast.js';
import type { Primitives } from '../primitives/primitives.js';

/**
 * The parameter of `fn` whose `readonly` type-stable property `x` reads (`ves.vma`), or
 * undefined when `x` is no such read.
 */
export function bundleParamOf(
  x: ts.Expression,
  fn: FunctionLike,
  checker: ts.TypeChecker,
  primitives: Primitives,
): ts.Symbol | undefined {
  const e = skipParens(x);
  if (!ts.isPropertyAccessExpression(e) || !ts.isIdentifier(e.name)) return undefined;
  const base = skipParens(e.expression);
  if (!ts.isIdentifier(base) || primitives.isTypeStableExpr(base)) return undefined;
  const sym = checker.getSymbolAtLocation(base);
  const decl = sym?.valueDeclaration;
  if (decl === undefined || !ts.isParameter(decl) || decl.parent !== fn) return undefined;
  if (!readonlyProperty(checker.getSymbolAtLocation(e.name)) || !primitives.isTypeStableExpr(e)) return undefined;
  return sym;
}

/** Whether every declaration of the property says `readonly`. */
function readonlyProperty(prop: ts.Symbol | undefined): boolean {
  const decls = prop?.declarations ?? [];
  return (
    decls.length > 0 &&
    decls.every(
      (d) =>
        (ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) &&
        (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Readonly) !== 0,
    )
  );
}

/**
 * The values a call's argument puts into a bundle's type-stable properties: the argument is an
 * object literal, or a `const` bound to one in the caller (`const ves = { vma, … }`). Empty for
 * anything else (a bundle the caller got from elsewhere carries its own caller's promise).
 */
export function bundleValues(arg: ts.Expression, checker: ts.TypeChecker, primitives: Primitives): ts.Expression[] {
  let x = skipParens(arg);
  if (ts.isIdentifier(x)) {
    const decl = checker.getSymbolAtLocation(x)?.valueDeclaration;
    if (
      decl === undefined ||
      !ts.isVariableDeclaration(decl) ||
      decl.initializer === undefined ||
      (ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) === 0
    )
      return [];
    x = skipParens(decl.initializer);
  }
  if (!ts.isObjectLiteralExpression(x)) return [];
  const out: ts.Expression[] = [];
  for (const p of x.properties) {
    const value = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
    if (value !== undefined && primitives.isTypeStableExpr(value)) out.push(value);
  }
  return out;
}
