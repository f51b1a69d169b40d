/**
 * @fileoverview Which syntax uses a member of a struct object, for the guarded-by inference
 * (summaries/guarded-by.ts): a field read or written (`task.files`, `dev.count++`), or the
 * object handed to a call (`listEmpty(iocIcqList(ioc))` uses `iocIcqList()` of `ioc`). A call
 * stands for whatever the callee does with that member of the object, which for the kernel's
 * own helpers (`&ioc->icq_list`, `queue_work(&ioc->release_work)`) is not visible here; it is
 * compared only with the other calls of the same callee at the same position.
 *
 * Lock and refcount fields are not members in this sense: they are the synchronization itself.
 */

import { ts } from 'ts-morph';
import { outermostWrapper, skipParens } from '../ast.js';
import type { Primitives } from '../primitives/primitives.js';
import type { StructDecl } from '../primitives/slab-model.js';
import { isWriteTarget } from './assignments.js';
import type { MemberAccess } from './events.js';

const NOT_DATA: ReadonlySet<string> = new Set(['spinlock', 'refcount']);

/** `x.f` (read or written) where `f` is a data field of a struct; undefined for anything else. */
export function fieldAccess(primitives: Primitives, node: ts.Node): MemberAccess | undefined {
  if (!ts.isPropertyAccessExpression(node) || !primitives.slab.fieldNames().has(node.name.text)) return undefined;
  const struct = primitives.slab.structOfField(node);
  const member = node.name.text;
  const kind = struct?.fields.get(member);
  if (struct === undefined || kind === undefined || NOT_DATA.has(kind)) return undefined;
  return {
    struct,
    member,
    key: member,
    how: isWritten(node) || (kind === 'array' && writesElements(node)) ? 'write' : 'read',
  };
}

/** The typed-array methods that change the elements in place. */
const MUTATING_ARRAY_METHODS: ReadonlySet<string> = new Set(['set', 'fill', 'copyWithin', 'sort', 'reverse']);

/**
 * Whether an array field's elements are written through this access: `x.action[i] = h`,
 * `x.action[i]++`, `x.action.set(src)` (the kernel's `memcpy(x->action, …)`). The field itself
 * never changes (it is a view of the object's memory); its contents are its value.
 */
function writesElements(node: ts.PropertyAccessExpression): boolean {
  const outer = outermostWrapper(node);
  const p = outer.parent;
  if (ts.isElementAccessExpression(p) && p.expression === outer) return isWriteTarget(p);
  return (
    ts.isPropertyAccessExpression(p) &&
    MUTATING_ARRAY_METHODS.has(p.name.text) &&
    ts.isCallExpression(p.parent) &&
    p.parent.expression === p
  );
}

/**
 * The struct objects a call to a project function (declared or defined in the program's own
 * files, not a library's) is handed directly as arguments, each with the member it stands for.
 */
export function argumentAccesses(
  primitives: Primitives,
  call: ts.CallExpression,
): Array<{ readonly base: ts.Expression; readonly access: MemberAccess }> {
  if (call.arguments.length === 0 || primitives.slab.fieldNames().size === 0) return [];
  const callee = primitives.calleeSymbol(call);
  const decl = callee?.valueDeclaration ?? callee?.declarations?.[0];
  if (callee === undefined || decl === undefined || decl.getSourceFile().isDeclarationFile) return [];
  const out: Array<{ base: ts.Expression; access: MemberAccess }> = [];
  call.arguments.forEach((arg, i) => {
    const base = skipParens(arg);
    if (!ts.isIdentifier(base)) return;
    const struct = primitives.slab.structOfExpr(base);
    if (struct === undefined) return;
    const key = `call:${decl.getSourceFile().fileName}:${decl.pos}#${i}`;
    out.push({ base, access: { struct, member: `${callee.name}()`, key, how: 'call' } });
  });
  return out;
}

function isWritten(node: ts.PropertyAccessExpression): boolean {
  const p = outermostWrapper(node).parent;
  return ts.isDeleteExpression(p) || isWriteTarget(node);
}

/** Whether the struct has a spinlock field of this name. */
export function isLockField(struct: StructDecl, name: string): boolean {
  return struct.fields.get(name) === 'spinlock';
}
