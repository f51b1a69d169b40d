/**
 * @fileoverview Branch refinement: what a condition being true or false tells the facts along
 * one edge of the graph. refcountIncNotZero (or a helper returning its verdict) and spinTrylock
 * hold only on their success edge; an identity or key re-check, a predicate inferred to compare
 * its argument, a scoring helper compared with the score the lookup started from, and a
 * declared source-liveness re-check (`@revalidates`) clear the pending revalidation only on
 * their passing edge; a reference known null carries nothing; and a branch on a variable that
 * nothing else changes is remembered, so that paths correlated by it stay apart.
 *
 * Conditions kept in variables are refined where they are tested: `const ok = …` records the
 * condition (TestResult), and `if (!ok)` refines by it as `if (!(…))` would, through `!`, `&&`
 * and `||`. A re-check read from such a variable counts only for the acquisition it followed
 * when it was evaluated.
 */

import { ts } from 'ts-morph';
import { isNullish, rootIdentifier, skipParens, type FunctionLike } from '../ast.js';
import { normalizeLockText } from '../summaries/annotations.js';
import { substituteLock, type FunctionSummary } from '../summaries/summary.js';
import { isCorrelatable } from './assignments.js';
import { lockedPath, pinByRecheck, withPinnedPath } from './pinned-paths.js';
import { isWalkElement } from './walk-elements.js';
import { kindOfMembers, narrowByPredicate, narrowByTruthiness, predicateOn } from './result-kinds.js';
import type { Primitives } from '../primitives/primitives.js';
import type { FactEvent } from './events.js';
import {
  type FactState,
  type ObjFact,
  type TestResult,
  joinStates,
  newObj,
  withAssume,
  withLock,
  withObj,
  withoutLock,
} from './facts.js';

/** A lock expression resolved: its key, and the variable holding the object it belongs to. */
export interface LockRef {
  readonly key: string;
  readonly sym: ts.Symbol | undefined;
  readonly field: string | undefined;
}

/** What refinement needs from the transfer functions it belongs to. */
export interface RefinementHost {
  readonly fn: FunctionLike;
  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;
  /** The primitive a call resolves to (primitives.callKind). */
  callKind(call: ts.CallExpression): string | undefined;
  summaryOfCall(call: ts.CallExpression): FunctionSummary | undefined;
  symbolOf(n: ts.Node): ts.Symbol | undefined;
  lockRef(arg: ts.Expression | undefined): LockRef | undefined;
  /** Take a lock on this path (a successful spinTrylock). */
  acquire(s: FactState, lock: LockRef, site: ts.Node, trylock: boolean): FactState;
  emit(e: FactEvent): void;
}

/** How deep `!`, `&&`, `||` may nest in a condition kept in a variable (refined recursively). */
const MAX_KEPT_CONDITION_DEPTH = 32;

/** The acquisitions a stored re-check was evaluated after (TestResult.pendingAt); undefined for a direct test. */
type Snapshot = ReadonlyMap<ts.Symbol, ts.Node | undefined> | undefined;

export class BranchRefiner {
  constructor(private readonly host: RefinementHost) {}

  /** The state on the edge where `cond` is `truthy`; null when that edge cannot be taken. */
  refine(s: FactState, cond: ts.Expression, truthy: boolean, snap?: Snapshot): FactState | null {
    const c = skipParens(cond);
    if (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken)
      return this.refine(s, c.operand, !truthy, snap);
    if (ts.isIdentifier(c)) return this.refineVariable(s, c, truthy);
    if (ts.isCallExpression(c)) return this.refineCall(s, c, truthy, snap);
    if (!ts.isBinaryExpression(c)) return s;
    const op = c.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      const and = op === ts.SyntaxKind.AmpersandAmpersandToken;
      // `a && b` true, `a || b` false: both operands took that value.
      if (truthy === and) {
        const left = this.refine(s, c.left, truthy, snap);
        return left === null ? null : this.refine(left, c.right, truthy, snap);
      }
      // `a && b` false: a false, or a true and b false (`||` true: the dual). Join the two.
      const first = this.refine(s, c.left, truthy, snap);
      const mid = this.refine(s, c.left, !truthy, snap);
      const second = mid === null ? null : this.refine(mid, c.right, truthy, snap);
      return first === null ? second : second === null ? first : joinStates(first, second);
    }
    return this.refineComparison(s, c, truthy, snap);
  }

  /** `if (v)`: by the condition kept in v if any; then v itself is truthy or falsy (null) here. */
  private refineVariable(s: FactState, id: ts.Identifier, truthy: boolean): FactState | null {
    const sym = this.host.symbolOf(id);
    if (sym === undefined) return s;
    const test = s.tests.get(sym);
    const refined = test === undefined ? s : this.refine(s, test.cond, truthy, test.pendingAt);
    if (refined === null) return null;
    return this.assumeCondition(truthy ? refined : this.knownNull(refined, sym), sym, truthy);
  }

  private refineComparison(s: FactState, c: ts.BinaryExpression, truthy: boolean, snap: Snapshot): FactState | null {
    const op = c.operatorToken.kind;
    const isEq = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
    const isNe = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
    const equal = (isEq && truthy) || (isNe && !truthy);
    const nullSide = isNullish(c.right) ? c.left : isNullish(c.left) ? c.right : undefined;
    if (nullSide !== undefined) {
      // On the branch where the reference is null, whatever a helper said about it is moot;
      // on the other, it is non-null (which settles a lock taken only on an object).
      const x = skipParens(nullSide);
      const sym = ts.isIdentifier(x) ? this.host.symbolOf(x) : undefined;
      if (sym === undefined || (!isEq && !isNe)) return s;
      if (equal)
        return this.isObjectRef(sym)
          ? this.assumeCondition(this.knownNull(s, sym), sym, false)
          : this.knownNull(s, sym);
      // `x !== null` leaves `undefined` possible when the type has it (and the dual).
      const strict = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken;
      const other = skipParens(nullSide === c.left ? c.right : c.left).kind === ts.SyntaxKind.NullKeyword;
      const stillNullish = strict && this.mayBe(sym, other ? ts.TypeFlags.Undefined : ts.TypeFlags.Null);
      return this.isObjectRef(sym) && !stillNullish ? this.assumeCondition(s, sym, true) : s;
    }
    if (isEq || isNe) {
      // `refcountIncNotZero(r) === false` and friends.
      const sides = [c.left, c.right].map(skipParens);
      const call = sides.find(ts.isCallExpression);
      const bool = sides.find((e) => e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword);
      if (call !== undefined && bool !== undefined) {
        const wantsTrue = (bool.kind === ts.SyntaxKind.TrueKeyword) === isEq;
        return this.refineCall(s, call, wantsTrue === truthy, snap);
      }
    }
    let out = isEq || isNe ? this.identityChecked(s, c, equal, snap) : s;
    if (equal && (isEq || isNe)) out = sameIndexLocks(out, c.left, c.right);
    return this.scoreChecked(out, c, truthy, snap);
  }

  /**
   * A branch on a variable nothing changes behind the graph's back (assignments.ts): remember
   * it, and settle locks and read depth taken under the same condition earlier. Returns null
   * for a branch contradicting an assumption still in force (that path cannot happen).
   */
  assumeCondition(s: FactState, sym: ts.Symbol, value: boolean): FactState | null {
    if (!isCorrelatable(sym, this.host.fn, this.host.checker)) return s;
    if (s.assume.get(sym) === !value) return null;
    let out = s;
    for (const [key, l] of s.locks) {
      if (l.when?.sym !== sym || l.must) continue;
      out = l.when.value === value ? withLock(out, { ...l, must: true }) : withoutLock(out, key);
    }
    const w = out.readWhen;
    if (w?.sym === sym && w.stale === undefined) {
      if (w.possible !== undefined) {
        out = this.narrowResult(out, narrowByTruthiness(w.possible, value, this.host.checker));
      } else {
        const d = value ? w.whenTrue : w.whenFalse;
        out = { ...out, readMin: d, readMax: d, readWhen: undefined };
      }
    }
    return withAssume(out, sym, value);
  }

  /**
   * The kinds a helper's result may still be on this edge (result-kinds.ts): all type-stable
   * objects or all something else settles the depth that depended on it.
   */
  private narrowResult(s: FactState, possible: readonly ts.Type[]): FactState {
    const w = s.readWhen!;
    const kind = possible.length === 0 ? 'mixed' : kindOfMembers(possible, this.host.primitives);
    if (kind === 'mixed') return { ...s, readWhen: { ...w, possible } };
    const d = kind === 'object' ? w.whenTrue : w.whenFalse;
    return { ...s, readMin: d, readMax: d, readWhen: undefined };
  }

  /** `v` is null on this branch: no object, so no lock on it either. */
  knownNull(s: FactState, sym: ts.Symbol): FactState {
    let out = s;
    for (const [key, l] of s.locks) if (l.obj === sym) out = withoutLock(out, key);
    return out.objs.has(sym) ? withObj(out, sym, undefined) : out;
  }

  /** Whether a variable holds an object reference (falsy exactly when null or undefined). */
  isObjectRef(sym: ts.Symbol): boolean {
    const checker = this.host.checker;
    const objectish = (t: ts.Type): boolean =>
      (t.flags & (ts.TypeFlags.Object | ts.TypeFlags.NonPrimitive)) !== 0 ||
      (t.isIntersection() && t.types.some(objectish));
    const t = checker.getNonNullableType(checker.getTypeOfSymbol(sym));
    return t.isUnion() ? t.types.every(objectish) : objectish(t);
  }

  /** Whether the variable's declared type admits a value of this kind (`null`, `undefined`). */
  private mayBe(sym: ts.Symbol, flag: ts.TypeFlags): boolean {
    const t = this.host.checker.getTypeOfSymbol(sym);
    return (t.isUnion() ? t.types : [t]).some(
      (p) => (p.flags & (flag | ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0,
    );
  }

  private refineCall(s: FactState, call: ts.CallExpression, success: boolean, snap: Snapshot): FactState | null {
    const kind = this.host.callKind(call);
    if (kind === 'rcuReadLockHeld') {
      // Where the read lock is known held, the "not held" branch cannot happen (a function
      // opening with `if (!rcuReadLockHeld()) throw …` is entered holding it: see
      // assertsReadLockHeld). Elsewhere the test tells nothing the facts can use.
      return !success && s.readMin > 0 ? null : s;
    }
    if (kind === 'spinTrylock') {
      const lock = this.host.lockRef(call.arguments[0]);
      return success && lock !== undefined ? this.host.acquire(s, lock, call, true) : s;
    }
    if (kind === 'refcountIncNotZero') {
      const sym = this.host.lockRef(call.arguments[0])?.sym;
      return sym === undefined ? s : this.pinned(s, sym, call, success);
    }
    if (kind === 'refcountDecAndTest') {
      // The count reached zero: ours was the last reference, nobody can take another
      // (refcountIncNotZero fails on zero), and the object is ours to free.
      const sym = this.host.lockRef(call.arguments[0])?.sym;
      const o = sym === undefined ? undefined : s.objs.get(sym);
      if (!success || sym === undefined || o === undefined) return s;
      return withObj(s, sym, { ...o, origin: 'owned', pending: undefined, lastRef: call });
    }
    if (kind === undefined) {
      // `isErr(vma)`: a type predicate on a result whose kind the read depth depends on.
      const w = s.readWhen;
      const predicate = w?.possible === undefined || w.stale ? undefined : predicateOn(call, w.sym, this.host.checker);
      const narrowed =
        predicate === undefined
          ? s
          : this.narrowResult(s, narrowByPredicate(w!.possible!, predicate, success, this.host.checker));
      return this.refinePredicate(narrowed, call, success, snap);
    }
    return s;
  }

  /** The edge where refcountIncNotZero(`sym`…) at `call` succeeded, or failed. */
  private pinned(s: FactState, sym: ts.Symbol, call: ts.CallExpression, success: boolean): FactState {
    const o = s.objs.get(sym) ?? newObj('unknown', undefined, s.readMin);
    if (!success) return withObj(s, sym, { ...o, incFailed: call });
    // Tested again (a result kept in a variable): already referenced on every path.
    if (o.refHeld === call) return s;
    this.host.emit({ kind: 'refTaken', node: call, sym, state: s });
    // Tested again after paths where it failed met paths where it succeeded: those were
    // refined at the first test, and none still awaits revalidation (pending is a may-fact).
    const retested = o.incFailed === call && o.pending === undefined;
    // A walk's element pinned as it comes has no identity to re-check, unless a key chose it.
    const selected = o.keyChecked !== undefined || !isWalkElement(sym, o.loadSite, this.host.checker);
    return withObj(s, sym, {
      ...o,
      refHeld: call,
      pending:
        o.origin === 'rcu' && o.graceFreed === undefined && !retested && selected
          ? { kind: 'ref', site: call, checkedBefore: o.keyChecked }
          : o.pending,
      incFailed: undefined,
      keyChecked: retested ? o.keyChecked : undefined,
    });
  }

  /**
   * A call to a project function as a condition: a pin helper (its truthy result is a
   * reference on its argument), a predicate that compares its argument's identity or key
   * (`inetMatch(sk, key)`, the kernel's inet_match / nf_ct_key_equal), or one declared to
   * re-check the source an object was loaded from (`@revalidates folio`): on its true branch
   * the argument, or what was loaded from it, is revalidated.
   */
  private refinePredicate(s: FactState, call: ts.CallExpression, success: boolean, snap: Snapshot): FactState {
    const summary = this.host.summaryOfCall(call);
    if (summary === undefined) return s;
    let out = s;
    const taken = success ? summary.acquiresWhen?.whenTrue : summary.acquiresWhen?.whenFalse;
    for (const l of taken ?? []) {
      // A conditional acquire (nf_conntrack_double_lock): its locks on the edge of its result.
      const text = (e: ts.Expression): string => normalizeLockText(skipParens(e).getText());
      const key = substituteLock(l, summary, call, text);
      if (key !== undefined) out = this.host.acquire(out, { key, sym: undefined, field: undefined }, call, true);
    }
    // `if (lockTaskSighand(p))`: the object returned locked, not kept, was re-checked to be what
    // `p.sighand` leads to, so on the non-null edge the caller holds `p.sighand.siglock`.
    const path = success && summary.returnsLockedField !== undefined ? lockedPath(summary, call) : undefined;
    if (path !== undefined && resultOnlyTested(call)) {
      const key = `${path}.${summary.returnsLockedField!}`;
      const lock = { key, sym: undefined, field: summary.returnsLockedField };
      out = withPinnedPath(this.host.acquire(out, lock, call, false), key, path);
    }
    if (summary.pinsParam !== undefined) {
      const sym = this.argSymbol(call, summary.pinsParam);
      if (sym !== undefined) out = this.pinned(out, sym, call, success);
    }
    for (const i of summary.validatesParams) {
      const sym = this.argSymbol(call, i);
      if (sym !== undefined) out = this.rechecked(out, sym, call, success, snap);
    }
    for (const i of summary.revalidatesParams) {
      const arg = call.arguments[i];
      const root = arg === undefined ? undefined : rootIdentifier(arg);
      const source = root === undefined ? undefined : this.host.symbolOf(root);
      if (source === undefined) continue;
      for (const [sym, o] of out.objs) {
        if (sym === source || this.loadedFrom(o, source, out)) out = this.rechecked(out, sym, call, success, snap);
      }
    }
    return out;
  }

  private argSymbol(call: ts.CallExpression, i: number): ts.Symbol | undefined {
    const a = call.arguments[i];
    const x = a === undefined ? undefined : skipParens(a);
    return x !== undefined && ts.isIdentifier(x) ? this.host.symbolOf(x) : undefined;
  }

  /**
   * Whether the object was loaded from `source`: its load expression reads `source`, directly
   * or through a const it was computed from (`const m = folio.mapping; … objectAt(m)`) or
   * another tracked object loaded from it (`anonVma.root`).
   */
  private loadedFrom(o: ObjFact, source: ts.Symbol, s: FactState): boolean {
    const seen = new Set<ts.Node>();
    const reads = (n: ts.Node | undefined): boolean => {
      if (n === undefined || seen.has(n) || seen.size > 64) return false;
      seen.add(n);
      if (ts.isIdentifier(n)) {
        const sym = this.host.symbolOf(n);
        if (sym === undefined) return false;
        if (sym === source) return true;
        return reads(s.objs.get(sym)?.loadSite) || reads(constInitializer(sym));
      }
      // A property name is not a variable read.
      if (ts.isPropertyAccessExpression(n)) return reads(n.expression);
      return ts.forEachChild(n, (c) => (reads(c) ? true : undefined)) === true;
    };
    return reads(o.loadSite);
  }

  /**
   * A re-check of `sym` at `check`, passed or failed. Passed: an acquired object is
   * revalidated (for a re-check kept in a variable, only if it was evaluated after this
   * acquisition); one not acquired yet is marked checked too early (a key check before the
   * increment proves nothing). Failed after the acquisition: the object is another one here,
   * and what remains to do is release it.
   */
  private rechecked(s: FactState, sym: ts.Symbol, check: ts.Node, passed: boolean, snap: Snapshot): FactState {
    const fact = s.objs.get(sym);
    if (fact === undefined) return s;
    if (fact.pending !== undefined) {
      if (snap !== undefined && snap.get(sym) !== fact.pending.site) return s;
      return withObj(s, sym, { ...fact, pending: passed ? undefined : { ...fact.pending, failed: check } });
    }
    if (passed && fact.origin === 'rcu' && fact.refHeld === undefined)
      return withObj(s, sym, { ...fact, keyChecked: check });
    return s;
  }

  /**
   * An identity or key comparison: where `a === b` holds an acquired object compared with a
   * fresh re-read is revalidated; where it does not, that re-check failed.
   */
  private identityChecked(s: FactState, eq: ts.BinaryExpression, equal: boolean, snap: Snapshot): FactState {
    let out = s;
    for (const [side0, other0] of [
      [eq.left, eq.right],
      [eq.right, eq.left],
    ] as const) {
      const side = this.identityOperand(side0);
      const other = this.identityOperand(other0);
      if (isNullish(other) || !this.mayIdentify(side)) continue;
      const root = rootIdentifier(side);
      const sym = root === undefined ? undefined : this.host.symbolOf(root);
      if (sym === undefined || this.mentions(other, sym)) continue;
      const before = out;
      out = this.rechecked(out, sym, eq, equal, snap);
      // `sighand === tsk.sighand` under sighand's lock: the lock now pins the pointer too.
      if (equal && ts.isIdentifier(skipParens(side))) out = pinByRecheck(before, out, sym, other);
    }
    return equal ? this.sameObject(out, eq) : out;
  }

  /**
   * Whether comparing `side` can tell one object from another: the object itself, or any field
   * of it, unless its struct names its key fields (`defineStruct(…, { key })`) and this field is
   * not one of them (`vma.vmLockSeq === mm.mmLockSeq` tests a state, not whose VMA it is).
   */
  private mayIdentify(side: ts.Expression): boolean {
    const x = skipParens(side);
    if (!ts.isPropertyAccessExpression(x) || !ts.isIdentifier(skipParens(x.expression))) return true;
    const keys = this.host.primitives.slab.structOfExpr(x.expression)?.keyFields;
    return keys === undefined || keys.has(x.name.text);
  }

  /**
   * What an identity comparison compares: the object itself where it is compared by its heap
   * address (`addressOf(seat) === Atomics.load(slots, i)` re-reads the word the seat was
   * found through, as the kernel compares pointers).
   */
  private identityOperand(e: ts.Expression): ts.Expression {
    const x = skipParens(e);
    if (ts.isCallExpression(x) && x.arguments.length === 1 && this.host.callKind(x) === 'addressOf')
      return x.arguments[0]!;
    return e;
  }

  /**
   * `a === b` between two variables: one object on this branch, so the reference that keeps
   * one stable keeps the other (__get_file_rcu returns the re-read `file_reloaded` once it
   * equals the referenced `file`), and so does a const that copied it.
   */
  private sameObject(s: FactState, eq: ts.BinaryExpression): FactState {
    const sides = [skipParens(eq.left), skipParens(eq.right)].map((e) =>
      ts.isIdentifier(e) ? this.host.symbolOf(e) : undefined,
    );
    const [a, b] = sides;
    if (a === undefined || b === undefined || a === b) return s;
    const held = (o: ObjFact | undefined): o is ObjFact =>
      o !== undefined &&
      o.pending === undefined &&
      (o.refHeld !== undefined || o.origin === 'fresh' || o.origin === 'owned' || o.origin === 'stable');
    const fa = s.objs.get(a);
    const fb = s.objs.get(b);
    let from: ObjFact;
    let to: ts.Symbol;
    if (held(fa) && !held(fb)) [from, to] = [fa, b];
    else if (held(fb) && !held(fa)) [from, to] = [fb, a];
    else return s;
    let out = s;
    for (const alias of this.constAliases(to)) {
      const own = out.objs.get(alias);
      if (own !== undefined || alias === to)
        out = withObj(out, alias, { ...from, loadSite: own?.loadSite ?? from.loadSite });
    }
    return out;
  }

  /** `sym`, and the consts it was copied from (`const cmp = reloaded` → cmp, reloaded: both const). */
  private constAliases(sym: ts.Symbol): ts.Symbol[] {
    const out = [sym];
    for (let cur = constInitializer(sym); cur !== undefined && out.length < 8;) {
      const next = ts.isIdentifier(cur) ? this.host.symbolOf(cur) : undefined;
      if (next === undefined || out.includes(next) || constInitializer(next) === undefined) break;
      out.push(next);
      cur = constInitializer(next);
    }
    return out;
  }

  /**
   * A scoring helper's fresh result compared with the score the lookup started from
   * (`computeScore(sk, …) < hiscore` in __inet_lookup_listener): the candidate's keys are
   * re-checked on the branch where it scores at least as well — the equal side of `===`, the
   * at-least side of a relational operator (higher is better, as the kernel's compute_score).
   */
  private scoreChecked(s: FactState, c: ts.BinaryExpression, truthy: boolean, snap: Snapshot): FactState {
    const left = skipParens(c.left);
    const right = skipParens(c.right);
    const scorer = (e: ts.Expression): FunctionSummary | undefined => {
      if (!ts.isCallExpression(e) || this.host.callKind(e) !== undefined) return undefined;
      const summary = this.host.summaryOfCall(e);
      return summary !== undefined && summary.scoresParams.length > 0 ? summary : undefined;
    };
    const callOnLeft = scorer(left) !== undefined;
    const call = callOnLeft ? left : right;
    const summary = scorer(call);
    if (summary === undefined || !ts.isCallExpression(call)) return s;
    const atLeast = atLeastBranch(c.operatorToken.kind, callOnLeft);
    if (atLeast === undefined) return s;
    const other = callOnLeft ? right : left;
    let out = s;
    for (const i of summary.scoresParams) {
      const sym = this.argSymbol(call, i);
      if (sym !== undefined && !this.mentions(other, sym)) out = this.rechecked(out, sym, c, atLeast === truthy, snap);
    }
    return out;
  }

  /**
   * The condition `init` kept in a variable, when a later branch on the variable can refine
   * something by it: a refcountIncNotZero / spinTrylock / predicate verdict, an identity, key
   * or null comparison of a tracked object, a score comparison, or `!`, `&&`, `||` of those.
   */
  storedTest(s: FactState, init: ts.Expression): TestResult | undefined {
    if (!this.refinable(s, init)) return undefined;
    const mentions = new Set<ts.Symbol>();
    const pendingAt = new Map<ts.Symbol, ts.Node | undefined>();
    const work: ts.Node[] = [init];
    while (work.length > 0) {
      const n = work.pop()!;
      const sym = ts.isIdentifier(n) ? this.host.symbolOf(n) : undefined;
      if (sym !== undefined) {
        mentions.add(sym);
        const o = s.objs.get(sym);
        if (o !== undefined) pendingAt.set(sym, o.pending?.site);
      } else if (ts.isPropertyAccessExpression(n)) work.push(n.expression);
      else if (!ts.isIdentifier(n)) ts.forEachChild(n, (c) => void work.push(c));
    }
    return { cond: init, mentions, pendingAt };
  }

  private refinable(s: FactState, e: ts.Expression, depth = 0): boolean {
    // A condition kept in a variable is a few operands; a generated chain of thousands is none.
    if (depth > MAX_KEPT_CONDITION_DEPTH) return false;
    const x = skipParens(e);
    if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken)
      return this.refinable(s, x.operand, depth + 1);
    if (ts.isIdentifier(x)) {
      const sym = this.host.symbolOf(x);
      return sym !== undefined && s.tests.has(sym);
    }
    if (ts.isCallExpression(x)) {
      const kind = this.host.callKind(x);
      if (kind !== undefined) return kind === 'refcountIncNotZero' || kind === 'spinTrylock';
      const summary = this.host.summaryOfCall(x);
      return (
        summary !== undefined &&
        (summary.validatesParams.length > 0 ||
          summary.revalidatesParams.length > 0 ||
          summary.pinsParam !== undefined ||
          summary.acquiresWhen !== undefined)
      );
    }
    if (!ts.isBinaryExpression(x)) return false;
    const op = x.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken)
      return this.refinable(s, x.left, depth + 1) || this.refinable(s, x.right, depth + 1);
    const tracked = (side: ts.Expression): boolean => {
      const root = rootIdentifier(side);
      const sym = root === undefined ? undefined : this.host.symbolOf(root);
      return sym !== undefined && s.objs.has(sym);
    };
    const scored = (side: ts.Expression): boolean => {
      const y = skipParens(side);
      return ts.isCallExpression(y) && (this.host.summaryOfCall(y)?.scoresParams.length ?? 0) > 0;
    };
    if (atLeastBranch(op, true) === undefined) return false;
    return tracked(x.left) || tracked(x.right) || scored(x.left) || scored(x.right);
  }

  private mentions(e: ts.Node, sym: ts.Symbol): boolean {
    const work = [e];
    while (work.length > 0) {
      const n = work.pop()!;
      if (ts.isIdentifier(n)) {
        if (this.host.symbolOf(n) === sym) return true;
      } else ts.forEachChild(n, (c) => void work.push(c));
    }
    return false;
  }
}

/** The initializer of a `const` variable (through wrappers), or undefined. */
function constInitializer(sym: ts.Symbol): ts.Expression | undefined {
  const d = sym.valueDeclaration;
  if (d === undefined || !ts.isVariableDeclaration(d) || d.initializer === undefined) return undefined;
  if (!ts.isVariableDeclarationList(d.parent) || (d.parent.flags & ts.NodeFlags.Const) === 0) return undefined;
  return skipParens(d.initializer);
}

/**
 * For a comparison of a score (on the left when `scoreOnLeft`) with another value: whether the
 * score is at least the other value on the true branch (true), on the false branch (false),
 * or neither (undefined: not a comparison).
 */
function atLeastBranch(op: ts.SyntaxKind, scoreOnLeft: boolean): boolean | undefined {
  switch (op) {
    case ts.SyntaxKind.EqualsEqualsEqualsToken:
    case ts.SyntaxKind.EqualsEqualsToken:
      return true;
    case ts.SyntaxKind.ExclamationEqualsEqualsToken:
    case ts.SyntaxKind.ExclamationEqualsToken:
      return false;
    case ts.SyntaxKind.GreaterThanToken:
    case ts.SyntaxKind.GreaterThanEqualsToken:
      return scoreOnLeft;
    case ts.SyntaxKind.LessThanToken:
    case ts.SyntaxKind.LessThanEqualsToken:
      return !scoreOnLeft;
    default:
      return undefined;
  }
}

/**
 * `a === b` between two index variables: on this branch `locks[a]` and `locks[b]` are one lock,
 * so one held under either name is held under both (nf_conntrack_double_lock takes the second
 * bucket lock only `if (h1 != h2)`: where they are equal, the first one is it).
 */
function sameIndexLocks(s: FactState, left: ts.Expression, right: ts.Expression): FactState {
  const a = skipParens(left);
  const b = skipParens(right);
  if (!ts.isIdentifier(a) || !ts.isIdentifier(b)) return s;
  let out = s;
  for (const [from, to] of [
    [a.text, b.text],
    [b.text, a.text],
  ] as const) {
    for (const [key, l] of s.locks) {
      const other = key.split(`[${from}]`).join(`[${to}]`);
      if (other !== key && !out.locks.has(other)) out = withLock(out, { ...l, key: other });
    }
  }
  return out;
}

/**
 * Whether a call's value is only tested, never kept: its parent chain up to the condition is
 * `!`, `&&`, `||` or parentheses (a value stored in a variable is tracked where it is assigned).
 */
function resultOnlyTested(call: ts.CallExpression): boolean {
  let n: ts.Node = call;
  for (let p = n.parent; ; n = p, p = p.parent) {
    if (ts.isParenthesizedExpression(p)) continue;
    if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) continue;
    if (ts.isBinaryExpression(p)) {
      const op = p.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) continue;
      return false;
    }
    if (ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) return p.expression === n;
    return (ts.isConditionalExpression(p) && p.condition === n) || (ts.isForStatement(p) && p.condition === n);
  }
}
