/**
 * @fileoverview The host's collections BY SYMBOL, as host-apis.ts recognizes its callbacks:
 * which methods of TypeScript's lib `Map`, `Set` and `Array` (and their read-only views) put a
 * value into the collection, and which only read it. summaries/pinned-collections.ts judges a
 * collection by every value put into it; a method declared anywhere else (a user's own `set`)
 * is neither, and a collection handed to one escapes.
 */

import { ts } from 'ts-morph';

/** The lib interfaces whose instances are collections of values. */
const COLLECTIONS: ReadonlySet<string> = new Set([
  'Map',
  'ReadonlyMap',
  'Set',
  'ReadonlySet',
  'Array',
  'ReadonlyArray',
]);

/**
 * A method that stores some of its arguments: their indexes, `rest` from there on
 * (`push(...items)`, `splice(start, count, ...items)`). A Map stores its keys as well as its
 * values: a map keyed by objects holds them too.
 */
const STORES: ReadonlyMap<string, { readonly from: number; readonly rest: boolean; readonly count?: number }> = new Map(
  [
    ['set', { from: 0, rest: false, count: 2 }],
    ['add', { from: 0, rest: false, count: 1 }],
    ['push', { from: 0, rest: true }],
    ['unshift', { from: 0, rest: true }],
    ['splice', { from: 2, rest: true }],
    ['fill', { from: 0, rest: false, count: 1 }],
  ],
);

export type CollectionMethod =
  /** Puts the arguments it returns into the collection. */
  | { readonly kind: 'store'; readonly stored: (call: ts.CallExpression) => readonly ts.Expression[] }
  /** Reads, removes or walks; whatever it returns of the collection is one of its values. */
  | { readonly kind: 'read' };

/** The lib interface a member is declared in, if it is one of the collections. */
function collectionOwner(decl: ts.Declaration, program: ts.Program): string | undefined {
  if (!program.isSourceFileDefaultLibrary(decl.getSourceFile())) return undefined;
  const p = decl.parent;
  return ts.isInterfaceDeclaration(p) && COLLECTIONS.has(p.name.text) ? p.name.text : undefined;
}

/** What a method of a collection (its symbol, aliases resolved) does, or undefined for anything else. */
export function collectionMethod(sym: ts.Symbol, program: ts.Program): CollectionMethod | undefined {
  const decls = sym.declarations ?? [];
  if (!decls.some((d) => collectionOwner(d, program) !== undefined)) return undefined;
  const store = STORES.get(sym.name);
  if (store === undefined) return { kind: 'read' };
  return {
    kind: 'store',
    stored: (call) => call.arguments.slice(store.from, store.rest ? undefined : store.from + (store.count ?? 1)),
  };
}

/** Whether a type is one of the lib's collections (`Map<K, V>`, `readonly T[]`, …), possibly `| undefined`. */
export function isCollectionType(type: ts.Type, checker: ts.TypeChecker, program: ts.Program): boolean {
  const t = checker.getNonNullableType(type);
  const sym = t.getSymbol() ?? t.aliasSymbol;
  if (sym === undefined || !COLLECTIONS.has(sym.name)) return false;
  return (sym.declarations ?? []).some((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()));
}

/** Whether a symbol is declared in TypeScript's lib (an iterator's `next`, a result's `value`). */
export function isLibMember(sym: ts.Symbol, program: ts.Program): boolean {
  return (sym.declarations ?? []).some((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()));
}
