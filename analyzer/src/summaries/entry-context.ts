/**
 * @fileoverview Where a function is entered from, when that is known: the facts its callers
 * hold at the calls, top-down, where summaries flow bottom-up.
 *
 * - A callback passed to an iteration method (`list.map(...)`, by symbol) runs in place: it
 *   starts from the facts where it is written, and its type-stable parameters are the elements
 *   walked, loaded like a for-of variable.
 * - A callback passed to a project helper whose summary says it calls that parameter before it
 *   returns runs in place too, with the helper's own sections and locks at that call added.
 * - A private helper (call-sites.ts) starts from the meet of its callers' facts at their calls:
 *   if every call holds the read lock, it is analyzed as entered with it (its parameters are
 *   then what the caller found, not yet pinned), and the spinlocks every caller holds and the
 *   helper can name are held at its entry (an unlink helper called under the chain's lock).
 *
 * Any other callback (stored, run later by a timer, a promise or an event, or by code the
 * checker does not know) starts outside every section. The analyses a caller was built with
 * use the helper's summary, which is always inferred from its annotated entry: the two
 * directions never feed each other, so no fixpoint is needed.
 */

import { ts } from 'ts-morph';
import { isTopLevelCode, outermostWrapper, skipParens, type FunctionLike } from '../ast.js';
import { type FactState, type LockFact, joinStates } from '../dataflow/facts.js';
import type { Primitives } from '../primitives/primitives.js';
import { containerLockHeld } from '../dataflow/container-lock.js';
import { normalizeLockText } from './annotations.js';
import { directCallSites } from './call-sites.js';
import { type CallState, lastReferenceParams } from './last-reference-params.js';
import { endsCallersSection, needsCallersReadLock, type RelianceView } from './read-lock-reliance.js';
import type { EntryContext, FunctionAnalysis } from './function-analysis.js';
import { substituteLock, type FunctionSummary } from './summary.js';

/** What entry contexts are computed from: the engine's analyses, read top-down. */
export interface CallerView extends RelianceView {
  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;
  readonly program: ts.Program;
  /** The analysis the rules read (itself entered with its callers' facts), or undefined on a cycle. */
  analysisOf(fn: FunctionLike): FunctionAnalysis | undefined;
  /** The analysis a function's summary comes from (entered as its annotations say). */
  baseAnalysisOf(fn: FunctionLike): FunctionAnalysis | undefined;
  summaryOfCall(call: ts.CallExpression): FunctionSummary | undefined;
}

export function entryContextOf(fn: FunctionLike, view: CallerView): EntryContext | undefined {
  if (isTopLevelCode(fn)) return undefined;
  if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
    const child = outermostWrapper(fn);
    const call = child.parent;
    if (ts.isCallExpression(call) && call.arguments.includes(child as ts.Expression))
      return callbackEntry(fn, child as ts.Expression, call, view);
  }
  return helperEntry(fn, view);
}

/** The function-like whose body contains `n` (its own graph holds `n`'s events). */
export function enclosingFunction(n: ts.Node): FunctionLike {
  let p = n.parent;
  while (!ts.isSourceFile(p)) {
    if (ts.isFunctionLike(p) && (p as ts.FunctionLikeDeclaration).body !== undefined)
      return p as ts.FunctionLikeDeclaration;
    p = p.parent;
  }
  return p;
}

/** The facts at `node` in `analysis`, joined over the paths (a finally body is built once per path). */
export function factsAt(analysis: FunctionAnalysis, node: ts.Node): FactState | undefined {
  let st: FactState | undefined;
  for (const e of analysis.events) {
    if ((e.kind === 'site' || e.kind === 'call') && e.node === node)
      st = st === undefined ? e.state : joinStates(st, e.state);
  }
  return st;
}

function callbackEntry(
  fn: ts.ArrowFunction | ts.FunctionExpression,
  arg: ts.Expression,
  call: ts.CallExpression,
  view: CallerView,
): EntryContext | undefined {
  const outer = view.analysisOf(enclosingFunction(call));
  if (outer === undefined) return undefined;
  if (view.primitives.iteratesInPlace(call)) {
    const st = factsAt(outer, fn);
    if (st === undefined) return undefined;
    const callee = skipParens(call.expression);
    const elementsOf = ts.isPropertyAccessExpression(callee) ? callee.expression : call;
    return {
      readMin: st.readMin,
      readMax: st.readMax,
      locks: st.locks,
      objs: st.objs,
      params: 'elements',
      elementsOf,
      from: 'callback',
    };
  }
  const summary = view.summaryOfCall(call);
  const index = call.arguments.indexOf(arg);
  const invoked = summary?.invokesParams.find((i) => i.index === index);
  if (summary === undefined || invoked === undefined) return undefined;
  const st = factsAt(outer, call);
  if (st === undefined) return undefined;
  const locks = new Map(st.locks);
  const text = (e: ts.Expression): string => normalizeLockText(skipParens(e).getText());
  for (const l of invoked.locks) {
    const key = substituteLock(l, summary, call, text);
    if (key === undefined) continue;
    const dot = key.indexOf('.');
    const head = dot < 0 ? undefined : call.arguments.find((a) => text(a) === key.slice(0, dot));
    const obj =
      head !== undefined && ts.isIdentifier(skipParens(head))
        ? view.checker.getSymbolAtLocation(skipParens(head))
        : undefined;
    locks.set(key, {
      key,
      obj,
      field: dot < 0 ? undefined : key.slice(dot + 1),
      site: call,
      must: true,
      when: undefined,
    });
  }
  return {
    readMin: st.readMin + invoked.readMin,
    readMax: st.readMax + invoked.readMax,
    locks,
    objs: st.objs,
    params: 'contract',
    from: 'callback',
  };
}

function helperEntry(fn: ts.FunctionLikeDeclaration, view: CallerView): EntryContext | undefined {
  const calls = directCallSites(fn, view.checker);
  if (calls === undefined || calls.length === 0) return undefined;
  let readMin = Infinity;
  let readMax = -Infinity;
  let locks: Map<string, LockFact> | undefined;
  // Calls made under a container lock outside any section (an updater's): protected, as a
  // reader's are, for what the helper dereferences (rcu_dereference_check(p, lockdep_is_held(&l))).
  let underLockOnly = false;
  const sites: CallState[] = [];
  let recursive = false;
  for (const call of calls) {
    const caller = enclosingFunction(call);
    if (caller === fn) {
      // A recursive call: entered as the outer call was, plus what the body changed by then.
      const base = view.baseAnalysisOf(fn);
      const st = base === undefined ? undefined : factsAt(base, call);
      if (st !== undefined && st.readMin < base!.initial.readMin) return undefined;
      locks = new Map();
      recursive = true;
      continue;
    }
    const a = view.analysisOf(caller);
    if (a === undefined) return undefined;
    const st = factsAt(a, call);
    if (st === undefined) continue; // unreachable
    sites.push({ call, state: st });
    if (st.readMin <= 0 && containerLockHeld(st, view.checker, view.primitives)) underLockOnly = true;
    else readMin = Math.min(readMin, st.readMin);
    readMax = Math.max(readMax, st.readMax);
    const mapped = locksInCallee(st, call, fn, view.checker);
    locks = locks === undefined ? mapped : intersect(locks, mapped);
  }
  const lastRefParams = recursive ? [] : lastReferenceParams(fn, sites, view.checker);
  const context = callersContext(fn, view, readMin, readMax, underLockOnly, locks);
  if (lastRefParams.length === 0) return context;
  return { ...(context ?? UNPROTECTED), lastRefParams };
}

const UNPROTECTED: EntryContext = {
  readMin: 0,
  readMax: 0,
  locks: new Map(),
  objs: new Map(),
  params: 'contract',
  from: 'callers',
};

/** The sections and locks a helper is entered with, met over its calls. */
function callersContext(
  fn: FunctionLike,
  view: CallerView,
  readMin: number,
  readMax: number,
  underLockOnly: boolean,
  locks: Map<string, LockFact> | undefined,
): EntryContext | undefined {
  if (readMin === Infinity && !underLockOnly) return undefined;
  if (underLockOnly && readMin > 0 && readMin !== Infinity && protectedUnderLock(fn, view)) {
    // Every call is in a section or under a container lock: entered as in a section, which
    // protects no more than either does (the helper needs nothing else of the read lock).
    return {
      readMin: 1,
      readMax: Math.max(1, readMax),
      locks: locks ?? new Map(),
      objs: new Map(),
      params: 'candidates',
      from: 'callers',
    };
  }
  const inSection = !underLockOnly && readMin > 0;
  if (!inSection && (locks === undefined || locks.size === 0)) return undefined;
  return {
    readMin: inSection ? readMin : 0,
    readMax: inSection ? readMax : 0,
    locks: locks ?? new Map(),
    objs: new Map(),
    params: inSection ? 'candidates' : 'contract',
    from: 'callers',
  };
}

/**
 * A lock is no read-side section: a helper some callers enter under a container lock alone is
 * protected there only if it needs the read lock for nothing but what it dereferences (it calls
 * no `@rcuReadLockHeld` function and ends no section of its callers').
 */
function protectedUnderLock(fn: FunctionLike, view: CallerView): boolean {
  const base = view.baseAnalysisOf(fn);
  return base !== undefined && !needsCallersReadLock(fn, view) && !endsCallersSection(base);
}

function intersect(a: Map<string, LockFact>, b: Map<string, LockFact>): Map<string, LockFact> {
  const out = new Map<string, LockFact>();
  for (const [k, l] of a) if (b.has(k)) out.set(k, l);
  return out;
}

/** Declared at a file's top level (a module-level lock or table), not in any function. */
function isModuleLevel(sym: ts.Symbol): boolean {
  const d = sym.valueDeclaration ?? sym.declarations?.[0];
  if (d === undefined) return false;
  for (let p: ts.Node = d.parent; !ts.isSourceFile(p); p = p.parent) if (ts.isFunctionLike(p)) return false;
  return true;
}

/**
 * The spinlocks a caller holds at `call`, renamed into the helper's terms: a lock of an argument
 * becomes the parameter's (`chain.lock`), a module-level lock keeps its name, `this.…` is kept
 * for a method called on `this`; a lock of a caller's local the helper cannot name is dropped.
 */
function locksInCallee(
  st: FactState,
  call: ts.CallExpression,
  fn: ts.FunctionLikeDeclaration,
  checker: ts.TypeChecker,
): Map<string, LockFact> {
  const out = new Map<string, LockFact>();
  const callee = skipParens(call.expression);
  const onThis = ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword;
  for (const [key, l] of st.locks) {
    if (!l.must) continue;
    // A lock pinning a pointer of an argument (`p.sighand.siglock`, re-checked): the helper
    // names it through its parameter (`task.sighand.siglock`), and the pointer stays pinned.
    const pinned = pinnedInCallee(l, call, fn);
    if (pinned !== undefined) {
      out.set(pinned.key, pinned);
      continue;
    }
    const dot = key.indexOf('.');
    const renamed = (name: string, obj: ts.Symbol | undefined): void => {
      out.set(name, { ...l, key: name, obj, site: fn, when: undefined });
    };
    if (key.startsWith('this.')) {
      if (onThis) renamed(key, l.obj);
      continue;
    }
    if (l.obj !== undefined && dot > 0) {
      const i = call.arguments.findIndex((a) => {
        const x = skipParens(a);
        return ts.isIdentifier(x) && checker.getSymbolAtLocation(x) === l.obj;
      });
      const p = i >= 0 ? fn.parameters[i] : undefined;
      if (p !== undefined && ts.isIdentifier(p.name))
        renamed(p.name.text + key.slice(dot), checker.getSymbolAtLocation(p.name));
      else if (isModuleLevel(l.obj)) renamed(key, l.obj);
      continue;
    }
    // One lock of a module-level array picked by an argument (`nfConntrackLocks[hash].lock`):
    // the helper names it by its parameter.
    const m = /^([A-Za-z_$][\w$]*)\[([^\]]+)\](\..*)?$/.exec(key);
    if (m !== null) {
      const i = call.arguments.findIndex((a) => normalizeLockText(skipParens(a).getText()) === m[2]);
      const p = i >= 0 ? fn.parameters[i] : undefined;
      if (p !== undefined && ts.isIdentifier(p.name)) renamed(`${m[1]}[${p.name.text}]${m[3] ?? ''}`, undefined);
      continue;
    }
    // A lock named by a plain variable (`spinLock(tableLock)`): kept when it is module-level.
    const site = l.site;
    const arg = ts.isCallExpression(site) ? site.arguments[0] : undefined;
    const x = arg === undefined ? undefined : skipParens(arg);
    const sym = x !== undefined && ts.isIdentifier(x) ? checker.getSymbolAtLocation(x) : undefined;
    if (dot < 0 && sym !== undefined && isModuleLevel(sym)) renamed(key, undefined);
  }
  return out;
}

/** A lock pinning a path from an argument (pinned-paths.ts), renamed into the helper's parameter. */
function pinnedInCallee(l: LockFact, call: ts.CallExpression, fn: ts.FunctionLikeDeclaration): LockFact | undefined {
  const path = l.pinnedPath;
  if (path === undefined || l.field === undefined) return undefined;
  const head = path.slice(0, path.indexOf('.'));
  const i = call.arguments.findIndex((a) => normalizeLockText(skipParens(a).getText()) === head);
  const p = i >= 0 ? fn.parameters[i] : undefined;
  if (p === undefined || !ts.isIdentifier(p.name)) return undefined;
  const renamed = p.name.text + path.slice(head.length);
  const key = `${renamed}.${l.field}`;
  return { ...l, key, obj: undefined, site: fn, when: undefined, pinnedPath: renamed };
}
