/**
 * @fileoverview docs/ci.md's commands, run as the page writes them (`npx rcukit` becomes the
 * built CLI) on a copy of the checker demo, which has findings: the adoption step records a
 * baseline and exits 0; the workflow's check then exits 0 with every finding baselined and SARIF
 * whose rules carry a helpUri; a new bug makes it exit 1 with that bug, and only it, in the SARIF.
 */

import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { demoDir, makeProject, removeProjects, runCli } from './cli-harness.js';

const page = readFileSync(new URL('../../docs/ci.md', import.meta.url), 'utf8');

/** The `npx rcukit …` commands of the page's code blocks of one language, in order, as argv. */
function commands(lang: string): string[][] {
  const blocks = [...page.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
  return blocks.flatMap((b) => [...b.matchAll(/npx rcukit ((?:[^\s#]+ ?)+)/g)].map((m) => m[1]!.trim().split(/\s+/)));
}

interface Sarif {
  runs: {
    tool: { driver: { rules: { id: string; helpUri?: string }[] } };
    results: {
      ruleId: string;
      suppressions?: unknown[];
      locations: { physicalLocation: { region: { startLine: number } } }[];
    }[];
  }[];
}

describe('docs/ci.md', () => {
  afterAll(removeProjects);
  const adopt = commands('sh');
  const workflow = commands('yaml');

  test('names one adoption command and one workflow check', () => {
    expect(adopt).toHaveLength(1);
    expect(workflow).toHaveLength(1);
    expect(adopt[0]).toContain('--update-baseline');
  });

  test('adopt, check clean against the baseline, then fail on a new finding', () => {
    const dir = makeProject({});
    cpSync(demoDir, dir, { recursive: true });
    const adopted = runCli(adopt[0]!, dir);
    expect(adopted.status, adopted.stderr).toBe(0);
    const baseline = path.join(dir, 'rcukit-baseline.json');
    expect(existsSync(baseline)).toBe(true);
    // The demo has findings: all of them are now in the baseline.
    expect((JSON.parse(readFileSync(baseline, 'utf8')) as { findings: unknown[] }).findings.length).toBeGreaterThan(0);

    const clean = runCli(workflow[0]!, dir);
    expect(clean.status, clean.stderr).toBe(0);
    const out = workflow[0]![workflow[0]!.indexOf('--output') + 1]!;
    const sarif = JSON.parse(readFileSync(path.join(dir, out), 'utf8')) as Sarif;
    const run = sarif.runs[0]!;
    expect(run.results.filter((r) => r.suppressions === undefined)).toEqual([]);
    expect(run.tool.driver.rules.length).toBeGreaterThan(0);
    for (const r of run.tool.driver.rules) expect(r.helpUri, r.id).toMatch(/^https:\/\/github\.com\/.+\.md(#.*)?$/);

    // A new bug: a read of a type-stable object's field with no read-side section.
    const buggy = path.join(dir, 'src/signal-buggy.ts');
    const text = readFileSync(buggy, 'utf8');
    const added =
      '\nexport function pendingAgain(task: Task): number {\n  const s = task.sighand;\n  return s === null ? 0 : s.pending;\n}\n';
    writeFileSync(buggy, text + added);
    const failing = runCli(workflow[0]!, dir);
    expect(failing.status, failing.stderr).toBe(1);
    const after = JSON.parse(readFileSync(path.join(dir, out), 'utf8')) as Sarif;
    const fresh = after.runs[0]!.results.filter((r) => r.suppressions === undefined);
    const newLine = text.split('\n').length + 3;
    expect(fresh.map((r) => [r.ruleId, r.locations[0]!.physicalLocation.region.startLine])).toEqual([
      ['rcu/deref-outside-read-lock', newLine],
    ]);
    // Three cold runs of the CLI, on a machine that may be busy.
  }, 300_000);
});
