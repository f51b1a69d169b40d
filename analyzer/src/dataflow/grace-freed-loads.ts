/**
 * @fileoverview The reader side of plain RCU-freed objects. An RCU pointer field
 * (`{ rcu: () => S }`) whose target struct is not type-stable points at an object its updater
 * frees only after a grace period (callRcu, synchronizeRcu then kmemCacheFree, a plain cache):
 * the rcu_dereference() of the kernel. Such a pointer, read inside a read-side section, may be
 * used only inside that section unless a reference is taken or its lock held. Unlike type-stable
 * memory, which is only reused for an object of the same type, this memory may be given back
 * once the grace period that the section was holding off ends.
 *
 * Only loads that are plainly a reader's are tracked, so that updaters stay quiet: a load made
 * with no spinlock held (a lock held may be the updater's, which keeps the pointer from
 * changing: rcu_dereference_protected()), not the current thread's own `@ownerWrites` pointer,
 * not read from an object this function holds (allocated, referenced, locked, or holding its last
 * reference), and only where the target struct is known (a defineStruct without `typesafeByRcu`).
 * A pointer read with no section held is not tracked: in rcukit every pointer field is declared
 * `{ rcu }`, and outside a section most are plain pointers kept valid by other means (the kernel's
 * rcu_dereference_raw() "protected by" a reference held elsewhere).
 */

import { ts } from 'ts-morph';
import { skipParens } from '../ast.js';
import type { Primitives } from '../primitives/primitives.js';
import { type FactState, type ObjFact, isStable, newObj } from './facts.js';
import { readFromLastReference } from './last-reference.js';
import { isOwnerLoad } from './owner-loads.js';

/**
 * The fact for `v = x` when `x` is a reader's load of a pointer to a plain RCU-freed object
 * (`files.fdt` inside rcuReadLock()); undefined otherwise.
 */
export function graceFreedLoad(
  x: ts.Expression,
  s: FactState,
  primitives: Primitives,
  checker: ts.TypeChecker,
): ObjFact | undefined {
  if (s.readMin <= 0 || [...s.locks.values()].some((l) => l.must)) return undefined;
  const e = skipParens(x);
  if (!ts.isPropertyAccessExpression(e)) return undefined;
  if (!primitives.slab.fieldNames().has(e.name.text)) return undefined;
  if (primitives.slab.structOfField(e)?.fields.get(e.name.text) !== 'rcu') return undefined;
  if (primitives.slab.structOfExpr(e)?.typesafeByRcu !== false) return undefined;
  const base = skipParens(e.expression);
  const baseSym = ts.isIdentifier(base) ? checker.getSymbolAtLocation(base) : undefined;
  // A pointer read from an object this function allocated and has not published yet holds
  // what this function stored there; one read from an object it holds (referenced, locked,
  // owned) is as likely the holder's own reference as an RCU pointer: every pointer field of a
  // struct is declared `{ rcu }`, whatever keeps its target alive.
  if (baseSym !== undefined && isStable(s, baseSym)) return undefined;
  if (isOwnerLoad(e, primitives, checker)) return undefined;
  if (readFromLastReference(e, s, (n) => checker.getSymbolAtLocation(n))) return undefined;
  return { ...newObj('rcu', e, s.readMin), graceFreed: e };
}

/** Whether the object in `sym` is a plain RCU-freed one read by graceFreedLoad. */
export function isGraceFreed(s: FactState, sym: ts.Symbol | undefined): boolean {
  return sym !== undefined && s.objs.get(sym)?.graceFreed !== undefined;
}
