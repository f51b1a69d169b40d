/**
 * @fileoverview Operators on the result of `refcountIncNotZero()` (calls whose result is used;
 * a call that is already a statement has nothing left to break):
 * - `invert-inc-not-zero`: `!refcountIncNotZero(x)` ↔ `refcountIncNotZero(x)`, so the code goes
 *   on as if it held a reference exactly when it did not;
 * - `ignore-inc-not-zero`: the result dropped, the code going on as if the increment succeeded
 *   (see `assumeSuccess` for the three shapes this takes).
 *
 * Judged line: the line of the call in the mutant (the rule's doc reports a failure branch that
 * goes on, and an ignored result, at the call). Rule: rcu/inc-not-zero-unchecked only.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../../../ast.js';
import { lineBreaksOf, type TextEdit } from '../edits.js';
import {
  constant,
  inStatementList,
  type FunctionScope,
  type JudgedSpan,
  type MutantDraft,
  type MutationOperator,
} from '../operator.js';

/** The call, or `!call`, as it stands in its context (parentheses included). */
function operandOf(call: ts.CallExpression): { node: ts.Expression; negated: boolean } {
  let n: ts.Expression = call;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) {
    let m: ts.Expression = p;
    while (ts.isParenthesizedExpression(m.parent)) m = m.parent;
    return { node: m, negated: true };
  }
  return { node: n, negated: false };
}

/** Whether a call's boolean result is used (not a statement of its own). */
export function resultUsed(call: ts.CallExpression): boolean {
  let p: ts.Node = call.parent;
  while (ts.isParenthesizedExpression(p)) p = p.parent;
  return !ts.isExpressionStatement(p) && !ts.isVoidExpression(p);
}

/**
 * Edits that make the code go on as if the boolean `call` (an increment, a trylock) returned
 * true, without testing it. With `keepCall` the call still runs, as a statement of its own or
 * in a comma expression; without, it is gone.
 * - the whole condition of an `if`: the `if` becomes the call statement and the success branch
 *   (`if (!inc(x)) continue;` → `inc(x);`);
 * - the last operand of `A || !call` in an `if` without else: `if (A) …`, the call after it;
 * - anywhere else: `(call, true)` (evaluation order kept) or the constant `(true as boolean)`
 *   in its place (see recheck.ts for why not a bare `true`).
 */
export function assumeSuccess(
  scope: FunctionScope,
  call: ts.CallExpression,
  keepCall: boolean,
): { edits: TextEdit[]; description: string; judged: JudgedSpan[] } {
  const callText = scope.src(call);
  const stmt = keepCall ? `${callText};` : '';
  const at = call.getStart(scope.sf);
  const { node, negated } = operandOf(call);
  const p = node.parent;
  if (ts.isIfStatement(p) && p.expression === node) {
    const kept = negated ? p.elseStatement : p.thenStatement;
    const start = p.getStart(scope.sf);
    const ks = kept?.getStart(scope.sf);
    // The lines of what goes away stay as line breaks.
    const text =
      kept === undefined || ks === undefined
        ? `${stmt}${lineBreaksOf(scope.text.slice(start, p.end))}`
        : [
            stmt,
            stmt === '' ? '' : ' ',
            lineBreaksOf(scope.text.slice(start, ks)),
            scope.text.slice(ks, kept.end),
            lineBreaksOf(scope.text.slice(kept.end, p.end)),
          ].join('');
    const edit = text.trim() === '' ? scope.removeStatement(p) : scope.replaceStatement(p, text, false);
    const after = [keepCall ? `\`${stmt}\`` : '', kept === undefined ? '' : 'its success branch']
      .filter((x) => x !== '')
      .join(' and ');
    return {
      edits: [edit],
      description: `\`${scope.show(p)}\` → ${after || '(deleted)'}`,
      judged: [{ from: start, to: start }],
    };
  }
  const or = node.parent;
  let st: ts.Node = or.parent;
  while (ts.isParenthesizedExpression(st)) st = st.parent;
  if (
    negated &&
    ts.isBinaryExpression(or) &&
    or.operatorToken.kind === ts.SyntaxKind.BarBarToken &&
    or.right === node &&
    ts.isIfStatement(st) &&
    inStatementList(st) &&
    skipParens(st.expression) === or &&
    st.elseStatement === undefined
  ) {
    const edits: TextEdit[] = [{ start: or.left.end, end: or.end, text: '' }];
    if (keepCall) edits.push({ start: st.end, end: st.end, text: ` ${stmt}` });
    return {
      edits,
      description: `\`${scope.show(st)}\` → \`if (${scope.show(or.left)}) …${keepCall ? ` ${stmt}` : ''}\``,
      judged: [{ from: st.getStart(scope.sf), to: st.end }],
    };
  }
  const replacement = keepCall ? `(${callText}, true)` : constant(!negated);
  const target = keepCall ? call : node;
  return {
    edits: [{ start: target.getStart(scope.sf), end: target.end, text: replacement }],
    description: `\`${scope.show(target)}\` → \`${replacement}\``,
    judged: [{ from: at, to: at }],
  };
}

export const invertIncNotZero: MutationOperator = {
  id: 'invert-inc-not-zero',
  rules: ['rcu/inc-not-zero-unchecked'],
  summary: 'Flip the polarity of one tested refcountIncNotZero() result.',
  generate(scope) {
    return scope
      .calls('refcountIncNotZero')
      .filter(resultUsed)
      .map((call): MutantDraft => {
        const { node, negated } = operandOf(call);
        const callText = scope.src(call);
        const at = call.getStart(scope.sf);
        if (negated) {
          return {
            edits: [{ start: node.getStart(scope.sf), end: node.end, text: callText }],
            description: `\`${scope.show(node)}\` → \`${callText}\``,
            judged: [{ from: at, to: at }],
          };
        }
        return {
          edits: [{ start: at, end: at, text: '!' }],
          description: `\`${callText}\` → \`!${callText}\``,
          judged: [{ from: at, to: at }],
        };
      });
  },
};

export const ignoreIncNotZero: MutationOperator = {
  id: 'ignore-inc-not-zero',
  rules: ['rcu/inc-not-zero-unchecked'],
  summary: 'Drop one tested refcountIncNotZero() result: the call stays, the code goes on as if it succeeded.',
  generate: (scope) =>
    scope
      .calls('refcountIncNotZero')
      .filter(resultUsed)
      .map((call) => assumeSuccess(scope, call, true)),
};
