/**
 * @fileoverview RcuTransfer: the transfer functions of the facts analysis. For each element
 * (call, member access, assignment, declaration, identifier use, closure, suspension point) it
 * updates the FactState; along each branch edge it refines it (refcountIncNotZero and
 * spinTrylock facts hold only on their success branch; an identity re-check validates the
 * object only on its equal branch). During the replay after the fixpoint, a sink receives one
 * FactEvent per observation, carrying the state just before it.
 */

import { ts } from 'ts-morph';
import {
  declaredOutside,
  isNullish,
  outermostWrapper,
  rootIdentifier,
  skipParens,
  walkTree,
  type FunctionLike,
} from '../ast.js';
import type { BasicBlock, Edge, Element } from '../cfg/basic-block.js';
import { LOCK_AND_REFCOUNT_PRIMITIVES, type Primitives } from '../primitives/primitives.js';
import { normalizeLockText } from '../summaries/annotations.js';
import { substituteLock, type FunctionSummary } from '../summaries/summary.js';
import type { EventSink, FactEvent, UseKind } from './events.js';
import {
  type FactState,
  type ObjFact,
  isStable,
  joinStates,
  newObj,
  statesEqual,
  withLock,
  withObj,
  withoutLock,
  withRead,
  withAssume,
  withTest,
} from './facts.js';
import type { ForwardProblem } from './solver.js';

/** What the transfer functions need from the engine. */
export interface TransferContext {
  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;
  /** The summary of a project function a call invokes, if any (undefined for library calls and recursion). */
  summaryOfCall(call: ts.CallExpression): FunctionSummary | undefined;
}

/** Modelled as never throwing: see endsInNonThrowingPrimitive. */
const NON_THROWING: ReadonlySet<string> = new Set(LOCK_AND_REFCOUNT_PRIMITIVES);

interface LockRef {
  readonly key: string;
  readonly sym: ts.Symbol | undefined;
  readonly field: string | undefined;
}

export class RcuTransfer implements ForwardProblem<FactState> {
  /** Receives events during the replay; undefined while solving. */
  sink: EventSink | undefined;

  constructor(
    private readonly ctx: TransferContext,
    private readonly fn: FunctionLike,
    readonly initial: FactState,
  ) {}

  join(a: FactState, b: FactState): FactState {
    return joinStates(a, b);
  }

  equals(a: FactState, b: FactState): boolean {
    return statesEqual(a, b);
  }

  private emit(e: FactEvent): void {
    this.sink?.(e);
  }

  transferBlock(block: BasicBlock, entry: FactState): FactState {
    let s = entry;
    for (const el of block.elements) s = this.element(s, el);
    return s;
  }

  transferEdge(edge: Edge, out: FactState): FactState | null {
    if (edge.kind === 'exception' && this.endsInNonThrowingPrimitive(edge.from)) return null;
    let s: FactState | null = out;
    if ((edge.kind === 'true' || edge.kind === 'false') && edge.condition !== undefined) {
      s = this.refine(s, edge.condition, edge.kind === 'true');
      if (s === null) return null;
    }
    if (edge.exitNode !== undefined && this.sink !== undefined) {
      this.emit({ kind: 'exit', node: edge.exitNode, how: edge.to.role === 'throw' ? 'throw' : 'return', state: s });
    }
    return s;
  }

  /**
   * The lock and refcount primitives are modelled as not throwing: they throw only on misuse
   * (which the rules report) or, for spinLock, after taking the lock from a dead owner. An
   * exceptional edge out of one would carry a lock "held" into a finally that never expected it.
   */
  private endsInNonThrowingPrimitive(block: BasicBlock): boolean {
    const last = block.elements[block.elements.length - 1];
    if (last?.kind !== 'node' || !ts.isCallExpression(last.node)) return false;
    const kind = this.ctx.primitives.callKind(last.node);
    return kind !== undefined && NON_THROWING.has(kind);
  }

  // -------------------------------------------------------------------------------------------
  // Elements
  // -------------------------------------------------------------------------------------------

  private element(s: FactState, el: Element): FactState {
    if (el.kind === 'dispose') return this.dispose(s, el.node);
    const n = el.node;
    switch (n.kind) {
      case ts.SyntaxKind.CallExpression:
        return this.call(s, n as ts.CallExpression);
      case ts.SyntaxKind.PropertyAccessExpression:
      case ts.SyntaxKind.ElementAccessExpression:
        this.deref(s, n, (n as ts.PropertyAccessExpression).expression);
        return s;
      case ts.SyntaxKind.BinaryExpression:
        return this.binary(s, n as ts.BinaryExpression);
      case ts.SyntaxKind.VariableDeclaration:
        return this.declaration(s, n as ts.VariableDeclaration);
      case ts.SyntaxKind.Identifier:
        this.identifier(s, n as ts.Identifier);
        return s;
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.FunctionExpression:
        this.closure(s, n);
        return s;
      case ts.SyntaxKind.AwaitExpression:
        this.emit({ kind: 'blocking', node: n, what: 'await', state: s });
        return s;
      case ts.SyntaxKind.YieldExpression:
        this.emit({ kind: 'blocking', node: n, what: 'yield', state: s });
        return s;
      case ts.SyntaxKind.ForOfStatement:
        this.emit({ kind: 'blocking', node: (n as ts.ForOfStatement).awaitModifier ?? n, what: 'for await', state: s });
        return s;
      default:
        return s;
    }
  }

  private symbolOf(n: ts.Node): ts.Symbol | undefined {
    return this.ctx.checker.getSymbolAtLocation(n);
  }

  /** `x.f` / `x[i]` (read, write or method call) where x is type-stable. */
  private deref(s: FactState, node: ts.Node, baseExpr: ts.Expression): void {
    if (this.sink === undefined) return;
    const base = skipParens(baseExpr);
    if (base.kind === ts.SyntaxKind.ThisKeyword || base.kind === ts.SyntaxKind.SuperKeyword) return;
    if (!this.ctx.primitives.isTypeStableExpr(base)) return;
    const sym = ts.isIdentifier(base) ? this.symbolOf(base) : undefined;
    this.emit({ kind: 'deref', node, base, sym, state: s });
  }

  private lockRef(arg: ts.Expression | undefined): LockRef | undefined {
    if (arg === undefined) return undefined;
    let e = skipParens(arg);
    // `const lock = sighand.siglock; spinLock(lock)`: a const alias names the same lock.
    if (ts.isIdentifier(e)) {
      const d = this.symbolOf(e)?.valueDeclaration;
      if (
        d !== undefined &&
        ts.isVariableDeclaration(d) &&
        d.initializer !== undefined &&
        ts.isVariableDeclarationList(d.parent) &&
        (d.parent.flags & ts.NodeFlags.Const) !== 0 &&
        ts.isPropertyAccessExpression(skipParens(d.initializer))
      ) {
        e = skipParens(d.initializer);
      }
    }
    const key = normalizeLockText(e.getText());
    if (ts.isPropertyAccessExpression(e)) {
      const base = skipParens(e.expression);
      if (ts.isIdentifier(base)) return { key, sym: this.symbolOf(base), field: e.name.text };
    }
    // `spinLock(lockOf(sighand))` with a getter returning `sighand.siglock`.
    if (ts.isCallExpression(e) && this.ctx.primitives.callKind(e) === undefined) {
      const getter = this.ctx.summaryOfCall(e)?.returnsLockOf;
      const arg = getter === undefined ? undefined : e.arguments[getter.param];
      const base = arg === undefined ? undefined : skipParens(arg);
      if (getter !== undefined && base !== undefined && ts.isIdentifier(base)) {
        return { key: `${base.text}.${getter.field}`, sym: this.symbolOf(base), field: getter.field };
      }
    }
    return { key, sym: undefined, field: undefined };
  }

  /** Take `lock` (spinLock, successful spinTrylock): held on this path; its object awaits revalidation. */
  private acquire(s: FactState, lock: LockRef, site: ts.Node, trylock: boolean): FactState {
    this.emit({ kind: 'spinLock', node: site, key: lock.key, sym: lock.sym, trylock, state: s });
    const last = [...s.assume].pop();
    const when = last === undefined ? undefined : { sym: last[0], value: last[1] };
    let out = withLock(s, { key: lock.key, obj: lock.sym, field: lock.field, site, must: true, when });
    if (lock.sym !== undefined) {
      const o = out.objs.get(lock.sym);
      // Locking an object already referenced and revalidated adds nothing to check.
      const alreadyStable = o !== undefined && o.refHeld !== undefined && o.pending === undefined;
      if (o !== undefined && o.origin === 'rcu' && !alreadyStable) {
        out = withObj(out, lock.sym, {
          ...o,
          pending: { kind: 'lock', site, checkedBefore: undefined },
          keyChecked: undefined,
        });
      }
    }
    return out;
  }

  /**
   * Release `lock` (spinUnlock, or the end of a `using` guard's scope): no longer held, and an
   * object it was taken on no longer awaits revalidation under it.
   */
  private release(s: FactState, lock: LockRef, site: ts.Node): FactState {
    this.emit({ kind: 'spinUnlock', node: site, key: lock.key, sym: lock.sym, state: s });
    let out = withoutLock(s, lock.key);
    if (lock.sym !== undefined) {
      const o = out.objs.get(lock.sym);
      if (o?.pending?.kind === 'lock') out = withObj(out, lock.sym, { ...o, pending: undefined });
    }
    return this.markUnprotected(out, site);
  }

  /** After a release: an object loaded in a section that has ended is now unprotected. */
  private markUnprotected(s: FactState, site: ts.Node): FactState {
    let out = s;
    for (const [sym, o] of s.objs) {
      if (o.origin === 'rcu' && o.sectionEnded === undefined && out.readMin < o.loadDepth && !isStable(out, sym)) {
        out = withObj(out, sym, { ...o, sectionEnded: site });
      }
    }
    return out;
  }

  private readUnlock(s: FactState, site: ts.Node): FactState {
    this.emit({ kind: 'readUnlock', node: site, state: s });
    return this.markUnprotected(withRead(s, -1), site);
  }

  private call(s: FactState, c: ts.CallExpression): FactState {
    const kind = this.ctx.primitives.callKind(c);
    switch (kind) {
      case 'rcuReadLock':
        this.emit({ kind: 'readLock', node: c, state: s });
        return withRead(s, 1);
      case 'rcuReadUnlock':
        return this.readUnlock(s, c);
      case 'spinLock': {
        const lock = this.lockRef(c.arguments[0]);
        return lock === undefined ? s : this.acquire(s, lock, c, false);
      }
      case 'spinUnlock': {
        const lock = this.lockRef(c.arguments[0]);
        return lock === undefined ? s : this.release(s, lock, c);
      }
      case 'refcountIncNotZero': {
        const parent = outermostWrapper(c).parent;
        if (ts.isExpressionStatement(parent) || ts.isVoidExpression(parent)) {
          this.emit({ kind: 'incIgnored', node: c, sym: this.lockRef(c.arguments[0])?.sym, state: s });
        }
        return s;
      }
      case 'refcountDecAndTest': {
        const sym = this.lockRef(c.arguments[0])?.sym;
        this.emit({ kind: 'refPut', node: c, sym, state: s });
        return sym === undefined ? s : this.dropRef(s, sym, c);
      }
      case 'tablePut':
      case 'kmemCacheFree':
        return this.released(s, c.arguments[kind === 'tablePut' ? 0 : 1]);
      case 'synchronizeRcu':
      case 'rcuBarrier':
      case 'atomicsWait':
        this.emit({ kind: 'blocking', node: c, what: kind === 'atomicsWait' ? 'Atomics.wait' : kind, state: s });
        return s;
      case undefined:
        return this.userCall(s, c);
      default:
        return s;
    }
  }

  /**
   * `table.put(obj)` / `kmemCacheFree(cache, obj)`: the reference that kept `obj` stable is
   * gone. A later use is a dereference of an object that may already be another one, legal
   * only inside a read-side section (where the type-stable memory is still of this type).
   */
  private released(s: FactState, arg: ts.Expression | undefined): FactState {
    const x = arg === undefined ? undefined : skipParens(arg);
    const sym = x !== undefined && ts.isIdentifier(x) ? this.symbolOf(x) : undefined;
    const o = sym === undefined ? undefined : s.objs.get(sym);
    if (sym === undefined || o === undefined) return s;
    if (o.origin === 'rcu') return withObj(s, sym, { ...o, refHeld: undefined });
    return withObj(s, sym, { ...newObj('unknown', o.loadSite, o.loadDepth), sectionEnded: o.sectionEnded });
  }

  private dropRef(s: FactState, sym: ts.Symbol, site: ts.Node): FactState {
    const o = s.objs.get(sym);
    if (o === undefined) return s;
    // Dropping a reference is a release, not an escape: what follows (freeing the object when
    // the count hit zero) is the holder's right, so the object is not marked unprotected here.
    void site;
    return withObj(s, sym, { ...o, refHeld: undefined, pending: o.pending?.kind === 'ref' ? undefined : o.pending });
  }

  /** A call to a project function: apply its summary. */
  private userCall(s: FactState, c: ts.CallExpression): FactState {
    const summary = this.ctx.summaryOfCall(c);
    if (summary === undefined) return s;
    this.emit({ kind: 'call', node: c, summary, state: s });
    if (summary.mayBlock !== undefined) this.emit({ kind: 'blocking', node: c, what: `${summary.name}()`, state: s });
    let out = s;
    for (let i = 0; i < summary.readDelta; i++) {
      this.emit({ kind: 'readLock', node: c, state: out });
      out = withRead(out, 1);
    }
    for (let i = 0; i > summary.readDelta; i--) out = this.readUnlock(out, c);
    const text = (e: ts.Expression): string => normalizeLockText(skipParens(e).getText());
    for (const l of summary.releases) {
      const key = substituteLock(l, summary, c, text);
      if (key === undefined) continue;
      this.emit({ kind: 'spinUnlock', node: c, key, sym: out.locks.get(key)?.obj, state: out });
      out = withoutLock(out, key);
    }
    for (const l of summary.acquires) {
      const key = substituteLock(l, summary, c, text);
      if (key === undefined) continue;
      const dot = key.indexOf('.');
      const head = dot < 0 ? undefined : key.slice(0, dot);
      const argIndex = head === undefined ? -1 : c.arguments.findIndex((a) => text(a) === head);
      const arg = argIndex >= 0 ? skipParens(c.arguments[argIndex]!) : undefined;
      const sym = arg !== undefined && ts.isIdentifier(arg) ? this.symbolOf(arg) : undefined;
      out = this.acquire(out, { key, sym, field: dot < 0 ? undefined : key.slice(dot + 1) }, c, false);
    }
    for (const i of summary.releasesRefOf) {
      const a = c.arguments[i];
      const sym = a !== undefined && ts.isIdentifier(skipParens(a)) ? this.symbolOf(skipParens(a)) : undefined;
      if (sym !== undefined) out = this.dropRef(out, sym, c);
    }
    return out;
  }

  /** The end of a `using` declaration's scope. */
  private dispose(s: FactState, decl: ts.VariableDeclaration): FactState {
    const init = decl.initializer === undefined ? undefined : skipParens(decl.initializer);
    if (init !== undefined && ts.isConditionalExpression(init)) return this.disposeConditional(s, decl, init);
    if (init === undefined || !ts.isCallExpression(init)) return s;
    const kind = this.ctx.primitives.callKind(init);
    if (kind === 'rcuReadLock') return this.readUnlock(s, decl);
    if (kind === 'spinLock') {
      const lock = this.lockRef(init.arguments[0]);
      return lock === undefined ? s : this.release(s, lock, decl);
    }
    return s;
  }

  /**
   * `using g = cond ? rcuReadLock() : null`: the dispose unlocks only when `cond` held. With an
   * unchanging condition the depth is tracked per side (readWhen), so the dispose settles it.
   */
  private disposeConditional(s: FactState, decl: ts.VariableDeclaration, init: ts.ConditionalExpression): FactState {
    const isLock = (e: ts.Expression): boolean => {
      const x = skipParens(e);
      return ts.isCallExpression(x) && this.ctx.primitives.callKind(x) === 'rcuReadLock';
    };
    const lockWhenTrue = isLock(init.whenTrue);
    const lockWhenFalse = isLock(init.whenFalse);
    if (!lockWhenTrue && !lockWhenFalse) return s;
    const c = skipParens(init.condition);
    const sym = ts.isIdentifier(c) ? this.symbolOf(c) : undefined;
    const w = s.readWhen;
    if (lockWhenTrue && lockWhenFalse) return this.readUnlock(s, decl);
    if (sym !== undefined && w?.sym === sym) {
      this.emit({ kind: 'readUnlock', node: decl, state: s });
      const whenTrue = w.whenTrue - (lockWhenTrue ? 1 : 0);
      const whenFalse = w.whenFalse - (lockWhenFalse ? 1 : 0);
      const out: FactState =
        whenTrue === whenFalse
          ? { ...s, readMin: whenTrue, readMax: whenTrue, readWhen: undefined }
          : {
              ...s,
              readMin: Math.min(whenTrue, whenFalse),
              readMax: Math.max(whenTrue, whenFalse),
              readWhen: { sym, whenTrue, whenFalse },
            };
      return this.markUnprotected(out, decl);
    }
    // Condition not tracked: the depth on the locking side is unknown here; keep the range.
    return {
      ...s,
      readMin: Math.max(s.readMin - 1, Math.min(s.readMin, s.readMax - 1)),
      readMax: s.readMax,
      readTainted: true,
    };
  }

  private binary(s: FactState, b: ts.BinaryExpression): FactState {
    const op = b.operatorToken.kind;
    if (op < ts.SyntaxKind.FirstAssignment || op > ts.SyntaxKind.LastAssignment) return s;
    const left = skipParens(b.left);
    if (ts.isIdentifier(left)) {
      const sym = this.symbolOf(left);
      return sym === undefined || op !== ts.SyntaxKind.EqualsToken ? s : this.assign(s, sym, b.right);
    }
    if (ts.isPropertyAccessExpression(left) || ts.isElementAccessExpression(left)) this.deref(s, left, left.expression);
    return s;
  }

  private declaration(s: FactState, d: ts.VariableDeclaration): FactState {
    if (ts.isObjectBindingPattern(d.name)) return this.destructure(s, d.name);
    if (!ts.isIdentifier(d.name)) return s;
    const sym = this.symbolOf(d.name);
    if (sym === undefined) return s;
    const loop = d.parent.parent;
    if (ts.isForOfStatement(loop) && loop.initializer === d.parent) {
      // Each iteration loads the next element of what is being walked.
      if (!this.ctx.primitives.isTypeStableExpr(d.name)) return withObj(s, sym, undefined);
      return withObj(s, sym, newObj(s.readMin > 0 ? 'rcu' : 'unknown', loop.expression, s.readMin));
    }
    if (d.initializer === undefined) return withTest(withObj(s, sym, undefined), sym, undefined);
    return this.assign(s, sym, d.initializer);
  }

  /** `const { sighand } = task`: each bound type-stable property is a load, like `task.sighand`. */
  private destructure(s: FactState, pattern: ts.ObjectBindingPattern): FactState {
    let out = s;
    for (const el of pattern.elements) {
      if (!ts.isIdentifier(el.name)) continue;
      const sym = this.symbolOf(el.name);
      if (sym === undefined) continue;
      out = withTest(out, sym, undefined);
      if (!this.ctx.primitives.isTypeStableExpr(el.name)) {
        out = withObj(out, sym, undefined);
        continue;
      }
      out = withObj(out, sym, newObj(out.readMin > 0 ? 'rcu' : 'unknown', el, out.readMin));
    }
    return out;
  }

  /** `v = init`: what v now holds. */
  private assign(s0: FactState, sym: ts.Symbol, init: ts.Expression): FactState {
    let s = withTest(s0, sym, undefined);
    const x = skipParens(init);
    if (ts.isCallExpression(x)) {
      const kind = this.ctx.primitives.callKind(x);
      if (kind === 'refcountIncNotZero' || kind === 'spinTrylock')
        return withTest(withObj(s, sym, undefined), sym, { call: x });
      if (kind === 'kmemCacheAlloc') return withObj(s, sym, newObj('fresh', x, s.readMin));
      // The hash table's lookups return a referenced, key-re-checked object: stable until put().
      if (kind === 'tableLookup' || kind === 'tableLookupLocked')
        return withObj(s, sym, newObj('stable', x, s.readMin));
      if (kind === undefined) {
        const summary = this.ctx.summaryOfCall(x);
        if (summary?.returnsLockedField !== undefined && ts.isIdentifier(storedName(x))) {
          // `const sh = lockTaskSighand(t)`: returned locked, so `sh.siglock` is held here.
          const name = (storedName(x) as ts.Identifier).text;
          const key = `${name}.${summary.returnsLockedField}`;
          s = withLock(s, { key, obj: sym, field: summary.returnsLockedField, site: x, must: true, when: undefined });
          return withObj(s, sym, newObj('stable', x, s.readMin));
        }
        if (summary?.returnsStable === true) return withObj(s, sym, newObj('stable', x, s.readMin));
        // `const same = sameSighand(task, s)`: the verdict, tested later, revalidates then.
        if (summary !== undefined && summary.validatesParams.length > 0)
          return withTest(withObj(s, sym, undefined), sym, { call: x });
      }
    }
    if (ts.isIdentifier(x)) {
      const src = this.symbolOf(x);
      const fact = src === undefined ? undefined : s.objs.get(src);
      if (fact !== undefined) return withObj(s, sym, fact);
    }
    if (this.ctx.primitives.isTypeStableExpr(x)) {
      const o: ObjFact = newObj(s.readMin > 0 ? 'rcu' : 'unknown', x, s.readMin);
      return withObj(s, sym, o);
    }
    return withObj(s, sym, undefined);
  }

  private identifier(s: FactState, id: ts.Identifier): void {
    if (this.sink === undefined) return;
    // Most identifiers name nothing tracked. The checker's lookup walks every enclosing node, so
    // over a long generated expression asking it for each one would cost quadratic time.
    if (![...s.objs.keys()].some((k) => k.name === id.text)) return;
    const sym = this.symbolOf(id);
    if (sym === undefined || !s.objs.has(sym)) return;
    const child = outermostWrapper(id);
    const p = child.parent;
    let how: UseKind | undefined;
    if (ts.isReturnStatement(p)) how = 'return';
    else if (ts.isCallExpression(p) && p.arguments.includes(child as ts.Expression)) {
      if (this.ctx.primitives.callKind(p) !== undefined) return;
      if (this.ctx.primitives.hostCall(p) === 'postsMessage') how = 'postMessage';
      else {
        const summary = this.ctx.summaryOfCall(p);
        const index = p.arguments.indexOf(child as ts.Expression);
        // Handing the reference to a helper that drops it is a release, not a use; to a
        // predicate that compares its identity, the re-check itself.
        if (summary?.releasesRefOf.includes(index) === true || summary?.validatesParams.includes(index) === true)
          return;
        if (summary?.returnsLockOf?.param === index) return; // a lock getter: the lock operation itself
        // Handing it to a lock helper (`@acquires sighand.siglock`) is a lock operation, not a use.
        const name = summary?.params[index];
        if (
          summary !== undefined &&
          name !== undefined &&
          [...summary.acquires, ...summary.releases].some((l) => l.startsWith(`${name}.`))
        )
          return;
        how = 'arg';
      }
    } else if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === child) {
      const target = skipParens(p.left);
      if (ts.isIdentifier(target)) {
        const t = this.symbolOf(target);
        if (t !== undefined && declaredOutside(t, this.fn)) how = 'storeOuter';
      } else if (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) how = 'storeField';
    }
    if (how !== undefined) this.emit({ kind: 'use', node: id, sym, how, state: s });
  }

  /** A closure that runs later: report the tracked references it captures. */
  private closure(s: FactState, fnNode: ts.Node): void {
    if (this.sink === undefined || s.objs.size === 0) return;
    const child = outermostWrapper(fnNode);
    const p = child.parent;
    let deferred =
      ts.isReturnStatement(p) || (ts.isBinaryExpression(p) && p.right === child) || ts.isPropertyAssignment(p);
    if (ts.isCallExpression(p) && p.arguments.includes(child as ts.Expression))
      deferred = this.ctx.primitives.defersCallbacks(p);
    if (!deferred) return;
    const seen = new Set<ts.Symbol>();
    walkTree(
      fnNode,
      (n) => {
        if (ts.isIdentifier(n)) {
          const sym = this.symbolOf(n);
          if (sym !== undefined && !seen.has(sym) && s.objs.has(sym)) {
            seen.add(sym);
            this.emit({ kind: 'capture', node: n, closure: fnNode, sym, state: s });
          }
        }
        return undefined;
      },
      'children',
    );
  }

  // -------------------------------------------------------------------------------------------
  // Branch refinement
  // -------------------------------------------------------------------------------------------

  private refine(s: FactState, cond: ts.Expression, truthy: boolean): FactState | null {
    const c = skipParens(cond);
    if (ts.isIdentifier(c)) {
      const sym = this.symbolOf(c);
      const test = sym === undefined ? undefined : s.tests.get(sym);
      if (test !== undefined) return this.refineCall(s, test.call, truthy);
      if (sym === undefined) return s;
      return this.assumeCondition(!truthy ? this.knownNull(s, sym) : s, sym, truthy);
    }
    if (ts.isCallExpression(c)) return this.refineCall(s, c, truthy);
    if (ts.isBinaryExpression(c)) {
      const op = c.operatorToken.kind;
      const isEq = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
      const isNe = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
      const nullSide = isNullish(c.right) ? c.left : isNullish(c.left) ? c.right : undefined;
      if (nullSide !== undefined) {
        // On the branch where the reference is null, whatever a helper said about it is moot.
        const x = skipParens(nullSide);
        const sym = ts.isIdentifier(x) ? this.symbolOf(x) : undefined;
        return sym !== undefined && ((isEq && truthy) || (isNe && !truthy)) ? this.knownNull(s, sym) : s;
      }
      if ((isEq && truthy) || (isNe && !truthy)) return this.identityChecked(s, c);
      // `refcountIncNotZero(r) === false` and friends.
      if (isEq || isNe) {
        const lit = [c.left, c.right].map(skipParens);
        const call = lit.find(ts.isCallExpression);
        const bool = lit.find((e) => e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword);
        if (call !== undefined && bool !== undefined) {
          const wantsTrue = (bool.kind === ts.SyntaxKind.TrueKeyword) === isEq;
          return this.refineCall(s, call, wantsTrue === truthy);
        }
      }
    }
    return s;
  }

  /**
   * A branch on an unchanging boolean (a parameter or const): remember it, and settle locks
   * taken under the same condition earlier. Returns null for a branch contradicting an
   * assumption still in force (that path cannot happen).
   */
  private assumeCondition(s: FactState, sym: ts.Symbol, value: boolean): FactState | null {
    if (!isUnchanging(sym)) return s;
    if (s.assume.get(sym) === !value) return null;
    let out = s;
    for (const [key, l] of s.locks) {
      if (l.when?.sym !== sym || l.must) continue;
      out = l.when.value === value ? withLock(out, { ...l, must: true }) : withoutLock(out, key);
    }
    const w = out.readWhen;
    if (w?.sym === sym) {
      const d = value ? w.whenTrue : w.whenFalse;
      out = { ...out, readMin: d, readMax: d, readWhen: undefined };
    }
    return withAssume(out, sym, value);
  }

  /** `v` is null on this branch: no object, so no lock on it either. */
  private knownNull(s: FactState, sym: ts.Symbol): FactState {
    let out = s;
    for (const [key, l] of s.locks) if (l.obj === sym) out = withoutLock(out, key);
    return out.objs.has(sym) ? withObj(out, sym, undefined) : out;
  }

  private refineCall(s: FactState, call: ts.CallExpression, success: boolean): FactState | null {
    const kind = this.ctx.primitives.callKind(call);
    if (kind === 'rcuReadLockHeld') {
      // Where the read lock is known held, the "not held" branch cannot happen (a function
      // opening with `if (!rcuReadLockHeld()) throw …` is entered holding it: see
      // assertsReadLockHeld). Elsewhere the test tells nothing the facts can use.
      return !success && s.readMin > 0 ? null : s;
    }
    if (kind === 'spinTrylock') {
      const lock = this.lockRef(call.arguments[0]);
      return success && lock !== undefined ? this.acquire(s, lock, call, true) : s;
    }
    if (kind === undefined) return this.refinePredicate(s, call, success);
    if (kind !== 'refcountIncNotZero') return s;
    const sym = this.lockRef(call.arguments[0])?.sym;
    if (sym === undefined) return s;
    const o = s.objs.get(sym) ?? newObj('unknown', undefined, s.readMin);
    if (!success) return withObj(s, sym, { ...o, incFailed: call });
    this.emit({ kind: 'refTaken', node: call, sym, state: s });
    return withObj(s, sym, {
      ...o,
      refHeld: call,
      pending: o.origin === 'rcu' ? { kind: 'ref', site: call, checkedBefore: o.keyChecked } : undefined,
      incFailed: undefined,
      keyChecked: undefined,
    });
  }

  /**
   * A project predicate that compares its parameter's identity or key (`inetMatch(sk, key)`,
   * the kernel's inet_match / nf_ct_key_equal): on its true branch the argument is revalidated.
   */
  private refinePredicate(s: FactState, call: ts.CallExpression, success: boolean): FactState {
    if (!success) return s;
    const summary = this.ctx.summaryOfCall(call);
    if (summary === undefined || summary.validatesParams.length === 0) return s;
    let out = s;
    for (const i of summary.validatesParams) {
      const a = call.arguments[i];
      const x = a === undefined ? undefined : skipParens(a);
      const sym = x !== undefined && ts.isIdentifier(x) ? this.symbolOf(x) : undefined;
      const fact = sym === undefined ? undefined : out.objs.get(sym);
      if (sym === undefined || fact === undefined) continue;
      if (fact.pending !== undefined) out = withObj(out, sym, { ...fact, pending: undefined });
      else if (fact.origin === 'rcu' && fact.refHeld === undefined)
        out = withObj(out, sym, { ...fact, keyChecked: call });
    }
    return out;
  }

  /** On the branch where `a === b` holds: an acquired object compared with a fresh re-read is revalidated. */
  private identityChecked(s: FactState, eq: ts.BinaryExpression): FactState {
    let out = s;
    for (const [side, other] of [
      [eq.left, eq.right],
      [eq.right, eq.left],
    ] as const) {
      if (isNullish(other)) continue;
      const sym = this.rootSymbol(side);
      if (sym === undefined || this.mentions(other, sym)) continue;
      const fact = out.objs.get(sym);
      if (fact === undefined) continue;
      if (fact.pending !== undefined) out = withObj(out, sym, { ...fact, pending: undefined });
      else if (fact.origin === 'rcu' && fact.refHeld === undefined)
        out = withObj(out, sym, { ...fact, keyChecked: eq });
    }
    return out;
  }

  /** `v`, `v.key`, `v.a.b` → v's symbol. */
  private rootSymbol(e: ts.Expression): ts.Symbol | undefined {
    const root = rootIdentifier(e);
    return root === undefined ? undefined : this.symbolOf(root);
  }

  private mentions(e: ts.Node, sym: ts.Symbol): boolean {
    return walkTree(e, (n) => (ts.isIdentifier(n) && this.symbolOf(n) === sym ? 'stop' : undefined));
  }
}

/** A parameter or const that nothing assigns: testing it twice gives the same answer. */
function isUnchanging(sym: ts.Symbol): boolean {
  const d = sym.valueDeclaration;
  if (d === undefined) return false;
  if (ts.isParameter(d)) return !isAssigned(sym, d.parent);
  if (ts.isVariableDeclaration(d) && ts.isVariableDeclarationList(d.parent))
    return (d.parent.flags & ts.NodeFlags.Const) !== 0;
  return false;
}

const assignedCache = new WeakMap<ts.Symbol, boolean>();

function isAssigned(sym: ts.Symbol, scope: ts.Node): boolean {
  const cached = assignedCache.get(sym);
  if (cached !== undefined) return cached;
  const found = walkTree(scope, (n) => {
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      const l = skipParens(n.left);
      if (ts.isIdentifier(l) && l.text === sym.name) return 'stop';
    } else if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      ts.isIdentifier(n.operand) &&
      n.operand.text === sym.name
    ) {
      return 'stop';
    }
    return undefined;
  });
  assignedCache.set(sym, found);
  return found;
}

/** The variable name a call's value is stored in (`const x = f()` / `x = f()`), or the call itself. */
function storedName(call: ts.CallExpression): ts.Node {
  const p = outermostWrapper(call).parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name;
  if (
    ts.isBinaryExpression(p) &&
    p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isIdentifier(skipParens(p.left))
  )
    return skipParens(p.left);
  return call;
}
