/**
 * @fileoverview A helper that needs its caller's read-side section without saying so: it loads a
 * type-stable object itself — from a parameter's RCU pointer, a table slot, a slot callback —
 * and tries refcountIncNotZero() on it, with no section of its own and no lock held
 * (`__get_file_rcu()`, `__fget_files_rcu()`). Trying to pin what one just loaded is a lookup;
 * a lookup of type-stable memory is only sound inside a read-side section, which here can only
 * be the caller's (the kernel states it as "must be called with rcu_read_lock held"). A call of
 * such a helper outside any section is then reported where it is made, as for
 * `@rcuReadLockHeld`.
 */

import { ts } from 'ts-morph';
import { isTopLevelCode, type FunctionLike } from '../ast.js';
import type { FactEvent } from '../dataflow/events.js';
import type { FactState } from '../dataflow/facts.js';

export function pinsOwnLoadsUnderCallersSection(
  fn: FunctionLike,
  initial: FactState,
  events: readonly FactEvent[],
): boolean {
  if (isTopLevelCode(fn) || initial.readMax > 0) return false;
  return events.some((e) => {
    if (e.kind !== 'refTaken' || e.state.readMax > 0 || e.state.locks.size > 0) return false;
    const o = e.state.objs.get(e.sym);
    const load = o?.loadSite;
    return (
      o !== undefined &&
      o.origin === 'unknown' &&
      load !== undefined &&
      !ts.isParameter(load) &&
      load.pos >= fn.pos &&
      load.end <= fn.end
    );
  });
}
