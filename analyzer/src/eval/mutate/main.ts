/**
 * @fileoverview `npm run mutate`: derive one-bug mutants from every correct function of the
 * targets, run the checker on each, and report per operator the mutation score (equivalent
 * mutants left out) and the raw kill rate, and every survivor.
 * Exits 1 when the survivors differ from the committed list (a new survivor, a listed one
 * killed or gone, an entry without a classified reason) or an operator failed, 2 on bad usage.
 *
 * Usage: node analyzer/dist/eval/mutate/main.js [--json] [--update] [--diff] [--root <name>]... [--operator <id>]...
 * `--diff` shows the changed lines of every survivor and lists the discarded mutants.
 */

import { relative } from 'node:path';
import { OPERATORS } from './operators/index.js';
import { jsonReport, textReport } from './report.js';
import { runMutation } from './run.js';
import { SURVIVORS_PATH, checkRatchet, readSurvivors, updatedList, writeSurvivors } from './survivors.js';
import { TARGET_ROOTS, repoRoot, resolveTargets } from './targets.js';

const USAGE = `usage: npm run mutate -- [--json] [--update] [--diff] [--root <${TARGET_ROOTS.map((r) => r.name).join('|')}>]... [--operator <id>]...`;

function main(): number {
  const args = process.argv.slice(2);
  const roots: string[] = [];
  const operators: string[] = [];
  let json = false;
  let update = false;
  let diffs = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--update') update = true;
    else if (a === '--diff') diffs = true;
    else if ((a === '--root' || a === '--operator') && args[i + 1] !== undefined)
      (a === '--root' ? roots : operators).push(args[++i]!);
    else {
      process.stderr.write(`${a === '--help' || a === '-h' ? '' : `unknown argument: ${a}\n`}${USAGE}\n`);
      return a === '--help' || a === '-h' ? 0 : 2;
    }
  }
  const badRoot = roots.find((r) => !TARGET_ROOTS.some((t) => t.name === r));
  const badOp = operators.find((o) => !OPERATORS.some((op) => op.id === o));
  if (badRoot !== undefined || badOp !== undefined) {
    process.stderr.write(`unknown ${badRoot !== undefined ? `root: ${badRoot}` : `operator: ${badOp}`}\n${USAGE}\n`);
    return 2;
  }
  const repo = repoRoot();
  const projects = resolveTargets(repo, roots.length > 0 ? roots : undefined);
  const run = runMutation({
    ...(roots.length > 0 ? { roots } : {}),
    ...(operators.length > 0 ? { operators } : {}),
    onProgress: process.stderr.isTTY ? (n, p) => process.stderr.write(`\r${p.root}: ${n} mutants`) : undefined,
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  // Entries this run could have produced: all of them, unless it ran some roots or operators
  // only (then the others' entries are left alone). An entry under no root any more is stale.
  const dirs = projects.map((p) => relative(repo, p.dir).split('\\').join('/') + '/');
  const inScope = (e: { file: string; operator: string }): boolean =>
    (operators.length === 0 || operators.includes(e.operator)) &&
    (roots.length === 0 || dirs.some((d) => e.file.startsWith(d)));
  const list = readSurvivors();
  if (update) {
    const next = updatedList(list, run.results, inScope);
    writeSurvivors(next);
    const todo = next.survivors.filter((e) => e.reason.startsWith('TODO')).length;
    process.stderr.write(
      `wrote ${SURVIVORS_PATH}: ${next.survivors.length} survivors${todo > 0 ? `, ${todo} to classify (TODO)` : ''}\n`,
    );
  }
  const current = update ? readSurvivors() : list;
  const problems = checkRatchet(current, run.results, inScope);
  process.stdout.write(
    json ? jsonReport(run, current, problems) : textReport(run, current, problems, SURVIVORS_PATH, diffs),
  );
  return problems.length === 0 && run.errors.length === 0 ? 0 : 1;
}

process.exitCode = main();
