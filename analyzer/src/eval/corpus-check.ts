/**
 * @fileoverview The corpus figures of `npm run eval`: the checker over analyzer/test/corpus/,
 * correct code translated from the kernel and written as applications write it. Every finding
 * there is a false alarm; `corpus.test.ts` holds the same findings against the ratchet file
 * `known-false-alarms.json`.
 */

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';
import { isFunctionLike } from '../ast.js';
import type { Diagnostic } from '../diagnostic.js';
import { analyze } from '../engine/analyze.js';
import { listFixtureFiles } from './fixture-check.js';

export interface CorpusFigures {
  /** Source files under kernel/ and app/ (lib/ holds declarations, not functions under test). */
  readonly files: number;
  /** Functions with a body in those files. */
  readonly functions: number;
  readonly lines: number;
  /** Every finding is a false alarm. */
  readonly falseAlarms: readonly Diagnostic[];
  /** Functions the engine could not analyze. */
  readonly skipped: number;
}

export function corpusRoot(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../test/corpus');
}

export function checkCorpus(root = corpusRoot()): CorpusFigures {
  const result = analyze({ cwd: root, project: join(root, 'tsconfig.json') });
  const sources = ['kernel', 'app'].flatMap((d) => listFixtureFiles(join(root, d)));
  let functions = 0;
  let lines = 0;
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    lines += text.split('\n').length;
    const stack: ts.Node[] = [ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      if (isFunctionLike(n) && n.body !== undefined) functions++;
      ts.forEachChild(n, (c) => {
        stack.push(c);
      });
    }
  }
  return {
    files: sources.length,
    functions,
    lines,
    falseAlarms: result.diagnostics,
    skipped: result.skipped?.length ?? 0,
  };
}
