/**
 * @fileoverview Run one variant of a runnable example under the runtime's debug mode, with
 * fuzzing, and read back what the runtime reported: the error class and code, and the line of
 * the source where the object was misused ("used at", the first frame in the example's own
 * sources, mapped back to TypeScript through source maps).
 *
 * The variant is a copy of the example's built `dist/` in a scratch folder inside the example
 * (so that `@rcukit/runtime` resolves as it does for the example), with one module replaced by
 * the mutated source, transpiled with an inline source map.
 */

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ts } from 'ts-morph';
import { repoRoot } from '../mutate/targets.js';

/** An example that `npm run eval` can run: its tsconfig, and the entry point and arguments. */
export interface RunnableExample {
  /** Relative to the repository root. */
  readonly tsconfig: string;
  /** The file or folder whose functions are mutated, relative to the tsconfig's folder. */
  readonly sources: string;
  /** The entry module, relative to the example's outDir. */
  readonly main: string;
  readonly args: readonly string[];
  /** A run that takes longer is stopped and counted as hung (a deadlock, a lost wake-up). */
  readonly timeoutMs: number;
}

/** What one run showed. */
export interface RunOutcome {
  /** `exit`: ended by itself; `hung`: stopped after the timeout. */
  readonly ended: 'exit' | 'hung';
  readonly status: number | null;
  /** Each RcukitError the output shows, with where it was misused when the report says. */
  readonly reports: readonly RuntimeReport[];
}

export interface RuntimeReport {
  /** The error class, as its name: `SuspiciousRcuUsageError`. */
  readonly error: string;
  /** Absolute path of the TypeScript source of the first "used at" (or stack) frame in the example, if any. */
  readonly file?: string;
  /** 1-based line in that file. */
  readonly line?: number;
}

/** A scratch copy of one example's built output, where variants are run one at a time. */
export class ExampleSandbox {
  private readonly outDir: string;
  private readonly rootDir: string;
  readonly dir: string;

  constructor(
    readonly example: RunnableExample,
    repo: string,
    private readonly options: ts.CompilerOptions,
  ) {
    const project = resolve(repo, example.tsconfig, '..');
    this.outDir = options.outDir ?? join(project, 'dist');
    this.rootDir = options.rootDir ?? join(project, 'src');
    if (!existsSync(join(this.outDir, example.main)))
      throw new Error(`${example.tsconfig}: ${example.main} is not built (run npm run build first)`);
    this.dir = join(project, `.cross-check-${process.pid}`);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  /** Run the example with `source` (TypeScript) standing in for the module built from `file`. */
  run(file: string, source: string): RunOutcome {
    cpSync(this.outDir, this.dir, { recursive: true });
    const out = join(this.dir, relative(this.rootDir, file)).replace(/\.[mc]?tsx?$/, '.js');
    // A lone transpile cannot tell the module's format (under NodeNext it would emit CommonJS):
    // the build's own output for the file says which it is.
    const esm = /^\s*(?:import|export)\s/m.test(readFileSync(out, 'utf8'));
    const emitted = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        ...this.options,
        ...(esm ? { module: ts.ModuleKind.ESNext } : {}),
        sourceMap: false,
        inlineSourceMap: true,
        inlineSources: false,
        declaration: false,
        declarationMap: false,
      },
    });
    // The map names its source relative to the output; point it at the real source file.
    const text = emitted.outputText.replace(
      /sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)/,
      (_, b64: string) => {
        const map = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as { sources: string[] };
        map.sources = [relative(dirname(out), file)];
        return `sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
      },
    );
    writeFileSync(out, text);
    const result = spawnSync(
      process.execPath,
      ['--enable-source-maps', join(this.dir, this.example.main), ...this.example.args],
      {
        cwd: this.dir,
        encoding: 'utf8',
        timeout: this.example.timeoutMs,
        killSignal: 'SIGKILL',
        env: { ...process.env, RCUKIT_DEBUG: 'fuzz' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const hung = result.error !== undefined && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    return {
      ended: hung ? 'hung' : 'exit',
      status: result.status,
      reports: parseReports(`${result.stdout}\n${result.stderr}`, this.rootDir),
    };
  }

  /** Remove the scratch folder. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The RcukitErrors in a run's output. Each is a line `<Name>Error: …` (as Node prints an
 * uncaught error, or a worker's error rethrown) followed by its text; the line of the misuse is
 * the first frame under "used at:" in the example's sources, else the first such frame of the
 * error's own stack.
 */
export function parseReports(output: string, sourceRoot: string): RuntimeReport[] {
  const lines = output.split('\n');
  const reports: RuntimeReport[] = [];
  const frame = (l: string): { file: string; line: number } | undefined => {
    const m = /\(?((?:file:\/\/)?\/[^():]+\.[mc]?tsx?):(\d+):\d+\)?\s*$/.exec(l.trim());
    if (m === null) return undefined;
    const file = m[1]!.replace(/^file:\/\//, '');
    return relative(sourceRoot, file).startsWith('..') ? undefined : { file, line: Number(m[2]) };
  };
  for (let i = 0; i < lines.length; i++) {
    const head = ERROR_HEAD.exec(lines[i]!.trim());
    const name = head?.[1] ?? head?.[2];
    if (name === undefined || !KNOWN_ERRORS.has(name)) continue;
    let used: { file: string; line: number } | undefined;
    let first: { file: string; line: number } | undefined;
    let inUsed = false;
    let j = i + 1;
    for (; j < lines.length && !ERROR_HEAD.test(lines[j]!.trim()); j++) {
      const l = lines[j]!;
      if (/^\s*used at:/.test(l)) inUsed = true;
      else if (/^\s*object obtained at:/.test(l)) inUsed = false;
      const f = frame(l);
      if (f === undefined) continue;
      if (inUsed) used ??= f;
      first ??= f;
    }
    const at = used ?? first;
    reports.push({ error: name, ...(at !== undefined ? { file: at.file, line: at.line } : {}) });
    i = j - 1;
  }
  return dedupe(reports);
}

/**
 * The first line of a printed error: `SuspiciousRcuUsageError: …`, or, for an error that came
 * from a worker (cloned, so its class is gone), `Error [SuspiciousRcuUsageError]: …`.
 */
const ERROR_HEAD = /^(?:Uncaught )?(?:Error \[(\w+Error)\]|([A-Z]\w*Error)(?: \[\w+\])?): /;

/** The runtime's error classes (a report of another class is the program's own failure). */
const KNOWN_ERRORS: ReadonlySet<string> = new Set(
  readFileSync(join(repoRoot(), 'runtime', 'src', 'errors.ts'), 'utf8')
    .split('\n')
    .map((l) => /^export class (\w+Error) extends/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined),
);

/** One report per error and place: a worker's error is often printed twice (its event and the rejection). */
function dedupe(reports: RuntimeReport[]): RuntimeReport[] {
  const seen = new Set<string>();
  return reports.filter((r) => {
    const key = `${r.error}|${r.file ?? ''}|${r.line ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A short form of a source path for the report: the example folder and file. */
export function shortName(file: string): string {
  return `${basename(dirname(dirname(file)))}/${basename(dirname(file))}/${basename(file)}`;
}
