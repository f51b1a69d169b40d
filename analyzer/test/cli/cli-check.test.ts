/**
 * @fileoverview `rcukit check` end to end against the real engine: the demo project's findings
 * in every format, severities, --quiet, --max-warnings, suppressions, baselines, and bad input
 * (syntax errors, non-UTF-8, a 50k-line file, deep nesting, loose files).
 *
 * Nothing here hard-codes what the engine finds, except what the demo promises in its
 * `// expect: <rule>` comments: each test first asks the engine (JSON output) and then checks
 * how the CLI treats those findings.
 */

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSchema } from '../format/json-schema-check.js';
import {
  demoDir,
  engineAvailable,
  makeProject,
  removeProjects,
  repoRoot,
  runCli,
  runInProcess,
  runtimeRcuAvailable,
  strictTsconfig,
} from './cli-harness.js';

/** The demo's findings need the engine and the runtime's RCU API (rcuReadLock...) both built. */
const demoCanRun = engineAvailable && runtimeRcuAvailable;

afterAll(removeProjects);

interface JsonFinding {
  ruleId: string;
  messageId: string;
  severity: 'error' | 'warning';
  message: string;
  span: { file: string; startLine: number; startColumn: number };
  fingerprint: string;
}
interface JsonReport {
  summary: {
    errors: number;
    warnings: number;
    suppressed: number;
    baselined: number;
    staleBaselineEntries: number;
    filesChecked: number;
  };
  diagnostics: JsonFinding[];
  suppressed: Array<JsonFinding & { justification: string }>;
}

/** `rcukit check --format json` in-process (see runInProcess), parsed. */
async function json(
  args: readonly string[],
  cwd: string,
): Promise<{ status: number | null; report: JsonReport; stderr: string }> {
  const r = await runInProcess(['check', '--format', 'json', ...args], cwd);
  if (r.stdout === '') throw new Error(`no JSON (exit ${r.status}): ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) as JsonReport, stderr: r.stderr };
}

/** A copy of the checker demo in a temp project, to edit freely. */
function demoCopy(): string {
  const dir = makeProject({});
  cpSync(path.join(demoDir, 'src'), path.join(dir, 'src'), { recursive: true });
  cpSync(path.join(demoDir, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  return dir;
}

/** `// expect: rule` annotations of a demo file. */
function expectedRules(file: string): Set<string> {
  return new Set([...readFileSync(file, 'utf8').matchAll(/\/\/ expect: ([a-z]+\/[a-z-]+)/g)].map((m) => m[1]!));
}

const schema = JSON.parse(readFileSync(path.join(repoRoot, 'analyzer/docs/json-output.schema.json'), 'utf8')) as Record<
  string,
  unknown
>;

describe.skipIf(!demoCanRun)('rcukit check on the demo project', () => {
  const buggy = 'examples/checker-demo/src/signal-buggy.ts';
  const fixed = 'examples/checker-demo/src/signal-fixed.ts';

  it('reports every promised finding in the buggy file and nothing in the fixed one, and exits 1', async () => {
    const { status, report } = await json(['examples/checker-demo'], repoRoot);
    expect(status).toBe(1);
    expect(checkSchema(schema, report)).toEqual([]);
    const inBuggy = new Set(report.diagnostics.filter((d) => d.span.file === buggy).map((d) => d.ruleId));
    for (const rule of expectedRules(path.join(repoRoot, buggy))) expect(inBuggy, `missing ${rule}`).toContain(rule);
    expect(report.diagnostics.filter((d) => d.span.file === fixed)).toEqual([]);
    expect(report.summary.filesChecked).toBe(3);
  });

  it('prints text like tsc, one finding a line, with a summary', () => {
    const r = runCli(['check', 'examples/checker-demo'], repoRoot);
    expect(r.status).toBe(1);
    const findingLines = r.stdout.split('\n').filter((l) => /^\S.*\(\d+,\d+\): (error|warning) /.test(l));
    expect(findingLines.length).toBeGreaterThan(0);
    for (const l of findingLines)
      expect(l).toMatch(
        /^examples\/checker-demo\/src\/signal-buggy\.ts\(\d+,\d+\): (error|warning) [a-z]+\/[a-z-]+: \S/,
      );
    expect(r.stdout).toMatch(/\d+ errors? and \d+ warnings? in 1 file \(3 files checked\)\.\n$/);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('writes SARIF that the SARIF Multitool accepts with the GitHub rules', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rcukit-sarif-e2e-'));
    try {
      const out = path.join(tmp, 'demo.sarif');
      const r = runCli(['check', 'examples/checker-demo', '--format', 'sarif', '--output', out], repoRoot);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      const log = JSON.parse(readFileSync(out, 'utf8')) as {
        runs: Array<{
          results: Array<{
            locations: Array<{ physicalLocation: { artifactLocation: { uri: string; uriBaseId: string } } }>;
          }>;
          tool: { driver: { rules: Array<{ id: string; help: { markdown: string } }> } };
        }>;
      };
      const run = log.runs[0]!;
      expect(run.results.length).toBeGreaterThan(0);
      expect(run.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({
        uri: buggy,
        uriBaseId: '%SRCROOT%',
      });
      // Help comes from the rule's doc page, which opens with its id as a heading.
      const some = run.tool.driver.rules.find((x) => x.id.startsWith('rcu/'))!;
      expect(some.help.markdown.length).toBeGreaterThan(some.id.length + 50);
      const binary = createRequire(import.meta.url).resolve('@microsoft/sarif-multitool-linux/Sarif.Multitool');
      const validation = path.join(tmp, 'validation.sarif');
      execFileSync(binary, ['validate', '--rule-kind', 'Sarif;Gh', '--output', validation, out], {
        env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' },
        stdio: 'pipe',
        timeout: 120_000,
      });
      const v = JSON.parse(readFileSync(validation, 'utf8')) as {
        runs: Array<{ results?: Array<{ level?: string; ruleId: string }> }>;
      };
      expect((v.runs[0]!.results ?? []).filter((x) => x.level === 'error').map((x) => x.ruleId)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('changes severities with --rule and the config, and honours --quiet and --max-warnings', async () => {
    const dir = demoCopy();
    const found = [...new Set((await json([], dir)).report.diagnostics.map((d) => d.ruleId))];
    expect(found.length).toBeGreaterThan(0);

    const allOff = found.flatMap((id) => ['--rule', `${id}=off`]);
    expect(await json(allOff, dir)).toMatchObject({ status: 0, report: { diagnostics: [] } });

    const allWarn = found.flatMap((id) => ['--rule', `${id}=warn`]);
    const warned = await json(allWarn, dir);
    expect(warned.status).toBe(0);
    expect(warned.report.summary.errors).toBe(0);
    const warnings = warned.report.summary.warnings;
    expect(warnings).toBeGreaterThan(0);
    expect((await json([...allWarn, '--max-warnings', String(warnings)], dir)).status).toBe(0);
    const over = await runInProcess(['check', ...allWarn, '--max-warnings', String(warnings - 1)], dir);
    expect(over.status).toBe(1);
    expect(over.stderr).toContain(`rcukit: ${warnings} warnings, more than --max-warnings ${warnings - 1} allows`);
    expect(await json([...allWarn, '--quiet'], dir)).toMatchObject({ status: 0, report: { diagnostics: [] } });

    // The same through the config file; --rule on the command line wins over it.
    writeFileSync(
      path.join(dir, 'rcukit.config.json'),
      JSON.stringify({ rules: Object.fromEntries(found.map((id) => [id, 'off'])) }),
    );
    expect((await json([], dir)).status).toBe(0);
    expect((await json(['--rule', `${found[0]}=error`], dir)).status).toBe(1);
  });

  it('an unknown rule in --rule or the config is exit 2 with a suggestion', async () => {
    const dir = demoCopy();
    const r = await runInProcess(['check', '--rule', 'rcu/missing-revalidaton=off'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'rcukit: error: --rule rcu/missing-revalidaton: unknown rule; did you mean rcu/missing-revalidation?',
    );
    writeFileSync(path.join(dir, 'rcukit.config.json'), '{"rules": {"rcu/nope": "off"}}');
    expect((await runInProcess(['check'], dir)).stderr.split('\n')[0]).toMatch(
      /^rcukit: error: rcukit\.config\.json: "rules\.rcu\/nope": unknown rule/,
    );
  });

  it('include/exclude globs pick the files', async () => {
    const dir = demoCopy();
    writeFileSync(path.join(dir, 'rcukit.config.json'), '{"exclude": ["*-buggy.ts"]}');
    expect(await json([], dir)).toMatchObject({ status: 0, report: { diagnostics: [], summary: { filesChecked: 2 } } });
    writeFileSync(path.join(dir, 'rcukit.config.json'), '{"include": ["nothing/**"]}');
    const r = await runInProcess(['check'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no files to check: the include/exclude globs of rcukit.config.json leave none of 3');
  });
});

describe.skipIf(!demoCanRun)('suppressions end to end', () => {
  it('a comment with a reason silences exactly that finding; without a reason it is reported; a stale one too', async () => {
    const dir = demoCopy();
    const before = (await json([], dir)).report;
    const target = before.diagnostics.find((d) => d.severity === 'error')!;
    const file = path.join(dir, target.span.file);
    const lines = readFileSync(file, 'utf8').split('\n');
    const indent = /^\s*/.exec(lines[target.span.startLine - 1]!)![0];
    const withComment = (comment: string) =>
      [...lines.slice(0, target.span.startLine - 1), indent + comment, ...lines.slice(target.span.startLine - 1)].join(
        '\n',
      );

    writeFileSync(file, withComment(`// rcukit-ignore-next-line ${target.ruleId} -- demo: reviewed by hand`));
    const after = (await json([], dir)).report;
    expect(after.diagnostics.length).toBe(before.diagnostics.length - 1);
    expect(after.suppressed).toMatchObject([{ ruleId: target.ruleId, justification: 'demo: reviewed by hand' }]);

    writeFileSync(file, withComment(`// rcukit-ignore-next-line ${target.ruleId}`));
    const noReason = (await json([], dir)).report;
    expect(noReason.diagnostics.filter((d) => d.ruleId === 'rcukit/suppression-without-reason')).toHaveLength(1);
    expect(noReason.suppressed).toHaveLength(1);

    // Moved one line up, it no longer points at the finding: the finding is back, and the
    // comment is reported as suppressing nothing.
    writeFileSync(
      file,
      [
        ...lines.slice(0, target.span.startLine - 2),
        indent + `// rcukit-ignore-next-line ${target.ruleId} -- stale`,
        ...lines.slice(target.span.startLine - 2),
      ].join('\n'),
    );
    const stale = (await json([], dir)).report;
    expect(stale.suppressed).toEqual([]);
    expect(stale.diagnostics.filter((d) => d.ruleId === 'rcukit/unused-suppression')).toHaveLength(1);
  });
});

describe.skipIf(!demoCanRun)('baseline end to end', () => {
  it('accepts recorded findings across line shifts and fails only on new ones', async () => {
    const dir = demoCopy();
    const first = await json([], dir);
    expect(first.status).toBe(1);
    const total = first.report.diagnostics.length;

    const update = await runInProcess(['check', '--baseline', 'rcukit-baseline.json', '--update-baseline'], dir);
    expect(update.status).toBe(0);
    expect(update.stderr).toContain(`wrote ${total} finding`);
    const baseline = JSON.parse(readFileSync(path.join(dir, 'rcukit-baseline.json'), 'utf8')) as {
      findings: unknown[];
    };
    expect(baseline.findings).toHaveLength(total);

    expect(await json(['--baseline', 'rcukit-baseline.json'], dir)).toMatchObject({
      status: 0,
      report: { diagnostics: [], summary: { baselined: total } },
    });

    // Shift every line of the buggy file down: still nothing new.
    const buggy = path.join(dir, 'src/signal-buggy.ts');
    const original = readFileSync(buggy, 'utf8');
    writeFileSync(buggy, '// a comment added later\n\n\n' + original);
    expect(await json(['--baseline', 'rcukit-baseline.json'], dir)).toMatchObject({
      status: 0,
      report: { summary: { baselined: total } },
    });

    // A new buggy function (a renamed copy of the first one): only its findings are reported.
    const copy = original.replace(/export function lockTaskSighand/, 'export function lockTaskSighandAgain');
    const fnStart = copy.indexOf('export function lockTaskSighandAgain');
    const fnEnd = copy.indexOf('\n}\n', fnStart) + 3;
    writeFileSync(buggy, original + '\n' + copy.slice(fnStart, fnEnd));
    const withNew = await json(['--baseline', 'rcukit-baseline.json'], dir);
    expect(withNew.status).toBe(1);
    expect(withNew.report.diagnostics.length).toBeGreaterThan(0);
    const newStart = original.split('\n').length;
    for (const d of withNew.report.diagnostics) expect(d.span.startLine).toBeGreaterThan(newStart);
  });

  it('a missing or corrupt baseline is exit 2', async () => {
    const dir = demoCopy();
    expect((await runInProcess(['check', '--baseline', 'nope.json'], dir)).stderr.split('\n')[0]).toBe(
      'rcukit: error: nope.json: baseline file not found (create it with --update-baseline)',
    );
    writeFileSync(path.join(dir, 'bad.json'), '{"findings": 3}');
    const r = await runInProcess(['check', '--baseline', 'bad.json'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bad.json: not an rcukit baseline');
  });
});

describe.skipIf(!engineAvailable)('bad input', () => {
  const runtimeUse = [
    "import { rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';",
    "import type { Spinlock, TypeStable } from '@rcukit/runtime';",
    'type S = TypeStable<{ siglock: Spinlock; n: number }>;',
    'export function get(s: S): number {',
    '  rcuReadLock();',
    '  const n = s.n;',
    '  rcuReadUnlock();',
    '  return n;',
    '}',
  ].join('\n');

  it('a syntax error is reported as a finding naming the file and line, not a crash', async () => {
    const dir = makeProject({
      'tsconfig.json': strictTsconfig,
      'src/ok.ts': runtimeUse + '\n',
      'src/broken.ts': runtimeUse + '\nexport function f( {\n  return 1;\n',
    });
    const { status, report, stderr } = await json([], dir);
    expect(status).toBe(1);
    expect(stderr).toBe('');
    const syntax = report.diagnostics.filter((d) => d.ruleId === 'rcukit/syntax-error');
    expect(syntax).toHaveLength(1);
    expect(syntax[0]!.span.file).toBe('src/broken.ts');
    expect(syntax[0]!.span.startLine).toBeGreaterThanOrEqual(10);
  });

  it('a non-UTF-8 file gets a warning naming it, and the run goes on', async () => {
    const latin1 = Buffer.from('// caf\xe9 in Latin-1\nexport const x: number = 1;\n', 'latin1');
    const dir = makeProject({
      'tsconfig.json': strictTsconfig,
      'src/a.ts': runtimeUse + '\n',
      'src/latin1.ts': latin1,
    });
    const r = await runInProcess(['check'], dir);
    expect(r.status === 0 || r.status === 1).toBe(true);
    expect(r.stderr).toContain('rcukit: warning: src/latin1.ts: not valid UTF-8');
  });

  it('a 50,000-line file is checked', async () => {
    // Like a generated file: a few hundred functions using the runtime, then a large table.
    const functions = Array.from(
      { length: 300 },
      (_, i) =>
        `export function f${i}(s: S): number {\n  rcuReadLock();\n  const n = s.n + ${i};\n  rcuReadUnlock();\n  return n;\n}\n`,
    ).join('');
    const table =
      'export const table: readonly number[] = [\n' +
      Array.from({ length: 48_500 }, (_, i) => `  ${(i * 2654435761) % 4294967296},\n`).join('') +
      '];\n';
    const text = runtimeUse.split('\n').slice(0, 3).join('\n') + '\n' + functions + table;
    expect(text.split('\n').length).toBeGreaterThanOrEqual(50_000);
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/big.ts': text });
    const r = await runInProcess(['check'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('No problems found (1 file checked).');
  });

  it('code nested too deeply to parse is exit 2 with one line naming the file, never a stack trace', () => {
    const depth = 50_000;
    const text = runtimeUse + '\nexport const deep = ' + '['.repeat(depth) + ']'.repeat(depth) + ';\n';
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/deep.ts': text });
    const r = runCli(['check'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^rcukit: error: src\/deep\.ts: cannot parse: .*nested too deeply/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it("a chain too long for TypeScript's binder is exit 2 naming the file", () => {
    // TypeScript parses `a && b && …` iteratively but binds it recursively (tsc fails too).
    const chain = Array.from({ length: 8_000 }, (_, i) => `s.n > ${i}`).join(' && ');
    const text = runtimeUse + `\nexport function long(s: S): boolean {\n  return ${chain};\n}\n`;
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/chain.ts': text });
    const r = runCli(['check'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^rcukit: error: analysis of tsconfig\.json failed: src\/chain\.ts: code chained or nested too deeply for TypeScript's binder/,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('moderately deep nesting (500 blocks) is analyzed normally', async () => {
    const text =
      runtimeUse +
      '\nexport function nest(s: S): number {\n  rcuReadLock();\n' +
      '  {\n'.repeat(500) +
      '  const n = s.n;\n' +
      '  }\n'.repeat(500) +
      '  rcuReadUnlock();\n  return 0;\n}\n';
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/nest.ts': text });
    const r = await runInProcess(['check'], dir);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect([0, 1]).toContain(r.status);
  });

  it('loose .js, .mjs and .cjs files are analyzed as allowJs would: the same leak as in .ts is flagged', async () => {
    const body = (imports: string) => `${imports}
export function find(table, key) {
  rcuReadLock();
  const e = table.get(key);
  if (e === undefined) return null;
  rcuReadUnlock();
  return e;
}
`;
    const esm = body("import { rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';");
    const dir = makeProject({
      'leak.ts': esm.replace('(table, key)', '(table: Map<number, object>, key: number)'),
      'leak.js': esm,
      'leak.mjs': esm,
      'leak.cjs': body("const { rcuReadLock, rcuReadUnlock } = require('@rcukit/runtime');").replace(
        'export function',
        'function',
      ),
    });
    for (const file of ['leak.ts', 'leak.js', 'leak.mjs', 'leak.cjs']) {
      const { status, report } = await json([file], dir);
      expect(status, file).toBe(1);
      expect(
        report.diagnostics.map((d) => [d.ruleId, d.span.file, d.span.startLine]),
        file,
      ).toEqual([['rcu/unbalanced-read-lock', file, 5]]);
    }
  });

  it('a loose .js file gets the TypeStable brand through the runtime types it imports', async () => {
    const dir = makeProject({
      'peek.js': `import { rcuReadLock, rcuReadUnlock } from '@rcukit/runtime';
/** @typedef {import('@rcukit/runtime').TypeStable<{ action: number }>} Sighand */

/** @param {{ sighand: Sighand | null }} task */
export function peek(task) {
  const s = task.sighand;
  return s === null ? 0 : s.action;
}

/** @param {{ sighand: Sighand | null }} task */
export function peekLocked(task) {
  rcuReadLock();
  const s = task.sighand;
  const a = s === null ? 0 : s.action;
  rcuReadUnlock();
  return a;
}
`,
    });
    const { status, report } = await json(['peek.js'], dir);
    expect(status).toBe(1);
    expect(report.diagnostics.map((d) => [d.ruleId, d.span.startLine])).toEqual([['rcu/deref-outside-read-lock', 7]]);
  });

  it('loose files without a tsconfig are checked with default options', async () => {
    const dir = makeProject({ 'a.ts': runtimeUse.replace('  rcuReadLock();\n', '') + '\n' });
    const { status, report } = await json(['a.ts'], dir);
    expect(report.summary.filesChecked).toBe(1);
    expect([0, 1]).toContain(status);
  });
});

describe.skipIf(!engineAvailable)('rcukit rules', () => {
  it('lists every rule with its doc page, and each page exists', async () => {
    const r = await runInProcess(['rules', '--format', 'json'], repoRoot);
    expect(r.status).toBe(0);
    const rules = JSON.parse(r.stdout) as Array<{ id: string; docFile: string }>;
    expect(rules.map((x) => x.id)).toContain('rcukit/unused-suppression');
    for (const rule of rules)
      expect(() => readFileSync(path.join(repoRoot, rule.docFile.replace(/#.*$/, '')))).not.toThrow();
    const text = await runInProcess(['rules'], repoRoot);
    expect(text.stdout).toMatch(/^rcu\/\S+\s+(error|warn)\s+analyzer\/docs\/rules\/\S+\.md$/m);
  });
});
