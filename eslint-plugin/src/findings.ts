/**
 * @fileoverview The checker's findings for one linted file: `rcukit check`'s pipeline
 * (@rcukit/analyzer/check) over the program typescript-eslint built for it, so the findings,
 * messages and suppressions are the CLI's by construction. Each of the plugin's rules asks for
 * the same file's findings; the pipeline runs once per file and program, and the rules share it.
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

/** Findings per program, per file (absolute path, `/`-separated as TypeScript names files). */
const byProgram = new WeakMap<Program, Map<string, readonly Diagnostic[]>>();
/** Warm projects for files whose program the engine cannot read. */
const ownPrograms = new ProgramCache();

/** Whether `program` comes from a TypeScript whose syntax kinds are the engine's. */
function readable(program: Program, file: string): boolean {
  const sf = program.getSourceFile(file);
  // Typed as the engine's SyntaxKind, but numbered by whichever TypeScript parsed it.
  const kind: number | undefined = sf?.kind;
  return kind === ts.SyntaxKind.SourceFile;
}

/** The findings `rcukit check` reports in `file`, whose text is `text` and program `program`. */
export function findingsFor(program: Program, file: string, text: string, cwd: string): readonly Diagnostic[] {
  const name = path.resolve(file).split(path.sep).join('/');
  let files = byProgram.get(program);
  if (files === undefined) byProgram.set(program, (files = new Map<string, readonly Diagnostic[]>()));
  const cached = files.get(name);
  if (cached !== undefined) return cached;

  const overlays = new Map([[name, text]]);
  let target: CheckTarget;
  if (readable(program, name)) {
    target = { project: undefined, files: [name], program };
  } else {
    const config = program.getCompilerOptions().configFilePath;
    target = { project: typeof config === 'string' ? config : undefined, files: [name] };
  }
  // Severities stay the rules' defaults, as `rcukit check` has them without a config: which
  // findings ESLint shows, and how, is the ESLint config's to say.
  const result = runPipeline({ cwd, targets: [target], severities: {}, overlays }, ownPrograms);
  const found = result.diagnostics.filter((d) => d.span.file === name);
  files.set(name, found);
  return found;
}
