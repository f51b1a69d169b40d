/**
 * @fileoverview The CLI's surface without analysis: help (snapshotted to catch drift), version,
 * and every usage, configuration and project error ending in exit code 2 with a one-line
 * message and no stack trace. None of these need the engine: they fail before it loads.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, removeProjects, repoRoot, runCli, strictTsconfig } from './cli-harness.js';

afterAll(removeProjects);

/** Exit 2, with `rcukit: error: <message>` as the first stderr line and no stack trace. */
function expectFailure(r: { status: number | null; stderr: string; stdout: string }, message: string | RegExp): void {
  expect(r.status).toBe(2);
  const first = r.stderr.split('\n')[0]!;
  if (typeof message === 'string') expect(first).toBe(`rcukit: error: ${message}`);
  else expect(first).toMatch(message);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).toBe('');
}

describe('help and version', () => {
  it('rcukit --help', () => {
    const r = runCli(['--help'], repoRoot);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatchSnapshot();
  });

  it('rcukit check --help', () => {
    const r = runCli(['check', '--help'], repoRoot);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatchSnapshot();
  });

  it('rcukit --version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'analyzer/package.json'), 'utf8')) as { version: string };
    const r = runCli(['--version'], repoRoot);
    expect(r).toMatchObject({ status: 0, stdout: `${pkg.version}\n` });
  });

  it('rcukit with no arguments shows usage on stderr and exits 2', () => {
    const r = runCli([], repoRoot);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage: rcukit');
  });
});

describe('usage errors exit 2 with one line', () => {
  it.each([
    [['check', '--bogus'], "rcukit: error: unknown option '--bogus'"],
    [['chek'], "rcukit: error: unknown command 'chek'"],
    [['check', '--format', 'xml'], /^rcukit: error: option '-f, --format <format>' argument 'xml' is invalid/],
  ])('%j', (args, first) => {
    const r = runCli(args, repoRoot);
    expect(r.status).toBe(2);
    if (typeof first === 'string') expect(r.stderr.split('\n')[0]).toBe(first);
    else expect(r.stderr.split('\n')[0]).toMatch(first);
  });

  it.each([
    [['--max-warnings', 'many'], '--max-warnings many: expected a whole number of 0 or more'],
    [['--max-warnings', '-1'], '--max-warnings -1: expected a whole number of 0 or more'],
    [
      ['--rule', 'rcu/missing-revalidation'],
      '--rule rcu/missing-revalidation: expected <rule-id>=<off|warn|error>, e.g. --rule rcu/missing-revalidation=warn',
    ],
    [
      ['--rule', 'rcu/missing-revalidation=loud'],
      '--rule rcu/missing-revalidation=loud: expected <rule-id>=<off|warn|error>, e.g. --rule rcu/missing-revalidation=warn',
    ],
    [['--update-baseline'], '--update-baseline needs --baseline <file> to say which file to write'],
  ])('check %j', (args, message) => {
    expectFailure(runCli(['check', ...args], repoRoot), message);
  });
});

describe('configuration and project errors exit 2 naming the file', () => {
  it('a bad config names the file and the key', () => {
    const dir = makeProject({
      'tsconfig.json': strictTsconfig,
      'src/a.ts': 'export {};\n',
      'rcukit.config.json': '{"rules": {"rcu/missing-revalidation": "sometimes"}}',
    });
    expectFailure(
      runCli(['check'], dir),
      'rcukit.config.json: "rules.rcu/missing-revalidation": severity must be one of off, warn, error (got "sometimes")',
    );
  });

  it('a bad "rcukit" key in package.json names package.json and the key', () => {
    const dir = makeProject({
      'tsconfig.json': strictTsconfig,
      'src/a.ts': 'export {};\n',
      'package.json': '{"name": "x", "rcukit": {"exclude": "dist"}}',
    });
    expectFailure(runCli(['check'], dir), 'package.json: "rcukit.exclude": must be an array of glob strings');
  });

  it('--config pointing nowhere', () => {
    const dir = makeProject({ 'tsconfig.json': strictTsconfig });
    expectFailure(runCli(['check', '--config', 'ci.json'], dir), 'ci.json: config file not found');
  });

  it('no tsconfig.json and no paths', () => {
    const dir = makeProject({ 'src/a.ts': 'export {};\n' });
    expectFailure(runCli(['check'], dir), 'no tsconfig.json in the current directory');
  });

  it('a missing --project', () => {
    const dir = makeProject({});
    expectFailure(
      runCli(['check', '--project', 'app/tsconfig.json'], dir),
      'app/tsconfig.json: project file not found (--project)',
    );
  });

  it('a tsconfig that is not valid JSON', () => {
    const dir = makeProject({
      'tsconfig.json': '{ "compilerOptions": { "strict": true, }, "include": [ }',
      'src/a.ts': 'export {};\n',
    });
    expectFailure(runCli(['check'], dir), /^rcukit: error: tsconfig\.json: /);
  });

  it('a tsconfig extending a config that does not exist', () => {
    const dir = makeProject({
      'tsconfig.json': '{ "extends": "./base.json", "include": ["src"] }',
      'src/a.ts': 'export {};\n',
    });
    expectFailure(runCli(['check'], dir), /^rcukit: error: tsconfig\.json: .*base\.json/);
  });

  it('a file outside the project given with --project', () => {
    const dir = makeProject({
      'tsconfig.json': strictTsconfig,
      'src/a.ts': 'export {};\n',
      'scripts/b.ts': 'export {};\n',
    });
    const r = runCli(['check', '--project', 'tsconfig.json', 'scripts/b.ts'], dir);
    expectFailure(r, 'scripts/b.ts is not part of the project tsconfig.json');
    expect(r.stderr).toContain('rcukit: hint: add it to the "include" or "files" of tsconfig.json');
  });

  it('a path that does not exist', () => {
    const dir = makeProject({ 'tsconfig.json': strictTsconfig, 'src/a.ts': 'export {};\n' });
    expectFailure(runCli(['check', 'src/nope.ts'], dir), 'src/nope.ts: no such file or directory');
  });
});
