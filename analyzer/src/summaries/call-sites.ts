/**
 * @fileoverview Who can call a function. A private helper — a function declaration or a
 * `const` function that is not exported, or a class's private method — whose every reference
 * is a direct call has all its callers in the project, and those calls are the list. Anything
 * else (exported, public, default-exported, passed or stored as a value) may be called from
 * code the checker never sees: its contract has to be written down (`@acquires`), not inferred.
 */

import { ts } from 'ts-morph';
import { isTopLevelCode, type FunctionLike } from '../ast.js';

/** Identifiers (and private names) of a file by text: finding a name's references is a map lookup. */
const namesOfFile = new WeakMap<ts.SourceFile, Map<string, ts.Node[]>>();

export function namesOf(sf: ts.SourceFile): Map<string, ts.Node[]> {
  let m = namesOfFile.get(sf);
  if (m !== undefined) return m;
  const found = new Map<string, ts.Node[]>();
  // An explicit work stack: generated code nests deeper than the call stack allows.
  const stack: ts.Node[] = [sf];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) {
      let list = found.get(n.text);
      if (list === undefined) found.set(n.text, (list = []));
      list.push(n);
      continue;
    }
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  m = found;
  namesOfFile.set(sf, m);
  return m;
}

/** The name a private helper is called by, or undefined when the function may have callers outside. */
function privateName(fn: FunctionLike): ts.Identifier | ts.PrivateIdentifier | undefined {
  if (isTopLevelCode(fn)) return undefined;
  if (ts.isFunctionDeclaration(fn)) {
    const flags = ts.getCombinedModifierFlags(fn);
    if ((flags & (ts.ModifierFlags.Export | ts.ModifierFlags.Default)) !== 0) return undefined;
    return fn.name;
  }
  if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
    const binding = constBinding(fn);
    return binding === undefined || isExported(binding) ? undefined : binding.name;
  }
  if (ts.isMethodDeclaration(fn)) {
    if (ts.isPrivateIdentifier(fn.name)) return fn.name;
    const flags = ts.getCombinedModifierFlags(fn);
    if ((flags & ts.ModifierFlags.Private) !== 0 && ts.isIdentifier(fn.name)) return fn.name;
  }
  return undefined;
}

/** Whether `ref` is the name of one of the symbol's declarations (an overload signature's too). */
function declaresName(sym: ts.Symbol, ref: ts.Node): boolean {
  return sym.declarations?.some((d) => (d as ts.NamedDeclaration).name === ref) === true;
}

/** Whether a reference to the function is the callee of a call: `f(…)`, `this.m(…)`, `this.#m(…)`. */
export function calleeCall(ref: ts.Node): ts.CallExpression | undefined {
  let callee: ts.Node = ref;
  if (ts.isPropertyAccessExpression(ref.parent) && ref.parent.name === ref) callee = ref.parent;
  while (ts.isParenthesizedExpression(callee.parent) || ts.isNonNullExpression(callee.parent)) callee = callee.parent;
  const p = callee.parent;
  return ts.isCallExpression(p) && p.expression === callee ? p : undefined;
}

const sitesCache = new WeakMap<ts.Node, readonly ts.CallExpression[] | null>();

/**
 * The direct calls of a private helper whose every reference is one (recursive calls
 * included), or undefined when it may be called from elsewhere.
 */
export function directCallSites(fn: FunctionLike, checker: ts.TypeChecker): readonly ts.CallExpression[] | undefined {
  const cached = sitesCache.get(fn);
  if (cached !== undefined) return cached ?? undefined;
  const result = computeCallSites(fn, checker);
  sitesCache.set(fn, result ?? null);
  return result;
}

function computeCallSites(fn: FunctionLike, checker: ts.TypeChecker): readonly ts.CallExpression[] | undefined {
  const name = privateName(fn);
  if (name === undefined) return undefined;
  const sym = checker.getSymbolAtLocation(name);
  if (sym === undefined) return undefined;
  const calls: ts.CallExpression[] = [];
  for (const ref of namesOf(fn.getSourceFile()).get(name.text) ?? []) {
    if (declaresName(sym, ref) || checker.getSymbolAtLocation(ref) !== sym) continue;
    const call = calleeCall(ref);
    if (call === undefined) return undefined;
    calls.push(call);
  }
  return calls;
}

/** The name an exported function is declared by, or undefined (a method, a default export, an expression). */
function exportedName(fn: FunctionLike): ts.Identifier | undefined {
  if (isTopLevelCode(fn)) return undefined;
  if (ts.isFunctionDeclaration(fn)) {
    const flags = ts.getCombinedModifierFlags(fn);
    if ((flags & ts.ModifierFlags.Default) !== 0 || (flags & ts.ModifierFlags.Export) === 0) return undefined;
    return fn.name;
  }
  if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
    const binding = constBinding(fn);
    return binding !== undefined && isExported(binding) ? binding.name : undefined;
  }
  return undefined;
}

/** The `const name = <fn>` declaration a function expression is bound by, or undefined. */
function constBinding(
  fn: ts.ArrowFunction | ts.FunctionExpression,
): (ts.VariableDeclaration & { readonly name: ts.Identifier }) | undefined {
  const decl = fn.parent;
  if (!ts.isVariableDeclaration(decl) || decl.initializer !== fn || !ts.isIdentifier(decl.name)) return undefined;
  const list = decl.parent;
  if (!ts.isVariableDeclarationList(list) || (list.flags & ts.NodeFlags.Const) === 0) return undefined;
  return decl as ts.VariableDeclaration & { readonly name: ts.Identifier };
}

function isExported(decl: ts.VariableDeclaration): boolean {
  return (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Export) !== 0;
}

const projectSitesCache = new WeakMap<ts.Node, readonly ts.CallExpression[] | null>();

/**
 * The calls, anywhere in the program's own files, of an exported function that the project
 * only ever calls by name (imports and re-exports aside); undefined when it is used as a value
 * somewhere, or is not a named function. Callers outside the program are never in the list.
 */
export function projectCallSites(
  fn: FunctionLike,
  checker: ts.TypeChecker,
  program: ts.Program,
): readonly ts.CallExpression[] | undefined {
  const cached = projectSitesCache.get(fn);
  if (cached !== undefined) return cached ?? undefined;
  const result = computeProjectSites(fn, checker, program);
  projectSitesCache.set(fn, result ?? null);
  return result;
}

function computeProjectSites(
  fn: FunctionLike,
  checker: ts.TypeChecker,
  program: ts.Program,
): readonly ts.CallExpression[] | undefined {
  const name = exportedName(fn);
  const sym = name === undefined ? undefined : checker.getSymbolAtLocation(name);
  if (name === undefined || sym === undefined) return undefined;
  const resolve = (s: ts.Symbol): ts.Symbol =>
    (s.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(s) : s;
  const calls: ts.CallExpression[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile) continue;
    for (const ref of namesOf(sf).get(name.text) ?? []) {
      if (declaresName(sym, ref)) continue;
      const s = checker.getSymbolAtLocation(ref);
      if (s === undefined || resolve(s) !== sym) continue;
      const call = calleeCall(ref);
      if (call !== undefined) {
        calls.push(call);
        continue;
      }
      // An import or re-export under the same name; one that renames it hides calls from this search.
      const p = ref.parent;
      if (!(ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) || p.propertyName !== undefined) return undefined;
    }
  }
  return calls;
}
