/**
 * @fileoverview `npm run bench -- eslint`: cold ESLint with `@rcukit/eslint-plugin` (the
 * recommended config and typescript-eslint's project service, nothing else enabled) against cold
 * `rcukit check`, on the analyzer suite's synthetic project (synthetic-project.ts: 200 files,
 * ~50k lines, the same seed), each run a fresh child process, alternating so drift in machine
 * load hits both alike. Also checks, once, that both report the same number of findings.
 *
 * Entries: `rcukit-check` and `eslint-rcukit` (ms, wall clock of the child).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchEntry, BenchOptions, BenchSuite } from './bench-entry.js';
import { summarize } from './stats.js';
import { writeCheckBenchProject } from './synthetic-project.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const rcukitCli = path.join(repoRoot, 'analyzer/dist/cli/main.js');
const eslintCli = path.join(repoRoot, 'node_modules/eslint/bin/eslint.js');

export const suite: BenchSuite = {
  name: 'eslint',
  description: 'cold `eslint` with @rcukit/eslint-plugin vs cold `rcukit check` on the analyzer suite project',
  run(options: BenchOptions): BenchEntry[] {
    if (!existsSync(rcukitCli)) throw new Error(`${rcukitCli} is missing: run \`npx tsc -b\` first`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rcukit-bench-eslint-'));
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
  log(`project: ${stats.files} files, ${stats.lines} lines, ${stats.runtimeFiles} importing the runtime`);
  // The project has no node_modules of its own for these: import them by address.
  const config = path.join(dir, 'eslint.config.mjs');
  writeFileSync(
    config,
    `import tseslint from ${JSON.stringify(import.meta.resolve('typescript-eslint'))};\n` +
      `import rcukit from ${JSON.stringify(import.meta.resolve('@rcukit/eslint-plugin'))};\n` +
      `export default [\n` +
      `  { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: ${JSON.stringify(project)} } } },\n` +
      `  rcukit.configs.recommended,\n];\n`,
  );

  const child = (script: string, args: readonly string[]) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [script, ...args], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // 0 or 1 are a completed run (the project has planted bugs); anything else failed.
    if (r.status !== 0 && r.status !== 1)
      throw new Error(`${path.basename(script)} failed (exit ${r.status}): ${r.stderr.trim()}`);
    return { ms, stdout: r.stdout };
  };
  const rcukit = () => child(rcukitCli, ['check', '--format', 'json']);
  const eslint = () => child(eslintCli, ['--no-config-lookup', '--config', config, '--format', 'json', '.']);

  // One untimed run of each warms the file system cache, and says whether they agree.
  const found = (JSON.parse(rcukit().stdout) as { diagnostics: unknown[] }).diagnostics.length;
  const linted = (JSON.parse(eslint().stdout) as { messages: { ruleId: string | null }[] }[]).flatMap((r) =>
    r.messages.filter((m) => m.ruleId?.startsWith('@rcukit/')),
  ).length;
  log(`findings: rcukit check ${found}, eslint ${linted}${found === linted ? '' : ' (they differ!)'}`);

  const runs = quick ? 1 : 4;
  const samples = { rcukit: [] as number[], eslint: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['rcukit', 'eslint'] as const) : (['eslint', 'rcukit'] as const);
    for (const which of order) {
      const { ms } = which === 'rcukit' ? rcukit() : eslint();
      samples[which].push(ms);
      log(`  run ${i + 1}/${runs} ${which}: ${ms.toFixed(0)} ms`);
    }
  }
  const entries = [summarize('rcukit-check', 'ms', samples.rcukit), summarize('eslint-rcukit', 'ms', samples.eslint)];
  log(`eslint-rcukit / rcukit-check (medians): ${(entries[1]!.median / entries[0]!.median).toFixed(2)}x`);
  return entries;
}
