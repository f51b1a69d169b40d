/**
 * @fileoverview SARIF 2.1.0 output, shaped for GitHub code scanning (upload it with
 * github/codeql-action/upload-sarif). What GitHub reads, and where it comes from here:
 *
 * - `tool.driver.rules[]`: every rule of the run with its description, its doc page as help
 *   (text and Markdown) and as `helpUri` (its address in the repository package.json names),
 *   its default level, and `properties.precision` / `problem.severity`,
 *   which GitHub uses to rank alerts.
 * - `results[].locations`: a relative URI under the `%SRCROOT%` base (the run's root folder,
 *   given in `originalUriBaseIds`), so alerts map to files in the repository; 1-based lines and
 *   columns, end column exclusive, in UTF-16 code units (`columnKind`).
 * - `relatedLocations`: the path the message speaks of ("lock taken here").
 * - `partialFingerprints`: our line-shift-stable fingerprint, so an alert keeps its identity
 *   across commits.
 * - `suppressions`: findings silenced by `rcukit-ignore-next-line` are included as suppressed
 *   (kind `inSource`, the comment's reason as justification), which GitHub shows as closed.
 * - `invocations[0].toolExecutionNotifications`: each function the engine could not analyze,
 *   at its line (only when there are some; `executionSuccessful` is then false).
 *
 * Validated in tests with Microsoft's SARIF Multitool (`validate --rule-kind "Sarif;Gh"`).
 */

import type { Diagnostic, SourceSpan } from '../diagnostic.js';
import type { RuleInfo } from '../engine/api.js';
import { fingerprintKey } from '../baseline/fingerprint.js';
import { dirUri, fileUri, isUnder, relativeUri } from './paths.js';
import type { Report } from './report.js';

export const sarifSchemaUri = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The uriBaseId of every relative artifact location: the run's root folder. */
export const srcRoot = '%SRCROOT%';

export function formatSarif(report: Report): string {
  const ruleIndex = new Map(report.rules.map((r, i) => [r.id, i]));
  const level = (s: Diagnostic['severity']) => (s === 'error' ? 'error' : 'warning');

  const artifactLocation = (file: string) =>
    isUnder(report.rootDir, file)
      ? { uri: relativeUri(report.rootDir, file), uriBaseId: srcRoot }
      : { uri: fileUri(file) };
  const physicalLocation = (span: SourceSpan) => ({
    artifactLocation: artifactLocation(span.file),
    region: region(span),
  });

  const result = (d: Diagnostic, justification?: string) => ({
    ruleId: d.ruleId,
    ...(ruleIndex.has(d.ruleId) ? { ruleIndex: ruleIndex.get(d.ruleId)! } : {}),
    level: level(d.severity),
    message: { text: d.message },
    locations: [{ physicalLocation: physicalLocation(d.span) }],
    ...(d.related.length > 0
      ? {
          relatedLocations: d.related.map((r, i) => ({
            id: i + 1,
            physicalLocation: physicalLocation(r.span),
            message: { text: r.message },
          })),
        }
      : {}),
    partialFingerprints: { [fingerprintKey]: report.fingerprints.get(d) ?? '' },
    ...(justification !== undefined ? { suppressions: [{ kind: 'inSource', justification }] } : {}),
  });

  const log = {
    $schema: sarifSchemaUri,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            rules: report.rules.map((r) => rule(r, report.ruleDocs.get(r.id), report.ruleHelpUris?.get(r.id))),
          },
        },
        originalUriBaseIds: { [srcRoot]: { uri: dirUri(report.rootDir) } },
        columnKind: 'utf16CodeUnits',
        results: [
          ...report.diagnostics.map((d) => result(d)),
          ...report.suppressed.map((s) => result(s.diagnostic, s.justification || 'suppressed without a reason')),
        ],
        ...(report.skipped.length > 0
          ? {
              invocations: [
                {
                  executionSuccessful: false,
                  toolExecutionNotifications: report.skipped.map((s) => ({
                    level: 'error',
                    message: { text: `\`${s.name}\` was not analyzed (${s.reason}); findings in it are missing.` },
                    locations: [
                      {
                        physicalLocation: {
                          artifactLocation: artifactLocation(s.file),
                          region: { startLine: s.line },
                        },
                      },
                    ],
                  })),
                },
              ],
            }
          : {}),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

/** A reportingDescriptor: everything GitHub shows about a rule. */
function rule(r: RuleInfo, doc: string | undefined, helpUri: string | undefined) {
  const help = doc ?? `${r.description}\n\nSee ${r.docPath} in the @rcukit/analyzer package.`;
  return {
    id: r.id,
    name: pascalName(r.id),
    shortDescription: { text: r.description },
    fullDescription: { text: r.description },
    help: { text: help, markdown: help },
    ...(helpUri !== undefined ? { helpUri } : {}),
    defaultConfiguration: { level: r.defaultSeverity === 'error' ? 'error' : 'warning' },
    properties: {
      precision: r.precision,
      'problem.severity': r.defaultSeverity === 'error' ? 'error' : 'warning',
      tags: ['correctness', r.id.split('/')[0]!],
    },
  };
}

/** `rcu/missing-revalidation` -> `RcuMissingRevalidation` (SARIF wants an identifier-like name). */
export function pascalName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** SARIF regions are 1-based with an exclusive end column; never let a degenerate span go below 1. */
function region(span: SourceSpan) {
  const startLine = Math.max(1, span.startLine);
  const startColumn = Math.max(1, span.startColumn);
  const endLine = Math.max(startLine, span.endLine);
  const endColumn = endLine === startLine ? Math.max(startColumn, span.endColumn) : Math.max(1, span.endColumn);
  return { startLine, startColumn, endLine, endColumn };
}
