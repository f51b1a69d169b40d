/**
 * @fileoverview The one pipeline around the engine, shared by `rcukit check`
 * (cli/check-command.ts), the language server (lsp/analysis-worker.ts) and the ESLint plugin
 * (eslint-plugin/, through the package export `@rcukit/analyzer/check`), so that the editor, ESLint
 * and CI agree by construction. In order:
 *
 *   severities: each rule's default, overridden by the caller's map (config file, then flags
 *   or editor settings)
 *   -> the engine over each target (a tsconfig project or loose files); rules set to 'off' do
 *      not run, and the engine reads only its own rules' severities from the map
 *   -> de-duplication (a file in two projects is reported once)
 *   -> inline suppressions (`rcukit-ignore-next-line`), plus the findings about the comments
 *      themselves (meta-rules at their severity; 'off' reports nothing)
 *   -> sorted by file, position and rule.
 *
 * What follows is the caller's: the CLI's baseline, --quiet, formats and exit code; the
 * server's publishing per document. Warm programs belong to the engine (ProgramCache); the
 * server passes its own, the CLI loads each project once. The engine is reached through the
 * package's public entry (../index.js), never its internals. This module loads ts-morph and
 * TypeScript: callers import it lazily, so that `rcukit --help` and the server's main thread
 * never pay for them.
 */

import { readFileSync } from 'node:fs';
import type { ts } from 'ts-morph';
import type { Diagnostic, Severity } from '../diagnostic.js';
import {
  analyze,
  analyzeProgram,
  listRules,
  type AnalysisResult,
  type ProgramCache,
  type RuleInfo,
  type SkippedFunction,
} from '../index.js';
import { applySuppressions, type SuppressedDiagnostic } from '../suppress/apply-suppressions.js';
import { metaRules } from '../suppress/meta-rules.js';
import { findSuppressionComments, type SuppressionComment } from '../suppress/suppression-comments.js';

export { ProgramCache } from '../index.js';

/** One thing to analyze: a tsconfig project, or loose files, and the files to report on. */
export interface CheckTarget {
  /** Absolute path of the tsconfig.json; undefined for loose files. */
  readonly project: string | undefined;
  /** Absolute paths of the files to report on. */
  readonly files: readonly string[];
  /**
   * A program already built for this target, analyzed instead of loading `project`: ESLint's,
   * from typescript-eslint's parser services, so that the plugin does not load the project a
   * second time. It must come from the TypeScript the engine is built against (the ESLint
   * plugin checks). Never set by the server, whose requests cross to the engine's thread.
   */
  readonly program?: ts.Program;
}

/** What to check and how: plain data, so that the server can post it to the engine's thread. */
export interface CheckRequest {
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  readonly targets: readonly CheckTarget[];
  /** Severity per rule id, engine and meta rules alike, over each rule's default. */
  readonly severities: Readonly<Record<string, Severity>>;
  /** Unsaved editor contents by absolute path, used instead of the file on disk. */
  readonly overlays?: ReadonlyMap<string, string>;
  /**
   * Suppression comments per file, when the caller has read every file already (the CLI's
   * source scan); otherwise they are read here, from the overlay or the disk.
   */
  readonly comments?: ReadonlyMap<string, readonly SuppressionComment[]>;
  /** Findings the caller made before the engine ran (the CLI's syntax errors); comments suppress them too. */
  readonly preFindings?: readonly Diagnostic[];
}

export interface CheckResult {
  /** The findings no comment suppressed, and those about the comments, sorted by position. */
  readonly diagnostics: Diagnostic[];
  /** What comments suppressed, with their reasons, sorted by position. */
  readonly suppressed: SuppressedDiagnostic[];
  /** Files the engine analyzed, over all targets. */
  readonly filesAnalyzed: number;
  /** Files in the programs, over all targets. */
  readonly filesInProgram: number;
  /** Functions the engine could not analyze: their findings are missing. */
  readonly skipped: SkippedFunction[];
}

/** The engine could not analyze a target (its project would not load); `cause` says why. */
export class TargetAnalysisError extends Error {
  override readonly name = 'TargetAnalysisError';
  constructor(
    readonly target: CheckTarget,
    override readonly cause: unknown,
  ) {
    super(
      `analysis of ${target.project ?? 'loose files'} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** Every rule a run knows: the engine's, then the ones about suppression comments and syntax errors. */
export function allRules(): RuleInfo[] {
  return [...listRules(), ...metaRules];
}

/** The severity in force for a rule id: the map's, else the rule's default (`error` for an id no rule has). */
export function severityLookup(
  severities: Readonly<Record<string, Severity>>,
  rules: readonly RuleInfo[],
): (ruleId: string) => Severity {
  const defaults = new Map(rules.map((r) => [r.id, r.defaultSeverity] as const));
  return (id) => severities[id] ?? defaults.get(id) ?? 'error';
}

/** Run the engine over every target, then suppressions, de-duplication and sorting. */
export function runPipeline(request: CheckRequest, programs?: ProgramCache): CheckResult {
  const rules = allRules();
  const severityOf = severityLookup(request.severities, rules);
  const found: Diagnostic[] = [...(request.preFindings ?? [])];
  const skipped: SkippedFunction[] = [];
  let filesAnalyzed = 0;
  let filesInProgram = 0;
  for (const target of request.targets) {
    let result: AnalysisResult;
    try {
      result =
        target.program !== undefined
          ? analyzeProgram(target.program, { files: target.files, rules: request.severities })
          : analyze(
              {
                cwd: request.cwd,
                ...(target.project !== undefined ? { project: target.project } : {}),
                files: target.files,
                rules: request.severities,
                ...(request.overlays !== undefined ? { overlays: request.overlays } : {}),
              },
              programs,
            );
    } catch (cause) {
      throw new TargetAnalysisError(target, cause);
    }
    found.push(...result.diagnostics);
    skipped.push(...(result.skipped ?? []));
    filesAnalyzed += result.filesAnalyzed;
    filesInProgram += result.filesInProgram;
  }
  const comments =
    request.comments ??
    readComments(
      request.targets.flatMap((t) => t.files),
      request.overlays,
    );
  const outcome = applySuppressions(dedupe(found), comments, severityOf, new Set(rules.map((r) => r.id)));
  return {
    diagnostics: [...outcome.kept, ...outcome.commentFindings].sort(byPosition),
    suppressed: [...outcome.suppressed].sort((a, b) => byPosition(a.diagnostic, b.diagnostic)),
    filesAnalyzed,
    filesInProgram,
    skipped,
  };
}

/** The suppression comments of `files`, from the overlay or the disk; an unreadable file has none. */
function readComments(
  files: readonly string[],
  overlays: ReadonlyMap<string, string> | undefined,
): Map<string, SuppressionComment[]> {
  const comments = new Map<string, SuppressionComment[]>();
  for (const file of new Set(files)) {
    let text = overlays?.get(file);
    if (text === undefined) {
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
    }
    const found = findSuppressionComments(file, text);
    if (found.length > 0) comments.set(file, found);
  }
  return comments;
}

/** The same finding reported twice (a file in two projects) is kept once. */
function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const k = `${d.span.file}\0${d.span.start}\0${d.span.end}\0${d.ruleId}\0${d.messageId}\0${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** By file, then offset, then rule id (code-unit order, the same on every machine). */
function byPosition(a: Diagnostic, b: Diagnostic): number {
  return compareText(a.span.file, b.span.file) || a.span.start - b.span.start || compareText(a.ruleId, b.ruleId);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
