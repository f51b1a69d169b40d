/**
 * @fileoverview Which data a lock guards, inferred from how the project's code uses it, in the
 * spirit of Clang's GUARDED_BY but without annotations (and with them: `@guardedBy <lock>` on a
 * struct field, primitives/slab-model.ts). For one member of one struct (a field, or the object
 * handed to one callee: dataflow/member-access.ts), MemberUses lists every use in the program
 * with what was known there: which of the object's own spinlock fields were held on every path,
 * whether a read-side section was, whether the object was still being initialized. Whether those
 * uses make the member guarded, and what deviates, is the rule's judgement
 * (rules/unguarded-access.ts); this file only gathers the evidence, once per member, on demand.
 */

import { ts } from 'ts-morph';
import { isFunctionLike, isTopLevelCode, rootIdentifier, skipParens, type FunctionLike } from '../ast.js';
import type { FactEvent, MemberAccess } from '../dataflow/events.js';
import type { FactState } from '../dataflow/facts.js';
import type { Primitives } from '../primitives/primitives.js';
import type { StructDecl } from '../primitives/slab-model.js';
import { normalizeLockText } from './annotations.js';
import type { FunctionAnalysis } from './function-analysis.js';

/** One use of a struct member, somewhere in the program. */
export interface MemberUse {
  readonly fn: FunctionLike;
  readonly node: ts.Node;
  readonly base: ts.Expression;
  readonly how: MemberAccess['how'];
  /** The object's own spinlock fields held on every path to the use. */
  readonly held: ReadonlySet<string>;
  /** Inside a read-side section on every path (a lockless RCU reader may read there). */
  readonly inSection: boolean;
  /**
   * On an object the function allocated itself, in a cache constructor, or after dropping its
   * last reference: nobody else can see it, so no lock is needed (Clang exempts constructors
   * and destructors alike).
   */
  readonly fresh: boolean;
}

/** What the model needs from the engine: the program's functions and the analyses rules read. */
export interface AnalysisSource {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;
  functionsOf(sf: ts.SourceFile): FunctionLike[];
  analysisOf(fn: FunctionLike): FunctionAnalysis | undefined;
  baseAnalysisOf(fn: FunctionLike): FunctionAnalysis | undefined;
  calleeFunction(call: ts.CallExpression): FunctionLike | undefined;
}

/** A field a project helper reads or writes on one of its parameters, without that object's lock. */
export interface ParamFieldUse {
  readonly callee: FunctionLike;
  readonly node: ts.Node;
  readonly access: MemberAccess;
}

/** `x.f`'s lock text for the lock field `lock` of x: `task.allocLock` for `task.files`. */
export function lockKeyOf(base: ts.Expression, lock: string): string {
  return `${normalizeLockText(skipParens(base).getText())}.${lock}`;
}

/** Whether the object `base` names has its spinlock field `lock` held in `state`: on every path (`must`), or on some. */
export function lockHeld(
  state: FactState,
  base: ts.Expression,
  baseSym: ts.Symbol | undefined,
  lock: string,
  must: boolean,
): boolean {
  const direct = state.locks.get(lockKeyOf(base, lock));
  if (direct !== undefined && (direct.must || !must)) return true;
  if (baseSym === undefined) return false;
  for (const l of state.locks.values()) if (l.obj === baseSym && l.field === lock && (l.must || !must)) return true;
  return false;
}

/** The spinlock fields of a struct. */
export function lockFieldsOf(struct: StructDecl): string[] {
  return [...struct.fields].filter(([, kind]) => kind === 'spinlock').map(([name]) => name);
}

export class GuardedByModel {
  private readonly uses = new Map<string, MemberUse[]>();

  constructor(private readonly source: AnalysisSource) {}

  /**
   * The fields of the object handed as argument `index` of `call` that the project function it
   * calls reads or writes without the object's lock `lock` (as the function is entered on its
   * own, before its callers' facts): what the call does to that object, on the caller's locks.
   */
  paramFieldUses(call: ts.CallExpression, index: number, lock: string): ParamFieldUse[] {
    const callee = this.source.calleeFunction(call);
    const param = callee === undefined || isTopLevelCode(callee) ? undefined : callee.parameters[index];
    if (callee === undefined || param === undefined || !ts.isIdentifier(param.name)) return [];
    const psym = this.source.checker.getSymbolAtLocation(param.name);
    let analysis: FunctionAnalysis | undefined;
    try {
      analysis = this.source.baseAnalysisOf(callee);
    } catch {
      return [];
    }
    const out: ParamFieldUse[] = [];
    for (const e of analysis?.events ?? []) {
      if (e.kind !== 'access' || e.access.how === 'call') continue;
      const sym = baseSymbol(this.source.checker, e.base);
      if (sym !== psym || lockHeld(e.state, e.base, sym, lock, false)) continue;
      if (!out.some((u) => u.node === e.node)) out.push({ callee, node: e.node, access: e.access });
    }
    return out;
  }

  /** Every use of `access`'s member of its struct in the program's own files. */
  usesOf(access: MemberAccess): readonly MemberUse[] {
    const id = `${access.struct.call.pos}:${access.struct.call.getSourceFile().fileName}|${access.key}`;
    const known = this.uses.get(id);
    if (known !== undefined) return known;
    const needle = access.how === 'call' ? access.member.slice(0, -2) : access.member;
    const out: MemberUse[] = [];
    for (const sf of this.source.program.getSourceFiles()) {
      if (sf.isDeclarationFile || sf.fileName.includes('/node_modules/') || !sf.text.includes(needle)) continue;
      for (const fn of this.source.functionsOf(sf)) {
        let analysis: FunctionAnalysis | undefined;
        try {
          analysis = this.source.analysisOf(fn);
        } catch {
          continue; // the engine lists such a function as skipped; it gives no evidence
        }
        if (analysis !== undefined) collect(this.source, fn, analysis.events, access, out);
      }
    }
    this.uses.set(id, out);
    return out;
  }
}

function collect(
  { primitives, checker }: AnalysisSource,
  fn: FunctionLike,
  events: readonly FactEvent[],
  want: MemberAccess,
  out: MemberUse[],
): void {
  const seen = new Set<ts.Node>();
  const locks = lockFieldsOf(want.struct);
  const ctor = primitives.slab.isCacheCallback(fn);
  for (const e of events) {
    if (e.kind !== 'access' || e.access.key !== want.key || e.access.struct.call !== want.struct.call) continue;
    // A write is seen twice (the access, then the assignment).
    if (seen.has(e.node)) continue;
    seen.add(e.node);
    const sym = baseSymbol(checker, e.base);
    out.push({
      fn,
      node: e.node,
      base: e.base,
      how: e.access.how,
      held: new Set(locks.filter((l) => lockHeld(e.state, e.base, sym, l, true))),
      inSection: e.state.readMin > 0,
      fresh: ctor || isExclusive({ primitives, checker }, e.node, e.base, sym),
    });
  }
}

export function baseSymbol(checker: ts.TypeChecker, base: ts.Expression): ts.Symbol | undefined {
  const b = skipParens(base);
  return ts.isIdentifier(b) ? checker.getSymbolAtLocation(b) : undefined;
}

/**
 * Whether the object at `base` is this function's alone where `node` uses it: allocated here and
 * not yet published, or on the branch where refcountDecAndTest() dropped its last reference
 * (`if (refcountDecAndTest(x.count)) x.f = 0;`, the teardown that precedes the free).
 */
export function isExclusive(
  { primitives, checker }: Pick<AnalysisSource, 'primitives' | 'checker'>,
  node: ts.Node,
  base: ts.Expression,
  sym: ts.Symbol | undefined,
): boolean {
  if (sym === undefined) return false;
  if (isFresh(primitives, base, sym)) return true;
  for (let x: ts.Node = node; !ts.isSourceFile(x.parent) && !isFunctionLike(x.parent); x = x.parent) {
    const p = x.parent;
    if (ts.isIfStatement(p) && p.thenStatement === x && dropsLastRef(primitives, checker, p.expression, sym))
      return true;
  }
  return false;
}

/** `refcountDecAndTest(x.count)`, alone or as an operand of `&&`, on the variable `sym`. */
function dropsLastRef(primitives: Primitives, checker: ts.TypeChecker, cond: ts.Expression, sym: ts.Symbol): boolean {
  const work = [cond];
  for (let e = work.pop(); e !== undefined; e = work.pop()) {
    const c = skipParens(e);
    if (ts.isBinaryExpression(c) && c.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
      work.push(c.left, c.right);
    } else if (ts.isCallExpression(c) && primitives.callKind(c) === 'refcountDecAndTest') {
      const root = rootIdentifier(c.arguments[0]);
      if (root !== undefined && checker.getSymbolAtLocation(root) === sym) return true;
    }
  }
  return false;
}

/** `const x = kmemCacheAlloc(…)`: an object this function allocated. */
function isFresh(primitives: Primitives, base: ts.Expression, sym: ts.Symbol | undefined): boolean {
  const decl = sym?.valueDeclaration;
  if (decl === undefined || !ts.isVariableDeclaration(decl) || decl.initializer === undefined) return false;
  if ((decl.parent.flags & ts.NodeFlags.Const) === 0 || !ts.isIdentifier(skipParens(base))) return false;
  const init = skipParens(decl.initializer);
  return ts.isCallExpression(init) && primitives.callKind(init) === 'kmemCacheAlloc';
}
