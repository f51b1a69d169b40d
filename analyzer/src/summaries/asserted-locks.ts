/**
 * @fileoverview Locks a function asserts its caller holds: `lockdepAssertHeld(ioc.lock)` among
 * its opening statements, the runtime's lockdep_assert_held(). The assertion states the
 * caller's obligation in code, as `@mustHold` does in a comment, so it is read as one: the
 * lock is held at entry, and the calls of every caller that takes a lock of its class are
 * checked for one (rcu/unbalanced-spinlock's callRequiresLock); a caller that takes none hands
 * the requirement on to its own callers.
 *
 * The kernel asserts on locks reached through its parameters as often as on their own:
 * ioc_destroy_icq() loads `ioc = icq->ioc` and asserts `lockdep_assert_held(&ioc->lock)`. A
 * caller sees that lock as `icq.ioc.lock`, spelled from the parameter through the `const`
 * copies the function made of its fields; inside, it is spelled as written (`ioc.lock`). A lock
 * reached through anything else (a local that is not such a copy, a call) states nothing a
 * caller could be checked against, and is left out.
 */

import { ts } from 'ts-morph';
import { constAliasedField, skipParens, type FunctionLike } from '../ast.js';
import type { FactEvent } from '../dataflow/events.js';
import type { FactState, LockFact } from '../dataflow/facts.js';
import type { Primitives } from '../primitives/primitives.js';
import type { StructDecl } from '../primitives/slab-model.js';
import type { FunctionSummary } from './summary.js';
import { normalizeLockText } from './annotations.js';

export interface AssertedLock {
  /** As callers spell it: from a parameter (`icq.ioc.lock`) or a module-level name. */
  readonly key: string;
  /** As the function spells it (`ioc.lock`). */
  readonly spelled: string;
  /** Its lock class (lockClassOf). */
  readonly lockClass: string | undefined;
}

/**
 * A lock's class, as lockdep has them: the struct field it is (`io_context.lock`), the same for
 * every object of the struct. A caller can rarely prove that the object it locked is the one a
 * callee reaches (`icq->ioc` is the `ioc` whose list `icq` came from), but it can hold a lock of
 * the class. Undefined for a lock that is no field of a defineStruct struct.
 */
export function lockClassOf(lock: ts.Expression, primitives: Primitives): string | undefined {
  let x = skipParens(lock);
  while (ts.isNonNullExpression(x)) x = skipParens(x.expression);
  if (!ts.isPropertyAccessExpression(x)) return undefined;
  const struct = primitives.slab.structOfField(x);
  return struct === undefined ? undefined : classText(struct, x.name.text);
}

/** The class of a lock held in `l`: taken by a call here, or held at entry on a parameter's own field. */
export function heldLockClass(l: LockFact, primitives: Primitives, checker: ts.TypeChecker): string | undefined {
  const site = l.site;
  if (ts.isCallExpression(site)) {
    const arg = site.arguments[0];
    return arg === undefined ? undefined : lockClassOf(arg, primitives);
  }
  const decl = l.obj?.valueDeclaration;
  if (decl === undefined || l.field === undefined || l.field.includes('.')) return undefined;
  const struct = primitives.slab.structOfType(checker.getTypeOfSymbolAtLocation(l.obj!, decl));
  return struct === undefined ? undefined : classText(struct, l.field);
}

function classText(struct: StructDecl, field: string): string {
  const name = struct.call.arguments[0];
  const label = name !== undefined && ts.isStringLiteral(name) ? name.text : 'struct';
  return `${label}.${field} (${struct.call.getSourceFile().fileName}:${struct.call.pos})`;
}

/**
 * The locks asserted by the body's opening statements: its leading `const`/`let` declarations
 * and assertion calls, up to the first statement that is neither (an assertion after a branch
 * or a lock operation holds on some paths only).
 */
export function assertedLocks(fn: FunctionLike, primitives: Primitives, checker: ts.TypeChecker): AssertedLock[] {
  const body = ts.isSourceFile(fn) ? undefined : fn.body;
  if (body === undefined || !ts.isBlock(body)) return [];
  const out: AssertedLock[] = [];
  for (const st of body.statements) {
    if (ts.isVariableStatement(st)) continue;
    if (!ts.isExpressionStatement(st)) break;
    const call = skipParens(st.expression);
    if (!ts.isCallExpression(call) || primitives.callKind(call) !== 'lockdepAssertHeld') break;
    const arg = call.arguments[0];
    const key = arg === undefined ? undefined : callerSpelling(fn, arg, checker);
    if (arg !== undefined && key !== undefined)
      out.push({ key, spelled: normalizeLockText(skipParens(arg).getText()), lockClass: lockClassOf(arg, primitives) });
  }
  return out;
}

/** `lock` spelled from one of `fn`'s parameters or a module-level name, through `const` field copies. */
function callerSpelling(fn: FunctionLike, lock: ts.Expression, checker: ts.TypeChecker): string | undefined {
  const fields: string[] = [];
  let x = skipParens(lock);
  for (let hops = 0; hops < 16; hops++) {
    while (ts.isNonNullExpression(x) || ts.isParenthesizedExpression(x)) x = x.expression;
    if (ts.isPropertyAccessExpression(x)) {
      fields.unshift(x.name.text);
      x = x.expression;
      continue;
    }
    if (!ts.isIdentifier(x) || fields.length === 0) return undefined;
    const decl = checker.getSymbolAtLocation(x)?.valueDeclaration;
    if (decl === undefined) return undefined;
    if (ts.isParameter(decl)) return decl.parent === fn ? [x.text, ...fields].join('.') : undefined;
    if (decl.getSourceFile() === fn.getSourceFile() && isModuleLevel(decl)) return [x.text, ...fields].join('.');
    // `const ioc = icq.ioc!`: go on from what the copy was made of.
    const alias = constAliasedField(decl);
    if (alias === undefined || !isInside(decl, fn)) return undefined;
    x = alias;
  }
  return undefined;
}

function isModuleLevel(decl: ts.Declaration): boolean {
  const list = decl.parent;
  return ts.isVariableDeclaration(decl) && ts.isVariableDeclarationList(list) && ts.isSourceFile(list.parent.parent);
}

function isInside(node: ts.Node, fn: FunctionLike): boolean {
  return ts.findAncestor(node.parent, (n) => n === fn) !== undefined;
}

/** What a summary says a caller must hold, by assertion (FunctionSummary.assertsHeld). */
export interface AssertedRequirement {
  readonly key: string;
  readonly lockClass: string | undefined;
}

/** A callee's lock `l` (`icq.ioc.lock`, spelled from its parameter) as the caller spells it at `call`. */
export function calleeLockAt(call: ts.CallExpression, callee: FunctionSummary, l: string): string {
  // `@mustHold this.lock` on a method: the receiver's lock (`t.grow()` needs `t.lock`).
  const callee0 = skipParens(call.expression);
  if (l.startsWith('this.') && ts.isPropertyAccessExpression(callee0))
    return normalizeLockText(skipParens(callee0.expression).getText()) + l.slice('this'.length);
  const i = callee.params.indexOf(l.slice(0, l.indexOf('.')));
  const arg = i >= 0 ? call.arguments[i] : undefined;
  return arg !== undefined ? normalizeLockText(skipParens(arg).getText()) + l.slice(l.indexOf('.')) : l;
}

/** The classes of the locks a function takes (its spinLock and spinTrylock calls) or holds at entry. */
export function takenLockClasses(
  events: readonly FactEvent[],
  initial: FactState,
  primitives: Primitives,
  checker: ts.TypeChecker,
): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    const arg = e.kind === 'spinLock' && ts.isCallExpression(e.node) ? e.node.arguments[0] : undefined;
    const c = arg === undefined ? undefined : lockClassOf(arg, primitives);
    if (c !== undefined) out.add(c);
  }
  for (const l of initial.locks.values()) {
    const c = heldLockClass(l, primitives, checker);
    if (c !== undefined) out.add(c);
  }
  return out;
}

/**
 * The requirements a function hands on to its own callers: those of its callees that it meets
 * with a lock of a class it never takes, spelled from its own parameters (or module-level names).
 * A wrapper of an asserting helper (`vma_start_read_locked()` of `vma_start_read_locked_nested()`)
 * is then checked where it is called, as the helper is.
 */
export function inheritedRequirements(
  fn: FunctionLike,
  events: readonly FactEvent[],
  taken: ReadonlySet<string>,
  checker: ts.TypeChecker,
): AssertedRequirement[] {
  if (ts.isSourceFile(fn) || ts.isClassStaticBlockDeclaration(fn)) return [];
  const params = new Set(fn.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
  const out = new Map<string, AssertedRequirement>();
  for (const e of events) {
    if (e.kind !== 'call') continue;
    for (const a of e.summary.assertsHeld) {
      if (a.lockClass === undefined || taken.has(a.lockClass)) continue;
      const key = calleeLockAt(e.node, e.summary, a.key);
      const root = key.slice(0, key.indexOf('.'));
      if (!params.has(root) && !isModuleLevelName(fn, root, checker)) continue;
      if (!/^[\w$]+(\.[\w$]+)+$/.test(key)) continue;
      out.set(key, { key, lockClass: a.lockClass });
    }
  }
  return [...out.values()];
}

function isModuleLevelName(fn: FunctionLike, name: string, checker: ts.TypeChecker): boolean {
  const sym = checker.getSymbolsInScope(fn.getSourceFile(), ts.SymbolFlags.Variable).find((s) => s.name === name);
  const decl = sym?.valueDeclaration;
  return decl !== undefined && decl.getSourceFile() === fn.getSourceFile() && isModuleLevel(decl);
}
