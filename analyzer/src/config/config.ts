/**
 * @fileoverview The rcukit configuration: `rcukit.config.json`, or the `"rcukit"` key of a
 * package.json. Both hold the same object:
 *
 * ```json
 * { "rules": { "rcu/missing-revalidation": "warn", "rcukit/unused-suppression": "off" },
 *   "include": ["src/**"], "exclude": ["src/generated/**", "*.test.ts"] }
 * ```
 *
 * Without `--config`, the nearest one is used, looking in the working directory and then its
 * parents; in each folder `rcukit.config.json` wins over package.json. Globs are relative to
 * the folder of the file that declares them. Any mistake (bad JSON, unknown key, wrong type,
 * unknown severity or rule, bad glob) is a ConfigError whose message names the file and the
 * key: the run stops with exit code 2 rather than checking with settings the user did not mean.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Severity } from '../diagnostic.js';
import { compileGlob, GlobSyntaxError, type Glob } from './glob.js';
import { parseSeverity, severityWords } from './severity-setting.js';

export const configFileName = 'rcukit.config.json';

/** The configuration in force for one run. */
export interface RcukitConfig {
  /** Absolute path of the file it came from; undefined when none was found (all defaults). */
  readonly file: string | undefined;
  /** Where in that file: `rcukit.config.json` itself, or the `"rcukit"` key of package.json. */
  readonly source: 'config-file' | 'package-json' | 'defaults';
  /** Folder the include/exclude globs are relative to. */
  readonly baseDir: string;
  /** Severity per rule id, as written (rule ids not yet checked against the engine's rules). */
  readonly rules: Readonly<Record<string, Severity>>;
  /** When non-empty, only files matching one of these are checked. */
  readonly include: readonly Glob[];
  /** Files matching one of these are never checked. */
  readonly exclude: readonly Glob[];
}

/** A configuration mistake; `where` is `file: key` for the message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string | undefined,
    detail: string,
  ) {
    super(`${file}${key === undefined ? '' : `: "${key}"`}: ${detail}`);
  }
}

const allowedKeys = new Set(['$schema', 'rules', 'include', 'exclude']);

/**
 * Load the configuration: `explicitFile` when given (a missing file is an error), otherwise the
 * nearest one from `cwd` upwards, otherwise defaults. `displayPath` turns absolute paths into
 * what messages show (relative to the working directory).
 */
export function loadConfig(
  cwd: string,
  explicitFile: string | undefined,
  displayPath: (abs: string) => string = (p) => p,
): RcukitConfig {
  if (explicitFile !== undefined) {
    const file = path.resolve(cwd, explicitFile);
    if (!existsSync(file)) throw new ConfigError(displayPath(file), undefined, 'config file not found');
    if (path.basename(file) === 'package.json') {
      const value = readJson(file, displayPath)['rcukit'];
      if (value === undefined) throw new ConfigError(displayPath(file), 'rcukit', 'package.json has no "rcukit" key');
      return parseConfig(value, file, 'package-json', displayPath);
    }
    return parseConfig(readJson(file, displayPath), file, 'config-file', displayPath);
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const configFile = path.join(dir, configFileName);
    if (existsSync(configFile))
      return parseConfig(readJson(configFile, displayPath), configFile, 'config-file', displayPath);
    const pkgFile = path.join(dir, 'package.json');
    if (existsSync(pkgFile)) {
      const value = readJson(pkgFile, displayPath)['rcukit'];
      if (value !== undefined) return parseConfig(value, pkgFile, 'package-json', displayPath);
    }
    if (path.dirname(dir) === dir) break;
  }
  return { file: undefined, source: 'defaults', baseDir: path.resolve(cwd), rules: {}, include: [], exclude: [] };
}

/**
 * Check a parsed config value and compile it. `value` is the whole rcukit.config.json, or the
 * value of package.json's `"rcukit"` key (then keys are reported as `rcukit.rules`...).
 */
export function parseConfig(
  value: unknown,
  file: string,
  source: 'config-file' | 'package-json',
  displayPath: (abs: string) => string = (p) => p,
): RcukitConfig {
  const shown = displayPath(file);
  const prefix = source === 'package-json' ? 'rcukit.' : '';
  const fail = (key: string | undefined, detail: string): never => {
    throw new ConfigError(shown, key === undefined ? (prefix ? 'rcukit' : undefined) : prefix + key, detail);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(undefined, 'must be a JSON object');
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!allowedKeys.has(key))
      fail(key, `unknown key (allowed: ${[...allowedKeys].filter((k) => k !== '$schema').join(', ')})`);
  }

  const rules: Record<string, Severity> = {};
  if (obj['rules'] !== undefined) {
    const r = obj['rules'];
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      fail('rules', 'must be an object mapping rule ids to severities');
    for (const [id, word] of Object.entries(r as Record<string, unknown>)) {
      const severity = parseSeverity(word);
      if (severity === undefined)
        fail(`rules.${id}`, `severity must be one of ${severityWords.join(', ')} (got ${JSON.stringify(word)})`);
      rules[id] = severity!;
    }
  }

  const globs = (key: 'include' | 'exclude'): Glob[] => {
    const list = obj[key];
    if (list === undefined) return [];
    if (!Array.isArray(list)) return fail(key, 'must be an array of glob strings');
    return list.map((pattern, i) => {
      if (typeof pattern !== 'string')
        return fail(`${key}[${i}]`, `must be a glob string (got ${JSON.stringify(pattern)})`);
      try {
        return compileGlob(pattern);
      } catch (e) {
        if (e instanceof GlobSyntaxError) return fail(`${key}[${i}]`, `bad glob: ${e.message}`);
        throw e;
      }
    });
  };

  return { file, source, baseDir: path.dirname(file), rules, include: globs('include'), exclude: globs('exclude') };
}

/**
 * Reject rule ids the run does not know, naming the config key. Called once the engine's
 * rules are loaded (config parsing itself does not load the engine).
 */
export function checkConfigRuleIds(
  config: RcukitConfig,
  knownIds: ReadonlySet<string>,
  displayPath: (abs: string) => string = (p) => p,
): void {
  if (config.file === undefined) return;
  const prefix = config.source === 'package-json' ? 'rcukit.' : '';
  for (const id of Object.keys(config.rules)) {
    if (!knownIds.has(id)) {
      throw new ConfigError(
        displayPath(config.file),
        `${prefix}rules.${id}`,
        `unknown rule${suggest(id, knownIds)} (run \`rcukit rules\` for the list)`,
      );
    }
  }
}

/** Whether an absolute file path passes the config's include/exclude globs. */
export function isFileSelected(config: RcukitConfig, absFile: string): boolean {
  const rel = path.relative(config.baseDir, absFile).split(path.sep).join('/');
  if (config.include.length > 0 && !config.include.some((g) => g.matches(rel))) return false;
  return !config.exclude.some((g) => g.matches(rel));
}

/** `; did you mean rcu/x?` for a near miss, else empty. */
export function suggest(id: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(id, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(id.length / 4)) ? `; did you mean ${best}?` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function readJson(file: string, displayPath: (abs: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(displayPath(file), undefined, `cannot read: ${(e as Error).message}`);
  }
  try {
    const value = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new SyntaxError('expected a JSON object at the top');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(displayPath(file), undefined, `invalid JSON: ${(e as Error).message}`);
  }
}
