/**
 * @fileoverview Where objects become visible to RCU readers and where they stop being visible:
 * the publish and unlink sites that rcu/publish-before-init and rcu/free-without-grace-period
 * look for, recognized by symbol (runtime calls) and by declaration (RCU pointer fields).
 */

import { ts } from 'ts-morph';
import { outermostWrapper, rootIdentifier, skipParens, walkTree } from '../../ast.js';
import type { ControlFlowGraph } from '../../cfg/control-flow-graph.js';
import type { Primitives } from '../../primitives/primitives.js';
import { isRuntimeFile } from '../../primitives/runtime-package.js';

/**
 * Whether `access` (`task.sighand`) is an RCU-protected pointer field: declared `{ rcu: () => S }`
 * in its defineStruct, or (hand-written shapes) a property whose type is a type-stable reference.
 */
export function isRcuPointerField(
  access: ts.Expression,
  primitives: Primitives,
  checker: ts.TypeChecker,
): access is ts.PropertyAccessExpression {
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
export function rcuFieldStore(
  node: ts.Node,
  primitives: Primitives,
  checker: ts.TypeChecker,
): { field: ts.PropertyAccessExpression; value: ts.Expression } | undefined {
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
export function callsOfKind(
  cfg: ControlFlowGraph,
  primitives: Primitives,
  kinds: ReadonlySet<string>,
): ts.CallExpression[] {
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

/**
 * `const { fib } = net` / `const { fib: old } = net`: the variables bound from RCU pointer
 * fields, each with the field expression it stands for (`net.fib`).
 */
export function rcuFieldBindings(
  node: ts.Node,
  primitives: Primitives,
  checker: ts.TypeChecker,
): Array<{ sym: ts.Symbol; field: string }> {
  if (!ts.isVariableDeclaration(node) || !ts.isObjectBindingPattern(node.name) || node.initializer === undefined)
    return [];
  const init = skipParens(node.initializer);
  const type = checker.getNonNullableType(checker.getTypeAtLocation(init));
  const out: Array<{ sym: ts.Symbol; field: string }> = [];
  for (const el of node.name.elements) {
    const key = el.propertyName ?? el.name;
    if (!ts.isIdentifier(el.name) || !ts.isIdentifier(key) || el.dotDotDotToken !== undefined) continue;
    const struct = primitives.slab.structOfProperty(checker.getPropertyOfType(type, key.text));
    const sym = checker.getSymbolAtLocation(el.name);
    if (sym !== undefined && struct?.fields.get(key.text) === 'rcu')
      out.push({ sym, field: `${init.getText()}.${key.text}` });
  }
  return out;
}

/** The body of the project function a call names (a declaration, or a const bound to a function). */
function calleeBody(call: ts.CallExpression, primitives: Primitives): ts.Node | undefined {
  return functionBodyOf(primitives.calleeSymbol(call)?.valueDeclaration);
}

/** The body of a project function declaration, or of a const bound to an arrow or function expression. */
export function functionBodyOf(decl: ts.Declaration | undefined): ts.Node | undefined {
  if (decl === undefined || decl.getSourceFile().isDeclarationFile) return undefined;
  if (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) return decl.body;
  if (ts.isVariableDeclaration(decl) && decl.initializer !== undefined) {
    const init = skipParens(decl.initializer);
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init.body;
  }
  return undefined;
}

/**
 * Whether a project helper may publish the object passed as argument `index` (`hashConn(ct)`
 * doing `table.insert(ct)`), on some path, directly or through helpers two levels down.
 */
export function publishesArgument(
  call: ts.CallExpression,
  index: number,
  primitives: Primitives,
  checker: ts.TypeChecker,
  depth = 0,
): boolean {
  if (depth > 2) return false;
  const body = calleeBody(call, primitives);
  const fn = body?.parent;
  const param = fn !== undefined && ts.isFunctionLike(fn) ? fn.parameters[index] : undefined;
  if (body === undefined || param === undefined || !ts.isIdentifier(param.name)) return false;
  const paramSym = checker.getSymbolAtLocation(param.name);
  const isParam = (e: ts.Expression | undefined): boolean => {
    const id = rootIdentifier(e);
    return id !== undefined && checker.getSymbolAtLocation(id) === paramSym;
  };
  return walkTree(body, (n) => {
    if (ts.isFunctionLike(n)) return 'skip';
    const store = rcuFieldStore(n, primitives, checker);
    if (store !== undefined && ts.isIdentifier(skipParens(store.value)) && isParam(store.value)) return 'stop';
    if (ts.isCallExpression(n)) {
      if (isParam(publishedByCall(n, primitives))) return 'stop';
      const at = n.arguments.findIndex((a) => ts.isIdentifier(skipParens(a)) && isParam(a));
      if (at >= 0 && primitives.callKind(n) === undefined && publishesArgument(n, at, primitives, checker, depth + 1))
        return 'stop';
    }
    return undefined;
  });
}

/**
 * A call to a project helper that waits for a grace period on every normal path: a top-level
 * `synchronizeRcu()` / `await synchronizeRcuAsync()` statement of its body (or of a helper it
 * calls the same way), before any statement that may return. An async helper counts only
 * where its call is awaited.
 */
export function waitsForGracePeriod(call: ts.CallExpression, primitives: Primitives, depth = 0): boolean {
  if (depth > 2) return false;
  const body = calleeBody(call, primitives);
  if (body === undefined || !ts.isBlock(body)) return false;
  // An async helper has waited only once its promise is awaited.
  const fn = body.parent as ts.FunctionLikeDeclaration;
  const isAsync = (ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Async) !== 0;
  if (isAsync) {
    if (!ts.isAwaitExpression(outermostWrapper(call).parent)) return false;
  }
  for (const st of body.statements) {
    if (ts.isExpressionStatement(st)) {
      let e = skipParens(st.expression);
      if (ts.isAwaitExpression(e)) e = skipParens(e.expression);
      if (ts.isCallExpression(e)) {
        const kind = primitives.callKind(e);
        if (
          kind === 'synchronizeRcu' ||
          (kind === 'synchronizeRcuAsync' && ts.isAwaitExpression(skipParens(st.expression)))
        )
          return true;
        if (kind === undefined && waitsForGracePeriod(e, primitives, depth + 1)) return true;
      }
    }
    if (mayLeave(st)) return false;
  }
  return false;
}

/** Whether a statement may return or throw (nested functions aside). */
export function mayLeave(n: ts.Node): boolean {
  return walkTree(n, (c) => {
    if (ts.isReturnStatement(c) || ts.isThrowStatement(c)) return 'stop';
    return ts.isFunctionLike(c) ? 'skip' : undefined;
  });
}

/** The local name under which a file imports the runtime function `name` (`callRcu`, or its alias), if it does. */
export function runtimeImportName(
  sf: ts.SourceFile,
  name: string,
  primitives: Primitives,
  checker: ts.TypeChecker,
): string | undefined {
  for (const st of sf.statements) {
    const bindings =
      ts.isImportDeclaration(st) && st.importClause?.phaseModifier !== ts.SyntaxKind.TypeKeyword
        ? st.importClause?.namedBindings
        : undefined;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    for (const el of bindings.elements) {
      if (el.isTypeOnly) continue;
      const sym = checker.getSymbolAtLocation(el.name);
      const target = sym === undefined ? undefined : primitives.resolveAlias(sym);
      const d = target?.declarations?.[0];
      if (target?.name === name && d !== undefined && isRuntimeFile(d.getSourceFile().fileName)) return el.name.text;
    }
  }
  return undefined;
}
