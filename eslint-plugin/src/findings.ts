/**
 * @fileoverview The checker's findings for one linted file: `rcukit check`'s pipeline
 * (@rcukit/analyzer/check) over the program typescript-eslint built for it, so the findings,
 * messages and suppressions are the CLI's by construction. Each of the plugin's rules asks for
 * the same file's findings, and the pipeline runs once for them all.
 *
 * typescript-eslint's project service hands every file of a project the same program until a
 * text changes. The first file of a program is analyzed alone (an editor lints one file); when a
 * second file of the same program asks, the whole program is analyzed at once and kept, as
 * `rcukit check` does, so that a lint run over a project does not analyze the functions a file's
 * calls reach once per file that calls them.
 *
 * The engine is built against the TypeScript that ts-morph bundles. A program from another
 * TypeScript numbers its syntax kinds differently, and the engine would misread it; such a
 * program is not analyzed, and the file's tsconfig project is loaded by the engine's own loader
 * instead, with the linted text as an overlay (slower, the same findings).
 */

import path from 'node:path';
import { ts } from 'ts-morph';
import type { Diagnostic } from '@rcukit/analyzer';
import { ProgramCache, runPipeline, type CheckTarget } from '@rcukit/analyzer/check';

/** A program as typescript-eslint's parser services give it (only what is read here). */
export type Program = ts.Program;

interface ProgramFindings {
  /** Findings per file (absolute path, `/`-separated as TypeScript names files). */
  readonly byFile: Map<string, readonly Diagnostic[]>;
  /** Whether every file of the program has been analyzed. */
  whole: boolean;
}

const byProgram = new WeakMap<Program, ProgramFindings>();
/** Warm projects for files whose program the engine cannot read. */
const ownPrograms = new ProgramCache();

/** Whether `program` comes from a TypeScript whose syntax kinds are the engine's. */
function readable(program: Program, file: string): boolean {
  // Typed as the engine's SyntaxKind, but numbered by whichever TypeScript parsed it.
  const kind: number | undefined = program.getSourceFile(file)?.kind;
  return kind === ts.SyntaxKind.SourceFile;
}

/** The program's own files, as `rcukit check` reports on them: no declarations, nothing installed. */
function ownFiles(program: Program): string[] {
  return program
    .getSourceFiles()
    .filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'))
    .map((f) => f.fileName);
}

/** The findings `rcukit check` reports in `file`, whose text is `text` and program `program`. */
export function findingsFor(program: Program, file: string, text: string, cwd: string): readonly Diagnostic[] {
  const name = path.resolve(file).split(path.sep).join('/');
  let entry = byProgram.get(program);
  const cached = entry?.byFile.get(name);
  if (cached !== undefined) return cached;

  let target: CheckTarget;
  let overlays: Map<string, string>;
  if (!readable(program, name)) {
    const config = program.getCompilerOptions().configFilePath;
    target = { project: typeof config === 'string' ? config : undefined, files: [name] };
    overlays = new Map([[name, text]]);
  } else {
    const wholeRun = entry !== undefined && !entry.whole;
    const files = wholeRun ? [...new Set([name, ...ownFiles(program)])] : [name];
    target = { project: undefined, files, program };
    // Suppression comments are read from the text the program parsed, not from the disk.
    overlays = new Map(files.map((f) => [f, program.getSourceFile(f)?.text ?? (f === name ? text : '')]));
  }
  if (entry === undefined) byProgram.set(program, (entry = { byFile: new Map(), whole: false }));
  // Severities stay the rules' defaults, as `rcukit check` has them without a config: which
  // findings ESLint shows, and how, is the ESLint config's to say.
  const result = runPipeline({ cwd, targets: [target], severities: {}, overlays }, ownPrograms);
  for (const f of target.files) entry.byFile.set(f, []);
  for (const d of result.diagnostics) {
    const list = entry.byFile.get(d.span.file);
    if (list !== undefined) entry.byFile.set(d.span.file, [...list, d]);
  }
  if (target.files.length > 1) entry.whole = true;
  return entry.byFile.get(name) ?? [];
}
