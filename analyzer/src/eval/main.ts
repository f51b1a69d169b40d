/**
 * @fileoverview `npm run eval`: precision and recall of every rule over the fixtures. Each
 * expected finding matched by an actual one (same rule, same span) is a true positive; an
 * expectation left unmatched is a false negative; a finding nobody expected is a false positive.
 * The numbers are only as honest as the fixtures: they hold bad and tricky-but-correct code
 * side by side, translated from real kernel users of type-stable memory.
 *
 * Then the mutation score and raw kill rate per operator, from the same run as `npm run mutate`,
 * and the debug-mode cross-check: mutants of the runnable examples, run under RCUKIT_DEBUG=fuzz,
 * each run-time report compared with the checker's findings (disagreements listed, not failed).
 *
 * Usage: node analyzer/dist/eval/main.js [--json]
 */

import { join, relative } from 'node:path';
import { listRules } from '../engine/analyze.js';
import { checkCorpus } from './corpus-check.js';
import { agrees, crossCheck, crossCheckReport } from './debug-cross-check/cross-check.js';
import { FixtureSuite, fixturesRoot, listFixtureFiles } from './fixture-check.js';
import { scoreTable, scores as mutationScores } from './mutate/report.js';
import { runMutation } from './mutate/run.js';
import { SURVIVORS_PATH, checkRatchet, readSurvivors } from './mutate/survivors.js';

interface Score {
  tp: number;
  fp: number;
  fn: number;
}

function ratio(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

function pct(x: number | null): string {
  return x === null ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`;
}

function main(): void {
  const json = process.argv.includes('--json');
  const root = fixturesRoot();
  const files = listFixtureFiles(join(root, 'rules'));
  const suite = new FixtureSuite(root);
  const scores = new Map<string, Score>(listRules().map((r) => [r.id, { tp: 0, fp: 0, fn: 0 }]));
  const problems: string[] = [];
  for (const f of files) {
    const r = suite.check(f);
    const bump = (rule: string, key: keyof Score): void => {
      const sc = scores.get(rule) ?? { tp: 0, fp: 0, fn: 0 };
      sc[key]++;
      scores.set(rule, sc);
    };
    const missed = new Set(r.missing);
    for (const e of r.expected) {
      if (e.known === 'fn') {
        // Marked as a known miss: a false negative while it stays missed, a true positive once found.
        if (r.knownMissing.includes(e)) {
          bump(e.ruleId, 'fn');
          problems.push(`FN ${relative(root, f)}:${e.line} ${e.ruleId} (known)`);
        } else bump(e.ruleId, 'tp');
      } else if (missed.has(e)) {
        bump(e.ruleId, 'fn');
        problems.push(`FN ${relative(root, f)}:${e.line} ${e.ruleId}`);
      } else if (e.known === 'fp') {
        bump(e.ruleId, 'fp');
        problems.push(`FP ${relative(root, f)}:${e.line} ${e.ruleId} (known)`);
      } else bump(e.ruleId, 'tp');
    }
    for (const u of r.unexpected) {
      bump(u.ruleId, 'fp');
      problems.push(`FP ${relative(root, f)}:${u.span.startLine}:${u.span.startColumn} ${u.ruleId} (${u.messageId})`);
    }
  }
  const rows = [...scores].map(([rule, s]) => ({
    rule,
    ...s,
    precision: ratio(s.tp, s.tp + s.fp),
    recall: ratio(s.tp, s.tp + s.fn),
  }));
  const total = rows.reduce((a, r) => ({ tp: a.tp + r.tp, fp: a.fp + r.fp, fn: a.fn + r.fn }), { tp: 0, fp: 0, fn: 0 });
  const corpus = checkCorpus();
  const corpusByRule = new Map<string, number>();
  for (const d of corpus.falseAlarms) corpusByRule.set(d.ruleId, (corpusByRule.get(d.ruleId) ?? 0) + 1);
  const mutation = runMutation();
  // The survivors must be the listed ones, as `npm run mutate` requires: CI runs this command.
  const survivorList = readSurvivors();
  const survivorProblems = checkRatchet(survivorList, mutation.results, () => true);
  if (survivorProblems.length > 0 || mutation.errors.length > 0) process.exitCode = 1;
  const debugRuns = crossCheck();
  // A cross-check that ran nothing measures nothing: the examples' build or runner broke.
  if (debugRuns.mutants.length === 0) process.exitCode = 1;
  if (json) {
    const totals = {
      ...total,
      precision: ratio(total.tp, total.tp + total.fp),
      recall: ratio(total.tp, total.tp + total.fn),
    };
    process.stdout.write(
      `${JSON.stringify(
        {
          files: files.length,
          rules: rows,
          total: totals,
          corpus: {
            files: corpus.files,
            functions: corpus.functions,
            lines: corpus.lines,
            falseAlarms: corpus.falseAlarms.length,
            byRule: Object.fromEntries(corpusByRule),
            skipped: corpus.skipped,
          },
          mutation: mutationScores(mutation.results, survivorList),
          debugCrossCheck: {
            mutants: debugRuns.mutants.length,
            discarded: debugRuns.discarded,
            reportedAtRunTime: debugRuns.mutants.filter((m) => m.reports.length > 0).length,
            reportsOnCheckerLines: debugRuns.mutants.reduce(
              (a, m) => a + m.reports.filter((r) => agrees(m, r)).length,
              0,
            ),
            runs: debugRuns.mutants,
          },
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const out: string[] = [
    `rcukit analyzer accuracy over ${files.length} fixture files (${relative(process.cwd(), root) || '.'}/rules)`,
    '',
  ];
  out.push(`${'rule'.padEnd(32)}${'TP'.padStart(5)}${'FP'.padStart(5)}${'FN'.padStart(5)}  precision  recall`);
  for (const r of rows)
    out.push(
      `${r.rule.padEnd(32)}${String(r.tp).padStart(5)}${String(r.fp).padStart(5)}${String(r.fn).padStart(5)}  ${pct(r.precision)}     ${pct(r.recall)}`,
    );
  out.push(
    `${'all rules'.padEnd(32)}${String(total.tp).padStart(5)}${String(total.fp).padStart(5)}${String(total.fn).padStart(5)}  ${pct(ratio(total.tp, total.tp + total.fp))}     ${pct(ratio(total.tp, total.tp + total.fn))}`,
  );
  if (problems.length > 0) out.push('', ...problems);
  out.push(
    '',
    `Corpus of correct code (analyzer/test/corpus): ${corpus.files} files, ${corpus.functions} functions, ` +
      `${corpus.lines} lines; ${corpus.falseAlarms.length} false alarm(s), ${corpus.skipped} function(s) skipped`,
    ...[...corpusByRule].sort().map(([rule, n]) => `  ${rule.padEnd(32)}${String(n).padStart(5)}`),
  );
  out.push(
    '',
    `Mutation scores over ${mutation.results.length} mutants of correct code (npm run mutate lists the survivors)`,
    '',
    ...scoreTable(mutation.results, survivorList),
  );
  out.push('', ...crossCheckReport(debugRuns));
  if (survivorProblems.length > 0)
    out.push(
      '',
      `Survivors differ from ${SURVIVORS_PATH} (npm run mutate shows them):`,
      ...survivorProblems.map(
        (p) => `  ${p.kind}: ${p.entry.file}:${p.entry.line ?? '?'} ${p.entry.operator} (${p.entry.function})`,
      ),
    );
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
