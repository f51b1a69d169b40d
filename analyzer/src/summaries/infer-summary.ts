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
  outermostWrapper,
  rootIdentifier,
  skipParens,
  walkTree,
  type FunctionLike,
} from '../ast.js';
import type { ControlFlowGraph } from '../cfg/control-flow-graph.js';
import type { FactEvent } from '../dataflow/events.js';
import { type FactState, isStable, lockHeldFor } from '../dataflow/facts.js';
import { isStableResult } from '../dataflow/helper-results.js';
import { heldPathFrom } from '../dataflow/lock-paths.js';
import { bundleParamOf } from '../dataflow/param-bundles.js';
import { kindOfReturned } from '../dataflow/result-kinds.js';
import type { TransferContext } from '../dataflow/rcu-transfer.js';
import { type Annotations, RCU_LOCK_NAME } from './annotations.js';
import {
  type AssertedLock,
  type AssertedRequirement,
  inheritedRequirements,
  takenLockClasses,
} from './asserted-locks.js';
import { pinsOwnLoadsUnderCallersSection } from './requires-read.js';
import { yieldsPinned } from './generator-yields.js';
import { reliesOnContract, writtenParams } from './written-params.js';
import { directCallSites } from './call-sites.js';
import { type FunctionSummary, type InvokedParam, indexedByParam } from './summary.js';

/**
 * What a call to `fn` does for its caller, read off the events of its analysis: the read-lock
 * depth change and the spinlocks it returns holding or releases (when every return agrees),
 * what the returned reference is, the parameters whose reference it drops or whose identity it
 * checks, the parameters a caller must pass pinned, the callbacks it runs in place, whether it
 * may block, and whether it needs the read lock held. Annotations win where they say more than
 * inference can see.
 */
export function inferSummary(
  fn: FunctionLike,
  cfg: ControlFlowGraph,
  ann: Annotations,
  initial: FactState,
  events: readonly FactEvent[],
  ctx: TransferContext,
  asserted: readonly AssertedLock[] = [],
): FunctionSummary {
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
  const readDeltaByResult =
    ann.readByResult ?? (depths.size > 1 ? readChangeByResult(returns, initial, ctx) : undefined);
  if (ann.acquires.includes(RCU_LOCK_NAME)) readDelta = Math.max(readDelta, 1);
  if (ann.releases.includes(RCU_LOCK_NAME)) readDelta = Math.min(readDelta, -1);

  // Spinlocks held on every return that the caller can name (parameters, `this`, module-level locks).
  const nameable = (key: string): boolean => {
    const dot = key.indexOf('.');
    const head = dot < 0 ? key : key.slice(0, dot);
    return head === 'this' || params.includes(head) || dot < 0 || indexedByParam(head, params) !== undefined;
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
  // A release helper: it unlocks, on some path, a lock it does not hold (its callers took it).
  const releasesCallers = new Set<string>();
  for (const e of events)
    if (e.kind === 'spinUnlock' && !e.state.locks.has(e.key) && nameable(e.key) && !releases.has(e.key))
      releasesCallers.add(e.key);
  const acquiresWhen = conditionalAcquires(returns, initial, nameable, acquires);

  // What the returned reference is: locked by a field on every return (lockTaskSighand), or stable.
  let returnsLockedField: string | undefined;
  let returnsLockedPath: string | undefined;
  let returnsStable = returns.length > 0;
  let returnsFresh = returns.length > 0;
  let returnsPinnedUnchecked = returns.length > 0 && directCallSites(fn, ctx.checker) !== undefined;
  let handsBackUnchecked = returns.length > 0;
  let sawValue = false;
  for (const r of returns) {
    const expr = ts.isReturnStatement(r.node) ? r.node.expression : undefined;
    if (expr === undefined) continue;
    if (isNullish(expr)) continue;
    const x = skipParens(expr);
    // Sentinels (`'again'`, -1, an ERR_PTR object) are not references.
    if (ts.isLiteralExpression(x) || ts.isPrefixUnaryExpression(x) || !ctx.primitives.isTypeStableExpr(x)) continue;
    sawValue = true;
    const sym = ts.isIdentifier(x) ? ctx.checker.getSymbolAtLocation(x) : undefined;
    if (sym === undefined) {
      // `return pinFirst(b)`: another helper's pinned, unchecked result, handed on as it is.
      const handedOn = ts.isCallExpression(x) && ctx.summaryOfCall(x)?.returnsPinnedUnchecked === true;
      // `return pinOne(a) ?? pinOne(b)`: another helper's stabilized result, or a fallback between such.
      if (handedOn || !isStableResult(x, ctx)) returnsStable = false;
      if (!handedOn) returnsPinnedUnchecked = false;
      handsBackUnchecked = false;
      returnsFresh = false;
      returnsLockedField = '\0';
      continue;
    }
    // Locked on every path where it is returned non-null (`break` out on NULL and on success).
    // Its own lock (`sighand.siglock`), or one reached through it (`anonVma.root.rwsem`).
    const symbolOf = (n: ts.Node): ts.Symbol | undefined => ctx.checker.getSymbolAtLocation(n);
    const locks = [...r.state.locks.values()];
    const own = locks.find((l) => lockHeldFor(l, sym) && l.field !== undefined);
    const field = own?.field ?? locks.map((l) => heldPathFrom(l, sym, symbolOf)).find((p) => p !== undefined);
    // The pointer that lock was re-checked to pin, when the caller can name it (a parameter's).
    const path = own?.pinnedPath;
    const pinned = path !== undefined && params.includes(path.slice(0, path.indexOf('.'))) ? path : '\0';
    returnsLockedPath = returnsLockedPath === undefined || returnsLockedPath === pinned ? pinned : '\0';
    const o = r.state.objs.get(sym);
    // A candidate parameter handed back referenced (dma_fence_get_rcu()), its identity not
    // found wrong here: the caller's to re-check on its own variable, which the call pins
    // (pinsParam); to the caller the result is that reference.
    const handedBack =
      o?.loadSite !== undefined &&
      ts.isParameter(o.loadSite) &&
      o.refHeld !== undefined &&
      o.pending?.failed === undefined;
    if (!handedBack && (!isStable(r.state, sym) || o?.pending !== undefined)) returnsStable = false;
    if (o?.origin !== 'none' && (!handedBack || o.pending === undefined)) handsBackUnchecked = false;
    if (o?.origin !== 'fresh') returnsFresh = false;
    // Referenced on every path here, the identity re-check still owed (and not failed). A
    // variable holding only a sentinel here (`ret = null`, an ERR_PTR) returns no object.
    if (
      o?.origin !== 'none' &&
      (handedBack ||
        o?.origin !== 'rcu' ||
        o.refHeld === undefined ||
        o.pending?.kind !== 'ref' ||
        o.pending.failed !== undefined)
    )
      returnsPinnedUnchecked = false;
    if (field === undefined || (returnsLockedField !== undefined && returnsLockedField !== field))
      returnsLockedField = '\0';
    else if (returnsLockedField !== '\0') returnsLockedField = field;
  }
  if (!sawValue || returnsLockedField === '\0') returnsLockedField = undefined;
  if (returnsLockedField === undefined || returnsLockedPath === '\0') returnsLockedPath = undefined;
  if (!sawValue) returnsStable = returnsFresh = returnsPinnedUnchecked = handsBackUnchecked = false;

  // Parameters whose reference the function drops.
  const releasesRefOf: number[] = [];
  if (!isTopLevelCode(fn)) {
    fn.parameters.forEach((p, i) => {
      if (!ts.isIdentifier(p.name)) return;
      const sym = ctx.checker.getSymbolAtLocation(p.name);
      // Its own refcountDecAndTest(): handing the parameter on to a put helper is not counted.
      if (events.some((e) => e.kind === 'refPut' && e.sym === sym && e.through === undefined)) releasesRefOf.push(i);
    });
  }

  // Identity predicates: a boolean function whose parameters are roots of equality operands;
  // scoring functions: the same, returning a number.
  const validatesParams = isTopLevelCode(fn) ? [] : comparedParams(fn, ctx.checker, ts.TypeFlags.BooleanLike);
  const scoresParams = isTopLevelCode(fn) ? [] : comparedParams(fn, ctx.checker, ts.TypeFlags.NumberLike);
  const revalidatesParams = ann.revalidates.map((n) => params.indexOf(n)).filter((i) => i >= 0);

  // May block: a synchronous blocking call anywhere (await/yield only suspend this function).
  const blocking = events.find(
    (e): e is Extract<FactEvent, { kind: 'blocking' }> =>
      e.kind === 'blocking' && e.what !== 'await' && e.what !== 'yield' && e.what !== 'for await',
  );

  const paramSyms = paramSymbols(fn, ctx.checker);
  return {
    name: cfg.name,
    readDelta,
    readDeltaByResult,
    requiresRead: ann.rcuReadLockHeld || pinsOwnLoadsUnderCallersSection(fn, initial, events),
    pinnedParams: pinnedParams(fn, paramSyms, events, ctx),
    invokesParams: invokedParams(paramSyms, initial, events, nameable, ctx.checker),
    acquires: [...acquires],
    acquiresWhen,
    releases: [...releases],
    releasesCallers: [...releasesCallers],
    mustHold: ann.mustHold,
    assertsHeld: assertsHeld(fn, ann, asserted, initial, events, ctx),
    returnsLockedField,
    returnsLockedPath,
    returnsStable,
    returnsPinnedUnchecked,
    handsBackUnchecked,
    returnsFresh,
    yieldsPinned: isTopLevelCode(fn) ? false : yieldsPinned(fn, events, ctx),
    // A put helper's changes (the destructor after the last put) are the last holder's: the
    // reference it drops is what its callers are checked for.
    writesParams: writtenParams(paramSyms, events, ctx).filter((i) => !releasesRefOf.includes(i)),
    releasesRefOf,
    validatesParams,
    scoresParams,
    revalidatesParams,
    pinsParam: pinnedParam(fn, returns, ctx),
    returnsLockOf: lockGetter(fn, returns, ctx),
    mayBlock: blocking?.node,
    params,
  };
}

/** The symbols of the parameters, by index (undefined for a destructured one). */
function paramSymbols(fn: FunctionLike, checker: ts.TypeChecker): Array<ts.Symbol | undefined> {
  if (isTopLevelCode(fn)) return [];
  return fn.parameters.map((p) => (ts.isIdentifier(p.name) ? checker.getSymbolAtLocation(p.name) : undefined));
}

/**
 * Parameters dereferenced outside any read-side section on the strength of the contract, handed
 * (still so) to a helper that needs them pinned, or put into a JS collection (`this.#entries.set(
 * id, account)`), which keeps what it holds past this call: what a caller must pass pinned.
 */
function pinnedParams(
  fn: FunctionLike,
  paramSyms: ReadonlyArray<ts.Symbol | undefined>,
  events: readonly FactEvent[],
  ctx: TransferContext,
): number[] {
  const checker = ctx.checker;
  const found = new Set<number>();
  // The parameter `sym` is, or the argument bundle it was read out of (`const vma = ves.vma`).
  const paramIndex = (sym: ts.Symbol, state: FactState): number => {
    const i = paramSyms.indexOf(sym);
    const load = state.objs.get(sym)?.loadSite;
    if (i >= 0 || load === undefined || !ts.isExpression(load)) return i;
    const bundle = bundleParamOf(load, fn, checker, ctx.primitives);
    return bundle === undefined ? -1 : paramSyms.indexOf(bundle);
  };
  for (const e of events) {
    if (e.kind === 'deref' && e.sym !== undefined) {
      const i = paramIndex(e.sym, e.state);
      if (i >= 0 && reliesOnContract(e.state, e.sym)) found.add(i);
    } else if (e.kind === 'use' && e.how === 'arg' && storedInCollection(e.node, ctx)) {
      const i = paramIndex(e.sym, e.state);
      if (i >= 0 && reliesOnContract(e.state, e.sym)) found.add(i);
    } else if (e.kind === 'call') {
      for (const j of e.summary.pinnedParams) {
        const a = e.node.arguments[j];
        const x = a === undefined ? undefined : skipParens(a);
        if (x === undefined || !ts.isIdentifier(x)) continue;
        const sym = checker.getSymbolAtLocation(x);
        const i = sym === undefined ? -1 : paramIndex(sym, e.state);
        if (i >= 0 && reliesOnContract(e.state, sym!)) found.add(i);
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

/** Whether `arg` is handed to a lib collection's store (`map.set(k, arg)`, `list.push(arg)`). */
function storedInCollection(arg: ts.Node, ctx: TransferContext): boolean {
  const call = outermostWrapper(arg).parent;
  if (!ts.isCallExpression(call)) return false;
  const callee = skipParens(call.expression);
  return ts.isPropertyAccessExpression(callee) && ctx.primitives.collectionMethod(callee)?.kind === 'store';
}

/**
 * Parameters called in place (`cb(x)`), with the facts at those calls relative to entry: the
 * read-side sections this function adds (fewest, most) and the nameable spinlocks held at every one.
 */
function invokedParams(
  paramSyms: ReadonlyArray<ts.Symbol | undefined>,
  initial: FactState,
  events: readonly FactEvent[],
  nameable: (key: string) => boolean,
  checker: ts.TypeChecker,
): InvokedParam[] {
  const byParam = new Map<number, FactState[]>();
  for (const e of events) {
    if (e.kind !== 'site' || !ts.isCallExpression(e.node)) continue;
    const callee = skipParens(e.node.expression);
    if (!ts.isIdentifier(callee)) continue;
    const i = paramSyms.indexOf(checker.getSymbolAtLocation(callee));
    if (i < 0) continue;
    let list = byParam.get(i);
    if (list === undefined) byParam.set(i, (list = []));
    list.push(e.state);
  }
  const out: InvokedParam[] = [];
  for (const [index, states] of byParam) {
    const locks = [...states[0]!.locks]
      .filter(([key, l]) => l.must && nameable(key) && states.every((st) => st.locks.get(key)?.must === true))
      .map(([key]) => key);
    out.push({
      index,
      readMin: Math.min(...states.map((st) => st.readMin)) - initial.readMin,
      readMax: Math.max(...states.map((st) => st.readMax)) - initial.readMin,
      locks,
    });
  }
  return out;
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

/** The expression a return gives: `return e`, or an arrow function's expression body. */
function returnedExpression(fn: ts.FunctionLikeDeclaration, node: ts.Node): ts.Expression | undefined {
  if (ts.isReturnStatement(node)) return node.expression;
  return fn.body !== undefined && !ts.isBlock(fn.body) && node === fn ? fn.body : undefined;
}

/**
 * The parameter a truthy result stands for a reference on (a pin helper: try_get_ref(),
 * dma_fence_get_rcu()): every return gives `refcountIncNotZero(p.f)`, or `p` or `true` where p
 * is referenced, or a falsy value; and one of them is a success.
 */
function pinnedParam(
  fn: FunctionLike,
  returns: ReadonlyArray<{ node: ts.Node; state: FactState }>,
  ctx: TransferContext,
): number | undefined {
  if (isTopLevelCode(fn) || returns.length === 0) return undefined;
  const syms = fn.parameters.map((p) =>
    ts.isIdentifier(p.name) ? ctx.checker.getSymbolAtLocation(p.name) : undefined,
  );
  let found: number | undefined;
  let succeeds = false;
  for (const r of returns) {
    const e = returnedExpression(fn, r.node);
    if (e === undefined) return undefined;
    const x = skipParens(e);
    if (isNullish(x) || x.kind === ts.SyntaxKind.FalseKeyword) continue;
    let i = -1;
    const forwarded = ts.isCallExpression(x) ? ctx.summaryOfCall(x)?.pinsParam : undefined;
    if (ts.isCallExpression(x) && ctx.primitives.callKind(x) === 'refcountIncNotZero') {
      const root = rootIdentifier(x.arguments[0]);
      i = root === undefined ? -1 : syms.indexOf(ctx.checker.getSymbolAtLocation(root));
    } else if (ts.isCallExpression(x) && forwarded !== undefined) {
      // `return vmaStartReadLockedNested(vma, 0)`: another pin helper's verdict on a parameter.
      const arg = x.arguments[forwarded];
      const root = arg === undefined ? undefined : skipParens(arg);
      i = root === undefined || !ts.isIdentifier(root) ? -1 : syms.indexOf(ctx.checker.getSymbolAtLocation(root));
    } else {
      const held = (sym: ts.Symbol | undefined): boolean =>
        sym !== undefined && r.state.objs.get(sym)?.refHeld !== undefined;
      if (ts.isIdentifier(x)) i = syms.indexOf(ctx.checker.getSymbolAtLocation(x));
      else if (x.kind === ts.SyntaxKind.TrueKeyword) i = syms.findIndex(held);
      if (i >= 0 && !held(syms[i])) i = -1;
    }
    if (i < 0 || (found !== undefined && found !== i)) return undefined;
    found = i;
    succeeds = true;
  }
  return succeeds ? found : undefined;
}

/**
 * Parameters a predicate (or a scoring function) compares: the function returns `kind`
 * (boolean, or number), and the parameter is the root of one side of an `===`/`==` (or
 * `!==`/`!=`) whose other side does not mention it.
 */
function comparedParams(fn: ts.FunctionLikeDeclaration, checker: ts.TypeChecker, kind: ts.TypeFlags): number[] {
  const sig = checker.getSignatureFromDeclaration(fn);
  const ret = sig === undefined ? undefined : checker.getReturnTypeOfSignature(sig);
  if (ret === undefined || (ret.flags & kind) === 0 || fn.body === undefined) return [];
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

/**
 * A conditional acquire: every return gives `true` or `false`, and the nameable spinlocks held on
 * every return of one result differ from those of the other (beyond what every return holds).
 */
function conditionalAcquires(
  returns: ReadonlyArray<{ node: ts.Node; state: FactState }>,
  initial: FactState,
  nameable: (key: string) => boolean,
  always: ReadonlySet<string>,
): FunctionSummary['acquiresWhen'] {
  const held: { true: Set<string> | undefined; false: Set<string> | undefined } = { true: undefined, false: undefined };
  for (const r of returns) {
    const e = ts.isReturnStatement(r.node) ? r.node.expression : undefined;
    const x = e === undefined ? undefined : skipParens(e);
    if (x === undefined) return undefined;
    const value =
      x.kind === ts.SyntaxKind.TrueKeyword ? 'true' : x.kind === ts.SyntaxKind.FalseKeyword ? 'false' : undefined;
    if (value === undefined) return undefined;
    const here = new Set(
      [...r.state.locks]
        .filter(([key, l]) => l.must && !initial.locks.has(key) && !always.has(key) && nameable(key))
        .map(([key]) => key),
    );
    const before = held[value];
    held[value] = before === undefined ? here : new Set([...before].filter((k) => here.has(k)));
  }
  if (held.true === undefined || held.false === undefined) return undefined;
  const whenTrue = [...held.true];
  const whenFalse = [...held.false];
  if (whenTrue.length === 0 && whenFalse.length === 0) return undefined;
  return { whenTrue, whenFalse };
}

/**
 * The read-lock change per kind of result, when the returns disagree on the depth but agree
 * within each kind: every return of a type-stable object at one depth, every other return
 * (null, a sentinel) at another. A return whose value may be either kind settles nothing.
 *
 * Inferred only in the kernel's shape, vma_start_read(): entered inside its caller's section,
 * it returns the object still inside it and leaves it on failure. The dual (a lookup that opens
 * a section and returns its object still inside it) is what a dropped unlock on a helper's
 * success path looks like, so that one is declared (`@acquires rcu on success`), never inferred.
 */
function readChangeByResult(
  returns: ReadonlyArray<Extract<FactEvent, { kind: 'exit' }>>,
  initial: FactState,
  ctx: TransferContext,
): FunctionSummary['readDeltaByResult'] {
  let onObject: number | undefined;
  let onOther: number | undefined;
  for (const r of returns) {
    const { readMin, readMax, readTainted } = r.state;
    if (readTainted || readMin !== readMax) return undefined;
    const expr = ts.isReturnStatement(r.node) ? r.node.expression : undefined;
    const kind = kindOfReturned(expr, ctx.checker, ctx.primitives);
    if (kind === 'mixed') return undefined;
    const d = readMin - initial.readMin;
    if (kind === 'object') {
      if (onObject !== undefined && onObject !== d) return undefined;
      onObject = d;
    } else {
      if (onOther !== undefined && onOther !== d) return undefined;
      onOther = d;
    }
  }
  if (onObject !== 0 || onOther === undefined || onOther >= 0 || initial.readMin + onOther < 0) return undefined;
  return { onObject, onOther };
}

/** The locks its callers must hold by assertion: its own (not also declared), and those it hands on from its callees. */
function assertsHeld(
  fn: FunctionLike,
  ann: Annotations,
  asserted: readonly AssertedLock[],
  initial: FactState,
  events: readonly FactEvent[],
  ctx: TransferContext,
): AssertedRequirement[] {
  const own = asserted.filter((a) => !ann.mustHold.includes(a.key)).map(({ key, lockClass }) => ({ key, lockClass }));
  if (!events.some((e) => e.kind === 'call' && e.summary.assertsHeld.length > 0)) return own;
  const taken = takenLockClasses(events, initial, ctx.primitives, ctx.checker);
  const inherited = inheritedRequirements(fn, events, taken, ctx.checker).filter(
    (r) => !ann.mustHold.includes(r.key) && !own.some((o) => o.key === r.key),
  );
  return [...own, ...inherited];
}
