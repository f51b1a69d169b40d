/**
 * @fileoverview The facts lattice: what is known at one program point about read-side
 * sections, spinlocks, references, and each type-stable object a variable holds.
 *
 * States are immutable; transfer functions return new states (copy on write). Joins follow the
 * usual must/may split: a *must* fact (a lock held, a reference taken, an identity validated)
 * survives a join only if it holds on every incoming path, so "held on some paths" reads as
 * not held; a *may* fact (an object still awaiting revalidation, a read-side section that has
 * ended) survives if it holds on any path, so a rule sees the bad path.
 *
 * Read depth is an exact range with no cap: nesting any number of sections in straight-line
 * code keeps exact depths. A loop that keeps taking (or dropping) the read lock would grow the
 * range forever; the solver widens such a range to unbounded (widenStates) after a few rounds.
 */

import type { ts } from 'ts-morph';

/** A spinlock known to be held. Keyed by the lock expression's text (`sighand.siglock`). */
export interface LockFact {
  readonly key: string;
  /** The variable holding the object whose lock this is (`sighand` for `sighand.siglock`). */
  readonly obj: ts.Symbol | undefined;
  /** The field name (`siglock`), when the lock is `obj.field`. */
  readonly field: string | undefined;
  /** The spinLock/spinTrylock call (or annotated function) that took it. */
  readonly site: ts.Node;
  /** Held on every path (true) or only some (false). */
  readonly must: boolean;
  /**
   * Taken under the branch assumption that `sym` is truthy (`value`) or falsy: where the paths
   * meet the lock is held on some paths only, but a later test of the same condition tells
   * which (`if (shared) spinUnlock(l)` is then balanced). A lock on an object that is null on
   * the other path is held exactly when that object is non-null (`when` = the object, true).
   */
  readonly when: { readonly sym: ts.Symbol; readonly value: boolean } | undefined;
  /**
   * The object this lock keeps allocated though it is not the object's own: reached through it
   * (`anonVma.root.rwsem`), and taken by every free of its struct first (free-path-locks.ts).
   */
  readonly keeps?: ts.Symbol | undefined;
  /**
   * The RCU pointer path (`tsk.sighand`) this lock's object was re-checked, under the lock, to
   * be what the path leads to: while the lock is held the path leads there still
   * (pinned-paths.ts). Undefined for a lock nobody re-checked against a path.
   */
  readonly pinnedPath?: string | undefined;
}

/** Where a type-stable reference held in a variable came from. */
export type Origin =
  /** Loaded inside a read-side section (an RCU pointer read or a lookup): may be freed and reused at any instant. */
  | 'rcu'
  /** Freshly allocated by this function (kmemCacheAlloc): nobody else can free it. */
  | 'fresh'
  /** Declared owned by the caller (`@owned`): the caller holds a reference. */
  | 'owned'
  /** Returned stabilized by a helper (its summary says so). */
  | 'stable'
  /** A parameter or a value loaded outside any read-side section. */
  | 'unknown'
  /**
   * No object: a sentinel of another type assigned on this path (`vma = new ErrPtr(-EAGAIN)`).
   * Owes nothing, and where paths meet, what holds of the object on the others holds.
   */
  | 'none';

/** An acquisition (lock or reference) not yet followed by an identity re-check. */
export interface PendingValidation {
  readonly kind: 'lock' | 'ref';
  /** The spinLock / refcountIncNotZero call. */
  readonly site: ts.Node;
  /** For references: a key check made *before* the increment, which proves nothing. */
  readonly checkedBefore: ts.Node | undefined;
  /**
   * Must: on this path a re-check after the acquisition failed (its mismatch branch), so the
   * object is known to be another one; what the code may still do is release it.
   */
  readonly failed?: ts.Node | undefined;
  /**
   * May: the read-side section ended (here) while the lock was held and the object not yet
   * revalidated: the lock did not keep it past the section (protectedPastSection).
   */
  readonly outlived?: ts.Node | undefined;
}

export interface ObjFact {
  readonly origin: Origin;
  /** The expression the reference was loaded from (`task.sighand`), for messages. */
  readonly loadSite: ts.Node | undefined;
  /** Read-lock depth when it was loaded; the section ends when depth drops below this. */
  readonly loadDepth: number;
  /** Must: a successful refcountIncNotZero on every path (the call). */
  readonly refHeld: ts.Node | undefined;
  /** May: acquired (locked or referenced) and not yet revalidated on some path. */
  readonly pending: PendingValidation | undefined;
  /** May: the read-side section it was loaded in has ended (the rcuReadUnlock). */
  readonly sectionEnded: ts.Node | undefined;
  /** May: refcountIncNotZero failed on some path reaching here (the call). */
  readonly incFailed: ts.Node | undefined;
  /** May: a key/identity comparison seen while *not* acquired (too early to count). */
  readonly keyChecked: ts.Node | undefined;
  /**
   * Must: this function holds the object's last reference — a refcountDecAndTest on it reached
   * zero (the call), or every caller passes it so (the parameter): nobody else can reach it by
   * reference, and the references its fields hold are now this function's to drop.
   */
  readonly lastRef?: ts.Node | undefined;
  /**
   * May: a pointer to an object that is not type-stable but freed after a grace period, read
   * in a read-side section (the load; grace-freed-loads.ts). Past its section it may be freed
   * outright, not merely reused; a lock taken on it needs no identity re-check.
   */
  readonly graceFreed?: ts.Node | undefined;
}

/**
 * A variable holding a condition tested later (`const ok = refcountIncNotZero(x.refcnt)`,
 * `const current = ok && x === slot.x`): a branch on the variable refines the state as a branch
 * on `cond` would.
 */
export interface TestResult {
  readonly cond: ts.Expression;
  /** The variables `cond` reads: assigning one of them ends the correlation. */
  readonly mentions: ReadonlySet<ts.Symbol>;
  /**
   * For each tracked object `cond` reads, the acquisition it awaited revalidation from when
   * `cond` was evaluated (undefined: none). A re-check kept in a variable counts only for that
   * acquisition: one evaluated before the lock or the reference proves nothing after it.
   */
  readonly pendingAt: ReadonlyMap<ts.Symbol, ts.Node | undefined>;
}

export interface FactState {
  /** Fewest read-side sections held on any path (-Infinity once a loop widened it). */
  readonly readMin: number;
  /** Most read-side sections held on any path (Infinity once a loop widened it). */
  readonly readMax: number;
  /** Paths with different depths already met (and were reported); later balance checks stay quiet. */
  readonly readTainted: boolean;
  readonly locks: ReadonlyMap<string, LockFact>;
  readonly objs: ReadonlyMap<ts.Symbol, ObjFact>;
  readonly tests: ReadonlyMap<ts.Symbol, TestResult>;
  /**
   * Branch assumptions, most recent last: the variable is truthy (true) or falsy (false); for
   * an object reference, non-null or null. Kept only on variables nothing changes behind the
   * graph's back (assignments.ts), and forgotten at each assignment (forget).
   */
  readonly assume: ReadonlyMap<ts.Symbol, boolean>;
  /**
   * Read depth that depends on an unchanging condition (`if (fast) rcuReadLock();`): the
   * depth on each side, settled again by the next test of the same condition.
   */
  readonly readWhen: ReadWhen | undefined;
}

export interface ReadWhen {
  readonly sym: ts.Symbol;
  readonly whenTrue: number;
  readonly whenFalse: number;
  /**
   * `sym` was assigned since: the depth still differs by its old value, which no test can
   * settle any more (`[locked] = …` between `if (locked) rcuReadLock()` and the unlock).
   */
  readonly stale?: true;
  /**
   * The depth depends on the kind of value `sym` holds, a helper's result (result-kinds.ts):
   * `whenTrue` once it is narrowed to type-stable objects, `whenFalse` once to anything else.
   * These are the members of its type still possible; undefined for a plain condition.
   */
  readonly possible?: readonly ts.Type[];
}

/**
 * Two paths' depth-by-condition where they meet: the same, or the same result whose kinds were
 * narrowed differently on each path (what either still allows); undefined when they differ.
 */
function joinReadWhen(a: ReadWhen | undefined, b: ReadWhen | undefined): ReadWhen | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (sameReadWhen(a, b)) return a;
  const pa = a.possible;
  const pb = b.possible;
  if (
    pa === undefined ||
    pb === undefined ||
    !sameReadWhen({ ...a, possible: undefined }, { ...b, possible: undefined })
  )
    return undefined;
  return { ...a, possible: [...pa, ...pb.filter((t) => !pa.includes(t))] };
}

function sameReadWhen(a: ReadWhen | undefined, b: ReadWhen | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const pa = a.possible;
  const pb = b.possible;
  return (
    a.sym === b.sym &&
    a.whenTrue === b.whenTrue &&
    a.whenFalse === b.whenFalse &&
    a.stale === b.stale &&
    (pa === pb || (pa !== undefined && pb !== undefined && pa.length === pb.length && pa.every((t, i) => pb[i] === t)))
  );
}

/**
 * Whether two exact, different read depths meeting at a join are explained by opposite
 * assumptions on one unchanging condition; returns how, or undefined.
 */
export function correlatedDepth(a: FactState, b: FactState): ReadWhen | undefined {
  if (a.readMin !== a.readMax || b.readMin !== b.readMax || a.readMin === b.readMin) return undefined;
  for (const [sym, va] of a.assume) {
    const vb = b.assume.get(sym);
    if (vb === !va) return { sym, whenTrue: va ? a.readMin : b.readMin, whenFalse: va ? b.readMin : a.readMin };
  }
  return undefined;
}

export function emptyState(readDepth = 0): FactState {
  return {
    readMin: readDepth,
    readMax: readDepth,
    readTainted: false,
    locks: new Map(),
    objs: new Map(),
    tests: new Map(),
    assume: new Map(),
    readWhen: undefined,
  };
}

export function newObj(origin: Origin, loadSite: ts.Node | undefined, loadDepth: number): ObjFact {
  return {
    origin,
    loadSite,
    loadDepth,
    refHeld: undefined,
    pending: undefined,
    sectionEnded: undefined,
    incFailed: undefined,
    keyChecked: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Join
// ---------------------------------------------------------------------------------------------

function joinOrigin(a: Origin, b: Origin): Origin {
  if (a === b) return a;
  // An object that came from an RCU load on any path must be treated as one.
  if (a === 'rcu' || b === 'rcu') return 'rcu';
  return 'unknown';
}

function joinPending(
  a: PendingValidation | undefined,
  b: PendingValidation | undefined,
): PendingValidation | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const out = a.failed === undefined || b.failed !== undefined ? a : { ...a, failed: undefined };
  return out.outlived !== undefined || b.outlived === undefined ? out : { ...out, outlived: b.outlived };
}

function joinObj(a: ObjFact | undefined, b: ObjFact | undefined, bIsNull: boolean, aIsNull = false): ObjFact {
  if (a === undefined || b === undefined) {
    const x = (a ?? b)!;
    // Null on the other path: no object there, so nothing is owed on it; whatever holds of the
    // object holds wherever there is one (`if (obj) { pin … }`, `obj = null; break out`).
    if (a === undefined ? aIsNull : bIsNull) return x;
    // Tracked on one path only (assigned in one branch): keep may-facts, drop must-facts.
    return { ...x, refHeld: undefined, lastRef: undefined };
  }
  // No object on one path, null or a sentinel, tracked on both (`let vma = next(); if (vma) {
  // if (!pin(vma)) vma = new ErrPtr(…) }`): the same.
  const aNone = aIsNull || a.origin === 'none';
  const bNone = bIsNull || b.origin === 'none';
  if (aNone !== bNone) return aNone ? b : a;
  return {
    origin: joinOrigin(a.origin, b.origin),
    loadSite: a.loadSite ?? b.loadSite,
    loadDepth: Math.max(a.loadDepth, b.loadDepth),
    refHeld: a.refHeld !== undefined && b.refHeld !== undefined ? a.refHeld : undefined,
    pending: joinPending(a.pending, b.pending),
    sectionEnded: a.sectionEnded ?? b.sectionEnded,
    incFailed: a.incFailed ?? b.incFailed,
    keyChecked: a.keyChecked ?? b.keyChecked,
    lastRef: a.lastRef !== undefined && b.lastRef !== undefined ? a.lastRef : undefined,
    graceFreed: a.graceFreed ?? b.graceFreed,
  };
}

/**
 * Held on one side only (`mine`), not on `other`: held on some paths, but exactly when a
 * condition `other` assumed the opposite of holds — preferably that the lock's own object is
 * non-null (it is null on the other path), else the assumption it was taken under, else any.
 */
function oneSidedLock(l: LockFact, mine: FactState, other: FactState): LockFact {
  const opposite = (sym: ts.Symbol, value: boolean): boolean => other.assume.get(sym) === !value;
  let when: LockFact['when'];
  if (!l.must) when = l.when !== undefined && opposite(l.when.sym, l.when.value) ? l.when : undefined;
  else if (l.obj !== undefined && other.assume.get(l.obj) === false) when = { sym: l.obj, value: true };
  else if (l.when !== undefined && opposite(l.when.sym, l.when.value)) when = l.when;
  else {
    for (const [sym, v] of mine.assume) if (opposite(sym, v)) when = { sym, value: v };
  }
  return { ...l, must: false, when };
}

function sameCondition(a: LockFact['when'], b: LockFact['when']): boolean {
  return a === b || (a !== undefined && b !== undefined && a.sym === b.sym && a.value === b.value);
}

function sameTest(a: TestResult | undefined, b: TestResult | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.cond !== b.cond || a.pendingAt.size !== b.pendingAt.size) return false;
  for (const [sym, site] of a.pendingAt) if (b.pendingAt.get(sym) !== site) return false;
  return true;
}

export function joinStates(a: FactState, b: FactState): FactState {
  const readMin = Math.min(a.readMin, b.readMin);
  const readMax = Math.max(a.readMax, b.readMax);
  const locks = new Map<string, LockFact>();
  for (const [k, la] of a.locks) {
    const lb = b.locks.get(k);
    locks.set(
      k,
      lb === undefined
        ? oneSidedLock(la, a, b)
        : {
            ...la,
            must: la.must && lb.must,
            when: sameCondition(la.when, lb.when) ? la.when : undefined,
            pinnedPath: la.pinnedPath === lb.pinnedPath ? la.pinnedPath : undefined,
            keeps: la.keeps === lb.keeps ? la.keeps : undefined,
          },
    );
  }
  for (const [k, lb] of b.locks) if (!a.locks.has(k)) locks.set(k, oneSidedLock(lb, b, a));
  const assume = new Map<ts.Symbol, boolean>();
  for (const [sym, v] of a.assume) if (b.assume.get(sym) === v) assume.set(sym, v);
  const objs = new Map<ts.Symbol, ObjFact>();
  for (const [s, oa] of a.objs)
    objs.set(s, joinObj(oa, b.objs.get(s), b.assume.get(s) === false, a.assume.get(s) === false));
  for (const [s, ob] of b.objs)
    if (!a.objs.has(s)) objs.set(s, joinObj(undefined, ob, false, a.assume.get(s) === false));
  const tests = new Map<ts.Symbol, TestResult>();
  for (const [s, ta] of a.tests) if (sameTest(ta, b.tests.get(s))) tests.set(s, ta);
  const correlated = !a.readTainted && !b.readTainted ? correlatedDepth(a, b) : undefined;
  const sameWhen = joinReadWhen(a.readWhen, b.readWhen);
  return {
    readMin,
    readMax,
    readWhen: correlated ?? sameWhen,
    readTainted:
      a.readTainted ||
      b.readTainted ||
      (correlated === undefined && sameWhen === undefined && (a.readMin !== b.readMin || a.readMax !== b.readMax)),
    locks,
    objs,
    tests,
    assume,
  };
}

// ---------------------------------------------------------------------------------------------
// Equality (for the fixpoint test)
// ---------------------------------------------------------------------------------------------

function objEquals(a: ObjFact, b: ObjFact): boolean {
  return (
    a.origin === b.origin &&
    a.loadSite === b.loadSite &&
    a.loadDepth === b.loadDepth &&
    a.refHeld === b.refHeld &&
    a.pending?.site === b.pending?.site &&
    a.pending?.failed === b.pending?.failed &&
    a.pending?.outlived === b.pending?.outlived &&
    a.pending?.checkedBefore === b.pending?.checkedBefore &&
    a.sectionEnded === b.sectionEnded &&
    a.incFailed === b.incFailed &&
    a.keyChecked === b.keyChecked &&
    a.lastRef === b.lastRef &&
    a.graceFreed === b.graceFreed
  );
}

export function statesEqual(a: FactState, b: FactState): boolean {
  if (a === b) return true;
  if (a.readMin !== b.readMin || a.readMax !== b.readMax || a.readTainted !== b.readTainted) return false;
  if (!sameReadWhen(a.readWhen, b.readWhen)) return false;
  if (
    a.locks.size !== b.locks.size ||
    a.objs.size !== b.objs.size ||
    a.tests.size !== b.tests.size ||
    a.assume.size !== b.assume.size
  )
    return false;
  for (const [k, la] of a.locks) {
    const lb = b.locks.get(k);
    if (
      lb === undefined ||
      lb.must !== la.must ||
      lb.site !== la.site ||
      lb.obj !== la.obj ||
      lb.pinnedPath !== la.pinnedPath ||
      lb.keeps !== la.keeps ||
      !sameCondition(lb.when, la.when)
    )
      return false;
  }
  for (const [sym, v] of a.assume) if (b.assume.get(sym) !== v) return false;
  for (const [s, oa] of a.objs) {
    const ob = b.objs.get(s);
    if (ob === undefined || !objEquals(oa, ob)) return false;
  }
  for (const [s, ta] of a.tests) if (!sameTest(ta, b.tests.get(s))) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Updates
// ---------------------------------------------------------------------------------------------

export function withRead(s: FactState, delta: number): FactState {
  const w = s.readWhen;
  return {
    ...s,
    readMin: s.readMin + delta,
    readMax: s.readMax + delta,
    readWhen: w === undefined ? undefined : { ...w, whenTrue: w.whenTrue + delta, whenFalse: w.whenFalse + delta },
  };
}

/**
 * Widening for the solver: `next` (already joined with `prev`) at a block whose entry keeps
 * changing. A read-depth bound that moved again is set to unbounded, so that a loop taking the
 * read lock without releasing it reaches a fixpoint; every other fact has finite height. The
 * range is then tainted (the imbalance is reported where the paths met, not again downstream).
 */
export function widenStates(prev: FactState, next: FactState): FactState {
  const readMin = next.readMin < prev.readMin ? -Infinity : next.readMin;
  const readMax = next.readMax > prev.readMax ? Infinity : next.readMax;
  if (readMin === next.readMin && readMax === next.readMax) return next;
  return { ...next, readMin, readMax, readTainted: true, readWhen: undefined };
}

export function withLock(s: FactState, fact: LockFact): FactState {
  const locks = new Map(s.locks);
  locks.set(fact.key, fact);
  return { ...s, locks };
}

export function withoutLock(s: FactState, key: string): FactState {
  if (!s.locks.has(key)) return s;
  const locks = new Map(s.locks);
  locks.delete(key);
  return { ...s, locks };
}

export function withAssume(s: FactState, sym: ts.Symbol, value: boolean): FactState {
  const assume = new Map(s.assume);
  assume.delete(sym);
  assume.set(sym, value);
  return { ...s, assume };
}

export function withObj(s: FactState, sym: ts.Symbol, fact: ObjFact | undefined): FactState {
  const objs = new Map(s.objs);
  if (fact === undefined) objs.delete(sym);
  else objs.set(sym, fact);
  return { ...s, objs };
}

export function withTest(s: FactState, sym: ts.Symbol, t: TestResult | undefined): FactState {
  if (t === undefined && !s.tests.has(sym)) return s;
  const tests = new Map(s.tests);
  if (t === undefined) tests.delete(sym);
  else tests.set(sym, t);
  return { ...s, tests };
}

/**
 * Assigning `sym` (or losing track of its value): assumptions on it and everything correlated
 * with them no longer hold — the assumption, locks and read depth taken under it, and the
 * conditions kept in variables that read it.
 */
export function forget(s: FactState, sym: ts.Symbol): FactState {
  let out = s;
  if (out.assume.has(sym)) {
    const assume = new Map(out.assume);
    assume.delete(sym);
    out = { ...out, assume };
  }
  for (const l of out.locks.values()) if (l.when?.sym === sym) out = withLock(out, { ...l, when: undefined });
  if (out.readWhen?.sym === sym) out = { ...out, readWhen: { ...out.readWhen, stale: true } };
  return withTest(withoutTestsReading(out, sym), sym, undefined);
}

/** Conditions kept in variables that read `sym` no longer tell anything about it (reassigned, or its reference dropped). */
export function withoutTestsReading(s: FactState, sym: ts.Symbol): FactState {
  let out = s;
  for (const [t, r] of s.tests) if (r.mentions.has(sym)) out = withTest(out, t, undefined);
  return out;
}

/**
 * Whether lock `l` keeps the object in `sym` stable: it is that object's lock and is held on
 * every path, or on every path where the object is non-null (held when `sym` is truthy).
 */
export function lockHeldFor(l: LockFact, sym: ts.Symbol): boolean {
  return l.obj === sym && (l.must || (l.when?.sym === sym && l.when.value));
}

/** Whether `l`, reached through the object in `sym`, keeps it allocated wherever it is non-null. */
function keepsAllocated(l: LockFact, sym: ts.Symbol): boolean {
  return l.keeps === sym && (l.must || (l.when?.sym === sym && l.when.value));
}

/**
 * Whether the object in `sym` is stabilized here: fresh, owned, returned stable by a helper,
 * locked on every path (where it is non-null), or referenced on every path. (Whether its
 * identity was revalidated after locking is a separate question: see `pending`.)
 */
export function isStable(s: FactState, sym: ts.Symbol): boolean {
  for (const l of s.locks.values()) if (lockHeldFor(l, sym) || keepsAllocated(l, sym)) return true;
  const o = s.objs.get(sym);
  if (o === undefined) return false;
  if (o.origin === 'fresh' || o.origin === 'owned' || o.origin === 'stable' || o.origin === 'none') return true;
  return o.refHeld !== undefined;
}

/**
 * Whether the object in `sym` stays protected when its read-side section ends. A reference
 * keeps its memory, and so does being fresh, owned or returned stable; a lock does only once
 * the object's identity has been revalidated under it. Before that (or on the path where the
 * re-check failed) the object may be another one that its owner frees without taking our lock,
 * and once the section has ended its slab's pages may be given back: even unlocking it is a
 * use after free.
 */
export function protectedPastSection(s: FactState, sym: ts.Symbol): boolean {
  if (!isStable(s, sym)) return false;
  const o = s.objs.get(sym);
  return o?.pending?.kind !== 'lock' || o.refHeld !== undefined;
}
