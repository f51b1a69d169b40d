/**
 * @fileoverview analyze(): load the program (project-loader.ts, or warm from a ProgramCache),
 * pre-filter its files, analyze every function of the files that matter, run the enabled
 * rules over each analysis, and return Diagnostics (sorted, de-duplicated: a finally body
 * built once per path may report the same node twice).
 */

import { resolve } from 'node:path';
import type { ts } from 'ts-morph';
import { functionName } from '../ast.js';
import type { Diagnostic, Severity } from '../diagnostic.js';
import { makeDiagnostic, shortText, type RuleContext, type RuleDefinition } from '../rules/define-rule.js';
import { RULES } from '../rules/index.js';
import type { AnalysisResult, AnalyzeOptions, RuleInfo, SkippedFunction } from './api.js';
import { filesUsingRuntime } from './prefilter.js';
import { ProgramAnalysis } from './program-analysis.js';
import type { ProgramCache } from './program-cache.js';
import { loadProgram } from './project-loader.js';

/** Analyze one already-built program: the engine's core, shared by analyze() and the tests. */
export function analyzeProgram(
  program: ts.Program,
  options: { files?: readonly string[]; rules?: Readonly<Record<string, Severity>> } = {},
): AnalysisResult {
  const all = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'));
  const wanted = options.files === undefined ? all : all.filter((f) => options.files!.includes(f.fileName));
  const files = filesUsingRuntime(wanted, program);
  const pa = new ProgramAnalysis(program);
  const enabled: Array<{ rule: RuleDefinition; severity: Exclude<Severity, 'off'> }> = [];
  for (const rule of RULES) {
    const sev = options.rules?.[rule.id] ?? rule.defaultSeverity;
    if (sev !== 'off') enabled.push({ rule, severity: sev });
  }
  const diagnostics: Diagnostic[] = [];
  const skipped: SkippedFunction[] = [];
  const seen = new Set<string>();
  for (const sf of files) {
    for (const fn of pa.functionsOf(sf)) {
      let analysis;
      try {
        analysis = pa.analysisOf(fn);
      } catch (err) {
        // One function the engine cannot handle (nesting deeper than the stack allows, an
        // internal error) must not cost the findings of every other function.
        const line = sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1;
        const reason =
          err instanceof RangeError
            ? 'nested too deeply to analyze'
            : `internal error: ${err instanceof Error ? err.message : String(err)}`;
        skipped.push({ file: sf.fileName, line, name: functionName(fn), reason });
        continue;
      }
      if (analysis === undefined) continue;
      for (const { rule, severity } of enabled) {
        const ctx: RuleContext<string> = {
          analysis,
          events: analysis.events,
          sourceFile: sf,
          checker: pa.checker,
          primitives: pa.primitives,
          summaryOfCall: (c) => pa.summaryOfCall(c),
          guards: pa.guards,
          callersOf: (of) => pa.callersOf(of ?? fn),
          visibleCallersOf: () => pa.visibleCallersOf(fn),
          report: (d) => {
            const diag = makeDiagnostic(rule, severity, sf, d);
            const key = `${diag.ruleId}|${diag.messageId}|${diag.span.file}|${diag.span.start}|${diag.span.end}`;
            if (seen.has(key)) return;
            seen.add(key);
            diagnostics.push(diag);
          },
          line: (n) => n.getSourceFile().getLineAndCharacterOfPosition(n.getStart()).line + 1,
          text: (n) => shortText(n, n.getSourceFile()),
        };
        try {
          rule.check(ctx);
        } catch (err) {
          const line = sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1;
          skipped.push({
            file: sf.fileName,
            line,
            name: functionName(fn),
            reason: `internal error in ${rule.id}: ${err instanceof Error ? err.message : String(err)}`,
          });
        }
      }
    }
  }
  diagnostics.sort(
    (a, b) => a.span.file.localeCompare(b.span.file) || a.span.start - b.span.start || a.ruleId.localeCompare(b.ruleId),
  );
  return { diagnostics, filesAnalyzed: files.size, filesInProgram: all.length, skipped };
}

/**
 * Load the program `options` name and analyze it. With `programs`, a tsconfig project is taken
 * from (and kept in) those warm programs instead of being loaded afresh: the same program, the
 * same findings, at the cost of one re-parsed file per edit.
 */
export function analyze(options: AnalyzeOptions, programs?: ProgramCache): AnalysisResult {
  const program = loadProgram(options, programs);
  const files = options.files?.map((f) => resolve(options.cwd, f));
  return analyzeProgram(program, { files, rules: options.rules });
}

export function listRules(): RuleInfo[] {
  return RULES.map((r) => ({
    id: r.id,
    description: r.meta.description,
    defaultSeverity: r.defaultSeverity,
    messages: { ...r.meta.messages },
    docPath: `docs/rules/${r.id.slice(r.id.indexOf('/') + 1)}.md`,
    precision: r.precision,
  }));
}
