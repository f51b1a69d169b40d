/**
 * @fileoverview The cross-check of the runtime's debug mode against the checker: every mutant
 * of a runnable example (the same mutants `npm run mutate` derives) is checked by `rcukit
 * check`'s engine and run under `RCUKIT_DEBUG=fuzz`. A run-time report is ground truth about
 * what the program did; it should fall on a line the checker reports for that mutant.
 *
 * Disagreements are listed both ways:
 * - run-time only: the runtime reported a misuse on a line the checker does not flag (a
 *   checker gap, or a report placed elsewhere than the finding);
 * - checker only: the checker flags the mutant and the run showed nothing. Expected for
 *   misuses a run cannot see every time (a race that did not happen, a lock leaked at exit
 *   that nothing waited for), so these are listed, not failed.
 * A mutant whose run hung (a lock never released, a grace period that never ends) is counted
 * apart: the run shows the bug, but no line.
 */

import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../../diagnostic.js';
import { analyzeProgram } from '../../engine/analyze.js';
import { ProgramAnalysis } from '../../engine/program-analysis.js';
import { applyEdits, lineAt } from '../mutate/edits.js';
import { newFindings } from '../mutate/judge.js';
import { FunctionScope } from '../mutate/operator.js';
import { generate, repoRelative } from '../mutate/run.js';
import { correctFunctions, inTarget, repoRoot, type TargetProject } from '../mutate/targets.js';
import { WarmProgram, fileErrors, newErrors } from '../mutate/warm-program.js';
import { ExampleSandbox, type RunnableExample, type RuntimeReport } from './run-program.js';

/**
 * The programs that run on their own, with the sources whose mutants are run: the shared-cache
 * example (1 s, 2 servers), and the lockTaskSighand torture (0.8 s), the kernel's
 * __lock_task_sighand pattern with a writer freeing sighands into their type-stable cache.
 */
export const RUNNABLE_EXAMPLES: readonly RunnableExample[] = [
  {
    tsconfig: 'examples/shared-cache/tsconfig.json',
    sources: 'src',
    main: 'main.js',
    args: ['1', '2'],
    timeoutMs: 30_000,
  },
  {
    tsconfig: 'test/tsconfig.json',
    sources: 'src/workers/sighand-torture.ts',
    main: 'torture/sighand-cli.js',
    args: ['800'],
    timeoutMs: 30_000,
  },
];

export interface CrossCheckedMutant {
  readonly file: string;
  readonly function: string;
  readonly operator: string;
  readonly mutation: string;
  /** 1-based line of the first edit, in the original file. */
  readonly line: number;
  /** Lines of the mutated file where the checker reports something the original did not. */
  readonly checkerLines: readonly number[];
  readonly ended: 'exit' | 'hung';
  /** The exit status (null when hung). */
  readonly status: number | null;
  readonly reports: readonly RuntimeReport[];
}

export interface CrossCheck {
  readonly mutants: readonly CrossCheckedMutant[];
  /** Mutants that did not compile (not run). */
  readonly discarded: number;
  readonly seconds: number;
}

/** Every mutant of every runnable example, checked and run. */
export function crossCheck(onProgress?: (done: number) => void): CrossCheck {
  const t0 = performance.now();
  const repo = repoRoot();
  const mutants: CrossCheckedMutant[] = [];
  let discarded = 0;
  for (const example of RUNNABLE_EXAMPLES) {
    const tsconfig = resolve(repo, example.tsconfig);
    const sources = resolve(tsconfig, '..', example.sources);
    const project: TargetProject = { root: 'examples', tsconfig, dir: resolve(tsconfig, '..', 'src') };
    const warm = WarmProgram.load(tsconfig);
    const sandbox = new ExampleSandbox(example, repo, warm.base.getCompilerOptions());
    try {
      const files = warm.base
        .getSourceFiles()
        .filter(
          (sf) => inTarget(project, sf.fileName) && (sf.fileName === sources || sf.fileName.startsWith(`${sources}/`)),
        );
      const baseline = analyzeProgram(warm.base, { files: files.map((f) => f.fileName) });
      const pa = new ProgramAnalysis(warm.base);
      for (const sf of files) {
        const original: Diagnostic[] = baseline.diagnostics.filter((d) => d.span.file === sf.fileName);
        const originalErrors = fileErrors(warm.base, sf);
        for (const fn of correctFunctions(sf, pa.functionsOf(sf))) {
          const scope = new FunctionScope(sf, fn, pa);
          for (const { operator, draft } of generate(scope)) {
            const text = applyEdits(sf.text, draft.edits);
            const program = warm.withText(sf.fileName, text);
            if (newErrors(originalErrors, fileErrors(program, program.getSourceFile(sf.fileName)!)).length > 0) {
              discarded++;
              continue;
            }
            const found = analyzeProgram(program, { files: [sf.fileName] }).diagnostics;
            const fresh = newFindings(original, found, draft.edits, text);
            const outcome = sandbox.run(sf.fileName, text);
            mutants.push({
              file: repoRelative(sf.fileName),
              function: scope.name,
              operator: operator.id,
              mutation: draft.description,
              line: lineAt(sf.text, Math.min(...draft.edits.map((e) => e.start))),
              checkerLines: [...new Set(fresh.map((d) => d.span.startLine))].sort((a, b) => a - b),
              ended: outcome.ended,
              status: outcome.status,
              reports: outcome.reports.map((r) => ({
                ...r,
                ...(r.file !== undefined ? { file: repoRelative(r.file) } : {}),
              })),
            });
            onProgress?.(mutants.length);
          }
        }
      }
    } finally {
      sandbox.dispose();
    }
  }
  return { mutants, discarded, seconds: (performance.now() - t0) / 1000 };
}

/** A run-time report the checker agrees with: on a line it flags in the same (mutated) file. */
export function agrees(m: CrossCheckedMutant, r: RuntimeReport): boolean {
  return r.file === m.file && r.line !== undefined && m.checkerLines.includes(r.line);
}

/** The eval's lines for the cross-check: totals, then every disagreement. */
export function crossCheckReport(c: CrossCheck): string[] {
  const reported = c.mutants.filter((m) => m.reports.length > 0);
  const runtimeOnly = c.mutants.flatMap((m) => m.reports.filter((r) => !agrees(m, r)).map((r) => ({ m, r })));
  const checkerOnly = c.mutants.filter(
    (m) => m.checkerLines.length > 0 && m.reports.length === 0 && m.ended === 'exit',
  );
  const hung = c.mutants.filter((m) => m.ended === 'hung');
  const neither = c.mutants.filter((m) => m.checkerLines.length === 0 && m.reports.length === 0 && m.ended === 'exit');
  const where = (m: CrossCheckedMutant): string => `${m.file}:${m.line} ${m.operator} (${m.function})`;
  const out = [
    `Debug-mode cross-check (mutants of ${RUNNABLE_EXAMPLES.map((e) => join(dirname(e.tsconfig), e.sources)).join(', ')}, run under RCUKIT_DEBUG=fuzz): ` +
      `${c.mutants.length} mutants run (${c.discarded} did not compile), ${c.seconds.toFixed(0)} s`,
    `  reported at run time: ${reported.length} mutants, ${reported.reduce((a, m) => a + m.reports.length, 0)} reports, ` +
      `${reported.reduce((a, m) => a + m.reports.filter((r) => agrees(m, r)).length, 0)} on a line the checker flags`,
    `  hung (stopped after the timeout; the checker flags ${hung.filter((m) => m.checkerLines.length > 0).length} of them): ${hung.length}`,
    `  flagged by the checker only (the run showed nothing): ${checkerOnly.length}`,
    `  flagged by neither: ${neither.length}`,
  ];
  if (runtimeOnly.length > 0) {
    out.push('  run-time reports on a line the checker does not flag:');
    for (const { m, r } of runtimeOnly)
      out.push(
        `    ${where(m)}: ${r.error} at ${r.file ?? '?'}:${r.line ?? '?'}; checker lines ${m.checkerLines.join(', ') || 'none'}`,
      );
  }
  if (checkerOnly.length > 0) {
    out.push('  flagged by the checker, quiet at run time:');
    for (const m of checkerOnly) out.push(`    ${where(m)}: checker lines ${m.checkerLines.join(', ')}`);
  }
  if (neither.length > 0) {
    out.push('  flagged by neither (an equivalent mutant, or a bug both miss):');
    for (const m of neither)
      out.push(
        `    ${where(m)}: ${m.mutation}${m.status !== 0 ? ` (the program itself failed: exit ${m.status})` : ''}`,
      );
  }
  return out;
}
