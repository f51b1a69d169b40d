/**
 * @fileoverview Pins and identity re-checks as the recheck and escape operators find them.
 * A *pin* is what stabilizes a type-stable object found under RCU: its spinlock taken (`spinLock`,
 * `spinTrylock`, a `using` guard) or a reference taken (`refcountIncNotZero`). A *re-check* is an
 * equality test after the pin between the pinned object (or one of its fields) and something
 * from outside it that is not a constant: `sighand === task.sighand`, `sock.port !== port`. A
 * comparison with a constant (`ct.timeout === 0`, `x !== null`, `job.state !== QUEUED` with
 * `const QUEUED = 0`) tests state, and one with the object's own fields
 * (`p.price !== priceFor(p.version)`) consistency; neither is a re-check. Nor is an equality
 * whose equal outcome gives the object up (`vma.vmLockSeq === mm.mmLockSeq`: the VMA is
 * write-locked, so put it and fail): identity holding is what lets the code go on with it.
 */

import { ts } from 'ts-morph';
import { jumpsAway, rootIdentifier, skipParens } from '../../../ast.js';
import type { FunctionScope } from '../operator.js';

export interface Pin {
  readonly call: ts.CallExpression;
  readonly kind: 'lock' | 'ref';
  /** The pinned object's variable. */
  readonly sym: ts.Symbol;
  /** The statement of the function's statement lists that holds the pin. */
  readonly statement: ts.Statement;
}

export interface Recheck {
  readonly pin: Pin;
  /** The whole condition the comparisons sit in (`a !== b || c !== d`), or the one comparison. */
  readonly condition: ts.Expression;
  readonly comparisons: readonly ts.BinaryExpression[];
}

/**
 * The pins of the function, in source order. Not pins: the lock of an object of plain memory,
 * which is never reused for another object while a reader may still see it, so has no identity
 * to lose; locks of objects stable by origin (fresh, owned); and locks of objects a table lookup
 * returned, whose identity the lookup already re-checked against the key (what is compared under
 * such a lock is state).
 */
export function pinsOf(scope: FunctionScope): Pin[] {
  const out: Pin[] = [];
  for (const call of scope.calls('spinLock', 'spinTrylock', 'refcountIncNotZero')) {
    const arg = call.arguments[0];
    const sym = scope.rootSymbol(arg);
    const statement = scope.listStatement(call);
    if (sym === undefined || statement === undefined || scope.isStableByOrigin(sym)) continue;
    if (!ofTypeStableObject(scope, arg!)) continue;
    const kind = scope.kindOf(call) === 'refcountIncNotZero' ? 'ref' : 'lock';
    if (kind === 'lock' && fromTableLookup(scope, sym)) continue;
    out.push({ call, kind, sym, statement });
  }
  return out;
}

/** Whether the lock or count `arg` (`x.lock`, `x.y.ref`) belongs to an object of type-stable memory, or is reached from one. */
function ofTypeStableObject(scope: FunctionScope, arg: ts.Expression): boolean {
  for (let x = skipParens(arg); ;) {
    if (ts.isNonNullExpression(x)) x = skipParens(x.expression);
    else if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) {
      x = skipParens(x.expression);
      if (scope.primitives.isTypeStableExpr(x)) return true;
    } else return scope.primitives.isTypeStableExpr(x);
  }
}

function fromTableLookup(scope: FunctionScope, sym: ts.Symbol): boolean {
  const decl = sym.valueDeclaration;
  if (decl === undefined || !ts.isVariableDeclaration(decl) || decl.initializer === undefined) return false;
  const init = skipParens(decl.initializer);
  if (!ts.isCallExpression(init)) return false;
  const kind = scope.kindOf(init);
  return kind === 'tableLookup' || kind === 'tableLookupLocked';
}

const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

const LOGICAL = new Set([
  ts.SyntaxKind.AmpersandAmpersandToken,
  ts.SyntaxKind.BarBarToken,
  ts.SyntaxKind.QuestionQuestionToken,
]);

export function isEquality(n: ts.Node): n is ts.BinaryExpression {
  return ts.isBinaryExpression(n) && EQUALITY.has(n.operatorToken.kind);
}

/** The value an equality has when the identity holds: `===`/`==` true, `!==`/`!=` false. */
export function holdsValue(cmp: ts.BinaryExpression): boolean {
  const k = cmp.operatorToken.kind;
  return k === ts.SyntaxKind.EqualsEqualsEqualsToken || k === ts.SyntaxKind.EqualsEqualsToken;
}

function isLiteralLike(e: ts.Expression): boolean {
  const x = skipParens(e);
  if (ts.isLiteralExpression(x) || ts.isNoSubstitutionTemplateLiteral(x)) return true;
  if (
    x.kind === ts.SyntaxKind.NullKeyword ||
    x.kind === ts.SyntaxKind.TrueKeyword ||
    x.kind === ts.SyntaxKind.FalseKeyword
  )
    return true;
  if (ts.isIdentifier(x) && x.text === 'undefined') return true;
  if (ts.isVoidExpression(x)) return true;
  return ts.isPrefixUnaryExpression(x) && ts.isNumericLiteral(x.operand);
}

/**
 * A literal, or a name for one: an enum member, or a `const` bound to a literal
 * (`const QUEUED = 0`). A comparison with a constant tests state, not identity.
 */
function isConstant(scope: FunctionScope, e: ts.Expression): boolean {
  if (isLiteralLike(e)) return true;
  const x = skipParens(e);
  if (!ts.isIdentifier(x) && !ts.isPropertyAccessExpression(x)) return false;
  let sym = scope.checker.getSymbolAtLocation(ts.isPropertyAccessExpression(x) ? x.name : x);
  if (sym !== undefined && sym.flags & ts.SymbolFlags.Alias) sym = scope.checker.getAliasedSymbol(sym);
  if (sym === undefined) return false;
  if (sym.flags & ts.SymbolFlags.EnumMember) return true;
  const decl = sym.valueDeclaration;
  return (
    decl !== undefined &&
    ts.isVariableDeclaration(decl) &&
    decl.initializer !== undefined &&
    (ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) !== 0 &&
    isLiteralLike(decl.initializer)
  );
}

/** Walk up from a comparison through `!`, `&&`, `||`, `??` and parentheses to the condition it belongs to. */
export function conditionRoot(e: ts.Expression): ts.Expression {
  let x: ts.Expression = e;
  for (;;) {
    const p = x.parent;
    if (ts.isParenthesizedExpression(p)) x = p;
    else if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) x = p;
    else if (ts.isBinaryExpression(p) && LOGICAL.has(p.operatorToken.kind)) x = p;
    else return x;
  }
}

/** Every re-check of the function, grouped by the condition it belongs to, each with the last pin of its object before it. */
export function rechecksOf(scope: FunctionScope, pins: readonly Pin[]): Recheck[] {
  const byCondition = new Map<ts.Expression, { pin: Pin; comparisons: ts.BinaryExpression[] }>();
  for (const n of scope.ownNodes()) {
    if (!isEquality(n) || isConstant(scope, n.left) || isConstant(scope, n.right)) continue;
    const syms = [rootIdentifier(n.left), rootIdentifier(n.right)].map((id) =>
      id === undefined ? undefined : scope.checker.getSymbolAtLocation(id),
    );
    const pin = [...pins].reverse().find((p) => p.call.end <= n.getStart(scope.sf) && syms.includes(p.sym));
    if (pin === undefined) continue;
    // The other side comes from outside the object (a re-read of the source, the key looked
    // up): `p.price !== priceFor(p.version)` checks the object against itself, not its identity.
    const other = syms[0] === pin.sym ? n.right : n.left;
    if (scope.mentions(other, pin.sym)) continue;
    const root = conditionRoot(n);
    const group = byCondition.get(root);
    if (group === undefined) byCondition.set(root, { pin, comparisons: [n] });
    else group.comparisons.push(n);
  }
  return [...byCondition].map(([condition, g]) => ({ condition, ...g })).filter((r) => !givesUpWhenEqual(scope, r));
}

/**
 * Whether the branch a re-check's `if` takes when its comparisons hold gives the object up: it
 * hands the object only to calls (a put, an unlock) and leaves (`return`, `break`, `continue`,
 * `throw`) without it. Equality that means failure is not about identity: an identity re-check
 * goes on with the object when it is still the one looked up. Such a test compares state
 * (`vma.vmLockSeq === mm.mmLockSeq`: the VMA is write-locked, so put it and fail). A branch that
 * only leaves (`if (s === t.s) break;`, out of a retry loop with the lock held) keeps the object.
 */
function givesUpWhenEqual(scope: FunctionScope, r: Recheck): boolean {
  const st = r.condition.parent;
  if (!ts.isIfStatement(st) || st.expression !== r.condition) return false;
  const v = foldCondition(r.condition, new Map(r.comparisons.map((c) => [c, holdsValue(c)])));
  const branch = v === true ? st.thenStatement : v === false ? st.elseStatement : undefined;
  if (branch === undefined || !jumpsAway(branch)) return false;
  let handedToCalls = 0;
  let otherUses = 0;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && scope.checker.getSymbolAtLocation(n) === r.pin.sym) {
      if (handedToCall(scope, n)) handedToCalls++;
      else otherUses++;
    }
    ts.forEachChild(n, visit);
  };
  visit(branch);
  return handedToCalls > 0 && otherUses === 0;
}

/**
 * Whether the mention `id` of the object is an argument of a call: the object itself
 * (`vmaRefcountPut(vma)`), or its lock or count handed to the primitive that releases it
 * (`spinUnlock(x.lock)`, `refcountDecAndTest(x.refs)`).
 */
function handedToCall(scope: FunctionScope, id: ts.Identifier): boolean {
  let x: ts.Node = id;
  let viaField = false;
  for (;;) {
    const p = x.parent;
    if (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p)) x = p;
    else if (ts.isPropertyAccessExpression(p) && p.expression === x) {
      x = p;
      viaField = true;
    } else break;
  }
  const call = x.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(x as ts.Expression)) return false;
  const kind = scope.kindOf(call);
  return !viaField || kind === 'spinUnlock' || kind === 'refcountDecAndTest';
}

/**
 * The value of `cond` when every comparison in `holds` takes its identity-holds value and all
 * else is unknown; undefined when that does not decide it.
 */
export function foldCondition(cond: ts.Expression, holds: ReadonlyMap<ts.Node, boolean>): boolean | undefined {
  const x = skipParens(cond);
  if (holds.has(x)) return holds.get(x);
  if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken) {
    const v = foldCondition(x.operand, holds);
    return v === undefined ? undefined : !v;
  }
  if (ts.isBinaryExpression(x)) {
    const l = foldCondition(x.left, holds);
    const r = foldCondition(x.right, holds);
    if (x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
      return l === false || r === false ? false : l === true && r === true ? true : undefined;
    if (x.operatorToken.kind === ts.SyntaxKind.BarBarToken)
      return l === true || r === true ? true : l === false && r === false ? false : undefined;
  }
  return undefined;
}

/** Statements inside `node` that release pin `pin` (its lock, or its reference, directly or through a helper). */
export function releasesOf(scope: FunctionScope, node: ts.Node, pin: Pin): ts.Statement[] {
  const key = pin.call.arguments[0]?.getText(scope.sf).replace(/\s+/g, '');
  const out: ts.Statement[] = [];
  const visit = (n: ts.Node): void => {
    // `if (refcountDecAndTest(x.ref)) free(x);`: the put and what it frees go together.
    if (pin.kind === 'ref' && ts.isIfStatement(n) && n.elseStatement === undefined) {
      const c = skipParens(n.expression);
      if (
        ts.isCallExpression(c) &&
        scope.kindOf(c) === 'refcountDecAndTest' &&
        scope.rootSymbol(c.arguments[0]) === pin.sym
      ) {
        out.push(n);
        return;
      }
    }
    if (ts.isExpressionStatement(n) && ts.isCallExpression(skipParens(n.expression))) {
      const call = skipParens(n.expression) as ts.CallExpression;
      const kind = scope.kindOf(call);
      const arg0 = call.arguments[0]?.getText(scope.sf).replace(/\s+/g, '');
      if (pin.kind === 'lock' && kind === 'spinUnlock' && arg0 === key) out.push(n);
      else if (pin.kind === 'ref' && kind === 'refcountDecAndTest' && scope.rootSymbol(call.arguments[0]) === pin.sym)
        out.push(n);
      else if (pin.kind === 'ref' && kind === undefined) {
        const released = scope.summaryOf(call)?.releasesRefOf ?? [];
        if (released.some((i) => call.arguments[i] !== undefined && scope.rootSymbol(call.arguments[i]) === pin.sym))
          out.push(n);
      }
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}
