/**
 * @fileoverview Text edits on one file: how a mutant is written down (a few non-overlapping
 * replacements of the original text, each at the span of an AST node), applied, and how a
 * position of the original maps into the mutant. Operators keep line numbers where they can
 * (a deleted statement leaves its line breaks behind), so findings on untouched lines of the
 * original and of the mutant line up.
 */

/** Replace `[start, end)` of the original text by `text`. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Edits sorted by position; throws when two overlap (an operator bug, never a mutant). */
export function sortedEdits(edits: readonly TextEdit[]): TextEdit[] {
  const out = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.start < out[i - 1]!.end) throw new Error(`overlapping edits at ${out[i - 1]!.start} and ${out[i]!.start}`);
  }
  return out;
}

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of sortedEdits(edits)) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * Where original offset `pos` lands in the mutant. A position inside a replaced range lands at
 * the start of its replacement (`bias: 'start'`) or just after it (`bias: 'end'`).
 */
export function mapOffset(pos: number, edits: readonly TextEdit[], bias: 'start' | 'end' = 'start'): number {
  let delta = 0;
  for (const e of sortedEdits(edits)) {
    if (e.start === e.end) {
      // An insertion at `pos`: before it or after it, as the bias says.
      if (pos < e.start || (pos === e.start && bias === 'start')) break;
      delta += e.text.length;
      continue;
    }
    if (pos < e.start) break;
    if (pos < e.end) return bias === 'start' ? e.start + delta : e.start + delta + e.text.length;
    delta += e.text.length - (e.end - e.start);
  }
  return pos + delta;
}

/** Only the line breaks of `text`: what a deleted statement leaves so that later lines keep their numbers. */
export function lineBreaksOf(text: string): string {
  return text.replace(/[^\n]/g, '');
}

/** 1-based line of an offset. */
export function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** A node's text on one line, whitespace collapsed and cut at `max` characters: for one-line diffs. */
export function oneLine(text: string, max = 72): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * The lines each edit touches, before (`-12 old`) and after (`+12 new`), for a survivor's
 * report; edits on neighbouring lines are shown together.
 */
export function editDiff(text: string, edits: readonly TextEdit[]): string[] {
  const mutant = applyEdits(text, edits);
  const a = text.split('\n');
  const b = mutant.split('\n');
  const hunks: Array<{ a0: number; a1: number; b0: number; b1: number }> = [];
  for (const e of sortedEdits(edits)) {
    const h = {
      a0: lineAt(text, e.start),
      a1: lineAt(text, Math.max(e.start, e.end - (text[e.end - 1] === '\n' ? 1 : 0))),
      b0: lineAt(mutant, mapOffset(e.start, edits, 'start')),
      b1: lineAt(mutant, mapOffset(e.end, edits, 'end')),
    };
    const last = hunks[hunks.length - 1];
    if (last !== undefined && h.a0 <= last.a1 + 1) hunks[hunks.length - 1] = { a0: last.a0, a1: Math.max(last.a1, h.a1), b0: last.b0, b1: Math.max(last.b1, h.b1) };
    else hunks.push(h);
  }
  const width = String(Math.max(a.length, b.length)).length;
  const num = (n: number): string => String(n).padStart(width);
  return hunks.flatMap((h) => [
    ...a.slice(h.a0 - 1, h.a1).map((l, i) => `-${num(h.a0 + i)} ${l}`),
    ...b.slice(h.b0 - 1, h.b1).map((l, i) => `+${num(h.b0 + i)} ${l}`),
  ]);
}
