/**
 * @fileoverview Wraps every function body of a JavaScript or TypeScript file in a correct
 * read-side section, mechanically and in memory, with TypeScript's parser: what a project that
 * adopted the runtime everywhere would look like. Two styles, the two ways people write it:
 *
 * - 'unlock': `rcuReadLock()` at entry, `rcuReadUnlock()` before every `return` and every
 *   `throw` that leaves the function (after evaluating its operand, which may itself throw into
 *   a `catch` that unlocks: `{ const v = (x); rcuReadUnlock(); return v; }`), and at the end
 *   of the body;
 * - 'finally': `rcuReadLock(); try { <body> } finally { rcuReadUnlock(); }`.
 *
 * Both are correct code by construction, so the checker must find nothing in the result. Left
 * alone: async functions and generators (a section across an `await` or `yield` is a real bug),
 * expression-bodied arrows (no statement to wrap), and bodiless declarations. A `throw` that a
 * `catch` of the same function handles does not leave it, so it gets no unlock; nor does a
 * `return` inside a `finally` (the path that reached the finally unlocked already).
 */

import { ts } from 'ts-morph';

export type SectionStyle = 'unlock' | 'finally';

/** What the wrapper did to one file. */
export interface Wrapped {
  readonly text: string;
  /** Function bodies wrapped. */
  readonly functions: number;
}

export const SECTION_IMPORT = "import { rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';\n";

/** Text that replaces `[pos, end)` (an insertion when `end` is absent); at one position, lower `order` comes first. */
interface Edit {
  readonly pos: number;
  readonly end?: number;
  readonly order: number;
  readonly text: string;
}

// Order at one position: the unlock after a return's operand, a return's closing brace, the
// entry lock, the body's closing unlock (both at once only in an empty body), a return's
// opening brace.
const AFTER_OPERAND = 0;
const CLOSE = 1;
const ENTRY = 2;
const END = 3;
const OPEN = 4;

/**
 * Wrap `text`. `endUnreachable` holds the body positions (`body.pos`) of functions whose end
 * TypeScript knows is unreachable (see unreachableEnds): as a person would, the 'unlock' style
 * puts no dead `rcuReadUnlock()` there. Those are the functions that end in a call typed
 * `never` or an exhaustive switch.
 */
export function wrapInSections(
  fileName: string,
  text: string,
  style: SectionStyle,
  endUnreachable: ReadonlySet<number> = new Set(),
): Wrapped {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKind(fileName));
  const edits: Edit[] = [{ pos: 0, order: ENTRY, text: SECTION_IMPORT }];
  let functions = 0;
  const stack: ts.Node[] = [sf];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (wrappable(n)) {
      functions++;
      const body = n.body;
      const start = afterPrologue(body);
      const end = body.end - 1; // the closing brace
      if (style === 'finally') {
        edits.push({ pos: start, order: ENTRY, text: ' rcuReadLock(); try {' });
        edits.push({ pos: end, order: END, text: '} finally { rcuReadUnlock(); }\n' });
      } else {
        edits.push({ pos: start, order: ENTRY, text: ' rcuReadLock();' });
        for (const exit of exitsOf(body)) {
          const operand = exit.expression;
          if (operand === undefined) {
            edits.push({ pos: exit.getStart(sf), order: OPEN, text: '{ rcuReadUnlock(); ' });
          } else {
            // `return x;` -> `{ const v = (x); rcuReadUnlock(); return v;; }`
            const v = ts.isReturnStatement(exit) ? '__rcuResult' : '__rcuThrown';
            const keyword = ts.isReturnStatement(exit) ? 'return' : 'throw';
            edits.push({ pos: exit.getStart(sf), end: operand.getStart(sf), order: OPEN, text: `{ const ${v} = (` });
            edits.push({ pos: operand.end, order: AFTER_OPERAND, text: `); rcuReadUnlock(); ${keyword} ${v};` });
          }
          edits.push({ pos: exit.end, order: CLOSE, text: ' }' });
        }
        if (!endUnreachable.has(body.pos)) edits.push({ pos: end, order: END, text: '\nrcuReadUnlock();\n' });
      }
    }
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  edits.sort((a, b) => a.pos - b.pos || a.order - b.order);
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.pos) + e.text;
    at = e.end ?? e.pos;
  }
  return { text: out + text.slice(at), functions };
}

type Wrappable = (ts.FunctionLikeDeclaration | ts.ClassStaticBlockDeclaration) & { body: ts.Block };

function wrappable(n: ts.Node): n is Wrappable {
  if (ts.isClassStaticBlockDeclaration(n)) return true;
  if (!(
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isArrowFunction(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n)
  ))
    return false;
  if (n.body === undefined || !ts.isBlock(n.body)) return false;
  if (n.asteriskToken !== undefined) return false;
  return !(ts.getCombinedModifierFlags(n) & ts.ModifierFlags.Async);
}

/** Where the body's statements start: after `{` and any directive prologue (`'use strict'`). */
function afterPrologue(body: ts.Block): number {
  let pos = body.getStart() + 1;
  for (const st of body.statements) {
    if (!ts.isExpressionStatement(st) || !ts.isStringLiteral(st.expression)) break;
    pos = st.end;
  }
  return pos;
}

/** The `return` and `throw` statements that leave this function (not a nested one). */
function exitsOf(body: ts.Block): Array<ts.ReturnStatement | ts.ThrowStatement> {
  const out: Array<ts.ReturnStatement | ts.ThrowStatement> = [];
  const stack: Array<{ node: ts.Node; caught: boolean; inFinally: boolean }> = [
    { node: body, caught: false, inFinally: false },
  ];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, caught, inFinally } = item;
    if (node !== body && (ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node) || ts.isClassLike(node)))
      continue;
    if (ts.isReturnStatement(node) && !inFinally) out.push(node);
    if (ts.isThrowStatement(node) && !caught && !inFinally) out.push(node);
    if (ts.isTryStatement(node)) {
      stack.push({ node: node.tryBlock, caught: caught || node.catchClause !== undefined, inFinally });
      if (node.catchClause !== undefined) stack.push({ node: node.catchClause, caught, inFinally });
      if (node.finallyBlock !== undefined) stack.push({ node: node.finallyBlock, caught, inFinally: true });
      continue;
    }
    ts.forEachChild(node, (c) => {
      stack.push({ node: c, caught, inFinally });
    });
  }
  return out;
}

function scriptKind(fileName: string): ts.ScriptKind {
  if (/\.[cm]?jsx?$/.test(fileName)) return fileName.endsWith('x') ? ts.ScriptKind.JSX : ts.ScriptKind.JS;
  return fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
}

/**
 * The body positions of the functions of `sf` whose end TypeScript itself knows is unreachable:
 * those declared to return a type without `undefined`, `void`, `any` or `unknown` in it. In code
 * that compiles, TypeScript has checked that no path falls off their end ("Function lacks ending
 * return statement", TS2366), counting calls typed `never` and exhaustive switches.
 */
export function unreachableEnds(sf: ts.SourceFile, checker: ts.TypeChecker): Set<number> {
  const out = new Set<number>();
  const loose = ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Any | ts.TypeFlags.Unknown;
  const stack: ts.Node[] = [sf];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (wrappable(n) && !ts.isClassStaticBlockDeclaration(n) && n.type !== undefined) {
      const sig = checker.getSignatureFromDeclaration(n);
      const ret = sig === undefined ? undefined : checker.getReturnTypeOfSignature(sig);
      const parts = ret === undefined ? [] : ret.isUnion() ? ret.types : [ret];
      if (ret !== undefined && !parts.some((t) => (t.flags & loose) !== 0)) out.add(n.body.pos);
    }
    ts.forEachChild(n, (c) => {
      stack.push(c);
    });
  }
  return out;
}
