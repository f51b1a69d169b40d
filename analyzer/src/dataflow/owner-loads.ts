/**
 * @fileoverview Pointers the current thread reads without RCU because it owns them. The kernel
 * reads `current->sighand` plainly: only the task itself replaces its ->sighand (exec's
 * unshare_sighand() and de_thread()), exit clears it only once the task no longer runs (or by
 * the task itself), and the pointer holds a count on the sighand_struct it points to. So for the
 * thread that owns it, the pointer cannot change under it and its target cannot be freed:
 * "current->sighand is always stable" (Oleg Nesterov), and kernel/time/posix-cpu-timers.c says
 * as much ("tsk is current and ->sighand is stable").
 *
 * Two declarations state that, and only together do they make a load stable:
 * - `@current` on a function: it returns the calling thread's own object (`current()`); or
 *   `@current <param>` on a function: the caller passes its own object as `<param>`
 *   (unshare_sighand(me), "makes sure the current process has its own signal table");
 * - `@ownerWrites` on an RCU pointer field of a `defineStruct`: only the thread whose object
 *   holds the field stores to it (while it runs), and the field keeps its target alive while
 *   it points to it (a reference, as task->sighand holds sighand->count).
 *
 * A load `x.f` with `x` the current thread's object (a `@current` call, a `@current` parameter
 * the function never reassigns, or a const initialized from either) and `f` an `@ownerWrites`
 * field is then stable, like an object the caller owns. Another thread's `p.sighand` gets
 * nothing from this: it needs a read-side section or its siglock (pinned-paths.ts).
 *
 * Neither claim is checked, here or by the runtime's debug mode (which knows nothing of them):
 * a wrong `@ownerWrites` hides real races, so declare it only where the pointer's writers are
 * known, as the kernel documents them.
 */

import { ts } from 'ts-morph';
import { skipParens, walkTree } from '../ast.js';
import type { Primitives } from '../primitives/primitives.js';
import { readAnnotations } from '../summaries/annotations.js';
import { isWriteTarget, writtenSymbol } from './assignments.js';

/** How many const copies (`const me = current(); const t = me;`) are followed. */
const MAX_CONST_COPIES = 4;

/** Whether `load` reads an `@ownerWrites` pointer of the current thread's own object. */
export function isOwnerLoad(load: ts.Node, primitives: Primitives, checker: ts.TypeChecker): boolean {
  const x = ts.isExpression(load) ? skipParens(load) : load;
  if (!ts.isPropertyAccessExpression(x)) return false;
  if (!primitives.slab.fieldNames().has(x.name.text)) return false;
  const struct = primitives.slab.structOfField(x);
  if (struct?.ownerWrites.has(x.name.text) !== true) return false;
  return isCurrentObject(x.expression, primitives, checker, 0);
}

/** Whether `e` is the calling thread's own object, by the `@current` declarations. */
function isCurrentObject(e: ts.Expression, primitives: Primitives, checker: ts.TypeChecker, depth: number): boolean {
  const x = skipParens(e);
  if (ts.isCallExpression(x)) {
    const decl = primitives.calleeSymbol(x)?.declarations?.find(ts.isFunctionLike);
    return decl !== undefined && readAnnotations(decl).returnsCurrent;
  }
  if (!ts.isIdentifier(x) || depth > MAX_CONST_COPIES) return false;
  const sym = checker.getSymbolAtLocation(x);
  const decl = sym?.valueDeclaration;
  if (sym === undefined || decl === undefined) return false;
  if (ts.isParameter(decl) && ts.isIdentifier(decl.name)) {
    return (
      readAnnotations(decl.parent).currentParams.includes(decl.name.text) && !reassigned(sym, decl.parent, checker)
    );
  }
  if (
    ts.isVariableDeclaration(decl) &&
    decl.initializer !== undefined &&
    ts.isVariableDeclarationList(decl.parent) &&
    (decl.parent.flags & ts.NodeFlags.Const) !== 0
  )
    return isCurrentObject(decl.initializer, primitives, checker, depth + 1);
  return false;
}

/** Whether the function (or a function nested in it) assigns the parameter `sym`. */
function reassigned(sym: ts.Symbol, fn: ts.Node, checker: ts.TypeChecker): boolean {
  return walkTree(
    fn,
    (n) =>
      ts.isIdentifier(n) && n.text === sym.name && isWriteTarget(n) && writtenSymbol(n, checker) === sym
        ? 'stop'
        : undefined,
    'children',
  );
}
