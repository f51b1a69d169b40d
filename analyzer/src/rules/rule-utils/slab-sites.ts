/**
 * @fileoverview Where objects become visible to RCU readers and where they stop being visible:
 * the publish and unlink sites that rcu/publish-before-init and rcu/free-without-grace-period
 * look for, recognized by symbol (runtime calls) and by declaration (RCU pointer fields).
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../cfg/cfg-builder.js';
import type { ControlFlowGraph } from '../../cfg/control-flow-graph.js';
import type { Primitives } from '../../primitives/primitives.js';

/**
 * Whether `access` (`task.sighand`) is an RCU-protected pointer field: declared `{ rcu: () => S }`
 * in its defineStruct, or (hand-written shapes) a property whose type is a type-stable reference.
 */
export function isRcuPointerField(access: ts.Expression, primitives: Primitives, checker: ts.TypeChecker): access is ts.PropertyAccessExpression {
  const a = skipParens(access);
  if (!ts.isPropertyAccessExpression(a)) return false;
  const struct = primitives.slab.structOfField(a);
  if (struct !== undefined) return struct.fields.get(a.name.text) === 'rcu';
  const sym = checker.getSymbolAtLocation(a.name);
  const decl = sym?.valueDeclaration;
  if (decl === undefined || !(ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl))) return false;
  return primitives.isTypeStableType(checker.getTypeOfSymbol(sym!));
}

/** `X.f = value` where X.f is an RCU pointer field: the rcu_assign_pointer of the runtime. */
export function rcuFieldStore(node: ts.Node, primitives: Primitives, checker: ts.TypeChecker): { field: ts.PropertyAccessExpression; value: ts.Expression } | undefined {
  if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  const left = skipParens(node.left);
  return isRcuPointerField(left, primitives, checker) ? { field: left, value: node.right } : undefined;
}

/** The object a runtime call publishes to readers: `table.insert(obj)`, `hlistNullsAddHeadRcu(heap, obj.node, head)`. */
export function publishedByCall(call: ts.CallExpression, primitives: Primitives): ts.Expression | undefined {
  switch (primitives.callKind(call)) {
    case 'tableInsert':
    case 'tableReplace':
      return call.arguments[0];
    case 'hlistNullsAddHeadRcu':
      return call.arguments[1];
    case 'hlistNullsReplaceRcu':
      return call.arguments[2];
    default:
      return undefined;
  }
}

/** The object a runtime call unlinks from a list readers walk: `hlistNullsDelRcu(heap, obj.node)`. */
export function unlinkedByCall(call: ts.CallExpression, primitives: Primitives): ts.Expression | undefined {
  switch (primitives.callKind(call)) {
    case 'hlistNullsDelRcu':
    case 'hlistNullsDelInitRcu':
    case 'hlistNullsReplaceRcu':
      return call.arguments[1];
    default:
      return undefined;
  }
}

/** Every call of the given kinds evaluated by this function (closures have their own graphs). */
export function callsOfKind(cfg: ControlFlowGraph, primitives: Primitives, kinds: ReadonlySet<string>): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  for (const b of cfg.blocks) {
    for (const el of b.elements) {
      if (el.kind !== 'node' || !ts.isCallExpression(el.node)) continue;
      const k = primitives.callKind(el.node);
      if (k !== undefined && kinds.has(k)) out.push(el.node);
    }
  }
  return out;
}
