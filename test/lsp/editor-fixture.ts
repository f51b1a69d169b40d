/**
 * @fileoverview What the editor tests share: the fixture project, the expectations written in
 * its files (`// expect: <rule id>` on the line of the finding), and checks of what an editor
 * received against them.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const fixtureProject = fileURLToPath(new URL('./fixtures/project/', import.meta.url));
export const fixtureFile = fileURLToPath(new URL('./fixtures/project/src/sighand.ts', import.meta.url));

export interface Expected {
  /** 0-based line, as LSP counts. */
  readonly line: number;
  readonly rule: string;
}

/** The `// expect: rule` comments of a fixture file. */
export function expectationsIn(file: string): Expected[] {
  const out: Expected[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      for (const m of text.matchAll(/\/\/\s*expect:\s*([\w/-]+)/g)) out.push({ line, rule: m[1]! });
    });
  return out;
}

/** Expected findings missing from `got` (code + start line), as readable lines. */
export function missing(
  expected: readonly Expected[],
  got: readonly { line: number; code: unknown; source?: unknown }[],
): string[] {
  return expected
    .filter(
      (e) =>
        !got.some((g) => g.line === e.line && g.code === e.rule && (g.source === undefined || g.source === 'rcukit')),
    )
    .map((e) => `${e.rule} at line ${e.line + 1}`);
}
