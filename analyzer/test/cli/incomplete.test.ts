/**
 * @fileoverview `rcukit check` when the engine could not analyze some function: never a silent
 * "No problems found". Each skipped function is named on stderr (file:line, name, reason), the
 * summary says the analysis is incomplete, and the exit code is 2 unless --allow-incomplete.
 *
 * Code the engine really skips is code TypeScript's own checker can barely handle (a ?: chain
 * a few thousand deep takes it most of a minute), too slow for a unit test; so the pipeline is
 * wrapped here to report one skipped function per file that asks for it with a
 * `// test: not analyzable` comment, and everything else is the real CLI and engine.
 */

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type * as Pipeline from '../../src/check/pipeline.js';
import { engineAvailable, makeProject, removeProjects, runInProcess, strictTsconfig } from './cli-harness.js';

vi.mock('../../src/check/pipeline.js', async (importOriginal) => {
  const real = await importOriginal<typeof Pipeline>();
  return {
    ...real,
    runPipeline: (request: Pipeline.CheckRequest, programs?: Pipeline.ProgramCache): Pipeline.CheckResult => {
      const result = real.runPipeline(request, programs);
      const files = [...new Set(request.targets.flatMap((t) => t.files))];
      const marked = files.filter((f) => readFileSync(f, 'utf8').includes('// test: not analyzable'));
      return {
        ...result,
        skipped: [
          ...result.skipped,
          ...marked.map((file) => ({ file, line: 2, name: 'huge', reason: 'nested too deeply to analyze' })),
        ],
      };
    },
  };
});

afterAll(removeProjects);

const clean = `import { rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';
export function huge(): number { // test: not analyzable
  rcuReadLock();
  rcuReadUnlock();
  return 1;
}
`;
const leaky = `import { rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';
export function huge(k: number): number { // test: not analyzable
  rcuReadLock();
  if (k > 0) return k;
  rcuReadUnlock();
  return 0;
}
`;

describe.skipIf(!engineAvailable)('rcukit check with a function the engine could not analyze', () => {
  it('names it on stderr, says so in the summary, and exits 2', async () => {
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/gen.ts': clean });
    const r = await runInProcess(['check'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')).toContain(
      'rcukit: error: src/gen.ts:2: `huge` was not analyzed (nested too deeply to analyze); findings in it are missing',
    );
    expect(r.stderr).toContain('pass --allow-incomplete');
    expect(r.stdout).not.toContain('No problems found');
    expect(r.stdout).toContain('Analysis incomplete: 1 function not analyzed');
  });

  it('with --allow-incomplete, still names it, and the exit code is about findings only', async () => {
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/gen.ts': clean });
    const r = await runInProcess(['check', '--allow-incomplete'], dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('rcukit: warning: src/gen.ts:2: `huge` was not analyzed');
    expect(r.stdout).not.toContain('No problems found');

    const bad = makeProject({ 'tsconfig.json': strictTsconfig, 'src/gen.ts': leaky });
    expect((await runInProcess(['check', '--allow-incomplete'], bad)).status).toBe(1);
    const strict = await runInProcess(['check'], bad);
    expect(strict.status).toBe(2);
    expect(strict.stdout).toContain('rcu/unbalanced-read-lock');
  });

  it('lists it in the JSON report', async () => {
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/gen.ts': clean });
    const r = await runInProcess(['check', '--format', 'json'], dir);
    expect(r.status).toBe(2);
    const report = JSON.parse(r.stdout) as { summary: { skipped: number }; skipped: unknown[] };
    expect(report.summary.skipped).toBe(1);
    expect(report.skipped).toEqual([
      { file: 'src/gen.ts', line: 2, name: 'huge', reason: 'nested too deeply to analyze' },
    ]);
  });

  it('a complete run says nothing about skipping and exits 0', async () => {
    const dir = makeProject({
      'tsconfig.json': strictTsconfig,
      'src/ok.ts': clean.replace('// test: not analyzable', ''),
    });
    const r = await runInProcess(['check'], dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('No problems found (1 file checked).');
  });
});
