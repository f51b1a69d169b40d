/**
 * @fileoverview Applies `rcukit-ignore-next-line` comments to the engine's findings, and reports
 * the comments that are themselves wrong: no reason given, nothing suppressed (stale, or a
 * misspelt rule id), no rule named. A suppression names rules explicitly; there is no
 * "suppress everything on this line".
 */

import type { Diagnostic, Severity, SourceSpan } from '../diagnostic.js';
import { invalidSuppression, suppressionWithoutReason, unusedSuppression } from './meta-rules.js';
import type { SuppressionComment } from './suppression-comments.js';

/** A finding a comment suppressed, with the comment's reason (for SARIF `suppressions`). */
export interface SuppressedDiagnostic {
  readonly diagnostic: Diagnostic;
  readonly justification: string;
}

export interface SuppressionOutcome {
  /** Findings no comment suppressed, in input order. */
  readonly kept: Diagnostic[];
  readonly suppressed: SuppressedDiagnostic[];
  /** Findings about the comments (meta-rules), at their configured severity. */
  readonly commentFindings: Diagnostic[];
}

/**
 * @param diagnostics the engine's findings
 * @param commentsByFile directives per absolute file path (files without any may be absent)
 * @param severityOf the severity in force for a rule id ('off' when disabled); a suppression of
 *   a disabled rule is not reported as unused, since the rule did not run
 * @param knownRuleIds every rule id of this run, engine and meta
 */
export function applySuppressions(
  diagnostics: readonly Diagnostic[],
  commentsByFile: ReadonlyMap<string, readonly SuppressionComment[]>,
  severityOf: (ruleId: string) => Severity,
  knownRuleIds: ReadonlySet<string>,
): SuppressionOutcome {
  // file -> target line -> comments aimed at it
  const byTarget = new Map<string, Map<number, SuppressionComment[]>>();
  for (const [file, comments] of commentsByFile) {
    const lines = new Map<number, SuppressionComment[]>();
    for (const c of comments) lines.set(c.targetLine, [...(lines.get(c.targetLine) ?? []), c]);
    byTarget.set(file, lines);
  }
  const used = new Map<SuppressionComment, Set<string>>();
  const kept: Diagnostic[] = [];
  const suppressed: SuppressedDiagnostic[] = [];
  for (const d of diagnostics) {
    const comment = byTarget
      .get(d.span.file)
      ?.get(d.span.startLine)
      ?.find((c) => c.ruleIds.includes(d.ruleId));
    if (comment === undefined) {
      kept.push(d);
      continue;
    }
    suppressed.push({ diagnostic: d, justification: comment.reason ?? '' });
    used.set(comment, (used.get(comment) ?? new Set()).add(d.ruleId));
  }

  const commentFindings: Diagnostic[] = [];
  const report = (file: string, c: SuppressionComment, ruleId: string, messageId: string, message: string) => {
    const severity = severityOf(ruleId);
    if (severity === 'off') return;
    commentFindings.push({ ruleId, messageId, severity, message, span: commentSpan(file, c), related: [], fixes: [] });
  };
  for (const [file, comments] of commentsByFile) {
    for (const c of comments) {
      if (c.ruleIds.length === 0) {
        report(
          file,
          c,
          invalidSuppression,
          'noRules',
          'suppression names no rule; write `rcukit-ignore-next-line rcu/<rule> -- <reason>`',
        );
        continue;
      }
      if (c.reason === undefined) {
        report(
          file,
          c,
          suppressionWithoutReason,
          'missingReason',
          `suppression of ${c.ruleIds.join(', ')} gives no reason; write \`-- <why this is safe>\` after the rule ids`,
        );
      }
      for (const id of c.ruleIds) {
        if (!knownRuleIds.has(id)) {
          report(file, c, unusedSuppression, 'unknownRule', `suppression names unknown rule ${id}`);
        } else if (severityOf(id) !== 'off' && !used.get(c)?.has(id)) {
          report(
            file,
            c,
            unusedSuppression,
            'unused',
            `suppression of ${id} suppresses nothing on line ${c.targetLine}; remove it`,
          );
        }
      }
    }
  }
  return { kept, suppressed, commentFindings };
}

function commentSpan(file: string, c: SuppressionComment): SourceSpan {
  return {
    file,
    startLine: c.line,
    startColumn: c.column,
    endLine: c.endLine,
    endColumn: c.endColumn,
    start: c.start,
    end: c.end,
  };
}
