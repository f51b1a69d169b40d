/**
 * @fileoverview FlowOracle: the questions about control flow that only the type checker can
 * answer, asked by the CFG builder. Which call never returns (its signature returns `never`:
 * `Debug.fail()`, `process.exit()`, an `assertNever`), which of those leaves by throwing, and
 * which `switch` without a `default` covers every value its discriminant's type allows.
 * TypeScript itself knows the code after a never-returning call or an exhaustive switch is
 * unreachable; a graph that did not would send those paths on to the function's exit, where
 * the balance rules would report a section "left open" on a path that never runs.
 *
 * Why throwing matters: a helper like `fail(message): never { throw new AppError(message) }`
 * is a `throw` statement the caller wrote elsewhere, and an exception that leaves holding a
 * lock or a read-side section leaves it held for whoever catches it. A never-returning call
 * that does not (provably) throw, such as `process.exit()` or a body-less `panic()`, ends the
 * path unchecked, as sparse treats a noreturn call like BUG().
 *
 * cfg/ stays below the type checker: this is an interface, answered by
 * summaries/flow-oracle.ts. Without an oracle (NO_FLOW_ORACLE) every call returns and no
 * switch is exhaustive: more paths, never fewer.
 */

import type { ts } from 'ts-morph';

export interface FlowOracle {
  /** The call has no normal completion: its resolved signature returns `never`. */
  endsPath(call: ts.CallExpression): boolean;
  /**
   * Asked of a call that endsPath() said never returns: it leaves by throwing, so the path
   * goes where a `throw` statement there would go.
   */
  alwaysThrows(call: ts.CallExpression): boolean;
  /** The switch has no `default`, and its cases cover every constituent of its discriminant's type. */
  isExhaustive(s: ts.SwitchStatement): boolean;
}

/** Syntax only: every call may return, no switch is exhaustive. */
export const NO_FLOW_ORACLE: FlowOracle = {
  endsPath: () => false,
  alwaysThrows: () => false,
  isExhaustive: () => false,
};
