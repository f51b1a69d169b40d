/**
 * @fileoverview The debug-mode cross-check's runner: a variant of a runnable example, run under
 * RCUKIT_DEBUG=fuzz, yields the runtime's reports with the line of the misuse in the variant's
 * own TypeScript source. Runs the real lockTaskSighand torture (test/dist, built by npm test).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNNABLE_EXAMPLES } from '../src/eval/debug-cross-check/cross-check.js';
import { ExampleSandbox } from '../src/eval/debug-cross-check/run-program.js';
import { repoRoot } from '../src/eval/mutate/targets.js';
import { WarmProgram } from '../src/eval/mutate/warm-program.js';

const repo = repoRoot();
const example = RUNNABLE_EXAMPLES.find((e) => e.main === 'torture/sighand-cli.js')!;
const file = join(repo, 'test', example.sources);
const source = readFileSync(file, 'utf8');
const sandbox = new ExampleSandbox(
  { ...example, args: ['300'] },
  repo,
  WarmProgram.load(join(repo, example.tsconfig)).base.getCompilerOptions(),
);
afterAll(() => sandbox.dispose());

/** 1-based line of the first occurrence of `needle` in `text`. */
const lineOf = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length;

describe('debug-mode cross-check runner', () => {
  it('the correct program runs clean under debug mode with fuzzing', () => {
    const run = sandbox.run(file, source);
    expect(run).toEqual({ ended: 'exit', status: 0, reports: [] });
  });

  it("a variant without lockTaskSighand's read lock is reported at its first use of the sighand", () => {
    const lock = '    rcuReadLock();\n    const sighand = task.sighand;';
    expect(source).toContain(lock);
    const variant = source.replace(lock, '    const sighand = task.sighand;');
    const run = sandbox.run(file, variant);
    expect(run.reports).toContainEqual({
      error: 'SuspiciousRcuUsageError',
      file,
      line: lineOf(variant, 'spinLock(sighand.siglock)'),
    });
  });
});
