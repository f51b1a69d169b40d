/**
 * @fileoverview Rule docs are checked, not trusted: every registered rule has a page of the
 * common shape whose quoted description is the rule's metadata, and whose ❌ example triggers
 * the rule while its ✅ example produces no finding at all.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project, ts } from 'ts-morph';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/diagnostic.js';
import { analyzeProgram } from '../src/engine/analyze.js';
import { fixturesRoot } from '../src/eval/fixture-check.js';
import { listRules } from '../src/index.js';

const analyzerRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const rules = listRules();

interface Page {
  readonly text: string;
  readonly bad: string;
  readonly good: string;
}

function codeAfter(text: string, heading: string): string {
  const at = text.indexOf(heading);
  if (at < 0) return '';
  const m = /```ts\n([\s\S]*?)```/.exec(text.slice(at));
  return m?.[1] ?? '';
}

function readPage(docPath: string): Page {
  const text = readFileSync(join(analyzerRoot, docPath), 'utf8');
  return { text, bad: codeAfter(text, '### ❌ Incorrect'), good: codeAfter(text, '### ✅ Correct') };
}

const findings = new Map<string, Diagnostic[]>();

beforeAll(() => {
  // The examples become in-memory files beside the fixtures, so `@rcukit/runtime` resolves.
  const project = new Project({
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      lib: ['lib.es2024.d.ts', 'lib.esnext.disposable.d.ts'],
      types: [],
    },
  });
  const files: string[] = [];
  for (const r of rules) {
    if (!existsSync(join(analyzerRoot, r.docPath))) continue;
    const page = readPage(r.docPath);
    const name = r.id.replace('/', '-');
    for (const [kind, code] of [
      ['bad', page.bad],
      ['good', page.good],
    ] as const) {
      const path = join(fixturesRoot(), 'docs-examples', `${name}--${kind}.ts`);
      project.createSourceFile(path, code, { overwrite: true });
      files.push(path);
    }
  }
  const program = project.getProgram().compilerObject;
  for (const f of files) {
    const sf = program.getSourceFile(f)!;
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    expect(
      diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')),
      f,
    ).toEqual([]);
  }
  for (const d of analyzeProgram(program, { files }).diagnostics) {
    const list = findings.get(d.span.file) ?? [];
    list.push(d);
    findings.set(d.span.file, list);
  }
});

describe('rule docs', () => {
  for (const r of rules) {
    describe(r.id, () => {
      it('has a page of the common shape whose description matches the metadata', () => {
        expect(existsSync(join(analyzerRoot, r.docPath)), r.docPath).toBe(true);
        const page = readPage(r.docPath);
        expect(page.text.split('\n')[0]).toBe(`# ${r.id}`);
        expect(page.text).toContain(`> ${r.description}\n`);
        for (const h of [
          '## Why',
          '### ❌ Incorrect',
          '### ✅ Correct',
          '## Options',
          '## When Not To Use It',
          '## How to suppress',
        ]) {
          expect(page.text, `${r.docPath}: ${h}`).toContain(h);
        }
        expect(page.text).toContain(`rcukit-ignore-next-line ${r.id} -- `);
        // Every page teaches with the same model object: the sighand of `lockTaskSighand`.
        expect(page.bad + page.good).toContain('Sighand');
      });

      it('❌ example triggers the rule and ✅ example produces no finding', () => {
        const name = r.id.replace('/', '-');
        const bad = findings.get(join(fixturesRoot(), 'docs-examples', `${name}--bad.ts`)) ?? [];
        const good = findings.get(join(fixturesRoot(), 'docs-examples', `${name}--good.ts`)) ?? [];
        expect(bad.map((d) => d.ruleId)).toContain(r.id);
        expect(good.map((d) => `${d.ruleId}: ${d.message}`)).toEqual([]);
      });
    });
  }
});
