/**
 * @fileoverview Summary inference: turning one function's analysis (its events, replayed from
 * the fixpoint) into the FunctionSummary its callers apply at each call site. Summaries are
 * inferred bottom-up on demand (engine/program-analysis.ts asks for a callee's analysis before
 * its caller needs it); recursion uses no summary.
 */

import { ts } from 'ts-morph';
import {
  isEqualityOperator,
  isNullish,
  isTopLevelCode,
  rootIdentifier,
  skipParens,
  walkTree,
  type FunctionLike,
} from '../ast.js';
import type { ControlFlowGraph } from '../cfg/control-flow-graph.js';
import type { FactEvent } from '../dataflow/events.js';
import { type FactState, isStable } from '../dataflow/facts.js';
import type { TransferContext } from '../dataflow/rcu-transfer.js';
import { type Annotations, RCU_LOCK_NAME } from './annotations.js';
import type { FunctionSummary } from './summary.js';

/**
 * What a call to `fn` does for its caller, read off the events of its analysis: the read-lock
 * depth change and the spinlocks it returns holding or releases (when every return agrees),
 * what the returned reference is, the parameters whose reference it drops or whose identity it
 * checks, whether it may block, and whether it needs the read lock held. Annotations win
 * where they say more than inference can see.
 */
export function inferSummary(
  fn: FunctionLike,
  cfg: ControlFlowGraph,
  ann: Annotations,
  initial: FactState,
  events: readonly FactEvent[],
  ctx: TransferContext,
): { summary: FunctionSummary; inferredRequiresRead: boolean } {
  const params = paramNames(fn);
  const returns = events.filter(
    (e): e is Extract<FactEvent, { kind: 'exit' }> => e.kind === 'exit' && e.how === 'return',
  );

  // Read-lock depth change: only when every return agrees (otherwise the rule reports it here).
  let readDelta = 0;
  const depths = new Set(returns.map((r) => (r.state.readMin === r.state.readMax ? r.state.readMin : NaN)));
  if (depths.size === 1) {
    const d = [...depths][0]!;
    if (!Number.isNaN(d)) readDelta = d - initial.readMin;
  }
  if (ann.acquires.includes(RCU_LOCK_NAME)) readDelta = Math.max(readDelta, 1);
  if (ann.releases.includes(RCU_LOCK_NAME)) readDelta = Math.min(readDelta, -1);

  // Spinlocks held on every return that the caller can name (parameters, `this`, module-level locks).
  const nameable = (key: string): boolean => {
    const dot = key.indexOf('.');
    const head = dot < 0 ? key : key.slice(0, dot);
    return head === 'this' || params.includes(head) || dot < 0;
  };
  const acquires = new Set(ann.acquires.filter((l) => l !== RCU_LOCK_NAME));
  const releases = new Set(ann.releases.filter((l) => l !== RCU_LOCK_NAME));
  if (returns.length > 0) {
    const first = returns[0]!.state;
    for (const [key, l] of first.locks) {
      if (!l.must || initial.locks.has(key) || !nameable(key)) continue;
      if (returns.every((r) => r.state.locks.get(key)?.must === true)) acquires.add(key);
    }
    for (const key of initial.locks.keys()) if (returns.every((r) => !r.state.locks.has(key))) releases.add(key);
  }

  // What the returned reference is: locked by a field on every return (lockTaskSighand), or stable.
  let returnsLockedField: string | undefined;
  let returnsStable = returns.length > 0;
  let returnsFresh = returns.length > 0;
  let sawValue = false;
  for (const r of returns) {
    const expr = ts.isReturnStatement(r.node) ? r.node.expression : undefined;
    if (expr === undefined) continue;
    if (isNullish(expr)) continue;
    const x = skipParens(expr);
    // Sentinels (`'again'`, -1) are not references.
    if (ts.isLiteralExpression(x) || ts.isPrefixUnaryExpression(x)) continue;
    sawValue = true;
    const sym = ts.isIdentifier(x) ? ctx.checker.getSymbolAtLocation(x) : undefined;
    if (sym === undefined) {
      returnsStable = false;
      returnsFresh = false;
      returnsLockedField = undefined;
      break;
    }
    const lock = [...r.state.locks.values()].find((l) => l.must && l.obj === sym && l.field !== undefined);
    const o = r.state.objs.get(sym);
    if (!isStable(r.state, sym) || o?.pending !== undefined) returnsStable = false;
    if (o?.origin !== 'fresh') returnsFresh = false;
    if (lock === undefined || (returnsLockedField !== undefined && returnsLockedField !== lock.field))
      returnsLockedField = '\0';
    else if (returnsLockedField !== '\0') returnsLockedField = lock.field;
  }
  if (!sawValue || returnsLockedField === '\0') returnsLockedField = undefined;
  if (!sawValue) returnsStable = returnsFresh = false;

  // Parameters whose reference the function drops.
  const releasesRefOf: number[] = [];
  if (!isTopLevelCode(fn)) {
    fn.parameters.forEach((p, i) => {
      if (!ts.isIdentifier(p.name)) return;
      const sym = ctx.checker.getSymbolAtLocation(p.name);
      if (events.some((e) => e.kind === 'refPut' && e.sym === sym)) releasesRefOf.push(i);
    });
  }

  // Identity predicates: a boolean function whose parameters are roots of equality operands.
  const validatesParams = isTopLevelCode(fn) ? [] : comparedParams(fn, ctx.checker);

  // May block: a synchronous blocking call anywhere (await/yield only suspend this function).
  const blocking = events.find(
    (e): e is Extract<FactEvent, { kind: 'blocking' }> =>
      e.kind === 'blocking' && e.what !== 'await' && e.what !== 'yield' && e.what !== 'for await',
  );

  // Requires the read lock: annotated, or (for functions not exported) every unprotected
  // dereference is of a parameter, which only the callers can protect.
  let inferredRequiresRead = false;
  if (!ann.rcuReadLockHeld && !isExported(fn) && !isTopLevelCode(fn)) {
    const paramSyms = new Set(
      fn.parameters.map((p) => ctx.checker.getSymbolAtLocation(p.name)).filter((s) => s !== undefined),
    );
    const unprotected = events.filter(
      (e): e is Extract<FactEvent, { kind: 'deref' }> =>
        e.kind === 'deref' && e.state.readMin <= 0 && !(e.sym !== undefined && isStable(e.state, e.sym)),
    );
    inferredRequiresRead =
      unprotected.length > 0 && unprotected.every((e) => e.sym !== undefined && paramSyms.has(e.sym));
  }

  return {
    summary: {
      name: cfg.name,
      readDelta,
      requiresRead: ann.rcuReadLockHeld || inferredRequiresRead,
      requiresReadForParams: !ann.rcuReadLockHeld && inferredRequiresRead,
      acquires: [...acquires],
      releases: [...releases],
      mustHold: ann.mustHold,
      returnsLockedField,
      returnsStable,
      returnsFresh,
      releasesRefOf,
      validatesParams,
      returnsLockOf: lockGetter(fn, returns, ctx),
      mayBlock: blocking?.node,
      params,
    },
    inferredRequiresRead,
  };
}

/** `return p.field` on every return, where the field is a runtime Spinlock: a lock getter. */
function lockGetter(
  fn: FunctionLike,
  returns: ReadonlyArray<{ node: ts.Node }>,
  ctx: TransferContext,
): { param: number; field: string } | undefined {
  if (isTopLevelCode(fn) || returns.length === 0) return undefined;
  let found: { param: number; field: string } | undefined;
  for (const r of returns) {
    const e = ts.isReturnStatement(r.node)
      ? r.node.expression
      : !ts.isBlock(fn.body!) && r.node === fn
        ? (fn.body as ts.Expression)
        : undefined;
    if (e === undefined) return undefined;
    const x = skipParens(e);
    if (!ts.isPropertyAccessExpression(x) || !ts.isIdentifier(x.expression) || !ctx.primitives.isSpinlockExpr(x))
      return undefined;
    const param = fn.parameters.findIndex(
      (p) => ts.isIdentifier(p.name) && p.name.text === (x.expression as ts.Identifier).text,
    );
    if (param < 0 || (found !== undefined && (found.param !== param || found.field !== x.name.text))) return undefined;
    found = { param, field: x.name.text };
  }
  return found;
}

/**
 * Parameters a predicate compares: the function returns boolean, and the parameter is the root
 * of one side of an `===`/`==` (or `!==`/`!=`) whose other side does not mention it.
 */
function comparedParams(fn: ts.FunctionLikeDeclaration, checker: ts.TypeChecker): number[] {
  const sig = checker.getSignatureFromDeclaration(fn);
  const ret = sig === undefined ? undefined : checker.getReturnTypeOfSignature(sig);
  if (ret === undefined || (ret.flags & ts.TypeFlags.BooleanLike) === 0 || fn.body === undefined) return [];
  const names = fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
  const found = new Set<number>();
  const root = (e: ts.Expression): string | undefined => rootIdentifier(e)?.text;
  const visit = (n: ts.Node): 'skip' | undefined => {
    if (ts.isBinaryExpression(n) && isEqualityOperator(n.operatorToken.kind)) {
      const l = root(n.left);
      const r = root(n.right);
      const isNull = (e: ts.Expression): boolean => skipParens(e).kind === ts.SyntaxKind.NullKeyword;
      if (l !== undefined && l !== r && !isNull(n.right) && names.includes(l)) found.add(names.indexOf(l));
      if (r !== undefined && l !== r && !isNull(n.left) && names.includes(r)) found.add(names.indexOf(r));
    }
    return ts.isFunctionLike(n) ? 'skip' : undefined;
  };
  walkTree(fn.body, visit, 'children');
  return [...found];
}

function paramNames(fn: FunctionLike): string[] {
  if (isTopLevelCode(fn)) return [];
  return fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
}

function isExported(fn: FunctionLike): boolean {
  if (isTopLevelCode(fn)) return true;
  let n: ts.Node = fn;
  if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent))
    n = fn.parent.parent.parent;
  if (
    ts.isMethodDeclaration(fn) ||
    ts.isConstructorDeclaration(fn) ||
    ts.isGetAccessorDeclaration(fn) ||
    ts.isSetAccessorDeclaration(fn)
  )
    return true;
  if (!ts.isFunctionDeclaration(n) && !ts.isVariableStatement(n)) return true;
  return (ts.getCombinedModifierFlags(n as ts.Declaration) & ts.ModifierFlags.Export) !== 0;
}
