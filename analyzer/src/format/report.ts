/**
 * @fileoverview What a formatter is given: the findings of one run and its totals. Architecture
 * invariant: formatters read only this and the Diagnostic model; they never touch the engine,
 * the file system or the TypeScript program. Anything they need from files (rule doc text,
 * fingerprints) the CLI puts here.
 */

import type { Diagnostic } from '../diagnostic.js';
import type { RuleInfo, SkippedFunction } from '../engine/api.js';
import type { SuppressedDiagnostic } from '../suppress/apply-suppressions.js';

export interface Report {
  readonly tool: { readonly name: 'rcukit'; readonly version: string };
  /** Paths in the output are relative to this folder (the working directory). */
  readonly rootDir: string;
  /** Findings that count, sorted by file and position. */
  readonly diagnostics: readonly Diagnostic[];
  /** Findings suppressed by an `rcukit-ignore-next-line` comment, with its reason. */
  readonly suppressed: readonly SuppressedDiagnostic[];
  /** Findings dropped because the baseline lists them. */
  readonly baselined: number;
  /** Baseline entries that matched no finding (fixed since). */
  readonly staleBaselineEntries: number;
  /** Stable identity of each finding (diagnostics and suppressed), see baseline/fingerprint.ts. */
  readonly fingerprints: ReadonlyMap<Diagnostic, string>;
  /** Every rule of the run, engine and meta. */
  readonly rules: readonly RuleInfo[];
  /** Markdown doc page per rule id, for SARIF help (filled only when SARIF is asked for). */
  readonly ruleDocs: ReadonlyMap<string, string>;
  /** Web address of each rule's doc page (SARIF `helpUri`), when the package names its repository. */
  readonly ruleHelpUris?: ReadonlyMap<string, string>;
  readonly filesChecked: number;
  readonly filesInProgram: number;
  /** Functions the engine could not analyze: their findings are missing (the CLI names each on stderr). */
  readonly skipped: readonly SkippedFunction[];
}

/** Counts by severity. */
export function countSeverities(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === 'error') errors++;
  return { errors, warnings: diagnostics.length - errors };
}
