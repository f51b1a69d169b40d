/**
 * @fileoverview The calls of a function that the program holds, whether or not it may also be
 * called from code the checker never sees (an exported helper). Not a contract (call-sites.ts
 * says when the list is complete), but evidence of one: when the project's own callers rely on
 * what a helper answers, the helper's author meant it to answer that way.
 */

import { ts } from 'ts-morph';
import type { FunctionLike } from '../ast.js';
import { calleeCall, namesOf } from './call-sites.js';

/** The identifier a function is referred to by: a declaration's name, or its `const`'s. */
function nameOf(fn: FunctionLike): ts.Identifier | undefined {
  if (ts.isFunctionDeclaration(fn)) return fn.name;
  if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent))
    return fn.parent.initializer === fn && ts.isIdentifier(fn.parent.name) ? fn.parent.name : undefined;
  return undefined;
}

/** Direct calls of `fn` in the program's own (non-declaration) files, imports followed. */
export function visibleCallSites(fn: FunctionLike, program: ts.Program, checker: ts.TypeChecker): ts.CallExpression[] {
  const name = nameOf(fn);
  const sym = name === undefined ? undefined : checker.getSymbolAtLocation(name);
  if (name === undefined || sym === undefined) return [];
  const calls: ts.CallExpression[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile) continue;
    for (const ref of namesOf(sf).get(name.text) ?? []) {
      if (ref === name) continue;
      let s = checker.getSymbolAtLocation(ref);
      if (s !== undefined && (s.flags & ts.SymbolFlags.Alias) !== 0) s = checker.getAliasedSymbol(s);
      if (s !== sym) continue;
      const call = calleeCall(ref);
      if (call !== undefined) calls.push(call);
    }
  }
  return calls;
}
