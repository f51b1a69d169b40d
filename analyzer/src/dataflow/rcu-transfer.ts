/**
 * @fileoverview RcuTransfer: the transfer functions of the facts analysis. For each element
 * (call, member access, assignment, declaration, identifier use, closure, suspension point) it
 * updates the FactState; along each branch edge it refines it (branch-refinement.ts:
 * refcountIncNotZero and spinTrylock facts hold only on their success branch; an identity
 * re-check validates the object only on its equal branch). During the replay after the
 * fixpoint, a sink receives one FactEvent per observation, carrying the state just before it.
 */

import { ts } from 'ts-morph';
import {
  constAliasedField,
  declaredOutside,
  isNullish,
  outermostWrapper,
  skipParens,
  walkTree,
  type FunctionLike,
} from '../ast.js';
import type { BasicBlock, Edge, Element } from '../cfg/basic-block.js';
import { LOCK_AND_REFCOUNT_PRIMITIVES, type Primitives } from '../primitives/primitives.js';
import type { StructDecl } from '../primitives/slab-model.js';
import { normalizeLockText } from '../summaries/annotations.js';
import { substituteLock, type FunctionSummary } from '../summaries/summary.js';
import { isCorrelatable, isLoopHeadTarget, isWriteTarget, patternTargets, writtenSymbol } from './assignments.js';
import { BranchRefiner, type LockRef } from './branch-refinement.js';
import type { EventSink, FactEvent, UseKind } from './events.js';
import { isPinnedElement, isStableResult, pinnedCallOrNull, pinnedIteration } from './helper-results.js';
import { graceFreedLoad, isGraceFreed } from './grace-freed-loads.js';
import { readFromLastReference } from './last-reference.js';
import { bundleParamOf } from './param-bundles.js';
import { reachedThrough } from './lock-paths.js';
import { isOwnerLoad } from './owner-loads.js';
import { depthByResult, eitherDepth } from './result-kinds.js';
import { resultDiscarded, storedName } from './call-results.js';
import { heldKey, lockedPath, pinningLock } from './pinned-paths.js';
import { argumentAccesses, fieldAccess } from './member-access.js';
import {
  type FactState,
  type ObjFact,
  forget,
  protectedPastSection,
  withoutTestsReading,
  joinStates,
  newObj,
  statesEqual,
  withLock,
  withObj,
  withoutLock,
  withRead,
  withTest,
  widenStates,
} from './facts.js';
import type { ForwardProblem } from './solver.js';

/** What the transfer functions need from the engine. */
export interface TransferContext {
  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;
  /** The summary of a project function a call invokes, if any (undefined for library calls and recursion). */
  summaryOfCall(call: ts.CallExpression): FunctionSummary | undefined;
  /**
   * Whether every value the project puts into this collection (a private field, a binding that
   * does not escape) is pinned: its values are then kept by the collection's own references.
   */
  pinnedCollection(sym: ts.Symbol): boolean;
  /** Paths from an object of this struct to locks that keep it allocated while held (summaries/free-path-locks.ts). */
  freePathLocks(struct: StructDecl): ReadonlySet<string>;
}

/** Modelled as never throwing: see endsInNonThrowingPrimitive. */
const NON_THROWING: ReadonlySet<string> = new Set(LOCK_AND_REFCOUNT_PRIMITIVES);

export class RcuTransfer implements ForwardProblem<FactState> {
  /** Receives events during the replay; undefined while solving. */
  sink: EventSink | undefined;

  private readonly refiner: BranchRefiner;

  constructor(
    private readonly ctx: TransferContext,
    private readonly fn: FunctionLike,
    readonly initial: FactState,
  ) {
    this.refiner = new BranchRefiner({
      fn,
      checker: ctx.checker,
      primitives: ctx.primitives,
      callKind: (c) => ctx.primitives.callKind(c),
      summaryOfCall: (c) => ctx.summaryOfCall(c),
      symbolOf: (n) => this.symbolOf(n),
      lockRef: (a) => this.lockRef(a),
      acquire: (s, lock, site, trylock) => this.acquire(s, lock, site, trylock),
      emit: (e) => {
        this.emit(e);
      },
    });
  }

  join(a: FactState, b: FactState): FactState {
    return joinStates(a, b);
  }

  equals(a: FactState, b: FactState): boolean {
    return statesEqual(a, b);
  }

  widen(prev: FactState, next: FactState): FactState {
    return widenStates(prev, next);
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
      s = this.refiner.refine(s, edge.condition, edge.kind === 'true');
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
        // `for (x of …)`: each iteration assigns x.
        if (isLoopHeadTarget(n as ts.Identifier)) return this.written(s, [n as ts.Identifier]);
        this.identifier(s, n as ts.Identifier);
        return s;
      case ts.SyntaxKind.PrefixUnaryExpression:
      case ts.SyntaxKind.PostfixUnaryExpression: {
        const operand = skipParens((n as ts.PrefixUnaryExpression).operand);
        const sym = ts.isIdentifier(operand) && isWriteTarget(operand) ? this.symbolOf(operand) : undefined;
        return sym === undefined ? s : forget(s, sym);
      }
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
    const access = fieldAccess(this.ctx.primitives, node);
    if (access !== undefined) this.emit({ kind: 'access', node, base, access, state: s });
    // By name first: asking the checker for every base's symbol costs quadratic time over long
    // generated expressions (see identifier()).
    const freed =
      ts.isIdentifier(base) && [...s.objs].some(([k, o]) => o.graceFreed !== undefined && k.name === base.text);
    if (!(freed && isGraceFreed(s, this.symbolOf(base))) && !this.ctx.primitives.isTypeStableExpr(base)) return;
    const sym = ts.isIdentifier(base) ? this.symbolOf(base) : undefined;
    this.emit({ kind: 'deref', node, base, sym, state: s });
  }

  private lockRef(arg: ts.Expression | undefined): LockRef | undefined {
    if (arg === undefined) return undefined;
    let e = skipParens(arg);
    // `const lock = sighand.siglock; spinLock(lock)`: a const alias names the same lock.
    if (ts.isIdentifier(e)) e = constAliasedField(this.symbolOf(e)?.valueDeclaration) ?? e;
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
    // A lock reached through an object (`anonVma.root.rwsem`) is taken where that object is
    // non-null: if it is null on another path, the lock is held exactly when it is not.
    const via = last === undefined ? reachedThrough(site, (n) => this.symbolOf(n)) : undefined;
    const when =
      last !== undefined
        ? { sym: last[0], value: last[1] }
        : via !== undefined && isCorrelatable(via.sym, this.fn, this.ctx.checker)
          ? { sym: via.sym, value: true }
          : undefined;
    // A lock reached through an object that every free of it takes first keeps it allocated.
    const through = via ?? reachedThrough(site, (n) => this.symbolOf(n));
    const keeps = through !== undefined && this.keptAliveBy(through.sym, through.path) ? through.sym : undefined;
    let out = withLock(s, { key: lock.key, obj: lock.sym, field: lock.field, site, must: true, when, keeps });
    for (const sym of [lock.sym, keeps]) {
      if (sym === undefined) continue;
      const o = out.objs.get(sym);
      // Locking an object already referenced and revalidated adds nothing to check.
      const alreadyStable = o !== undefined && o.refHeld !== undefined && o.pending === undefined;
      if (o !== undefined && o.origin === 'rcu' && o.graceFreed === undefined && !alreadyStable) {
        out = withObj(out, sym, {
          ...o,
          pending: { kind: 'lock', site, checkedBefore: undefined },
          keyChecked: undefined,
        });
      }
    }
    return out;
  }

  /** Whether the lock at `path` from the object in `sym` is one every free of its struct takes first. */
  private keptAliveBy(sym: ts.Symbol, path: string): boolean {
    const struct = this.ctx.primitives.slab.structOfType(this.ctx.checker.getTypeOfSymbol(sym));
    return struct !== undefined && this.ctx.freePathLocks(struct).has(path);
  }

  /**
   * Release `lock` (spinUnlock, or the end of a `using` guard's scope): no longer held, and an
   * object it was taken on no longer awaits revalidation under it.
   */
  private release(s: FactState, lock0: LockRef, site: ts.Node): FactState {
    // `spinUnlock(task.sighand.siglock)` releases the lock taken as `sighand.siglock` and
    // re-checked to be task.sighand's (pinned-paths.ts).
    const key = heldKey(s, lock0.key, lock0.sym, lock0.field) ?? lock0.key;
    const lock = key === lock0.key ? lock0 : { ...lock0, key, sym: s.locks.get(key)?.obj };
    this.emit({ kind: 'spinUnlock', node: site, key: lock.key, sym: lock.sym, state: s });
    const held = s.locks.get(lock.key);
    let out = withoutLock(s, lock.key);
    const kept = held?.keeps === undefined ? undefined : out.objs.get(held.keeps);
    if (kept?.pending?.kind === 'lock') out = withObj(out, held!.keeps!, { ...kept, pending: undefined });
    if (lock.sym !== undefined) {
      const o = out.objs.get(lock.sym);
      if (o?.pending?.kind === 'lock') out = withObj(out, lock.sym, { ...o, pending: undefined });
      // Returned locked by a helper (`const sh = lockTaskSighand(t)`): that lock was all that
      // kept it stable. Unlocked, it is an RCU candidate again — readable while a section is
      // held, untouchable outside one.
      else if (o?.origin === 'stable' && held !== undefined && o.loadSite === held.site)
        out = withObj(out, lock.sym, { ...o, origin: out.readMin > 0 ? 'rcu' : 'unknown', loadDepth: out.readMin });
    }
    return this.markUnprotected(out, site);
  }

  /**
   * After a release: an object loaded in a section that has ended is now unprotected. A lock
   * on an object not yet revalidated does not protect it past its section (protectedPastSection).
   */
  private markUnprotected(s: FactState, site: ts.Node): FactState {
    let out = s;
    // A section that ends under an updater's lock may hand a plain RCU-freed object over to it.
    const updater = [...s.locks.values()].some((l) => l.must);
    for (const [sym, o] of s.objs) {
      if (
        o.origin === 'rcu' &&
        (o.graceFreed === undefined || !updater) &&
        o.sectionEnded === undefined &&
        out.readMin < o.loadDepth &&
        !protectedPastSection(out, sym)
      ) {
        const pending = o.pending?.kind === 'lock' ? { ...o.pending, outlived: site } : o.pending;
        out = withObj(out, sym, { ...o, sectionEnded: site, pending });
      }
    }
    return out;
  }

  private readUnlock(s: FactState, site: ts.Node): FactState {
    this.emit({ kind: 'readUnlock', node: site, state: s });
    const out = this.markUnprotected(withRead(s, -1), site);
    // An unlock with no section open is reported there; the depth after it is not worth a
    // second report where the paths meet or return.
    return s.readMax <= 0 && !s.readTainted ? { ...out, readTainted: true, readWhen: undefined } : out;
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
        const sym = this.lockRef(c.arguments[0])?.sym;
        if (resultDiscarded(c)) this.emit({ kind: 'incIgnored', node: c, sym, state: s });
        // A new attempt: a failure of this call on an earlier iteration no longer says anything.
        const o = sym === undefined ? undefined : s.objs.get(sym);
        return o?.incFailed === c ? withObj(s, sym!, { ...o, incFailed: undefined }) : s;
      }
      case 'refcountInc': {
        // get_task_struct() on an object read in the section: its memory is not freed before
        // the count drops, so the reference keeps it past the section (a type-stable object's
        // count may already be zero, hence refcountIncNotZero there).
        const sym = this.lockRef(c.arguments[0])?.sym;
        const o = sym === undefined ? undefined : s.objs.get(sym);
        return o?.graceFreed !== undefined ? withObj(s, sym!, { ...o, refHeld: c }) : s;
      }
      case 'refcountDecAndTest': {
        const sym = this.lockRef(c.arguments[0])?.sym;
        this.emit({ kind: 'refPut', node: c, sym, state: s });
        return sym === undefined ? s : this.dropRef(s, sym);
      }
      case 'tablePut':
      case 'kmemCacheFree':
        return this.released(s, c.arguments[kind === 'tablePut' ? 0 : 1]);
      case 'rcuDereferenceProtected':
        // An updater's claim: the rules check that a claimed spinlock is held here.
        this.emit({ kind: 'site', node: c, state: s });
        return s;
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
    const out = withoutTestsReading(s, sym);
    if (o.origin === 'rcu') return withObj(out, sym, { ...o, refHeld: undefined });
    return withObj(out, sym, { ...newObj('unknown', o.loadSite, o.loadDepth), sectionEnded: o.sectionEnded });
  }

  private dropRef(s: FactState, sym: ts.Symbol): FactState {
    const o = s.objs.get(sym);
    if (o === undefined) return s;
    // Dropping a reference is a release, not an escape: what follows (freeing the object when
    // the count hit zero) is the holder's right, so the object is not marked unprotected here.
    // A kept `refcountIncNotZero()` result no longer stands for a reference.
    const out = withoutTestsReading(s, sym);
    // A helper's referenced result (`pin(slot)`): that reference was all that kept it.
    if (o.origin === 'stable' && o.refHeld === undefined && ![...s.locks.values()].some((l) => l.obj === sym))
      return withObj(out, sym, { ...newObj('unknown', o.loadSite, o.loadDepth), sectionEnded: o.sectionEnded });
    return withObj(out, sym, {
      ...o,
      refHeld: undefined,
      pending: o.pending?.kind === 'ref' ? undefined : o.pending,
    });
  }

  /** A call to a project function: apply its summary. */
  private userCall(s: FactState, c: ts.CallExpression): FactState {
    if (this.sink !== undefined)
      for (const { base, access } of argumentAccesses(this.ctx.primitives, c))
        this.emit({ kind: 'access', node: c, base, access, state: s });
    const summary = this.ctx.summaryOfCall(c);
    if (summary === undefined) {
      // A call of a function value: a callback parameter invoked here runs with these facts.
      this.emit({ kind: 'site', node: c, state: s });
      return s;
    }
    this.emit({ kind: 'call', node: c, summary, state: s });
    if (summary.mayBlock !== undefined) this.emit({ kind: 'blocking', node: c, what: `${summary.name}()`, state: s });
    let out = s;
    const byResult = summary.readDeltaByResult;
    // A result kept in a variable: the assignment records the depth per kind (assign).
    if (byResult !== undefined && !ts.isIdentifier(storedName(c))) out = eitherDepth(out, byResult);
    for (let i = 0; i < summary.readDelta; i++) {
      this.emit({ kind: 'readLock', node: c, state: out });
      out = withRead(out, 1);
    }
    for (let i = 0; i > summary.readDelta; i--) out = this.readUnlock(out, c);
    const text = (e: ts.Expression): string => normalizeLockText(skipParens(e).getText());
    for (const l of summary.releases) {
      const named = substituteLock(l, summary, c, text);
      const key = named === undefined ? undefined : (heldKey(out, named, undefined, undefined) ?? named);
      if (key === undefined) continue;
      this.emit({ kind: 'spinUnlock', node: c, key, sym: out.locks.get(key)?.obj, state: out });
      out = withoutLock(out, key);
    }
    for (const l of summary.releasesCallers) {
      const named = substituteLock(l, summary, c, text);
      const key = named === undefined ? undefined : heldKey(out, named, undefined, undefined);
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
      if (sym === undefined) continue;
      this.emit({ kind: 'refPut', node: c, sym, through: summary.name, state: out });
      out = this.dropRef(out, sym);
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
    if (sym !== undefined && w?.sym === sym && w.stale === undefined) {
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
      if (sym === undefined) return s;
      // `x += …`, `x ??= …`: a new value, whatever the object facts say.
      return op === ts.SyntaxKind.EqualsToken ? this.assign(s, sym, b.right) : forget(s, sym);
    }
    // `[locked] = …`, `({ sighand } = task)`: assignments to each name in the pattern.
    if (ts.isArrayLiteralExpression(left) || ts.isObjectLiteralExpression(left))
      return this.written(s, patternTargets(left));
    if (ts.isPropertyAccessExpression(left) || ts.isElementAccessExpression(left)) this.deref(s, left, left.expression);
    return s;
  }

  private declaration(s0: FactState, d: ts.VariableDeclaration): FactState {
    if (ts.isObjectBindingPattern(d.name)) return this.destructure(s0, d.name, this.pinnedSource(d));
    if (ts.isArrayBindingPattern(d.name)) return this.pinnedSource(d) ? this.destructure(s0, d.name, true) : s0;
    if (!ts.isIdentifier(d.name)) return s0;
    const sym = this.symbolOf(d.name);
    if (sym === undefined) return s0;
    // A declaration met again (a loop body) is a new value.
    const s = forget(s0, sym);
    const loop = d.parent.parent;
    if (ts.isForOfStatement(loop) && loop.initializer === d.parent) {
      // Each iteration loads the next element of what is being walked.
      if (!this.ctx.primitives.isTypeStableExpr(d.name)) return withObj(s, sym, undefined);
      if (pinnedIteration(loop.expression, this.ctx))
        return withObj(s, sym, newObj('stable', loop.expression, s.readMin));
      return withObj(s, sym, newObj(s.readMin > 0 ? 'rcu' : 'unknown', loop.expression, s.readMin));
    }
    if (d.initializer === undefined) return withTest(withObj(s, sym, undefined), sym, undefined);
    return this.assign(s, sym, d.initializer);
  }

  /**
   * Whether a destructuring declaration takes apart a value of a collection that holds only
   * pinned objects (`const [id, account] = oldest.value`), or what a pinned iteration yields.
   */
  private pinnedSource(d: ts.VariableDeclaration): boolean {
    const loop = d.parent.parent;
    if (ts.isForOfStatement(loop) && loop.initializer === d.parent) return pinnedIteration(loop.expression, this.ctx);
    return d.initializer !== undefined && isPinnedElement(skipParens(d.initializer), this.ctx, true);
  }

  /**
   * `const { sighand } = task`: each bound type-stable property is a load, like `task.sighand`;
   * out of a pinned collection's value (`pinned`), each is pinned by the collection.
   */
  private destructure(s: FactState, pattern: ts.BindingPattern, pinned = false): FactState {
    let out = s;
    for (const el of pattern.elements) {
      if (ts.isOmittedExpression(el) || !ts.isIdentifier(el.name)) continue;
      const sym = this.symbolOf(el.name);
      if (sym === undefined) continue;
      out = forget(out, sym);
      if (!this.ctx.primitives.isTypeStableExpr(el.name)) {
        out = withObj(out, sym, undefined);
        continue;
      }
      out = withObj(out, sym, newObj(pinned ? 'stable' : out.readMin > 0 ? 'rcu' : 'unknown', el, out.readMin));
    }
    return out;
  }

  /**
   * Names assigned by a destructuring pattern or a `for (x of …)` head: each holds a new value,
   * a load like `task.sighand` when its type is type-stable.
   */
  private written(s: FactState, ids: readonly ts.Identifier[]): FactState {
    let out = s;
    for (const id of ids) {
      const sym = writtenSymbol(id, this.ctx.checker);
      if (sym === undefined) continue;
      out = forget(out, sym);
      const loaded = this.ctx.primitives.isTypeStableExpr(id);
      out = withObj(out, sym, loaded ? newObj(out.readMin > 0 ? 'rcu' : 'unknown', id, out.readMin) : undefined);
    }
    return out;
  }

  /**
   * `v = init`: what v now holds (an object, a condition to be tested later, or null). Where
   * `init` is a call whose read-lock change depends on the kind of its result, the depth is
   * one of two until a test of v settles it (result-kinds.ts).
   */
  private assign(s0: FactState, sym: ts.Symbol, init: ts.Expression): FactState {
    const x = pinnedCallOrNull(skipParens(init), this.ctx);
    const byResult = ts.isCallExpression(x) ? this.ctx.summaryOfCall(x)?.readDeltaByResult : undefined;
    const out = this.assignValue(s0, sym, x);
    return byResult === undefined ? out : depthByResult(out, sym, byResult, this.ctx.checker.getTypeAtLocation(x));
  }

  private assignValue(s0: FactState, sym: ts.Symbol, x: ts.Expression): FactState {
    let s = forget(s0, sym);
    if (isNullish(x) && this.refiner.isObjectRef(sym)) {
      // `obj = null; break out`: joins treat the null path as owing nothing on the object.
      return this.refiner.assumeCondition(withObj(s, sym, undefined), sym, false) ?? s;
    }
    // `vma = new ErrPtr(-EAGAIN)` in a variable that may hold an object: a sentinel of another
    // type, which owes nothing either (but is not falsy, so no branch assumption).
    if (
      (ts.isNewExpression(x) || ts.isLiteralExpression(x)) &&
      this.refiner.isObjectRef(sym) &&
      !this.ctx.primitives.isTypeStableExpr(x)
    )
      return withObj(s, sym, newObj('none', x, s.readMin));
    if (ts.isCallExpression(x)) {
      const kind = this.ctx.primitives.callKind(x);
      if (kind === 'kmemCacheAlloc') return withObj(s, sym, newObj('fresh', x, s.readMin));
      // Read by its updater, under the writers' lock or with its reference: stable, as owned.
      if (kind === 'rcuDereferenceProtected') return withObj(s, sym, newObj('owned', x, s.readMin));
      // The hash table's lookups return a referenced, key-re-checked object: stable until put().
      if (kind === 'tableLookup' || kind === 'tableLookupLocked')
        return withObj(s, sym, newObj('stable', x, s.readMin));
      if (kind === undefined) {
        const summary = this.ctx.summaryOfCall(x);
        if (summary?.returnsLockedField !== undefined && ts.isIdentifier(storedName(x))) {
          // `const sh = lockTaskSighand(t)`: returned locked, so `sh.siglock` is held here.
          const name = (storedName(x) as ts.Identifier).text;
          const key = `${name}.${summary.returnsLockedField}`;
          // Re-checked by the helper to be what a pointer of the caller's leads to (`p.sighand`).
          const pinnedPath = lockedPath(summary, x);
          s = withLock(s, {
            key,
            obj: sym,
            field: summary.returnsLockedField,
            site: x,
            must: true,
            when: undefined,
            pinnedPath,
          });
          return withObj(s, sym, newObj('stable', x, s.readMin));
        }
        if (summary?.handsBackUnchecked === true) {
          // `const area = startReadUnchecked(found)`: the caller's own candidate, referenced
          // (where non-null) and not re-checked by the callee: the re-check is owed here.
          const test = this.refiner.storedTest(s, x);
          const o = newObj('rcu', x, s.readMin);
          return withTest(
            withObj(s, sym, { ...o, refHeld: x, pending: { kind: 'ref', site: x, checkedBefore: undefined } }),
            sym,
            test,
          );
        }
        if (summary?.returnsPinnedUnchecked === true) {
          // `const shard = pinPrimary(registry)`: referenced (where non-null), its identity
          // re-check owed here, as after a refcountIncNotZero() of this function's own.
          const o = newObj('rcu', x, s.readMin);
          return withObj(s, sym, { ...o, refHeld: x, pending: { kind: 'ref', site: x, checkedBefore: undefined } });
        }
        if (summary?.returnsStable === true) {
          // `const f = dmaFenceGetRcu(fence)`: the object, and a test (non-null: referenced).
          const test = summary.pinsParam !== undefined ? this.refiner.storedTest(s, x) : undefined;
          return withTest(withObj(s, sym, newObj('stable', x, s.readMin)), sym, test);
        }
      }
    }
    // `pinOne(a) ?? pinOne(b)`: built from helpers' stabilized results.
    if (!ts.isIdentifier(x) && isStableResult(x, this.ctx) && this.ctx.primitives.isTypeStableExpr(x))
      return withObj(s, sym, newObj('stable', x, s.readMin));
    if (ts.isIdentifier(x)) {
      const src = this.symbolOf(x);
      const fact = src === undefined ? undefined : s.objs.get(src);
      if (fact !== undefined) return withObj(s, sym, fact);
    }
    // `const ok = refcountIncNotZero(…)`, `const same = x.key === key`: tested later, refined then.
    const test = this.refiner.storedTest(s, x);
    if (test !== undefined) return withTest(withObj(s, sym, undefined), sym, test);
    if (this.ctx.primitives.isTypeStableExpr(x)) {
      if (readFromLastReference(x, s, (n) => this.symbolOf(n))) return withObj(s, sym, newObj('owned', x, s.readMin));
      // A readonly reference in an argument bundle (`ves.vma`): pinned by the caller (param-bundles.ts).
      if (s.readMax <= 0 && bundleParamOf(x, this.fn, this.ctx.checker, this.ctx.primitives) !== undefined)
        return withObj(s, sym, newObj('owned', x, s.readMin));
      // The current thread's own pointer (`current().sighand`): stable for it (owner-loads.ts).
      if (isOwnerLoad(x, this.ctx.primitives, this.ctx.checker)) return withObj(s, sym, newObj('owned', x, s.readMin));
      const o: ObjFact = newObj(s.readMin > 0 ? 'rcu' : 'unknown', x, s.readMin);
      // A re-read of a pointer a held lock pins (`p.sighand` under `p.sighand.siglock`): the
      // locked object, stable while the lock is held (pinned-paths.ts).
      const pin = pinningLock(s, x);
      if (pin !== undefined && pin.obj === undefined && constAliasedField(sym.valueDeclaration) !== undefined)
        s = withLock(s, { ...pin, obj: sym });
      return withObj(s, sym, o);
    }
    return withObj(s, sym, graceFreedLoad(x, s, this.ctx.primitives, this.ctx.checker));
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
        // predicate or a scoring helper that compares its identity or key, the re-check
        // itself; to a pin helper, the acquisition itself.
        if (
          summary !== undefined &&
          (summary.releasesRefOf.includes(index) ||
            summary.validatesParams.includes(index) ||
            summary.scoresParams.includes(index) ||
            summary.pinsParam === index)
        )
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
        // On the mismatch branch of a re-check, handing the object to a function the checker
        // cannot see into (a library's `fput(file)`, `dma_fence_put(fence)`) is the release the
        // failed re-check calls for.
        if (summary === undefined && s.objs.get(sym)?.pending?.failed !== undefined) return;
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
    // A callback that runs in place (`list.map(...)`) starts from the facts here.
    this.emit({ kind: 'site', node: fnNode, state: s });
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
}
