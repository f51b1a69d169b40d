/**
 * @fileoverview `npm run bench -- <suite>... [--json] [--quick] [--readers=N,...]
 * [--node 20|22|24|all] [--rounds=N]`: runs benchmark suites and prints a table and the targets
 * the cases meet, or with --json only a JSON array of BenchEntry. `--readers` sets the reader
 * worker counts of the suites that run readers (lookup), for scaling figures. `--node` runs the
 * suites under that Node version (or each of 20, 22 and 24) and `--rounds` repeats them,
 * alternating, with the versions side by side (node-matrix.ts).
 */

import type { BenchEntry, BenchSuite } from './bench-entry.js';
import { formatNodeRuns, runUnderNodes } from './node-matrix.js';
import { boundText, meets, medians, targetsFor } from './targets.js';
import { MAX_LOOKUP_READERS } from '../workers/lookup-bench-protocol.js';
import { OTHER_NODE_MAJORS } from '../support/other-node.js';

/** Suites by name, loaded lazily so one suite's imports do not slow another. */
const suites: Record<string, () => Promise<BenchSuite>> = {
  // Each suite module exports `suite`; one line per suite.
  rcu: async () => (await import('./rcu.js')).suite,
  slab: async () => (await import('./slab.js')).suite,
  lookup: async () => (await import('./lookup.js')).suite,
  analyzer: async () => (await import('./analyzer.js')).suite,
  lsp: async () => (await import('./lsp.js')).suite,
  eslint: async () => (await import('./eslint.js')).suite,
};

const USAGE =
  'usage: npm run bench -- <suite>... [--json] [--quick] [--readers=N,N,...] [--node 20|22|24|all] [--rounds=N]';

async function main(rawArgv: string[]): Promise<number> {
  // `--node X` and `--node=X` alike.
  const argv = rawArgv.flatMap((a, i) =>
    a === '--node' ? [`--node=${rawArgv[i + 1] ?? ''}`] : rawArgv[i - 1] === '--node' ? [] : [a],
  );
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const readersFlag = argv.find((a) => a.startsWith('--readers='));
  const nodeFlag = argv.find((a) => a.startsWith('--node='));
  const roundsFlag = argv.find((a) => a.startsWith('--rounds='));
  const names = argv.filter((a) => !a.startsWith('--'));
  const known = new Set(['--json', '--quick', readersFlag, nodeFlag, roundsFlag]);
  const unknownFlags = argv.filter((a) => a.startsWith('--') && !known.has(a));
  if (unknownFlags.length > 0 || names.length === 0 || names.some((n) => !(n in suites))) {
    const bad = [...unknownFlags, ...names.filter((n) => !(n in suites))];
    process.stderr.write(
      (bad.length > 0 ? `bench: unknown ${bad.join(', ')}\n` : '') +
        `${USAGE}\nsuites: ${Object.keys(suites).join(', ')}\n`,
    );
    return 2;
  }
  let readers: number[] | undefined;
  if (readersFlag !== undefined) {
    readers = readersFlag.slice('--readers='.length).split(',').map(Number);
    if (readers.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_LOOKUP_READERS)) {
      process.stderr.write(
        `bench: ${readersFlag}: reader counts must be integers from 1 to ${MAX_LOOKUP_READERS}, comma-separated\n${USAGE}\n`,
      );
      return 2;
    }
  }
  const log = json ? () => {} : (line: string) => process.stderr.write(line + '\n');
  if (nodeFlag !== undefined || roundsFlag !== undefined) {
    const node = nodeFlag?.slice('--node='.length) ?? process.versions.node.split('.')[0]!;
    const majors = node === 'all' ? OTHER_NODE_MAJORS : [Number(node)];
    const rounds = Number(roundsFlag?.slice('--rounds='.length) ?? 1);
    if (majors.some((m) => !OTHER_NODE_MAJORS.includes(m)) || !Number.isInteger(rounds) || rounds < 1) {
      process.stderr.write(
        `bench: ${nodeFlag ?? ''} ${roundsFlag ?? ''}: --node takes ${OTHER_NODE_MAJORS.join(', ')} or all, --rounds a count\n${USAGE}\n`,
      );
      return 2;
    }
    const passThrough = [...(quick ? ['--quick'] : []), ...(readersFlag !== undefined ? [readersFlag] : [])];
    const runs = runUnderNodes(majors, names, passThrough, rounds, log);
    if (json) process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
    else console.log(formatNodeRuns(runs));
    return 0;
  }
  const all: BenchEntry[] = [];
  for (const name of names) {
    const suite = await suites[name]!();
    log(`# ${suite.name}: ${suite.description}`);
    const entries = await suite.run({ quick, log, ...(readers !== undefined ? { readers } : {}) });
    all.push(...entries);
    if (!json) printTable(entries);
  }
  if (!json) printTargets(all);
  if (json) process.stdout.write(JSON.stringify(all, null, 2) + '\n');
  return 0;
}

function printTable(entries: readonly BenchEntry[]): void {
  // Three significant digits below 1, so sub-millisecond latencies do not all print as 0.01.
  const fmt = (v: number) =>
    Math.abs(v) >= 100
      ? v.toFixed(0)
      : Math.abs(v) >= 10
        ? v.toFixed(1)
        : Math.abs(v) >= 1 || v === 0
          ? v.toFixed(2)
          : v.toPrecision(3);
  const rows = entries.map((e) => [e.name, e.unit, fmt(e.median), fmt(e.p95), fmt(e.min), fmt(e.max), String(e.runs)]);
  const head = ['case', 'unit', 'median', 'p95', 'min', 'max', 'runs'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

function printTargets(entries: readonly BenchEntry[]): void {
  const median = medians(entries);
  for (const t of targetsFor(entries)) {
    const v = t.value(median)!;
    console.log(`target ${t.label} ${boundText(t)}: ${v.toFixed(2)} ${meets(t, v) ? 'ok' : 'MISSED'}`);
  }
}

process.exitCode = await main(process.argv.slice(2));
