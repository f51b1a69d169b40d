/**
 * @fileoverview `npm run bench -- analyzer`: cold `rcukit check` against cold `tsc --noEmit` on
 * the same synthetic project (synthetic-project.ts: 200 files, ~50k lines, seeded), each run a
 * fresh child process, alternating so drift in machine load hits both alike; plus the peak
 * resident memory of the rcukit process (and of tsc, for scale).
 *
 * Entries: `rcukit-check` and `tsc-noemit` (ms, wall clock of the child), `rcukit-check-cpu` and
 * `tsc-noemit-cpu` (ms, the child's user + system CPU time, which a busy machine distorts less
 * than wall time), `rcukit-check-rss` and `tsc-noemit-rss` (MB, the child's own peak RSS).
 * Target: rcukit-check <= 1.5x tsc-noemit.
 *
 * Peak RSS and CPU time are read inside each child by a preloaded module (`node --import`) that
 * writes process.resourceUsage() at exit: exact for that process, and it needs no
 * /usr/bin/time, which not every machine has.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchEntry, BenchOptions, BenchSuite } from './bench-entry.js';
import { summarize } from './stats.js';
import { writeCheckBenchProject } from './synthetic-project.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const rcukitCli = path.join(repoRoot, 'analyzer/dist/cli/main.js');
const tscCli = path.join(repoRoot, 'node_modules/typescript/bin/tsc');

interface ChildRun {
  readonly ms: number;
  /** User + system CPU time of the child: less sensitive than wall time to a loaded machine. */
  readonly cpuMs: number;
  readonly rssMb: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const suite: BenchSuite = {
  name: 'analyzer',
  description: 'cold `rcukit check` vs `tsc --noEmit` on a seeded 200-file, ~50k-line project (child processes)',
  run(options: BenchOptions): BenchEntry[] {
    if (!existsSync(rcukitCli)) throw new Error(`${rcukitCli} is missing: run \`npx tsc -b\` first`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rcukit-bench-analyzer-'));
    try {
      return measure(dir, options);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

function measure(dir: string, { quick, log }: BenchOptions): BenchEntry[] {
  const project = path.join(dir, 'project');
  const stats = writeCheckBenchProject(project, path.join(repoRoot, 'runtime'));
  log(
    `project: ${stats.files} files, ${stats.lines} lines, ${stats.runtimeFiles} importing the runtime, ${stats.bugs} planted bugs`,
  );

  const hook = path.join(dir, 'max-rss-hook.mjs');
  writeFileSync(
    hook,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.RCUKIT_BENCH_RSS_FILE, JSON.stringify(process.resourceUsage())));\n`,
  );
  const rssFile = path.join(dir, 'resource-usage.json');
  const child = (script: string, args: readonly string[]): ChildRun => {
    rmSync(rssFile, { force: true });
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, script, ...args], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, RCUKIT_BENCH_RSS_FILE: rssFile, NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // resourceUsage(): maxRSS in KiB, CPU times in microseconds.
    const usage = existsSync(rssFile)
      ? (JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRSS: number; userCPUTime: number; systemCPUTime: number })
      : undefined;
    return {
      ms,
      cpuMs: usage ? (usage.userCPUTime + usage.systemCPUTime) / 1000 : NaN,
      rssMb: usage ? usage.maxRSS / 1024 : NaN,
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
    };
  };
  const rcukit = () => {
    const r = child(rcukitCli, ['check', '--format', 'json']);
    // 0 or 1 are a completed run (the project has planted bugs); 2 means rcukit failed.
    if (r.status !== 0 && r.status !== 1) throw new Error(`rcukit check failed (exit ${r.status}): ${r.stderr.trim()}`);
    return r;
  };
  const tsc = () => {
    const r = child(tscCli, ['--noEmit', '-p', 'tsconfig.json']);
    if (r.status === null) throw new Error(`tsc did not finish: ${r.stderr.trim()}`);
    return r;
  };

  // One untimed run of each warms the file system cache, so neither pays for the first read.
  const first = rcukit();
  const summary = (
    JSON.parse(first.stdout) as {
      summary: { errors: number; warnings: number; filesChecked: number; filesInProgram: number };
    }
  ).summary;
  log(
    `rcukit: ${summary.errors} errors, ${summary.warnings} warnings over ${summary.filesChecked} files (${summary.filesInProgram} in program)`,
  );
  const tscFirst = tsc();
  if (tscFirst.status !== 0) {
    const errors = tscFirst.stdout.split('\n').filter((l) => l.includes('error TS'));
    log(
      `note: tsc reports ${errors.length} type errors (first: ${errors[0] ?? tscFirst.stderr.trim()}); timing it anyway`,
    );
  }

  const runs = quick ? 2 : 6;
  const samples = {
    rcukit: [] as number[],
    tsc: [] as number[],
    rcukitCpu: [] as number[],
    tscCpu: [] as number[],
    rcukitRss: [] as number[],
    tscRss: [] as number[],
  };
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so a trend in machine load does not favour either.
    const order = i % 2 === 0 ? (['rcukit', 'tsc'] as const) : (['tsc', 'rcukit'] as const);
    for (const which of order) {
      const r = which === 'rcukit' ? rcukit() : tsc();
      samples[which].push(r.ms);
      samples[which === 'rcukit' ? 'rcukitCpu' : 'tscCpu'].push(r.cpuMs);
      samples[which === 'rcukit' ? 'rcukitRss' : 'tscRss'].push(r.rssMb);
      log(
        `  run ${i + 1}/${runs} ${which}: ${r.ms.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU, ${r.rssMb.toFixed(0)} MB`,
      );
    }
  }
  const entries = [
    summarize('rcukit-check', 'ms', samples.rcukit),
    summarize('tsc-noemit', 'ms', samples.tsc),
    summarize('rcukit-check-cpu', 'ms', samples.rcukitCpu),
    summarize('tsc-noemit-cpu', 'ms', samples.tscCpu),
    summarize('rcukit-check-rss', 'MB', samples.rcukitRss),
    summarize('tsc-noemit-rss', 'MB', samples.tscRss),
  ];
  log(
    `rcukit-check / tsc-noemit (medians): ${(entries[0]!.median / entries[1]!.median).toFixed(2)}x wall (target <= 1.5x), ${(entries[2]!.median / entries[3]!.median).toFixed(2)}x CPU`,
  );
  return entries;
}
