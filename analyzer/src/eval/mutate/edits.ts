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
    if (out[i]!.start < out[i - 1]!.end)
      throw new Error(`overlapping edits at ${out[i - 1]!.start} and ${out[i]!.start}`);
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
 * The lines each edit changes, before (`-12 old`) and after (`+12 new`), for a survivor's
 * report: a deletion that leaves an empty line shows it empty, whole lines inserted before or
 * after a line show no `-` line.
 */
export function editDiff(text: string, edits: readonly TextEdit[]): string[] {
  const mutant = applyEdits(text, edits);
  const a = text.split('\n');
  const b = mutant.split('\n');
  const width = String(Math.max(a.length, b.length)).length;
  const num = (n: number): string => String(n).padStart(width);
  const lead = (t: string): number => t.length - t.trimStart().length;
  const out: string[] = [];
  for (const e of sortedEdits(edits)) {
    const removed = text.slice(e.start, e.end);
    const lineStart = text.lastIndexOf('\n', e.start - 1) + 1;
    const atLineStart = /^[ \t]*$/.test(text.slice(lineStart, e.start));
    const atLineEnd = e.start === text.length || text[e.start] === '\n' || text.startsWith('\r\n', e.start);
    const wholeLines =
      e.start === e.end && ((atLineStart && /\n[ \t]*$/.test(e.text)) || (atLineEnd && e.text.startsWith('\n')));
    const gone = removed.trim() !== '' && e.text === '' && /^\s*\n/.test(removed);
    // The original lines it touches (none for whole lines inserted, or removed with the line break before them).
    if (!wholeLines) {
      const from = removed.trim() === '' ? e.start : e.start + lead(removed);
      const to = removed.trim() === '' ? e.start : e.start + removed.trimEnd().length;
      for (let l = lineAt(text, from); l <= lineAt(text, to); l++) out.push(`-${num(l)} ${a[l - 1]}`);
    }
    // The mutant's lines it writes (none when the lines went away with their line breaks).
    if (!gone) {
      const at = mapOffset(e.start, edits, 'start');
      // Only line breaks left (a deleted statement): its first line, now empty, stands for it.
      const blank = e.text.trim() === '';
      const from = blank ? at : at + lead(e.text);
      const to = blank ? at : at + e.text.trimEnd().length;
      for (let l = lineAt(mutant, from); l <= lineAt(mutant, Math.max(from, to)); l++)
        out.push(`+${num(l)} ${b[l - 1]}`);
    }
  }
  return out;
}
