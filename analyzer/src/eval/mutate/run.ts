/**
 * @fileoverview The mutation run: for every target project, one warm program; for every correct
 * function, every operator's mutants; for each mutant, the program with that one file's text
 * replaced, a type check of that file (a mutant that does not compile is discarded), the
 * engine on that file only, and the judgement. The engine is called as the CLI calls it
 * (analyzeProgram); nothing here prints.
 */

import { relative } from 'node:path';
import { ts } from 'ts-morph';
import type { Diagnostic } from '../../diagnostic.js';
import { analyzeProgram } from '../../engine/analyze.js';
import { ProgramAnalysis } from '../../engine/program-analysis.js';
import { applyEdits, editDiff, lineAt } from './edits.js';
import { judge, judgedLines } from './judge.js';
import { FunctionScope, type MutantDraft, type MutationOperator, type OperatorId } from './operator.js';
import { OPERATORS } from './operators/index.js';
import { correctFunctions, inTarget, ownsLine, repoRoot, resolveTargets, type TargetProject } from './targets.js';
import { WarmProgram, fileErrors, newErrors } from './warm-program.js';

export type MutantStatus = 'killed' | 'survived' | 'discarded';

/** A finding, as the report shows it. */
export interface FindingRef {
  readonly rule: string;
  readonly messageId: string;
  readonly line: number;
}

export interface MutantResult {
  readonly operator: OperatorId;
  /** Relative to the repository root, `/`-separated. */
  readonly file: string;
  readonly function: string;
  /** 1-based line of the first edit, in the original file. */
  readonly line: number;
  readonly mutation: string;
  readonly status: MutantStatus;
  /** The finding that caught it. */
  readonly killedBy?: FindingRef;
  /** For a survivor: what the checker did report that the original did not (other rules, other lines). */
  readonly otherFindings?: readonly FindingRef[];
  /** For a discarded mutant: the type errors it introduced. */
  readonly errors?: readonly string[];
  /** Functions the engine could not analyze in the mutant. */
  readonly skipped?: readonly string[];
  /** For a mutant not killed: the changed lines (`-12 old`, `+12 new`). */
  readonly diff?: readonly string[];
}

export interface ProjectSummary {
  readonly root: string;
  readonly tsconfig: string;
  readonly files: number;
  readonly functions: number;
  /** Correct functions on which the checker already reports something (its false alarms). */
  readonly functionsWithFindings: readonly string[];
}

export interface MutationRun {
  readonly projects: readonly ProjectSummary[];
  readonly results: readonly MutantResult[];
  /** Operators that threw on a function (a bug in the operator): `file: function: operator: message`. */
  readonly errors: readonly string[];
  readonly seconds: number;
}

export interface MutationOptions {
  /** Root names to run (all that apply when absent). */
  readonly roots?: readonly string[];
  readonly operators?: readonly string[];
  /** Called after each mutant, for a progress line. */
  readonly onProgress?: (done: number, project: TargetProject) => void;
}

/** A path relative to the repository root, `/`-separated: how reports and the survivor list name files. */
export function repoRelative(file: string): string {
  return relative(repoRoot(), file).split('\\').join('/');
}

const ref = (d: Diagnostic): FindingRef => ({ rule: d.ruleId, messageId: d.messageId, line: d.span.startLine });

export function runMutation(options: MutationOptions = {}): MutationRun {
  const t0 = performance.now();
  const operators = OPERATORS.filter((o) => options.operators === undefined || options.operators.includes(o.id));
  const projects: ProjectSummary[] = [];
  const results: MutantResult[] = [];
  const errors: string[] = [];
  for (const project of resolveTargets(repoRoot(), options.roots)) {
    const warm = WarmProgram.load(project.tsconfig);
    const unloadable = [...warm.base.getOptionsDiagnostics(), ...warm.base.getGlobalDiagnostics()].filter(
      (d) => d.category === ts.DiagnosticCategory.Error,
    );
    if (unloadable.length > 0)
      throw new Error(
        `${repoRelative(project.tsconfig)}: ${ts.flattenDiagnosticMessageText(unloadable[0]!.messageText, ' ')}`,
      );
    const files = warm.base.getSourceFiles().filter((sf) => inTarget(project, sf.fileName));
    const baseline = analyzeProgram(warm.base, { files: files.map((f) => f.fileName) });
    const pa = new ProgramAnalysis(warm.base);
    let functions = 0;
    const withFindings: string[] = [];
    for (const sf of files) {
      const original = baseline.diagnostics.filter((d) => d.span.file === sf.fileName);
      const originalErrors = fileErrors(warm.base, sf);
      const all = pa.functionsOf(sf);
      for (const fn of correctFunctions(sf, all)) {
        const scope = new FunctionScope(sf, fn, pa);
        functions++;
        if (original.some((d) => ownsLine(sf, all, fn, d.span.startLine))) {
          withFindings.push(
            `${repoRelative(sf.fileName)}:${sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1} ${scope.name}`,
          );
        }
        const onError = (op: MutationOperator, err: unknown): void => {
          errors.push(
            `${repoRelative(sf.fileName)}: ${scope.name}: ${op.id}: ${err instanceof Error ? err.message : String(err)}`,
          );
        };
        for (const { operator, draft } of generate(scope, operators, onError)) {
          results.push(evaluate(warm, scope, original, originalErrors, operator, draft));
          options.onProgress?.(results.length, project);
        }
      }
    }
    projects.push({
      root: project.root,
      tsconfig: repoRelative(project.tsconfig),
      files: files.length,
      functions,
      functionsWithFindings: withFindings,
    });
  }
  return { projects, results, errors, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Every operator's mutants of one function; the same edits from one operator only once. An
 * operator that throws (its bug, on a construct it did not foresee) is reported to `onError`
 * and skipped for this function, or rethrown when there is no `onError`.
 */
export function generate(
  scope: FunctionScope,
  operators: readonly MutationOperator[] = OPERATORS,
  onError?: (operator: MutationOperator, err: unknown) => void,
): Array<{ operator: MutationOperator; draft: MutantDraft }> {
  const out: Array<{ operator: MutationOperator; draft: MutantDraft }> = [];
  const seen = new Set<string>();
  for (const operator of operators) {
    let drafts: MutantDraft[];
    try {
      drafts = operator.generate(scope);
    } catch (err) {
      if (onError === undefined) throw err;
      onError(operator, err);
      continue;
    }
    for (const draft of drafts) {
      const key = `${operator.id}|${JSON.stringify(draft.edits)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ operator, draft });
    }
  }
  return out;
}

/**
 * Build, check and judge one mutant of `scope`'s file. `original` holds the findings of the
 * unmutated file, `originalErrors` its type errors (a mutant is discarded for new ones only).
 */
export function evaluate(
  warm: WarmProgram,
  scope: FunctionScope,
  original: readonly Diagnostic[],
  originalErrors: readonly string[],
  operator: MutationOperator,
  draft: MutantDraft,
): MutantResult {
  const sf = scope.sf;
  const text = applyEdits(sf.text, draft.edits);
  const base = {
    operator: operator.id,
    file: repoRelative(sf.fileName),
    function: scope.name,
    line: lineAt(sf.text, Math.min(...draft.edits.map((e) => e.start))),
    mutation: draft.description,
  };
  const program = warm.withText(sf.fileName, text);
  const errors = newErrors(originalErrors, fileErrors(program, program.getSourceFile(sf.fileName)!));
  if (errors.length > 0) return { ...base, status: 'discarded', errors, diff: editDiff(sf.text, draft.edits) };
  const result = analyzeProgram(program, { files: [sf.fileName] });
  const lines = judgedLines(draft.judged, draft.edits, text);
  const j = judge(draft.rules ?? operator.rules, lines, original, result.diagnostics, draft.edits, text);
  if (j.killed) return { ...base, status: 'killed', killedBy: ref(j.by!) };
  const skipped = (result.skipped ?? []).map((s) => `${s.name}: ${s.reason}`);
  return {
    ...base,
    status: 'survived',
    otherFindings: j.newFindings.map(ref),
    ...(skipped.length > 0 ? { skipped } : {}),
    diff: editDiff(sf.text, draft.edits),
  };
}
