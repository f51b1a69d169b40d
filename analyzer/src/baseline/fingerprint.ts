/**
 * @fileoverview Fingerprints: a finding's identity that survives edits elsewhere in the file.
 *
 * A fingerprint hashes the rule id, the message id, the file (relative, POSIX) and the text of
 * the finding's first line with whitespace collapsed, then appends the occurrence number among
 * findings with the same hash in that file, in file order. Line numbers are left out on
 * purpose, so adding or removing lines above a finding does not change it; editing the
 * offending line itself does, which is what a reviewer wants (the code changed, look again).
 * Message text is left out too, since messages name line numbers ("locked at line 12").
 * The baseline and SARIF's `partialFingerprints` both use it.
 */

import { createHash } from 'node:crypto';
import type { Diagnostic } from '../diagnostic.js';

/** Key under SARIF `partialFingerprints`; bump the version if the recipe ever changes. */
export const fingerprintKey = 'rcukitFingerprint/v1';

/**
 * Fingerprints for a set of findings.
 * @param relativePath the path stored in the fingerprint (relative to the project's root)
 * @param lineText the text of a 1-based line of an absolute file ('' when unreadable)
 */
export function fingerprintAll(
  diagnostics: readonly Diagnostic[],
  relativePath: (absFile: string) => string,
  lineText: (absFile: string, line: number) => string,
): Map<Diagnostic, string> {
  const ordered = [...diagnostics].sort(
    (a, b) =>
      cmp(a.span.file, b.span.file) ||
      a.span.start - b.span.start ||
      cmp(a.ruleId, b.ruleId) ||
      cmp(a.messageId, b.messageId),
  );
  const occurrences = new Map<string, number>();
  const out = new Map<Diagnostic, string>();
  for (const d of ordered) {
    const rel = relativePath(d.span.file);
    const line = lineText(d.span.file, d.span.startLine).replace(/\s+/g, ' ').trim();
    const hash = createHash('sha256').update([d.ruleId, d.messageId, rel, line].join('\0')).digest('hex').slice(0, 20);
    const n = occurrences.get(rel + hash) ?? 0;
    occurrences.set(rel + hash, n + 1);
    out.set(d, `${hash}:${n}`);
  }
  return out;
}

/** Reads file lines through a cache; `read` returns undefined for an unreadable file. */
export function lineReader(read: (absFile: string) => string | undefined): (absFile: string, line: number) => string {
  const lines = new Map<string, readonly string[]>();
  return (file, line) => {
    let l = lines.get(file);
    if (l === undefined) {
      l = (read(file) ?? '').split(/\r\n|\r|\n/);
      lines.set(file, l);
    }
    return l[line - 1] ?? '';
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
