/**
 * @fileoverview Smoke test of `npm run bench -- rcu --json --quick` and `-- slab`: the script
 * runs, prints only a JSON array, and the array holds every case the issues name (plus the
 * rcu suite's loop-body and two-wasm-atomics references) with its unit and finite
 * statistics. It asserts nothing about how fast anything is (benchmarks are scripts).
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('../dist/bench/run.js', import.meta.url));

const expectedUnits: Record<string, string> = {
  'loop-body': 'ns',
  'two-atomics-store': 'ns',
  'two-wasm-atomics': 'ns',
  'rcu-read-pair': 'ns',
  'qsbr-read-pair': 'ns',
  'spinlock-pair': 'ns',
  'sync-gp-latency': 'ms',
  'async-gp-latency': 'ms',
  'call-rcu-throughput': 'ops/s',
  'rcu-read-pair-debug': 'ns',
};

const slabUnits: Record<string, string> = {
  ...Object.fromEntries(
    ['slab-alloc-free-pair', 'js-new-object', 'thi-ng-malloc'].flatMap((c): [string, string][] => [
      [c, 'ns'],
      [`${c}-256-live`, 'ns'],
      ...(c === 'thi-ng-malloc' ? [] : [[`${c}-4096-live`, 'ns'] as [string, string]]),
    ]),
  ),
  'slab-alloc-free-pair-debug': 'ns',
};

test('`bench rcu --json --quick` prints a JSON array of every rcu case with its unit and finite statistics', async () => {
  await expectSuiteEntries('rcu', expectedUnits);
});

test('`bench slab --json --quick` prints every slab case, from each of its workers, with finite statistics', async () => {
  await expectSuiteEntries('slab', slabUnits);
});

const lookupUnits: Record<string, string> = Object.fromEntries(
  [
    'rcu-table',
    'spinlock-table',
    'rcu-table-qsbr',
    'rcu-table-ref',
    'spinlock-table-ref',
    'owner-thread',
    'local-map',
    'local-map-alone',
  ].flatMap((v): [string, string][] => [
    [`${v}-1r`, 'ops/s'],
    ...(v === 'owner-thread' ? [] : [[`${v}-zipf-1r`, 'ops/s'] as [string, string]]),
  ]),
);
lookupUnits['rcu-table-debug-1r'] = 'ops/s';

test('`bench lookup --json --quick --readers=1` prints every variant, measured in its workers, with finite statistics', async () => {
  await expectSuiteEntries('lookup', lookupUnits, ['--readers=1']);
}, 120_000);

async function expectSuiteEntries(
  suite: string,
  expectedUnits: Record<string, string>,
  extra: readonly string[] = [],
): Promise<void> {
  const { stdout } = await run(process.execPath, [script, suite, '--json', '--quick', ...extra], {
    cwd: root,
    timeout: 120_000,
  });
  const entries: unknown = JSON.parse(stdout);
  expect(Array.isArray(entries)).toBe(true);
  const list = entries as Array<Record<string, unknown>>;
  expect(list.map((e) => e['name']).sort()).toEqual(Object.keys(expectedUnits).sort());
  for (const entry of list) {
    const name = entry['name'] as string;
    expect(Object.keys(entry).sort(), name).toEqual(['max', 'median', 'min', 'name', 'p95', 'runs', 'unit']);
    expect(entry['unit'], name).toBe(expectedUnits[name]);
    for (const key of ['median', 'p95', 'min', 'max'] as const) {
      const value = entry[key];
      expect(
        typeof value === 'number' && Number.isFinite(value) && value >= 0,
        `${name}.${key} = ${String(value)}`,
      ).toBe(true);
    }
    const { min, median, p95, max, runs } = entry as {
      min: number;
      median: number;
      p95: number;
      max: number;
      runs: number;
    };
    // Order statistics of one sample set, whatever their values.
    expect(
      min <= median && median <= p95 && p95 <= max,
      `${name}: min ${min} median ${median} p95 ${p95} max ${max}`,
    ).toBe(true);
    expect(Number.isInteger(runs) && runs > 0, `${name}.runs = ${runs}`).toBe(true);
  }
}

test('an unknown suite or flag is refused with usage and exit code 2', async () => {
  const failure = await run(process.execPath, [script, 'no-such-suite'], { cwd: root }).then(
    () => null,
    // execFile's error carries the exit code and the output.
    (error: unknown) => error as { code?: number; stderr?: string },
  );
  expect(failure?.code).toBe(2);
  expect(failure?.stderr).toMatch(/unknown no-such-suite[\s\S]*suites: .*rcu/);
});

test('`bench rcu --quick --node <this major> --rounds=2` runs the suite in child processes and prints the versions side by side', async () => {
  const major = process.versions.node.split('.')[0]!;
  const { stdout } = await run(process.execPath, [script, 'rcu', '--quick', '--node', major, '--rounds=2'], {
    cwd: root,
    timeout: 120_000,
  });
  // One column for this Node, each case's median with the range over the two runs, and the
  // targets, each with a verdict.
  expect(stdout).toContain(`v${process.versions.node}`);
  expect(stdout).toMatch(/\nrcu-read-pair +ns +[\d.]+ \([\d.]+–[\d.]+\)/);
  expect(stdout).toMatch(
    /\nrcu-read-pair \/ two-atomics-store +≤ 1\.3 +[\d.]+ \([\d.]+–[\d.]+\) (ok|MISSED 1\/2|MISSED 2\/2)/,
  );
  const bad = await run(process.execPath, [script, 'rcu', '--node', '19'], { cwd: root }).then(
    () => null,
    (error: unknown) => error as { code?: number; stderr?: string },
  );
  expect(bad?.code).toBe(2);
  expect(bad?.stderr).toMatch(/--node takes 20, 22, 24 or all/);
}, 120_000);
