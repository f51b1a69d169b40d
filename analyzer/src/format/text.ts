/**
 * @fileoverview The text format, shaped like tsc's so editors' problem matchers and people's
 * eyes already know it:
 *
 *     src/a.ts(14,5): error rcu/missing-revalidation: `sighand` is used ...
 *         src/a.ts(11,3): lock taken here
 *
 * one finding a line, its related locations indented under it, then a summary. Colour is the
 * caller's decision (colorEnabled); the text is the same with or without it.
 */

import type { Diagnostic } from '../diagnostic.js';
import { displayPath } from './paths.js';
import { countSeverities, type Report } from './report.js';

export interface TextOptions {
  readonly color: boolean;
}

/**
 * Whether to colour output going to `stream`: only a terminal, and never when NO_COLOR is set
 * to anything non-empty (https://no-color.org). FORCE_COLOR=1 forces it for tools that capture
 * a terminal's output.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '' && env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true;
}

const ansi = {
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
  gray: '\x1b[90m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

export function formatText(report: Report, options: TextOptions): string {
  const paint = (code: string, s: string) => (options.color ? code + s + ansi.reset : s);
  const where = (file: string, line: number, column: number) =>
    paint(ansi.cyan, displayPath(report.rootDir, file)) + `(${line},${column})`;
  const lines: string[] = [];
  for (const d of report.diagnostics) {
    const sev = d.severity === 'error' ? paint(ansi.red, 'error') : paint(ansi.yellow, 'warning');
    const [first, ...more] = d.message.split('\n');
    lines.push(
      `${where(d.span.file, d.span.startLine, d.span.startColumn)}: ${sev} ${paint(ansi.gray, d.ruleId)}: ${first}`,
    );
    for (const m of more) lines.push(`    ${m}`);
    for (const r of d.related) {
      lines.push(`    ${where(r.span.file, r.span.startLine, r.span.startColumn)}: ${paint(ansi.gray, r.message)}`);
    }
  }
  if (lines.length > 0) lines.push('');
  lines.push(paint(ansi.bold, summary(report)));
  if (report.staleBaselineEntries > 0) {
    lines.push(
      `${plural(report.staleBaselineEntries, 'baseline entry', 'baseline entries')} matched nothing (fixed?); run with --update-baseline to drop them.`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * `2 errors and 1 warning in 2 files (14 files checked, 1 suppressed, 3 in baseline).` With
 * functions the engine could not analyze, the line says so first, and never "No problems
 * found": their findings are missing.
 */
export function summary(report: Report): string {
  const { errors, warnings } = countSeverities(report.diagnostics);
  const extras = [`${plural(report.filesChecked, 'file')} checked`];
  if (report.suppressed.length > 0) extras.push(`${report.suppressed.length} suppressed`);
  if (report.baselined > 0) extras.push(`${report.baselined} in baseline`);
  const skipped = report.skipped.length;
  const incomplete =
    skipped > 0 ? `Analysis incomplete: ${plural(skipped, 'function')} not analyzed (named on stderr). ` : '';
  if (errors + warnings === 0) {
    return skipped > 0
      ? `${incomplete}Nothing found in the rest (${extras.join(', ')}).`
      : `No problems found (${extras.join(', ')}).`;
  }
  const files = new Set(report.diagnostics.map((d: Diagnostic) => d.span.file)).size;
  return `${incomplete}${plural(errors, 'error')} and ${plural(warnings, 'warning')} in ${plural(files, 'file')} (${extras.join(', ')}).`;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}
