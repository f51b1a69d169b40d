/**
 * @fileoverview The plugin's suggestions as a user applies them in vscode-eslint: ESLint's own
 * API lints a small project outside the repository, each suggestion offered for a dereference
 * outside a read-side section is applied to the file, and ESLint runs again: the finding must be
 * gone, and no other rcukit finding may take its place (an unbalanced section, an escape).
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ESLint, type Linter } from 'eslint';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const config = path.join(repoRoot, 'eslint-plugin/test/eslint.config.js');

// A dereference outside any section, in a statement of its own: both wraps apply there, and the
// file has no import of rcuReadLock yet, so each suggestion must add one.
const buggy = `import type { Spinlock, TypeStable } from '@rcukit/runtime';

export type Sighand = TypeStable<{ readonly siglock: Spinlock; pending: number }>;
export interface Task {
  /** RCU-protected: reading it is the rcu_dereference load. */
  sighand: Sighand | null;
}

export function pendingSignals(task: Task): number {
  const sighand = task.sighand;
  let pending = 0;
  if (sighand !== null) pending = sighand.pending;
  return pending;
}
`;

let dir: string;
let file: string;
let eslint: ESLint;

async function lint(text: string): Promise<Linter.LintMessage[]> {
  writeFileSync(file, text);
  const [result] = await eslint.lintFiles([file]);
  return result!.messages;
}

describe('@rcukit/eslint-plugin suggestions', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rcukit-eslint-suggest-'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'suggest-app', type: 'module' }));
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
        },
        include: ['src'],
      }),
    );
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    mkdirSync(path.join(dir, 'src'));
    file = path.join(dir, 'src', 'keys.ts');
    eslint = new ESLint({ cwd: dir, overrideConfigFile: config });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('each wrap offered for a dereference outside a read-side section removes the finding, and adds none', async () => {
    const messages = await lint(buggy);
    const derefs = messages.filter((m) => m.ruleId === '@rcukit/deref-outside-read-lock');
    expect(derefs.length).toBeGreaterThan(0);
    const offered = derefs.flatMap((m) => (m.suggestions ?? []).map((s) => ({ at: m.line, s })));
    expect(offered.map((o) => o.s.desc)).toContain('Wrap in rcuReadLock()/rcuReadUnlock()');
    for (const { at, s } of offered) {
      const [from, to] = s.fix.range;
      const fixed = buggy.slice(0, from) + s.fix.text + buggy.slice(to);
      const after = (await lint(fixed)).filter((m) => m.ruleId?.startsWith('@rcukit/') === true);
      const lineOf = (m: Linter.LintMessage) => `${m.line}: ${m.ruleId!}`;
      // The finding at this line is gone; whatever other finding was there before may stay.
      expect(after.map(lineOf), `${s.desc} at line ${at}:\n${fixed}`).not.toContain(
        `${at}: @rcukit/deref-outside-read-lock`,
      );
      const before = messages.filter((m) => m.ruleId?.startsWith('@rcukit/') === true && m.line !== at).length;
      expect(after.length, `${s.desc} at line ${at}:\n${fixed}`).toBeLessThanOrEqual(before);
    }
    expect(readFileSync(file, 'utf8')).not.toBe(buggy);
  });
});
