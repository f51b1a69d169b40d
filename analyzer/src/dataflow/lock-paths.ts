/**
 * @fileoverview Locks reached through an object rather than owned by it: `anonVma.root.rwsem`,
 * or `rootAnonVma.rwsem` where `const rootAnonVma = anonVma.root`. Such a lock is taken only
 * where the object it is reached through is non-null, so where that object is null on another
 * path the lock is held exactly when the object is non-null; and a function that returns the
 * object with that lock held hands the lock over with it (folio_lock_anon_vma_read returns the
 * anon_vma with its root's rwsem held, or NULL without it).
 */

import { ts } from 'ts-morph';
import { constAliasedField, rootIdentifier, skipParens } from '../ast.js';
import { normalizeLockText } from '../summaries/annotations.js';
import type { LockFact } from './facts.js';

/** The expression a lock is spelled by at its acquisition: the lock call's first argument. */
function lockArgument(site: ts.Node): ts.Expression | undefined {
  return ts.isCallExpression(site) ? site.arguments[0] : undefined;
}

/**
 * The object a lock is reached through, two or more fields deep (`anonVma` for
 * `anonVma.root.rwsem`, also through a const copy of `anonVma.root`), with the path from it
 * (`root.rwsem`). A lock that is a field of its own object is not one (LockFact.obj says that).
 */
export function reachedThrough(
  site: ts.Node,
  symbolOf: (n: ts.Node) => ts.Symbol | undefined,
): { readonly sym: ts.Symbol; readonly path: string } | undefined {
  const arg = lockArgument(site);
  if (arg === undefined) return undefined;
  const x = skipParens(arg);
  if (!ts.isPropertyAccessExpression(x)) return undefined;
  const inner = skipParens(x.expression);
  if (ts.isPropertyAccessExpression(inner)) {
    const root = rootIdentifier(inner);
    const sym = root === undefined ? undefined : symbolOf(root);
    if (root === undefined || sym === undefined) return undefined;
    const text = normalizeLockText(x.getText());
    return text.startsWith(`${root.text}.`) ? { sym, path: text.slice(root.text.length + 1) } : undefined;
  }
  if (!ts.isIdentifier(inner)) return undefined;
  // `const rootAnonVma = anonVma.root!; spinLock(rootAnonVma.rwsem)`.
  const alias = constAliasedField(symbolOf(inner)?.valueDeclaration);
  const root = alias === undefined ? undefined : rootIdentifier(alias);
  const sym = root === undefined ? undefined : symbolOf(root);
  if (alias === undefined || root === undefined || sym === undefined) return undefined;
  const prefix = normalizeLockText(alias.getText()).slice(root.text.length + 1);
  return prefix === '' ? undefined : { sym, path: `${prefix}.${x.name.text}` };
}

/**
 * The path from `sym` to a lock held exactly where `sym` is non-null (`root.rwsem` for
 * `anonVma`): taken through it, and `sym` not reassigned since on any path that still holds it
 * (a lock kept after `anonVma = null` is a leak, not a handover). Undefined otherwise.
 */
export function heldPathFrom(
  l: LockFact,
  sym: ts.Symbol,
  symbolOf: (n: ts.Node) => ts.Symbol | undefined,
): string | undefined {
  if (l.when?.sym !== sym || !l.when.value) return undefined;
  const via = reachedThrough(l.site, symbolOf);
  return via?.sym === sym ? via.path : undefined;
}
