/**
 * @fileoverview When a mutant counts as caught: a finding of one of the operator's rules that
 * is new (the original file did not have it) and lies on one of the mutant's judged lines.
 *
 * "New" compares rule, message id and line, with the original's findings carried to the
 * mutant's lines through the edits (operators keep lines where they can, and the mapping covers
 * the rest), so a false alarm the checker already raised on the original never kills a mutant.
 */

import type { Diagnostic } from '../../diagnostic.js';
import { lineAt, mapOffset, sortedEdits, type TextEdit } from './edits.js';
import type { JudgedSpan } from './operator.js';

export interface Judgement {
  readonly killed: boolean;
  /** The finding that caught it. */
  readonly by: Diagnostic | undefined;
  /** Every finding the mutant has that the original does not, for the report on survivors. */
  readonly newFindings: readonly Diagnostic[];
}

/** The mutant's 1-based lines that the judged spans cover. */
export function judgedLines(spans: readonly JudgedSpan[], edits: readonly TextEdit[], mutantText: string): Set<number> {
  const lines = new Set<number>();
  const sorted = sortedEdits(edits);
  for (const s of spans) {
    let from: number;
    let to: number;
    if ('inserted' in s) {
      const e = edits[s.inserted];
      if (e === undefined) throw new Error(`judged span names edit ${s.inserted} of ${edits.length}`);
      const at = mapOffset(e.start, sorted, 'start');
      const lead = e.text.length - e.text.trimStart().length;
      const trail = e.text.length - e.text.trimEnd().length;
      from = at + lead;
      to = Math.max(from, at + e.text.length - trail);
    } else {
      from = mapOffset(s.from, sorted, 'start');
      to = mapOffset(s.to, sorted, 'end');
    }
    const a = lineAt(mutantText, from);
    const b = lineAt(mutantText, Math.max(from, to));
    for (let l = a; l <= b; l++) lines.add(l);
  }
  return lines;
}

/** The mutant's findings that the original (with its lines mapped through `edits`) does not have. */
export function newFindings(
  original: readonly Diagnostic[],
  mutant: readonly Diagnostic[],
  edits: readonly TextEdit[],
  mutantText: string,
): Diagnostic[] {
  const sorted = sortedEdits(edits);
  const left = new Map<string, number>();
  for (const d of original) {
    const key = `${d.ruleId}|${d.messageId}|${lineAt(mutantText, mapOffset(d.span.start, sorted, 'end'))}`;
    left.set(key, (left.get(key) ?? 0) + 1);
  }
  return mutant.filter((d) => {
    const key = `${d.ruleId}|${d.messageId}|${d.span.startLine}`;
    const n = left.get(key) ?? 0;
    if (n === 0) return true;
    left.set(key, n - 1);
    return false;
  });
}

export function judge(
  rules: readonly string[],
  lines: ReadonlySet<number>,
  original: readonly Diagnostic[],
  mutant: readonly Diagnostic[],
  edits: readonly TextEdit[],
  mutantText: string,
): Judgement {
  const fresh = newFindings(original, mutant, edits, mutantText);
  const by = fresh.find((d) => rules.includes(d.ruleId) && lines.has(d.span.startLine));
  return { killed: by !== undefined, by, newFindings: fresh };
}
