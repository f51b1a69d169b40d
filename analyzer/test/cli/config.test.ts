/**
 * @fileoverview Config loading: where it is found, what it means, and that every mistake is an
 * error naming the file and the key.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigRuleIds, ConfigError, isFileSelected, loadConfig } from '../../src/config/config.js';
import { compileGlob } from '../../src/config/glob.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'rcukit-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh folder with the given files (name -> content). */
function dir(files: Record<string, string>): string {
  const d = path.join(root, `case${n++}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    writeFileSync(path.join(d, name), content);
  }
  return d;
}

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('finds rcukit.config.json in the working directory or a parent, and maps severities', () => {
    const d = dir({
      'rcukit.config.json': JSON.stringify({
        rules: { 'rcu/missing-revalidation': 'warn', 'rcu/x': 'off', 'rcu/y': 'error' },
      }),
      'sub/deeper/.keep': '',
    });
    const config = loadConfig(path.join(d, 'sub/deeper'), undefined);
    expect(config.file).toBe(path.join(d, 'rcukit.config.json'));
    expect(config.rules).toEqual({ 'rcu/missing-revalidation': 'warning', 'rcu/x': 'off', 'rcu/y': 'error' });
    expect(config.baseDir).toBe(d);
  });

  it('reads the "rcukit" key of package.json, and rcukit.config.json wins in the same folder', () => {
    const pkgOnly = dir({ 'package.json': JSON.stringify({ name: 'p', rcukit: { exclude: ['gen/**'] } }) });
    expect(loadConfig(pkgOnly, undefined)).toMatchObject({
      source: 'package-json',
      file: path.join(pkgOnly, 'package.json'),
    });
    const both = dir({ 'package.json': JSON.stringify({ rcukit: {} }), 'rcukit.config.json': '{}' });
    expect(loadConfig(both, undefined).source).toBe('config-file');
  });

  it('skips a package.json without the key and keeps looking upwards', () => {
    const d = dir({ 'rcukit.config.json': '{"rules":{"a/b":"warn"}}', 'pkg/package.json': '{"name":"inner"}' });
    expect(loadConfig(path.join(d, 'pkg'), undefined).file).toBe(path.join(d, 'rcukit.config.json'));
  });

  it('uses --config when given, and a missing one is an error', () => {
    const d = dir({ 'ci/strict.json': '{"rules":{"rcu/a":"error"}}' });
    expect(loadConfig(d, 'ci/strict.json').rules).toEqual({ 'rcu/a': 'error' });
    expect(configError(() => loadConfig(d, 'nope.json'))).toBe(`${path.join(d, 'nope.json')}: config file not found`);
  });

  it.each([
    ['{"rules": {"rcu/a": "loud"}}', '"rules.rcu/a": severity must be one of off, warn, error (got "loud")'],
    ['{"rules": ["rcu/a"]}', '"rules": must be an object mapping rule ids to severities'],
    ['{"include": "src/**"}', '"include": must be an array of glob strings'],
    ['{"exclude": ["ok/**", 3]}', '"exclude[1]": must be a glob string (got 3)'],
    ['{"exclude": ["a/**b"]}', `"exclude[0]": bad glob: '**' must be a whole path segment in 'a/**b'`],
    ['{"rulez": {}}', '"rulez": unknown key (allowed: rules, include, exclude)'],
    ['[1]', 'invalid JSON: expected a JSON object at the top'],
  ])('rejects %s naming the file and key', (json, expected) => {
    const d = dir({ 'rcukit.config.json': json });
    expect(configError(() => loadConfig(d, undefined))).toBe(`${path.join(d, 'rcukit.config.json')}: ${expected}`);
  });

  it('names the file for broken JSON, and the "rcukit." prefix for package.json keys', () => {
    const broken = dir({ 'rcukit.config.json': '{"rules": {' });
    expect(configError(() => loadConfig(broken, undefined))).toMatch(/rcukit\.config\.json: invalid JSON: /);
    const pkg = dir({ 'package.json': '{"rcukit": {"rules": {"rcu/a": 1}}}' });
    expect(configError(() => loadConfig(pkg, undefined))).toBe(
      `${path.join(pkg, 'package.json')}: "rcukit.rules.rcu/a": severity must be one of off, warn, error (got 1)`,
    );
  });

  it('rejects unknown rule ids once the rules are known, with a suggestion', () => {
    const d = dir({ 'rcukit.config.json': '{"rules": {"rcu/missing-revalidaton": "warn"}}' });
    const config = loadConfig(d, undefined);
    const known = new Set(['rcu/missing-revalidation', 'rcu/deref-outside-read-lock']);
    expect(configError(() => checkConfigRuleIds(config, known))).toBe(
      `${path.join(d, 'rcukit.config.json')}: "rules.rcu/missing-revalidaton": unknown rule; did you mean rcu/missing-revalidation? (run \`rcukit rules\` for the list)`,
    );
  });

  it('selects files by include and exclude globs relative to the config folder', () => {
    const d = dir({
      'rcukit.config.json': JSON.stringify({ include: ['src/**'], exclude: ['src/generated', '*.test.ts'] }),
    });
    const config = loadConfig(d, undefined);
    expect(isFileSelected(config, path.join(d, 'src/a.ts'))).toBe(true);
    expect(isFileSelected(config, path.join(d, 'src/deep/b.ts'))).toBe(true);
    expect(isFileSelected(config, path.join(d, 'lib/a.ts'))).toBe(false);
    expect(isFileSelected(config, path.join(d, 'src/generated/x.ts'))).toBe(false);
    expect(isFileSelected(config, path.join(d, 'src/deep/a.test.ts'))).toBe(false);
  });
});

describe('globs', () => {
  it.each([
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['src/**/*.ts', 'lib/a.ts', false],
    ['src/*.ts', 'src/x/a.ts', false],
    ['*.ts', 'deep/down/a.ts', true],
    ['**/*.{ts,tsx}', 'a/b.tsx', true],
    ['**/*.{ts,tsx}', 'a/b.js', false],
    ['src/?.ts', 'src/a.ts', true],
    ['src/?.ts', 'src/ab.ts', false],
    ['[ab].ts', 'b.ts', true],
    ['[!ab].ts', 'b.ts', false],
    ['./src', 'src/any/file.ts', true],
    ['a.b.ts', 'aXb.ts', false],
  ])('%s vs %s -> %s', (pattern, file, expected) => {
    expect(compileGlob(pattern).matches(file)).toBe(expected);
  });
});
