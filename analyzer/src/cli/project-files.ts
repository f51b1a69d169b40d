/**
 * @fileoverview Turns `rcukit check [paths...] [--project tsconfig.json]` into what the engine is
 * asked to analyze: one or more targets, each a tsconfig (or none, for loose files) with the
 * absolute paths of the files to report on.
 *
 * - `--project p`: that tsconfig (or `p/tsconfig.json`); paths narrow the check to files of the
 *   project under them, and a path that is not part of the project is an error.
 * - no `--project`, no paths: `./tsconfig.json`.
 * - no `--project`, paths: each path goes to the nearest tsconfig.json at or above it, as an
 *   editor would; a file that its nearest project does not include, or that has none, is
 *   checked as a loose file.
 * - A solution-style tsconfig (no files of its own, `references` to others) stands for the
 *   projects it references.
 *
 * Everything unreadable (missing path, missing or broken tsconfig) is a CliError: the run
 * cannot proceed, exit code 2. tsconfig problems that do not stop TypeScript from building the
 * program (an unknown compiler option, say) come back as warnings.
 */

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ts } from 'ts-morph';
import type { CheckTarget } from '../check/pipeline.js';
import { CliError } from './cli-error.js';

export interface ResolvedTargets {
  readonly targets: CheckTarget[];
  /** Non-fatal tsconfig problems, one line each. */
  readonly warnings: string[];
}

const checkable = /\.(?:[cm]?tsx?|[cm]?jsx?)$/;
const declaration = /\.d\.[cm]?ts$|\.d\.[^/]*\.ts$/;

/** Whether a file is one the checker reads (TypeScript or JavaScript source, not a .d.ts). */
export function isCheckableFile(file: string): boolean {
  return checkable.test(file) && !declaration.test(file);
}

export function resolveTargets(
  cwd: string,
  paths: readonly string[],
  projectOption: string | undefined,
  display: (abs: string) => string,
): ResolvedTargets {
  const warnings: string[] = [];
  const projects = new Map<string, ProjectFiles>();
  const load = (tsconfig: string) => {
    let p = projects.get(tsconfig);
    if (!p) {
      p = readProject(tsconfig, display, warnings);
      projects.set(tsconfig, p);
    }
    return p;
  };
  const absPaths = paths.map((p) => {
    const abs = path.resolve(cwd, p);
    if (!existsSync(abs)) throw new CliError(`${p}: no such file or directory`);
    return abs;
  });

  if (projectOption !== undefined) {
    const tsconfig = projectPath(path.resolve(cwd, projectOption));
    if (!existsSync(tsconfig)) throw new CliError(`${display(tsconfig)}: project file not found (--project)`);
    const expanded = expandReferences(tsconfig, load);
    if (absPaths.length === 0)
      return { targets: expanded.map((t) => ({ project: t, files: load(t).files })), warnings };
    const byProject = new Map<string, Set<string>>();
    for (const abs of absPaths) {
      let matched = false;
      for (const t of expanded) {
        const hits = filesUnder(load(t), abs);
        if (hits.length > 0) {
          matched = true;
          const set = byProject.get(t) ?? new Set<string>();
          for (const h of hits) set.add(h);
          byProject.set(t, set);
        }
      }
      if (!matched) {
        throw new CliError(
          `${display(abs)} is not part of the project ${display(tsconfig)}`,
          `add it to the "include" or "files" of ${display(tsconfig)}, or check it without --project`,
        );
      }
    }
    return { targets: [...byProject].map(([project, files]) => ({ project, files: [...files] })), warnings };
  }

  if (absPaths.length === 0) {
    const tsconfig = path.join(cwd, 'tsconfig.json');
    if (!existsSync(tsconfig)) {
      throw new CliError(
        `no tsconfig.json in ${display(cwd) === '.' ? 'the current directory' : display(cwd)}`,
        'pass --project <tsconfig.json>, or the files to check',
      );
    }
    return { targets: expandReferences(tsconfig, load).map((t) => ({ project: t, files: load(t).files })), warnings };
  }

  const byProject = new Map<string | undefined, Set<string>>();
  const add = (project: string | undefined, files: readonly string[]) => {
    const set = byProject.get(project) ?? new Set<string>();
    for (const f of files) set.add(f);
    byProject.set(project, set);
  };
  for (const abs of absPaths) {
    const isDir = statSync(abs).isDirectory();
    const own = isDir && existsSync(path.join(abs, 'tsconfig.json')) ? path.join(abs, 'tsconfig.json') : undefined;
    const tsconfig = own ?? nearestTsconfig(isDir ? abs : path.dirname(abs));
    if (tsconfig !== undefined) {
      let hits: string[] = [];
      for (const t of expandReferences(tsconfig, load)) {
        const h = filesUnder(load(t), abs);
        if (h.length > 0) add(t, h);
        hits = hits.concat(h);
      }
      if (hits.length > 0) continue;
      if (isDir) {
        throw new CliError(
          `no files of the project ${display(tsconfig)} are under ${display(abs)}`,
          'pass --project <tsconfig.json> for the project that holds them',
        );
      }
    }
    // No project claims it: loose files, analyzed with TypeScript's defaults.
    const loose = isDir ? listSourceFiles(abs) : [abs];
    if (!isDir && !isCheckableFile(abs))
      throw new CliError(`${display(abs)}: not a TypeScript or JavaScript source file`);
    if (loose.length === 0) throw new CliError(`${display(abs)}: no TypeScript files to check`);
    add(undefined, loose);
  }
  return { targets: [...byProject].map(([project, files]) => ({ project, files: [...files] })), warnings };
}

interface ProjectFiles {
  readonly tsconfig: string;
  /** Checkable files of the program, absolute. */
  readonly files: string[];
  /** Referenced tsconfigs (absolute), for solution-style configs. */
  readonly references: string[];
}

/**
 * tsconfig errors after which the program would not be the one the user means: a config it
 * `extends` that cannot be read or found. Other errors (unknown or deprecated options) do not
 * change which files are in the program, so they are warnings.
 */
const fatalConfigErrors = new Set([
  5083 /* Cannot read file */, 6053 /* File not found */, 18001 /* bad extends path */,
]);

function readProject(tsconfig: string, display: (abs: string) => string, warnings: string[]): ProjectFiles {
  const read = ts.readConfigFile(tsconfig, (file) => ts.sys.readFile(file));
  if (read.error) throw new CliError(`${display(tsconfig)}: ${flatten(read.error)}`);
  if (typeof read.config !== 'object' || read.config === null)
    throw new CliError(`${display(tsconfig)}: not a tsconfig object`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(tsconfig), undefined, tsconfig);
  for (const e of parsed.errors) {
    // 18003: "No inputs were found" - reported by the caller as "no files to check" instead.
    if (e.code === 18003) continue;
    const line = `${display(tsconfig)}: ${flatten(e)}`;
    if (fatalConfigErrors.has(e.code)) throw new CliError(line);
    warnings.push(line);
  }
  return {
    tsconfig,
    files: parsed.fileNames.map((f) => path.resolve(f)).filter(isCheckableFile),
    references: (parsed.projectReferences ?? []).map((r) => projectPath(path.resolve(r.path))),
  };
}

/** The tsconfig a project path means: the file itself, or `tsconfig.json` in a folder. */
function projectPath(p: string): string {
  return existsSync(p) && statSync(p).isDirectory() ? path.join(p, 'tsconfig.json') : p;
}

/** A solution-style config (no files, only references) stands for its references. */
function expandReferences(tsconfig: string, load: (t: string) => ProjectFiles, seen = new Set<string>()): string[] {
  if (seen.has(tsconfig)) return [];
  seen.add(tsconfig);
  const p = load(tsconfig);
  if (p.files.length > 0 || p.references.length === 0) return [tsconfig];
  return p.references.filter((r) => existsSync(r)).flatMap((r) => expandReferences(r, load, seen));
}

function filesUnder(p: ProjectFiles, abs: string): string[] {
  return p.files.filter((f) => f === abs || f.startsWith(abs.endsWith(path.sep) ? abs : abs + path.sep));
}

function nearestTsconfig(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

/** Source files under a folder, skipping node_modules, build output and hidden folders. */
function listSourceFiles(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'dist') continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile() && isCheckableFile(full)) out.push(full);
    }
  }
  return out.sort();
}

function flatten(d: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(d.messageText, ' ');
}
