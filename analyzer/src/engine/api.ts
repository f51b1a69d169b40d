/**
 * @fileoverview The engine's entry points and what they return, as check/pipeline.ts (and
 * through it the CLI and the language server) sees them. Architecture invariant: callers
 * outside the engine use only these and the package's index; the engine never prints.
 */

import type { Diagnostic, Severity } from '../diagnostic.js';

export interface AnalyzeOptions {
  /** Directory paths are resolved against. */
  readonly cwd: string;
  /** tsconfig.json to load; when absent, `files` are analyzed as loose files. */
  readonly project?: string;
  /** Restrict the findings to these files (absolute paths); all project files when absent. */
  readonly files?: readonly string[];
  /** Severity per rule id, overriding each rule's default. */
  readonly rules?: Readonly<Record<string, Severity>>;
  /** Unsaved editor contents by absolute path, used instead of the file on disk. */
  readonly overlays?: ReadonlyMap<string, string>;
}

export interface AnalysisResult {
  readonly diagnostics: readonly Diagnostic[];
  /** Files the engine analyzed (after the cheap pre-filter, those importing the runtime). */
  readonly filesAnalyzed: number;
  /** Files in the program. */
  readonly filesInProgram: number;
  /**
   * Functions the engine could not analyze (nesting too deep for the analysis, an internal
   * error): their findings are missing, and the CLI should say so. Empty when all went well.
   */
  readonly skipped?: readonly SkippedFunction[];
}

export interface SkippedFunction {
  readonly file: string;
  /** 1-based line of the function (or 1 for a file's top level). */
  readonly line: number;
  /** `lockTaskSighand`, `<top>` */
  readonly name: string;
  readonly reason: string;
}

export interface RuleInfo {
  /** `rcu/missing-revalidation` */
  readonly id: string;
  readonly description: string;
  readonly defaultSeverity: Exclude<Severity, 'off'>;
  /** camelCase message id -> message template */
  readonly messages: Readonly<Record<string, string>>;
  /** Path of the rule's doc page relative to the analyzer package root (`docs/rules/x.md`). */
  readonly docPath: string;
  /** SARIF precision: how often a finding is a true positive. */
  readonly precision: 'very-high' | 'high' | 'medium' | 'low';
}
