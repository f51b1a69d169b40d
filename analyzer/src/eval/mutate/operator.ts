/**
 * @fileoverview What a mutation operator is, and the view of one function it works on.
 *
 * An operator derives one-bug variants of a function mechanically from its syntax tree, with
 * primitives recognized by symbol exactly as the checker recognizes them (never by name). Each
 * mutant is a few text edits at the spans of AST nodes, a one-line description of the change
 * (stable across unrelated edits: no line numbers, so it can name a survivor), the rules that
 * must report it, and the *judged lines*: where a finding of one of those rules counts as
 * catching this bug. A finding of the right rule elsewhere, or of another rule, does not.
 */

import { ts } from 'ts-morph';
import { functionName, isFunctionLike, isLoop, rootIdentifier, skipParens, type FunctionLike } from '../../ast.js';
import type { ProgramAnalysis } from '../../engine/program-analysis.js';
import type { CallKind, Primitives } from '../../primitives/primitives.js';
import { readAnnotations } from '../../summaries/annotations.js';
import type { FunctionSummary } from '../../summaries/summary.js';
import { lineBreaksOf, oneLine, type TextEdit } from './edits.js';

export type OperatorId =
  | 'drop-read-unlock-one-path'
  | 'drop-read-lock'
  | 'drop-spin-unlock-one-path'
  | 'unlock-before-last-use'
  | 'delete-recheck'
  | 'neutralize-recheck'
  | 'move-recheck-before-pin'
  | 'invert-inc-not-zero'
  | 'ignore-inc-not-zero'
  | 'write-after-publish'
  | 'await-in-section'
  | 'block-in-section'
  | 'return-unpinned'
  | 'free-without-grace-period';

/**
 * Lines of the mutant where a finding counts: original offsets `[from, to]` mapped through the
 * edits (their lines and every line between), or the text an edit put in.
 */
export type JudgedSpan = { readonly from: number; readonly to: number } | { readonly inserted: number };

export interface MutantDraft {
  readonly edits: readonly TextEdit[];
  /** The change in one line, without line numbers: `delete \`rcuReadUnlock();\``. */
  readonly description: string;
  readonly judged: readonly JudgedSpan[];
  /** Rules that kill it, when narrower or wider than the operator's (documented there). */
  readonly rules?: readonly string[];
}

export interface MutationOperator {
  readonly id: OperatorId;
  /** Any one of these, reporting on a judged line, kills the mutant. */
  readonly rules: readonly string[];
  /** What it changes, and where the finding must be. */
  readonly summary: string;
  generate(scope: FunctionScope): MutantDraft[];
}

/** One function (or a file's top level) of a target file, as operators see it. */
export class FunctionScope {
  readonly text: string;
  private ownCache: ts.Node[] | undefined;

  readonly checker: ts.TypeChecker;
  readonly primitives: Primitives;

  constructor(
    readonly sf: ts.SourceFile,
    readonly fn: FunctionLike,
    private readonly analysis: ProgramAnalysis,
  ) {
    this.text = sf.text;
    this.checker = analysis.checker;
    this.primitives = analysis.primitives;
  }

  /** What a call to a project function does, as the checker infers it (undefined for other calls). */
  summaryOf(call: ts.CallExpression): FunctionSummary | undefined {
    return this.analysis.summaryOfCall(call);
  }

  /** Every node that belongs to this function, not to a function nested in it, in source order. */
  ownNodes(): readonly ts.Node[] {
    if (this.ownCache !== undefined) return this.ownCache;
    const out: ts.Node[] = [];
    const visit = (n: ts.Node): void => {
      out.push(n);
      if (isFunctionLike(n) || ts.isClassStaticBlockDeclaration(n)) return;
      ts.forEachChild(n, visit);
    };
    const body = ts.isSourceFile(this.fn) ? this.fn : this.fn.body;
    if (body !== undefined) ts.forEachChild(body, visit);
    this.ownCache = out;
    return out;
  }

  /** Own calls of one of the given primitive kinds, in source order. */
  calls(...kinds: CallKind[]): ts.CallExpression[] {
    const want = new Set<CallKind>(kinds);
    return this.ownNodes().filter(
      (n): n is ts.CallExpression => ts.isCallExpression(n) && want.has(this.primitives.callKind(n) as CallKind),
    );
  }

  kindOf(n: ts.Node): CallKind | undefined {
    return ts.isCallExpression(n) ? this.primitives.callKind(n) : undefined;
  }

  /** `using x = <call of kind>` statements of this function. */
  usingGuards(kind: CallKind): ts.VariableStatement[] {
    return this.ownNodes().filter((n): n is ts.VariableStatement => {
      if (!ts.isVariableStatement(n) || !isUsingList(n.declarationList)) return false;
      const init = n.declarationList.declarations[0]?.initializer;
      return (
        n.declarationList.declarations.length === 1 && init !== undefined && this.kindOf(skipParens(init)) === kind
      );
    });
  }

  /**
   * The variable at the root of `x.f.g` (or `x` itself). A lock or refcount handle held in a
   * local (`const l = x.siglock; spinLock(l)`) leads on to `x`.
   */
  rootSymbol(e: ts.Expression | undefined): ts.Symbol | undefined {
    const id = rootIdentifier(e);
    const sym = id === undefined ? undefined : this.checker.getSymbolAtLocation(id);
    if (e === undefined || !ts.isIdentifier(skipParens(e))) return sym;
    const decl = sym?.valueDeclaration;
    if (
      decl !== undefined &&
      ts.isVariableDeclaration(decl) &&
      decl.initializer !== undefined &&
      (decl.parent.flags & ts.NodeFlags.Const) !== 0
    ) {
      const init = skipParens(decl.initializer);
      if (ts.isPropertyAccessExpression(init)) return this.rootSymbol(init) ?? sym;
    }
    return sym;
  }

  /**
   * Whether `sym` holds an object nobody else can reach or free under this function: allocated
   * here (`kmemCacheAlloc`, or a helper returning a fresh object) or declared `@owned`. Its lock
   * or reference is not what keeps it stable, so removing or moving them is not an RCU bug.
   */
  isStableByOrigin(sym: ts.Symbol): boolean {
    const decl = sym.valueDeclaration;
    if (decl !== undefined && ts.isParameter(decl) && ts.isIdentifier(decl.name)) {
      return !ts.isSourceFile(this.fn) && readAnnotations(this.fn).owned.includes(decl.name.text);
    }
    if (decl === undefined || !ts.isVariableDeclaration(decl) || decl.initializer === undefined) return false;
    const init = skipParens(decl.initializer);
    return (
      ts.isCallExpression(init) &&
      (this.kindOf(init) === 'kmemCacheAlloc' || this.summaryOf(init)?.returnsFresh === true)
    );
  }

  /**
   * Whether `sym` holds an object whose identity does not hang on a lock taken here: stable by
   * origin, or referenced — by a `refcountIncNotZero` on it earlier in this function, or because
   * it came from a lookup that returns a reference (`table.lookup()`, or a project helper whose
   * summary says it returns a stable object that is not merely locked).
   */
  isReferenced(sym: ts.Symbol, before: number): boolean {
    if (this.isStableByOrigin(sym)) return true;
    const decl = sym.valueDeclaration;
    const init =
      decl !== undefined && ts.isVariableDeclaration(decl) && decl.initializer !== undefined
        ? skipParens(decl.initializer)
        : undefined;
    if (init !== undefined && ts.isCallExpression(init)) {
      const kind = this.kindOf(init);
      if (kind === 'tableLookup' || kind === 'tableLookupLocked') return true;
      const s = kind === undefined ? this.summaryOf(init) : undefined;
      if (s !== undefined && s.returnsStable && s.returnsLockedField === undefined) return true;
    }
    return this.calls('refcountIncNotZero').some((c) => c.end <= before && this.rootSymbol(c.arguments[0]) === sym);
  }

  /** This function's own summary, as callers see it. */
  get summary(): FunctionSummary | undefined {
    return this.analysis.analysisOf(this.fn)?.summary;
  }

  /** Calls to this function from elsewhere in its file, each with the function-like that makes it. */
  callersInFile(): Array<{ call: ts.CallExpression; caller: ts.Node }> {
    const out: Array<{ call: ts.CallExpression; caller: ts.Node }> = [];
    const visit = (n: ts.Node, caller: ts.Node): void => {
      if (ts.isCallExpression(n) && caller !== this.fn && this.analysis.calleeFunction(n) === this.fn)
        out.push({ call: n, caller });
      ts.forEachChild(n, (c) => visit(c, isFunctionLike(n) && n.body !== undefined ? n : caller));
    };
    visit(this.sf, this.sf);
    return out;
  }

  /** Whether `node` mentions the variable `sym` (nested functions included: a use is a use). */
  mentions(node: ts.Node, sym: ts.Symbol): boolean {
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isIdentifier(n) && this.checker.getSymbolAtLocation(n) === sym) found = true;
      else ts.forEachChild(n, visit);
    };
    visit(node);
    return found;
  }

  /** Whether a node inside `node` satisfies `pred` (own code only: nested functions are not entered). */
  contains(node: ts.Node, pred: (n: ts.Node) => boolean): boolean {
    return someNode(node, pred, false);
  }

  /** The same, nested functions included. */
  containsDeep(node: ts.Node, pred: (n: ts.Node) => boolean): boolean {
    return someNode(node, pred, true);
  }

  /** The function's display name, stable across edits elsewhere: `lockTaskSighand`, `Table.get`, `outer/<arrow#2>`. */
  get name(): string {
    return stableName(this.fn);
  }

  /** Offset just past the function's last character. */
  get end(): number {
    return this.fn.end;
  }

  src(n: ts.Node): string {
    return n.getText(this.sf);
  }

  /** A node's text for a description: one line, shortened. */
  show(n: ts.Node): string {
    return oneLine(this.src(n));
  }

  /** Leading indentation of the line `n` starts on. */
  indentOf(n: ts.Node): string {
    const start = n.getStart(this.sf);
    const lineStart = this.text.lastIndexOf('\n', start - 1) + 1;
    return /^[ \t]*/.exec(this.text.slice(lineStart, start))![0];
  }

  // -----------------------------------------------------------------------------------------
  // Edits that keep the program well formed
  // -----------------------------------------------------------------------------------------

  /** Delete a statement. In a statement list only its line breaks stay; elsewhere (`if (c) s;`) it becomes `{}`. */
  removeStatement(st: ts.Statement): TextEdit {
    const start = st.getStart(this.sf);
    const breaks = lineBreaksOf(this.text.slice(start, st.end));
    return { start, end: st.end, text: inStatementList(st) ? breaks : `{}${breaks}` };
  }

  /** Replace a statement by `text`, wrapped in braces where it must stay one statement. */
  replaceStatement(st: ts.Statement, text: string, single: boolean): TextEdit {
    return { start: st.getStart(this.sf), end: st.end, text: single || inStatementList(st) ? text : `{ ${text} }` };
  }

  /**
   * Move `st` to just before `target` (same statement list or an enclosing one): removed with its
   * leading trivia, reinserted on its own line(s) with the target's indentation. `text` replaces
   * the moved statement's text when given.
   */
  moveBefore(st: ts.Statement, target: ts.Statement, text = this.src(st)): TextEdit[] {
    return [
      { start: st.pos, end: st.end, text: '' },
      { start: target.getStart(this.sf), end: target.getStart(this.sf), text: `${text}\n${this.indentOf(target)}` },
    ];
  }

  /** Move `st` to just after `target`. */
  moveAfter(st: ts.Statement, target: ts.Statement, text = this.src(st)): TextEdit[] {
    return [
      { start: st.pos, end: st.end, text: '' },
      { start: target.end, end: target.end, text: `\n${this.indentOf(target)}${text}` },
    ];
  }

  /** The statement a node is part of, directly inside a statement list (a block, a case, the file). */
  listStatement(n: ts.Node): ts.Statement | undefined {
    let x: ts.Node = n;
    while (x !== this.fn && !ts.isSourceFile(x)) {
      if (isStatement(x) && inStatementList(x)) return x;
      if (isFunctionLike(x)) return undefined;
      x = x.parent;
    }
    return undefined;
  }

  /** The expression statement whose whole expression is `call` (parentheses aside). */
  callStatement(call: ts.CallExpression): ts.ExpressionStatement | undefined {
    let p: ts.Node = call.parent;
    while (ts.isParenthesizedExpression(p)) p = p.parent;
    return ts.isExpressionStatement(p) ? p : undefined;
  }

  /** Statements of this function that enclose `n`, innermost first. */
  enclosingStatements(n: ts.Node): ts.Statement[] {
    const out: ts.Statement[] = [];
    for (
      let x = n.parent as ts.Node | undefined;
      x !== undefined && x !== this.fn;
      x = x.parent as ts.Node | undefined
    ) {
      if (isFunctionLike(x)) break;
      if (isStatement(x)) out.push(x);
    }
    return out;
  }

  /**
   * Where a leak introduced at `site` shows: from the site to the end of the function (exits,
   * later joins), the first line of every statement enclosing it (the join after an `if` is
   * reported on the `if`, a loop's back edge on the loop), and the whole of the outermost loop
   * around it (what leaks into the next iteration is met there: a lock taken again).
   */
  leakRegion(site: ts.Node): JudgedSpan[] {
    const spans: JudgedSpan[] = [{ from: site.getStart(this.sf), to: this.end }];
    for (const s of this.enclosingStatements(site)) {
      const start = s.getStart(this.sf);
      spans.push({ from: start, to: start });
      if (isLoop(s)) spans.push({ from: start, to: s.end });
    }
    return spans;
  }
}

/** `using x = …` (not `await using`: its guards are async disposables, which rcukit's are not). */
/**
 * A boolean constant as mutants write it: `(true as boolean)`. A bare `true` in a condition makes
 * TypeScript take the other branch as unreachable, narrow nothing there, and reject the mutant
 * with errors that are not the mutation's; the checker's graph folds both forms alike.
 */
export function constant(v: boolean): string {
  return `(${v} as boolean)`;
}

function someNode(node: ts.Node, pred: (n: ts.Node) => boolean, deep: boolean): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (pred(n)) found = true;
    else if (deep || !isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

export function isUsingList(list: ts.VariableDeclarationList): boolean {
  const kind: ts.NodeFlags = list.flags & ts.NodeFlags.AwaitUsing;
  return kind === ts.NodeFlags.Using;
}

function isStatement(n: ts.Node): n is ts.Statement {
  return ts.isStatement(n) || ts.isVariableStatement(n) || ts.isBlock(n);
}

/** Whether a statement sits in a list of statements, where it can be removed or have siblings inserted. */
export function inStatementList(st: ts.Node): boolean {
  const p = st.parent;
  return ts.isBlock(p) || ts.isSourceFile(p) || ts.isCaseClause(p) || ts.isDefaultClause(p) || ts.isModuleBlock(p);
}

/**
 * A name for a function that survives edits elsewhere in the file: its own name where it has
 * one (`Class.method`), else its enclosing function's name and its rank among that function's
 * unnamed functions (`sweep/<arrow#2>`); `<top>` for a file's top level.
 */
export function stableName(fn: FunctionLike): string {
  const own = functionName(fn);
  if (!own.startsWith('<') || own === '<top>') return own;
  let parent: ts.Node = fn.parent;
  while (!ts.isSourceFile(parent) && !(isFunctionLike(parent) && parent.body !== undefined)) parent = parent.parent;
  const siblings: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if (isFunctionLike(n)) {
      if (n.body !== undefined && functionName(n).startsWith('<')) siblings.push(n);
      return;
    }
    ts.forEachChild(n, visit);
  };
  const body = ts.isSourceFile(parent) ? parent : parent.body;
  if (body !== undefined) ts.forEachChild(body, visit);
  const kind = ts.isArrowFunction(fn) ? 'arrow' : 'function';
  return `${stableName(parent)}/<${kind}#${siblings.indexOf(fn) + 1}>`;
}
