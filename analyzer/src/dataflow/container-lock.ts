/**
 * @fileoverview The updater's side: a container's spinlock (a table's, a bucket's, a chain's —
 * not a type-stable object's own lock) held on every path protects the structure and what it
 * links, as `rcu_dereference_protected(p, lockdep_is_held(&lock))` says in the kernel. Readers
 * need a read-side section; a writer holding that lock may dereference, publish and unlink.
 */

import type { ts } from 'ts-morph';
import type { FactState } from './facts.js';
import type { Primitives } from '../primitives/primitives.js';

export function containerLockHeld(state: FactState, checker: ts.TypeChecker, primitives: Primitives): boolean {
  for (const l of state.locks.values()) {
    if (l.must && (l.obj === undefined || !primitives.isTypeStableType(checker.getTypeOfSymbol(l.obj)))) return true;
  }
  return false;
}
