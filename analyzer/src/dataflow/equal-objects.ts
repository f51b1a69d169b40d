/**
 * @fileoverview Identity makes aliases: on the branch where `a === b` holds, both name one
 * object, so if one is stabilized (pinned, and revalidated) the other is too. `__get_file_rcu`
 * pins `file`, re-reads the slot into `fileReloaded`, and returns `fileReloaded` where the two
 * are equal: the caller gets the pinned file. A `const` copy (`const cmp = fileReloaded`) names
 * the same object as its source, so the equality reaches through it.
 */

import { ts } from 'ts-morph';
import { skipParens } from '../ast.js';
import { type FactState, isStable, withObj } from './facts.js';

/** `const cmp = src`: the symbols a const copy chain names (itself first). */
function constAliases(sym: ts.Symbol, symbolOf: (n: ts.Node) => ts.Symbol | undefined): ts.Symbol[] {
  const out = [sym];
  let cur = sym;
  for (let i = 0; i < 4; i++) {
    const d = cur.valueDeclaration;
    if (
      d === undefined ||
      !ts.isVariableDeclaration(d) ||
      d.initializer === undefined ||
      !ts.isVariableDeclarationList(d.parent) ||
      (d.parent.flags & ts.NodeFlags.Const) === 0
    )
      break;
    const init = skipParens(d.initializer);
    const next = ts.isIdentifier(init) ? symbolOf(init) : undefined;
    if (next === undefined || out.includes(next)) break;
    out.push(next);
    cur = next;
  }
  return out;
}

/** On the equal branch of `a === b` (identifiers): a stabilized, revalidated side makes the other stable. */
export function equalToStable(
  s: FactState,
  eq: ts.BinaryExpression,
  symbolOf: (n: ts.Node) => ts.Symbol | undefined,
): FactState {
  const l = skipParens(eq.left);
  const r = skipParens(eq.right);
  const a = ts.isIdentifier(l) ? symbolOf(l) : undefined;
  const b = ts.isIdentifier(r) ? symbolOf(r) : undefined;
  if (a === undefined || b === undefined || a === b) return s;
  let out = s;
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    if (!isStable(out, from) || out.objs.get(from)?.pending !== undefined) continue;
    for (const t of constAliases(to, symbolOf)) {
      const o = out.objs.get(t);
      if (o === undefined || isStable(out, t)) continue;
      out = withObj(out, t, { ...o, origin: 'stable', pending: undefined, sectionEnded: undefined });
    }
  }
  return out;
}
