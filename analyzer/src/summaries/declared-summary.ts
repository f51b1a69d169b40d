/**
 * @fileoverview The summary of a function the project declares without a body: a `declare
 * function` in a source file, or one in a declaration file of the project's own (not a
 * library's). Nothing can be inferred from it, so its JSDoc contract is the whole summary, as a
 * header's prototype with `__must_hold` or Clang's `REQUIRES` is for a function defined
 * elsewhere: `@rcuReadLockHeld`, `@mustHold`, `@acquires`, `@releases` (with `rcu on failure`
 * and `rcu on success`) and `@revalidates`. A declaration that says none of these has no summary,
 * as before: a call to it changes no facts.
 */

import { ts } from 'ts-morph';
import { NO_ANNOTATIONS, RCU_LOCK_NAME, readAnnotations } from './annotations.js';
import { UNKNOWN_SUMMARY, type FunctionSummary } from './summary.js';

export type BodilessDeclaration = ts.FunctionDeclaration | ts.MethodDeclaration | ts.MethodSignature;

/** Whether `decl` declares a function without a body. */
export function isBodilessDeclaration(decl: ts.Node): decl is BodilessDeclaration {
  if (ts.isMethodSignature(decl)) return true;
  return (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) && decl.body === undefined;
}

/** The summary `decl`'s annotations state, or undefined when they state nothing a caller must know. */
export function declaredSummary(decl: BodilessDeclaration): FunctionSummary | undefined {
  const ann = readAnnotations(decl);
  if (ann === NO_ANNOTATIONS) return undefined;
  const acquiresRead = ann.acquires.includes(RCU_LOCK_NAME);
  const releasesRead = ann.releases.includes(RCU_LOCK_NAME);
  const acquires = ann.acquires.filter((l) => l !== RCU_LOCK_NAME);
  const releases = ann.releases.filter((l) => l !== RCU_LOCK_NAME);
  const params = decl.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
  const revalidatesParams = ann.revalidates.map((n) => params.indexOf(n)).filter((i) => i >= 0);
  const says =
    ann.rcuReadLockHeld ||
    acquiresRead ||
    releasesRead ||
    ann.readByResult !== undefined ||
    acquires.length + releases.length + ann.mustHold.length + revalidatesParams.length > 0;
  if (!says) return undefined;
  return {
    ...UNKNOWN_SUMMARY,
    name: decl.name !== undefined && ts.isIdentifier(decl.name) ? decl.name.text : '<declared>',
    readDelta: acquiresRead ? 1 : releasesRead ? -1 : 0,
    readDeltaByResult: ann.readByResult,
    requiresRead: ann.rcuReadLockHeld || releasesRead,
    acquires,
    releases,
    mustHold: ann.mustHold,
    revalidatesParams,
    params,
  };
}
