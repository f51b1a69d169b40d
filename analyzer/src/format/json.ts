/**
 * @fileoverview The JSON format: one object for the whole run, for scripts and dashboards. Its
 * schema is docs/json-output.schema.json, explained in docs/json-output.md; a test validates
 * real output against the schema so the two cannot drift. Paths are relative to `rootDir`
 * (POSIX slashes); lines and columns are 1-based, columns in UTF-16 code units as tsc counts.
 */

import type { Diagnostic, SourceSpan } from '../diagnostic.js';
import { displayPath } from './paths.js';
import { countSeverities, type Report } from './report.js';

/** Bumped on any change that could break a consumer (removing or retyping a field). */
export const jsonSchemaVersion = 1;

export function formatJson(report: Report): string {
  const { errors, warnings } = countSeverities(report.diagnostics);
  const span = (s: SourceSpan) => ({ ...s, file: displayPath(report.rootDir, s.file) });
  const finding = (d: Diagnostic) => ({
    ruleId: d.ruleId,
    messageId: d.messageId,
    severity: d.severity,
    message: d.message,
    span: span(d.span),
    related: d.related.map((r) => ({ message: r.message, span: span(r.span) })),
    fixes: d.fixes.map((f) => ({
      title: f.title,
      edits: f.edits.map((e) => ({ ...e, file: displayPath(report.rootDir, e.file) })),
    })),
    fingerprint: report.fingerprints.get(d) ?? '',
  });
  const body = {
    schemaVersion: jsonSchemaVersion,
    tool: report.tool,
    rootDir: report.rootDir,
    summary: {
      errors,
      warnings,
      suppressed: report.suppressed.length,
      baselined: report.baselined,
      staleBaselineEntries: report.staleBaselineEntries,
      filesChecked: report.filesChecked,
      filesInProgram: report.filesInProgram,
      skipped: report.skipped.length,
    },
    diagnostics: report.diagnostics.map(finding),
    suppressed: report.suppressed.map((s) => ({ ...finding(s.diagnostic), justification: s.justification })),
    skipped: report.skipped.map((s) => ({ ...s, file: displayPath(report.rootDir, s.file) })),
  };
  return JSON.stringify(body, null, 2) + '\n';
}
