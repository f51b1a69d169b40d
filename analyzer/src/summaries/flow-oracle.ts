/**
 * @fileoverview The type checker's answers to the CFG builder's FlowOracle (cfg/flow-oracle.ts):
 * a call whose resolved signature returns `never` ends its path, and a `switch` whose cases
 * cover every literal its discriminant's (narrowed) type allows has no way out past its last
 * test. Both are what TypeScript's own control-flow analysis concludes.
 *
 * A never-returning call always throws when its callee is a function of the program whose body
 * ends in a `throw` statement, or in a call (returned or not) to another such function. Not
 * when the call cannot run at all: an argument typed `never` (`assertNever(x)` in a `default:`
 * TypeScript proved unreachable) stands for code that never executes, whatever the helper
 * would do. A body-less declaration (`declare function panic(): never`, `process.exit()`) is
 * not known to throw: it ends the path unchecked.
 *
 * Cautious on purpose, since a wrong "ends here" hides the rest of a path from every rule:
 * - a call in an optional chain (`a?.fail()`) may not run at all, so it never ends a path;
 * - a switch is exhaustive only when the discriminant is not itself a literal (`switch (true)`
 *   tests arbitrary conditions), every constituent of its type is a unit type (a string,
 *   number, bigint, boolean or enum literal, `null`, `undefined`) and some case's type is
 *   exactly that unit. `any`, `string`, `number` and the like are never covered.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../ast.js';
import type { FlowOracle } from '../cfg/flow-oracle.js';

const UNIT =
  ts.TypeFlags.StringLiteral |
  ts.TypeFlags.NumberLiteral |
  ts.TypeFlags.BigIntLiteral |
  ts.TypeFlags.BooleanLiteral |
  ts.TypeFlags.EnumLiteral |
  ts.TypeFlags.Null |
  ts.TypeFlags.Undefined;

/** The FlowOracle of one program's checker. */
export function checkerFlowOracle(checker: ts.TypeChecker): FlowOracle {
  return {
    endsPath(call) {
      if (ts.isOptionalChain(call)) return false;
      // The callee's signatures first: resolving the call itself (overloads, arguments) costs a
      // third of a whole analysis when asked of every call, and almost no callee returns never.
      const signatures = checker.getTypeAtLocation(call.expression).getCallSignatures();
      const never = signatures.filter((s) => returnsNever(checker, s));
      if (never.length === 0) return false;
      if (never.length === signatures.length) return true;
      const sig = checker.getResolvedSignature(call);
      return sig !== undefined && returnsNever(checker, sig);
    },
    alwaysThrows(call) {
      if (call.arguments.some((a) => (checker.getTypeAtLocation(a).flags & ts.TypeFlags.Never) !== 0)) return false;
      return endsInThrow(checker, call, new Set());
    },
    isExhaustive(s) {
      const clauses = s.caseBlock.clauses;
      if (clauses.some((c) => ts.isDefaultClause(c))) return false;
      const discriminant = skipParens(s.expression);
      if (isConstant(discriminant)) return false;
      const type = checker.getTypeAtLocation(discriminant);
      if ((type.flags & ts.TypeFlags.Never) !== 0) return true;
      const constituents = type.isUnion() ? type.types : [type];
      if (!constituents.every(isUnit)) return false;
      const cases: ts.Type[] = [];
      for (const c of clauses) {
        if (ts.isDefaultClause(c)) continue;
        const t = checker.getTypeAtLocation(c.expression);
        if (isUnit(t)) cases.push(t);
      }
      // Unit types: mutual assignability is identity, seeing through a literal's freshness.
      return constituents.every((k) =>
        cases.some((t) => checker.isTypeAssignableTo(t, k) && checker.isTypeAssignableTo(k, t)),
      );
    },
  };
}

/** Helpers calling helpers (`fail()` calling `raise()`) are followed this deep at most. */
const MAX_THROW_CHAIN = 4;

/** The callee of `call` has a body in the program whose last statement throws (or calls one that does). */
function endsInThrow(checker: ts.TypeChecker, call: ts.CallExpression, seen: Set<ts.Node>): boolean {
  const decl = checker.getResolvedSignature(call)?.getDeclaration();
  if (decl === undefined || seen.has(decl) || seen.size >= MAX_THROW_CHAIN) return false;
  const body = (decl as ts.SignatureDeclaration & { body?: ts.Node }).body;
  if (body === undefined || !ts.isBlock(body)) return false;
  const last = body.statements.at(-1);
  if (last === undefined) return false;
  if (ts.isThrowStatement(last)) return true;
  const tail = ts.isReturnStatement(last)
    ? last.expression
    : ts.isExpressionStatement(last)
      ? last.expression
      : undefined;
  const inner = tail === undefined ? undefined : skipParens(tail);
  if (inner === undefined || !ts.isCallExpression(inner) || ts.isOptionalChain(inner)) return false;
  const sig = checker.getResolvedSignature(inner);
  if (sig === undefined || !returnsNever(checker, sig)) return false;
  seen.add(decl);
  return endsInThrow(checker, inner, seen);
}

function returnsNever(checker: ts.TypeChecker, sig: ts.Signature): boolean {
  return (checker.getReturnTypeOfSignature(sig).flags & ts.TypeFlags.Never) !== 0;
}

function isUnit(t: ts.Type): boolean {
  return (t.flags & UNIT) !== 0 && !t.isUnion();
}

/** `switch (true)`, `switch (1)`, `switch (-1)`: the cases are the tests, not the values. */
function isConstant(e: ts.Expression): boolean {
  return (
    ts.isLiteralExpression(e) ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    e.kind === ts.SyntaxKind.PrefixUnaryExpression
  );
}
