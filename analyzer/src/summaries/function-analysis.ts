/**
 * @fileoverview Analyzing one function: build its CFG, solve the facts dataflow to a fixpoint
 * from the state its annotations promise (or its callers' facts, where those are known), replay
 * each reachable block once to collect events for the rules, and infer the function's summary
 * for its callers (infer-summary.ts).
 */

import { ts } from 'ts-morph';
import { isFunctionLike, isTopLevelCode, skipParens, walkTree, type FunctionLike } from '../ast.js';
import type { BasicBlock, Edge } from '../cfg/basic-block.js';
import { CfgBuilder } from '../cfg/cfg-builder.js';
import type { ControlFlowGraph } from '../cfg/control-flow-graph.js';
import { dumpIfRequested } from '../cfg/debug-dot.js';
import type { FactEvent } from '../dataflow/events.js';
import {
  type FactState,
  type LockFact,
  type ObjFact,
  emptyState,
  newObj,
  withLock,
  withObj,
} from '../dataflow/facts.js';
import { pinnedIteration } from '../dataflow/helper-results.js';
import { RcuTransfer, type TransferContext } from '../dataflow/rcu-transfer.js';
import { solveForward } from '../dataflow/solver.js';
import type { Primitives } from '../primitives/primitives.js';
import { type Annotations, NO_ANNOTATIONS, RCU_LOCK_NAME, readAnnotations } from './annotations.js';
import { assertedLocks } from './asserted-locks.js';
import { directCallSites } from './call-sites.js';
import { checkerFlowOracle } from './flow-oracle.js';
import { inferSummary } from './infer-summary.js';
import type { FunctionSummary } from './summary.js';

/** A call of a function inside the project, with the analysis of the function that makes it. */
export interface CallerSite {
  readonly call: ts.CallExpression;
  readonly analysis: FunctionAnalysis;
}

export interface FunctionAnalysis {
  readonly cfg: ControlFlowGraph;
  readonly annotations: Annotations;
  readonly initial: FactState;
  /** Events in replay order (block by block in reverse post-order). */
  readonly events: readonly FactEvent[];
  readonly summary: FunctionSummary;
  /**
   * Every caller is in the project (a private helper only ever called by name: call-sites.ts),
   * so what it leaves held on return may be inferred. Any other function must declare it.
   */
  readonly callersKnown: boolean;
  /** Entered with its callers' facts (a callback run in place, a helper every caller calls alike). */
  readonly entry: EntryContext | undefined;
  /** The solver hit its iteration cap; findings may be incomplete. */
  readonly capped: boolean;
  /** A private helper's inferred acquires that no caller releases (summaries/acquire-use.ts). */
  readonly unreleased?: UnreleasedAcquires;
}

/** What a private helper returns holding that no caller ever releases: a leak, not an acquire. */
export interface UnreleasedAcquires {
  /** Inferred spinlock acquires (in the helper's terms) that no caller releases or hands on. */
  readonly locks: readonly string[];
  /** An inferred read-side section left open that no caller closes by its returns. */
  readonly read: boolean;
}

/**
 * How a function is entered when its callers are known (engine/program-analysis.ts): a
 * callback run in place starts from the facts at its call, a private helper from the meet of
 * its callers' facts. Without one, a function starts as its annotations say.
 */
export interface EntryContext {
  /** Read-side sections held at entry on the fewest and the most paths. */
  readonly readMin: number;
  readonly readMax: number;
  /** Spinlocks held at entry, in this function's terms. */
  readonly locks: ReadonlyMap<string, LockFact>;
  /** What is known of captured variables (a callback's enclosing function's facts). */
  readonly objs: ReadonlyMap<ts.Symbol, ObjFact>;
  /**
   * What the type-stable parameters are: pinned by the caller (`contract`, the default), what
   * the caller found inside its section (`candidates`: a helper only ever called in one), or
   * the elements an iteration method walks (`elements`, loaded from `elementsOf` like a for-of
   * variable).
   */
  readonly params: 'contract' | 'candidates' | 'elements';
  readonly elementsOf?: ts.Node;
  /**
   * `callback`: it runs inside the call it is passed to, so what happens in it happens in the
   * caller's section. `callers`: a helper entered as every caller calls it; what it does on
   * entry facts (blocking, say) its callers already see through its summary.
   */
  readonly from: 'callback' | 'callers';
  /**
   * Parameters every caller passes holding their last reference (last-reference-params.ts):
   * owned, and exclusively this function's.
   */
  readonly lastRefParams?: readonly number[];
}

/**
 * The facts at entry: what the annotations promise, what the callers hold (entry), and the
 * parameter contract. A type-stable parameter is pinned by its caller, as a pointer argument is
 * in the kernel: it is stable here (origin `owned`), and the callers inside the project are
 * checked at their calls (the summary's pinnedParams). Not so where the function is entered in
 * a read-side section (`@rcuReadLockHeld`, or every caller holds one): there a parameter may
 * be a candidate the caller found, not yet pinned.
 */
function initialState(
  fn: FunctionLike,
  ann: Annotations,
  checker: ts.TypeChecker,
  primitives: Primitives,
  entry: EntryContext | undefined,
  pinnedElements = false,
  assertedKeys: readonly string[] = [],
): FactState {
  const releasesRcu = ann.releases.includes(RCU_LOCK_NAME);
  const annotated = ann.rcuReadLockHeld || releasesRcu ? 1 : 0;
  let s = emptyState(annotated);
  if (entry !== undefined) {
    const readMin = Math.max(annotated, entry.readMin);
    s = { ...s, readMin, readMax: Math.max(readMin, entry.readMax), locks: entry.locks, objs: entry.objs };
  }
  if (isTopLevelCode(fn)) return s;
  const params = new Map<string, ts.Symbol>();
  for (const p of fn.parameters) {
    if (!ts.isIdentifier(p.name)) continue;
    const sym = checker.getSymbolAtLocation(p.name);
    if (sym !== undefined) params.set(p.name.text, sym);
  }
  const mode = annotated > 0 ? 'candidates' : (entry?.params ?? 'contract');
  if (mode === 'candidates') {
    // A candidate the function hands back (`return vma`) is what it tells its caller is the
    // object looked up: pinned here, its identity is re-checked here, or by a caller the
    // re-check is left to (vma_start_read() pins the VMA mas_walk() found and checks vm_mm).
    for (const p of returnedParams(fn, checker)) {
      const sym = checker.getSymbolAtLocation(p.name);
      if (sym !== undefined && primitives.isTypeStableExpr(p.name as ts.Identifier))
        s = withObj(s, sym, newObj('rcu', p, s.readMin));
    }
  }
  if (mode !== 'candidates') {
    for (const p of fn.parameters) {
      const sym = ts.isIdentifier(p.name) ? params.get(p.name.text) : undefined;
      if (sym === undefined || !primitives.isTypeStableExpr(p.name as ts.Identifier)) continue;
      // The elements walked: pinned by the collection that holds them, else loads like a for-of's.
      const fact =
        mode === 'contract'
          ? newObj('owned', p, 0)
          : newObj(pinnedElements ? 'stable' : s.readMin > 0 ? 'rcu' : 'unknown', entry?.elementsOf ?? p, s.readMin);
      s = withObj(s, sym, fact);
    }
  }
  for (const key of [...ann.mustHold, ...ann.releases.filter((l) => l !== RCU_LOCK_NAME), ...assertedKeys]) {
    const dot = key.indexOf('.');
    // A lock field of the parameter itself; one reached through it (`icq.ioc.lock`) is no
    // lock of that object, and does not stabilize it.
    const obj = dot < 0 || key.indexOf('.', dot + 1) >= 0 ? undefined : params.get(key.slice(0, dot));
    s = withLock(s, {
      key,
      obj,
      field: dot < 0 ? undefined : key.slice(dot + 1),
      site: fn,
      must: true,
      when: undefined,
    });
  }
  for (const i of entry?.lastRefParams ?? []) {
    const p = fn.parameters[i];
    const sym = p !== undefined && ts.isIdentifier(p.name) ? params.get(p.name.text) : undefined;
    if (sym !== undefined) s = withObj(s, sym, { ...newObj('owned', p, 0), lastRef: p });
  }
  // A cache's constructor or destructor gets an object nobody else can see (a slab being built,
  // or torn down): it owns its parameter.
  const callbackParams = primitives.slab.isCacheCallback(fn) ? [...params.keys()] : [];
  for (const name of [...ann.owned, ...putParams(fn, primitives), ...callbackParams]) {
    const sym = params.get(name);
    if (sym !== undefined) s = withObj(s, sym, newObj('owned', fn, 0));
  }
  return s;
}

/**
 * A function that opens by asserting `rcuReadLockHeld()` (`if (!rcuReadLockHeld()) throw …`,
 * the lockdep-style check of rcu_dereference_check) states its precondition in code: it is
 * treated as annotated `@rcuReadLockHeld`.
 */
function assertsReadLockHeld(fn: ts.FunctionLikeDeclaration, primitives: Primitives): boolean {
  const body = fn.body;
  if (body === undefined || !ts.isBlock(body)) return false;
  for (const st of body.statements.slice(0, 3)) {
    if (!ts.isIfStatement(st)) continue;
    const c = skipParens(st.expression);
    if (!ts.isPrefixUnaryExpression(c) || c.operator !== ts.SyntaxKind.ExclamationToken) continue;
    const call = skipParens(c.operand);
    if (!ts.isCallExpression(call) || primitives.callKind(call) !== 'rcuReadLockHeld') continue;
    const then = ts.isBlock(st.thenStatement) ? st.thenStatement.statements[0] : st.thenStatement;
    if (then !== undefined && (ts.isThrowStatement(then) || ts.isReturnStatement(then))) return true;
  }
  return false;
}

/**
 * Parameters the function drops a reference on (`refcountDecAndTest(p.refcnt)`): only a holder
 * of a reference may drop it, so such a parameter is owned by the caller (sockPut, fput).
 */
function putParams(fn: ts.FunctionLikeDeclaration, primitives: Primitives): string[] {
  const names = new Set(fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : '')));
  const found: string[] = [];
  const visit = (n: ts.Node): 'skip' | undefined => {
    if (isFunctionLike(n)) return 'skip';
    if (ts.isCallExpression(n) && n.arguments.length > 0) {
      const a = n.arguments[0]!;
      if (
        ts.isPropertyAccessExpression(a) &&
        ts.isIdentifier(a.expression) &&
        names.has(a.expression.text) &&
        primitives.callKind(n) === 'refcountDecAndTest'
      ) {
        found.push(a.expression.text);
      }
    }
    return undefined;
  };
  if (fn.body !== undefined) walkTree(fn.body, visit, 'children');
  return found;
}

export function analyzeFunction(
  fn: FunctionLike,
  index: number,
  ctx: TransferContext,
  entry?: EntryContext,
): FunctionAnalysis {
  const cfg = CfgBuilder.build(fn, index, checkerFlowOracle(ctx.checker));
  dumpIfRequested(cfg);
  let annotations = isTopLevelCode(fn) ? NO_ANNOTATIONS : readAnnotations(fn);
  if (!annotations.rcuReadLockHeld && !isTopLevelCode(fn) && assertsReadLockHeld(fn, ctx.primitives))
    annotations = { ...annotations, rcuReadLockHeld: true };
  // `lockdepAssertHeld(ioc.lock)`: held at entry, as the callers see it and as spelled here.
  const asserted = isTopLevelCode(fn) ? [] : assertedLocks(fn, ctx.primitives, ctx.checker);
  const mustHold = new Set(annotations.mustHold);
  const assertedKeys = [...new Set(asserted.flatMap((a) => [a.key, a.spelled]))].filter((k) => !mustHold.has(k));
  const elementsOf = entry?.params === 'elements' ? entry.elementsOf : undefined;
  const pinnedElements = elementsOf !== undefined && ts.isExpression(elementsOf) && pinnedIteration(elementsOf, ctx);
  const initial = initialState(fn, annotations, ctx.checker, ctx.primitives, entry, pinnedElements, assertedKeys);
  const transfer = new RcuTransfer(ctx, fn, initial);
  const solution = solveForward(cfg, transfer);

  // Replay: each reachable block once from its fixpoint entry state, edges once each.
  const events: FactEvent[] = [];
  transfer.sink = (e) => events.push(e);
  const incoming = new Map<BasicBlock, Array<{ edge: Edge; state: FactState }>>();
  for (const block of cfg.reversePostOrder()) {
    const entry = solution.entry.get(block);
    if (entry === undefined) continue;
    const out = transfer.transferBlock(block, entry);
    for (const edge of block.succs) {
      const along = transfer.transferEdge(edge, out);
      if (along === null) continue;
      let list = incoming.get(edge.to);
      if (list === undefined) incoming.set(edge.to, (list = []));
      list.push({ edge, state: along });
    }
  }
  transfer.sink = undefined;
  // Joins last: a loop header's back edge is known only once its body has been replayed.
  for (const [block, ins] of incoming) if (ins.length > 1) events.push({ kind: 'join', block, incoming: ins });

  const summary = inferSummary(fn, cfg, annotations, initial, events, ctx, asserted);
  const callersKnown = directCallSites(fn, ctx.checker) !== undefined;
  return { cfg, annotations, initial, events, summary, callersKnown, entry, capped: solution.capped };
}

/** The parameters `fn` itself returns as they are (`return vma`). */
function returnedParams(fn: FunctionLike, checker: ts.TypeChecker): Set<ts.ParameterDeclaration> {
  const params = new Map<ts.Symbol, ts.ParameterDeclaration>();
  const out = new Set<ts.ParameterDeclaration>();
  if (isTopLevelCode(fn)) return out;
  for (const p of fn.parameters) {
    const sym = ts.isIdentifier(p.name) ? checker.getSymbolAtLocation(p.name) : undefined;
    if (sym !== undefined) params.set(sym, p);
  }
  if (params.size === 0) return out;
  walkTree(fn, (n) => {
    if (n !== fn && (isFunctionLike(n) || ts.isClassStaticBlockDeclaration(n))) return 'skip';
    if (ts.isReturnStatement(n) && n.expression !== undefined) {
      const x = skipParens(n.expression);
      const sym = ts.isIdentifier(x) ? checker.getSymbolAtLocation(x) : undefined;
      const p = sym === undefined ? undefined : params.get(sym);
      if (p !== undefined) out.add(p);
    }
    return undefined;
  });
  return out;
}
