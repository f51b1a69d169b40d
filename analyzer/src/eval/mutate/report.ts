/**
 * @fileoverview The mutation report: per operator, how many mutants were generated, compiled and
 * killed, how many survivors are gaps and how many equivalent mutants, and two rates: the
 * mutation score as mutation testing defines it, killed / (compiled − equivalent), and the raw
 * kill rate, killed / compiled. Then every survivor with its place, its one-line diff, what the
 * checker reported instead, and its reason from the list.
 *
 * An equivalent mutant is a survivor the list classifies "equivalent mutant: …": the edit left
 * the program correct (a reference dropped after rcuReadUnlock(), a null test moved past it), so
 * no checker should report it and the score leaves it out. Unlisted and TODO survivors count as
 * gaps until someone classifies them.
 */

import type { OperatorId } from './operator.js';
import { OPERATORS } from './operators/index.js';
import type { MutantResult, MutationRun } from './run.js';
import { equivalentMutants, type RatchetProblem, type SurvivorList } from './survivors.js';

export interface OperatorScore {
  readonly operator: OperatorId;
  readonly generated: number;
  readonly compiled: number;
  readonly killed: number;
  /** Survivors that are checker gaps (listed as such, or not classified yet). */
  readonly gaps: number;
  /** Survivors listed as equivalent mutants: still-correct programs. */
  readonly equivalent: number;
  /** The mutation score, killed / (compiled − equivalent); null when that is 0. */
  readonly score: number | null;
  /** The raw kill rate, killed / compiled; null when nothing compiled. */
  readonly rawKillRate: number | null;
}

export function scores(
  results: readonly MutantResult[],
  list: SurvivorList,
): {
  operators: OperatorScore[];
  total: Omit<OperatorScore, 'operator'>;
} {
  const equivalent = equivalentMutants(list, results);
  const score = (rs: readonly MutantResult[]): Omit<OperatorScore, 'operator'> => {
    const compiled = rs.filter((r) => r.status !== 'discarded').length;
    const killed = rs.filter((r) => r.status === 'killed').length;
    const equiv = rs.filter((r) => equivalent.has(r)).length;
    return {
      generated: rs.length,
      compiled,
      killed,
      gaps: compiled - killed - equiv,
      equivalent: equiv,
      score: compiled - equiv === 0 ? null : killed / (compiled - equiv),
      rawKillRate: compiled === 0 ? null : killed / compiled,
    };
  };
  return {
    operators: OPERATORS.map((o) => ({ operator: o.id, ...score(results.filter((r) => r.operator === o.id)) })),
    total: score(results),
  };
}

const pct = (x: number | null): string => (x === null ? '    n/a' : `${(x * 100).toFixed(1).padStart(6)}%`);

/** The per-operator table, as `npm run mutate` and `npm run eval` print it, with its legend. */
export function scoreTable(results: readonly MutantResult[], list: SurvivorList): string[] {
  const { operators, total } = scores(results, list);
  const row = (name: string, s: Omit<OperatorScore, 'operator'>): string =>
    name.padEnd(28) +
    [s.generated, s.compiled].map((n) => String(n).padStart(10)).join('') +
    [s.killed, s.gaps, s.equivalent].map((n) => String(n).padStart(8)).join('') +
    `  ${pct(s.score)}  ${pct(s.rawKillRate)}`;
  return [
    `${'operator'.padEnd(28)}${'generated'.padStart(10)}${'compiled'.padStart(10)}${'killed'.padStart(8)}${'gaps'.padStart(8)}${'equiv'.padStart(8)}    score      raw`,
    ...operators.map((o) => row(o.operator, o)),
    row('all operators', total),
    '',
    'gaps: survivors the checker should catch (listed "gap: …", or not classified yet);',
    'equiv: survivors listed "equivalent mutant: …", programs that are still correct;',
    'score: the mutation score, killed / (compiled - equiv), equivalent mutants left out as mutation testing does;',
    'raw: killed / compiled, equivalent mutants counted as misses.',
  ];
}

export function textReport(
  run: MutationRun,
  list: SurvivorList,
  problems: readonly RatchetProblem[],
  listPath: string,
  diffs = false,
): string {
  const functions = run.projects.reduce((a, p) => a + p.functions, 0);
  const files = run.projects.reduce((a, p) => a + p.files, 0);
  const out: string[] = [
    `rcukit mutation testing: ${run.results.length} mutants of ${functions} correct functions in ${files} files, ${run.seconds.toFixed(1)} s`,
    ...run.projects.map((p) => `  ${p.root}: ${p.tsconfig} (${p.files} files, ${p.functions} functions)`),
    '',
    ...scoreTable(run.results, list),
  ];
  const discarded = run.results.filter((r) => r.status === 'discarded');
  if (diffs && discarded.length > 0) {
    out.push('', `Discarded (do not compile): ${discarded.length}`);
    for (const d of discarded)
      out.push(
        `  ${d.file}:${d.line} ${d.operator} (${d.function}): ${d.mutation}`,
        `      ${(d.errors ?? []).join('; ')}`,
      );
  }
  const flagged = run.projects.flatMap((p) => p.functionsWithFindings);
  if (flagged.length > 0) {
    out.push(
      '',
      `Correct functions with findings before any mutation (false alarms; their findings never count as kills): ${flagged.length}`,
    );
    for (const f of flagged) out.push(`  ${f}`);
  }
  if (run.errors.length > 0) {
    out.push('', `Operators that failed (bugs in the operators; their mutants are missing): ${run.errors.length}`);
    for (const e of run.errors) out.push(`  ${e}`);
  }
  const reasons = new Map(list.survivors.map((e) => [`${e.file}|${e.function}|${e.operator}|${e.mutation}`, e.reason]));
  const survivors = run.results.filter((r) => r.status === 'survived');
  if (survivors.length > 0) {
    out.push('', `Survivors (${survivors.length}):`);
    for (const s of survivors) {
      out.push(`  ${s.file}:${s.line} ${s.operator} (${s.function}): ${s.mutation}`);
      const other = (s.otherFindings ?? []).map((f) => `${f.rule}@${f.line}`);
      if (other.length > 0) out.push(`      reported instead: ${other.join(', ')}`);
      if (s.skipped !== undefined) out.push(`      not analyzed: ${s.skipped.join('; ')}`);
      if (diffs) for (const d of s.diff ?? []) out.push(`      | ${d}`);
      out.push(`      ${reasons.get(`${s.file}|${s.function}|${s.operator}|${s.mutation}`) ?? 'not listed'}`);
    }
  }
  out.push('');
  if (problems.length === 0) out.push(`Survivors match ${listPath}.`);
  else {
    out.push(`${listPath} does not match this run (${problems.length}):`);
    const say: Record<RatchetProblem['kind'], string> = {
      unlisted: 'new survivor, not listed: classify it (--update adds it as TODO) or make the checker catch it',
      killed: 'listed, but killed now: remove it (--update)',
      stale: 'listed, but no longer generated: remove it (--update)',
      unclassified: 'listed without a classified reason ("equivalent mutant: …" or "gap: …")',
    };
    for (const p of problems) {
      out.push(
        `  ${p.entry.file}:${p.entry.line ?? '?'} ${p.entry.operator} (${p.entry.function}): ${p.entry.mutation}`,
        `      ${say[p.kind]}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

export function jsonReport(run: MutationRun, list: SurvivorList, problems: readonly RatchetProblem[]): string {
  const body = {
    seconds: run.seconds,
    projects: run.projects,
    ...scores(run.results, list),
    mutants: run.results,
    operatorErrors: run.errors,
    ratchet: problems,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}
