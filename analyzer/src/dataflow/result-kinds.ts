/**
 * @fileoverview Read-lock depth that depends on the kind of value a helper returned. The kernel
 * has helpers that leave their caller's read-side section on failure only: vma_start_read()
 * returns the VMA still inside the section, or NULL / ERR_PTR(-EAGAIN) having called
 * rcu_read_unlock() ("upon error IT IS RELEASED"). Its summary says so per result kind
 * (FunctionSummary.readDeltaByResult), and the caller's depth after `v = helper(…)` is one of
 * two, settled where the caller's tests narrow `v`: to type-stable objects (`v` non-null and not
 * an `isErr()` sentinel) or to anything else (null, an ERR_PTR object, `false`).
 *
 * The kinds still possible are the union members of `v`'s declared type, narrowed the way
 * TypeScript narrows them: by truthiness, by `=== null`, and by type predicates (`isErr(v)`).
 */

import { ts } from 'ts-morph';
import { skipParens } from '../ast.js';
import type { Primitives } from '../primitives/primitives.js';
import type { FunctionSummary } from '../summaries/summary.js';
import type { FactState } from './facts.js';

/** What a returned value is: a type-stable object on every path, never one, or either. */
export type ResultKind = 'object' | 'other' | 'mixed';

/** The union members of a type (the type itself when it is not a union). */
export function membersOf(t: ts.Type): readonly ts.Type[] {
  return t.isUnion() ? t.types : [t];
}

/** Classify a value by the members its type may still have. */
export function kindOfMembers(members: readonly ts.Type[], primitives: Primitives): ResultKind {
  let objects = 0;
  for (const m of members) if (primitives.isTypeStableType(m)) objects++;
  return objects === members.length ? 'object' : objects === 0 ? 'other' : 'mixed';
}

/** A returned expression's kind, by the type TypeScript has narrowed it to at the return. */
export function kindOfReturned(
  expr: ts.Expression | undefined,
  checker: ts.TypeChecker,
  primitives: Primitives,
): ResultKind {
  if (expr === undefined) return 'other';
  return kindOfMembers(membersOf(checker.getTypeAtLocation(skipParens(expr))), primitives);
}

/** Whether a value of this member type is always falsy (`null`, `undefined`, `false`, `0`, `''`). */
function alwaysFalsy(t: ts.Type, checker: ts.TypeChecker): boolean {
  if ((t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0) return true;
  if (t === checker.getFalseType()) return true;
  if (t.isNumberLiteral()) return t.value === 0;
  if (t.isStringLiteral()) return t.value === '';
  return false;
}

/** Whether a value of this member type may be falsy (objects never are; a wide `number` may be 0). */
function mayBeFalsy(t: ts.Type, checker: ts.TypeChecker): boolean {
  if ((t.flags & (ts.TypeFlags.Object | ts.TypeFlags.NonPrimitive)) !== 0 || t.isIntersection()) return false;
  if (t === checker.getTrueType()) return false;
  if (t.isNumberLiteral() || t.isStringLiteral()) return alwaysFalsy(t, checker);
  return true;
}

/** The members left on a branch where the value is truthy or falsy. */
export function narrowByTruthiness(
  members: readonly ts.Type[],
  truthy: boolean,
  checker: ts.TypeChecker,
): readonly ts.Type[] {
  return members.filter((m) => (truthy ? !alwaysFalsy(m, checker) : mayBeFalsy(m, checker)));
}

/**
 * A call of a type predicate on `sym` (`isErr(v)`): the predicate's type and the argument it
 * tests, or undefined when the call is no such predicate or tests something else.
 */
export function predicateOn(call: ts.CallExpression, sym: ts.Symbol, checker: ts.TypeChecker): ts.Type | undefined {
  const signature = checker.getResolvedSignature(call);
  const predicate = signature === undefined ? undefined : checker.getTypePredicateOfSignature(signature);
  if (predicate === undefined || predicate.type === undefined || predicate.parameterIndex === undefined)
    return undefined;
  if (predicate.kind !== ts.TypePredicateKind.Identifier) return undefined;
  const arg = call.arguments[predicate.parameterIndex];
  const x = arg === undefined ? undefined : skipParens(arg);
  if (x === undefined || !ts.isIdentifier(x) || checker.getSymbolAtLocation(x) !== sym) return undefined;
  return predicate.type;
}

/** The members left on a branch where a type predicate held (or did not). */
export function narrowByPredicate(
  members: readonly ts.Type[],
  predicate: ts.Type,
  holds: boolean,
  checker: ts.TypeChecker,
): readonly ts.Type[] {
  return members.filter((m) => checker.isTypeAssignableTo(m, predicate) === holds);
}

/**
 * After a call whose read-lock change depends on its result, where that result cannot be
 * tested (not kept in a variable, or the depth before was already a range): either depth,
 * left unsettled, and not reported again downstream.
 */
export function eitherDepth(s: FactState, byResult: NonNullable<FunctionSummary['readDeltaByResult']>): FactState {
  const lo = Math.min(byResult.onObject, byResult.onOther);
  const hi = Math.max(byResult.onObject, byResult.onOther);
  return { ...s, readMin: s.readMin + lo, readMax: s.readMax + hi, readTainted: true, readWhen: undefined };
}

/**
 * After `v = helper(…)` whose read-lock change depends on its result: the depth is one of two
 * until a test of `v` settles it, `v` being any member of the call's type (`resultType`) so far.
 */
export function depthByResult(
  s: FactState,
  sym: ts.Symbol,
  byResult: NonNullable<FunctionSummary['readDeltaByResult']>,
  resultType: ts.Type,
): FactState {
  if (s.readMin !== s.readMax || s.readTainted) return eitherDepth(s, byResult);
  const whenTrue = s.readMin + byResult.onObject;
  const whenFalse = s.readMin + byResult.onOther;
  return {
    ...s,
    readMin: Math.min(whenTrue, whenFalse),
    readMax: Math.max(whenTrue, whenFalse),
    readWhen: { sym, whenTrue, whenFalse, possible: membersOf(resultType) },
  };
}
