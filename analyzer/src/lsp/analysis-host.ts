/**
 * @fileoverview Decides when the engine runs, on what, and which results reach the client. The
 * only module of the server that talks to the engine (through analysis-worker.ts, the engine's
 * thread).
 *
 * Invariants:
 * - **Debounced**: an edit within `debounceMs` of the previous one schedules its file
 *   `debounceMs` later, and a newer edit pushes that back; the first edit after a quiet spell
 *   (and opening a file) is scheduled at once, so a single change costs no waiting.
 * - **Incremental**: an edit re-analyzes the changed file and the open documents whose imports
 *   reach it (import-graph.ts), nothing else; the engine is asked for findings in those files only.
 * - **Never stale**: one run at a time; before publishing a file's findings the host checks that
 *   the document still has the version the run read. If not, the findings are dropped: the edit
 *   that made them stale has already scheduled a newer run, and results are published in run
 *   order, so older findings never replace newer ones.
 * - **Bounded**: a run that outlives `timeoutMs` is stopped by terminating the engine's thread
 *   (a synchronous engine cannot be interrupted otherwise); a thread that dies (out of memory,
 *   a crash in native code) is replaced on the next run. Either way the user is told once, the
 *   failing document gets a diagnostic that says so, and the other documents keep working.
 */

import { Worker } from 'node:worker_threads';
import type { CheckRequest } from '../check/pipeline.js';
import type { Diagnostic, Severity } from '../diagnostic.js';
import type { RuleInfo } from '../engine/api.js';
import type { WorkerRequest, WorkerResponse } from './analysis-worker.js';
import { ImportGraph } from './import-graph.js';
import type { StatusParams } from './protocol.js';

/** Where and how one file is analyzed: computed by settings.ts from tsconfig and config files. */
export interface FileAnalysisConfig {
  /** Directory the engine resolves paths against (the project's folder). */
  readonly cwd: string;
  /** tsconfig.json of the project holding the file; undefined = analyze as a loose file. */
  readonly project: string | undefined;
  /** Severity per rule (config file, then `rcukit.rules`). */
  readonly rules: Readonly<Record<string, Severity>>;
  /** The config file's include/exclude (or `rcukit.enable: false`) leave this file out. */
  readonly excluded: boolean;
}

/** A finding together with the text it was computed from (fix offsets refer to that text). */
export interface PublishedResult {
  readonly file: string;
  readonly version: number;
  readonly text: string;
  readonly diagnostics: readonly Diagnostic[];
}

export interface AnalysisHostOptions {
  /** Script to start the engine's thread from (main.js of the server, or the bundle). */
  readonly workerScript: URL | string;
  /** Quiet time after an edit before its file is analyzed. */
  debounceMs: number;
  /** A run taking longer than this is stopped. */
  readonly timeoutMs: number;
  /** Larger documents are not analyzed (the user is told why). */
  readonly maxFileBytes: number;
  readonly configFor: (file: string) => FileAnalysisConfig;
  readonly publish: (result: PublishedResult) => void;
  /** One message to the user (the host deduplicates repeats). */
  readonly notify: (severity: 'error' | 'warning' | 'info', message: string) => void;
  readonly status: (params: StatusParams) => void;
  readonly log: (line: string) => void;
}

interface OpenDocument {
  readonly file: string;
  version: number;
  text: string;
  /** performance.now() of the last edit (-Infinity before the first). */
  lastEdit: number;
}

interface Run {
  readonly id: number;
  readonly files: ReadonlyMap<string, number>; // file -> version read
  readonly startedAt: number;
}

/**
 * The workerData marker main.ts looks for to run the engine loop instead of a server. It lives
 * here, not in analysis-worker.ts, so that the server's thread never loads the engine's module
 * graph (ts-morph and TypeScript) just to read a constant.
 */
export const analysisWorkerRole = 'rcukit-analysis-worker';

/** Rule id used for the diagnostics the server itself reports (engine failure on this file). */
export const engineFailureCode = 'rcukit/analysis-failed';

export class AnalysisHost {
  private readonly documents = new Map<string, OpenDocument>();
  private readonly graph = new ImportGraph((file) => this.documents.get(file)?.text);
  /** file -> time (performance.now()) at which it should be analyzed. */
  private readonly due = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private worker: Worker | undefined;
  private nextId = 1;
  private inFlight: Run | undefined;
  private readonly waiting = new Map<
    number,
    { worker: Worker; resolve: (r: WorkerResponse) => void; timer: NodeJS.Timeout | undefined }
  >();
  private rules: Promise<readonly RuleInfo[]> | undefined;
  /** Messages already shown, so a failure repeated on every keystroke is shown once. */
  private readonly shown = new Set<string>();
  private disposed = false;
  /** file -> the project it was last said to be analyzed with, when not its nearest tsconfig. */
  private readonly placed = new Map<string, string>();
  /** The next run drops the engine thread's warm programs first. */
  private resetPrograms = false;

  constructor(private readonly options: AnalysisHostOptions) {}

  // ---------------------------------------------------------------------------------------------
  // Documents

  open(file: string, version: number, text: string): void {
    this.documents.set(file, { file, version, text, lastEdit: -Infinity });
    this.graph.invalidate(file);
    this.schedule(file, 0);
  }

  change(file: string, version: number, text: string): void {
    const doc = this.documents.get(file);
    if (doc === undefined) {
      this.open(file, version, text);
      return;
    }
    doc.version = version;
    doc.text = text;
    this.graph.invalidate(file);
    // Leading edge: an edit after a quiet spell is analyzed at once; edits in a burst wait
    // until the burst pauses. Edits arriving while a run is in flight coalesce into the next
    // run either way (one run at a time), so typing never queues a run per keystroke.
    const now = performance.now();
    const quiet = now - doc.lastEdit >= this.options.debounceMs;
    doc.lastEdit = now;
    const delay = quiet && !this.due.has(file) ? 0 : this.options.debounceMs;
    this.schedule(file, delay);
    for (const dependent of this.graph.dependentsOf(file, this.documents.keys()))
      this.schedule(dependent, this.options.debounceMs);
  }

  close(file: string): void {
    this.documents.delete(file);
    this.due.delete(file);
    this.graph.invalidate(file);
    // The file now reads from disk again; what depended on the unsaved buffer must be redone.
    for (const dependent of this.graph.dependentsOf(file, this.documents.keys()))
      this.schedule(dependent, this.options.debounceMs);
  }

  /** A file changed on disk (saved elsewhere, or created/deleted): its open dependents are redone. */
  fileChangedOnDisk(file: string): void {
    this.graph.invalidate(file);
    if (this.documents.has(file)) return; // the open buffer is what counts
    for (const dependent of this.graph.dependentsOf(file, this.documents.keys()))
      this.schedule(dependent, this.options.debounceMs);
  }

  /** Settings or a project/config file changed: redo every open document. */
  reanalyzeAll(resetPrograms = false): void {
    this.shown.clear();
    if (resetPrograms) {
      this.resetPrograms = true;
      this.graph.forgetResolved();
    }
    for (const file of this.documents.keys()) this.schedule(file, 0);
  }

  /** Quiet time after an edit (the `rcukit.debounceMs` setting); applies to edits from now on. */
  set debounceMs(ms: number) {
    this.options.debounceMs = ms;
  }

  isOpen(file: string): boolean {
    return this.documents.has(file);
  }

  versionOf(file: string): number | undefined {
    return this.documents.get(file)?.version;
  }

  /** The engine's rules (cached; starts the engine's thread if needed). */
  listRules(): Promise<readonly RuleInfo[]> {
    this.rules ??= this.request({ kind: 'listRules', id: this.nextId++ }, this.options.timeoutMs).then((response) => {
      if (response.kind === 'rules') return response.rules;
      this.rules = undefined;
      throw new Error(response.kind === 'failed' ? response.message : 'unexpected answer from the engine');
    });
    return this.rules;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling

  private schedule(file: string, delayMs: number): void {
    if (this.disposed) return;
    this.due.set(file, performance.now() + delayMs);
    this.pump();
  }

  /** Start the next run if none is in flight and something is due; else wake up when it is. */
  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight !== undefined || this.disposed || this.due.size === 0) return;
    const now = performance.now();
    const ready: string[] = [];
    let next = Infinity;
    for (const [file, at] of this.due) {
      if (at <= now) ready.push(file);
      else next = Math.min(next, at);
    }
    if (ready.length === 0) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, Math.ceil(next - now)));
      return;
    }
    void this.runBatch(ready);
  }

  /** Analyze the ready files that share a project and configuration (others wait for the next run). */
  private async runBatch(ready: readonly string[]): Promise<void> {
    type Group = { config: FileAnalysisConfig; files: string[] };
    let group: Group | undefined;
    for (const file of ready) {
      const doc = this.documents.get(file);
      if (doc === undefined) {
        this.due.delete(file);
        continue;
      }
      let config: FileAnalysisConfig;
      try {
        config = this.options.configFor(file);
      } catch (error) {
        this.due.delete(file);
        this.tell('error', `rcukit: cannot analyze ${file}: ${(error as Error).message}`);
        this.options.publish({ file, version: doc.version, text: doc.text, diagnostics: [] });
        continue;
      }
      if (config.excluded) {
        this.due.delete(file);
        this.options.publish({ file, version: doc.version, text: doc.text, diagnostics: [] });
        continue;
      }
      if (Buffer.byteLength(doc.text, 'utf8') > this.options.maxFileBytes) {
        this.due.delete(file);
        const size = formatBytes(Buffer.byteLength(doc.text, 'utf8'));
        this.tell(
          'warning',
          `rcukit: ${file} is ${size}, over the ${formatBytes(this.options.maxFileBytes)} the editor analyzes; it is not checked while open (\`rcukit check\` still checks it).`,
        );
        this.options.publish({ file, version: doc.version, text: doc.text, diagnostics: [] });
        continue;
      }
      if (group === undefined) group = { config, files: [file] };
      else if (sameConfig(group.config, config)) group.files.push(file);
    }
    if (group === undefined) {
      this.pump();
      return;
    }
    for (const file of group.files) this.due.delete(file);

    const versions = new Map<string, number>();
    const texts = new Map<string, string>();
    for (const file of group.files) {
      const doc = this.documents.get(file)!;
      versions.set(file, doc.version);
      texts.set(file, doc.text);
    }
    // Every open buffer of the same project is an overlay, not only the files in this run: a
    // file in the run may import another open file whose unsaved text is what the user sees.
    // Buffers of other projects stay out: the engine adds each overlay to the program, so one
    // project's broken file would otherwise fail the analysis of every other project.
    const overlays = new Map<string, string>();
    for (const doc of this.documents.values()) {
      if (versions.has(doc.file) || this.sameProject(doc.file, group.config)) overlays.set(doc.file, doc.text);
    }
    const request: CheckRequest = {
      cwd: group.config.cwd,
      targets: [{ project: group.config.project, files: group.files }],
      severities: group.config.rules,
      overlays,
    };
    const run: Run = { id: this.nextId++, files: versions, startedAt: performance.now() };
    this.inFlight = run;
    const first = group.files[0]!;
    this.options.status({ state: 'analyzing', uri: first, message: `analyzing ${group.files.length} file(s)` });
    let response: WorkerResponse;
    try {
      const reset = this.resetPrograms;
      this.resetPrograms = false;
      response = await this.request({ kind: 'analyze', id: run.id, request, reset }, this.options.timeoutMs);
    } catch (error) {
      // Only starting the thread or posting the message can throw here.
      const e = error instanceof Error ? error : new Error(String(error));
      response = { kind: 'failed', id: run.id, message: `${e.name}: ${e.message}`, stack: e.stack };
    } finally {
      this.inFlight = undefined;
    }
    if (this.disposed) return;

    if (response.kind === 'analyzed') {
      for (const [file, imports] of response.imports) this.graph.learn(file, imports);
      for (const o of response.owners) {
        const named = group.config.project ?? 'no tsconfig';
        const key = `${named}\0${o.project ?? ''}`;
        if (this.placed.get(o.file) === key) continue; // said already; not once per keystroke
        this.placed.set(o.file, key);
        this.options.log(
          o.how === 'referenced'
            ? `${o.file}: ${named} does not include it; analyzed with ${o.project}, a project it references`
            : `${o.file}: neither ${named} nor a project it references includes it; analyzed ${o.project !== undefined ? `with ${o.project}` : 'as a loose file (strict, NodeNext)'}`,
        );
      }
      let published = 0;
      let findings = 0;
      for (const file of group.files) {
        if (this.documents.get(file)?.version !== versions.get(file)) continue; // stale: a newer run is due
        const diagnostics = response.result.diagnostics.filter((d) => d.span.file === file);
        // Functions the engine had to skip (nested too deeply, an internal error) say so where
        // they are: their findings are missing, and silence there would read as "all clear".
        for (const s of response.result.skipped ?? []) {
          if (s.file === file)
            diagnostics.push(
              failureDiagnostic(
                file,
                `rcukit: \`${s.name}\` was not analyzed (${s.reason}); findings in it are missing`,
                s.line,
              ),
            );
        }
        findings += diagnostics.length;
        published++;
        this.options.publish({ file, version: versions.get(file)!, text: texts.get(file)!, diagnostics });
      }
      const ms = Math.round(response.ms);
      this.options.status({
        state: 'ok',
        uri: first,
        message: `${findings} finding(s) in ${published} file(s) (${ms} ms)`,
      });
      this.options.log(
        `analyzed ${group.files.length} file(s) in ${ms} ms (${response.result.filesAnalyzed} of ${response.result.filesInProgram} program files); published ${published}`,
      );
    } else {
      const message = response.kind === 'failed' ? response.message : 'unexpected answer from the engine';
      if (response.kind === 'failed' && response.stack !== undefined)
        this.options.log(`engine failure: ${response.stack}`);
      this.tell(
        'error',
        `rcukit: analysis failed for ${group.files.join(', ')}: ${message}. The server keeps running; other files are unaffected.`,
      );
      this.options.status({ state: 'error', uri: first, message });
      for (const file of group.files) {
        if (this.documents.get(file)?.version !== versions.get(file)) continue;
        this.options.publish({
          file,
          version: versions.get(file)!,
          text: texts.get(file)!,
          diagnostics: [failureDiagnostic(file, `rcukit could not analyze this file: ${message}`)],
        });
      }
    }
    this.pump();
  }

  private sameProject(file: string, config: FileAnalysisConfig): boolean {
    try {
      const other = this.options.configFor(file);
      return other.project === config.project && other.cwd === config.cwd;
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The engine's thread

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(this.options.workerScript, {
      workerData: { role: analysisWorkerRole },
      // Piped, never inherited: the process's stdout is the LSP stream.
      stdout: true,
      stderr: true,
    });
    const forward = (stream: NodeJS.ReadableStream, name: string) => {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim() !== '') this.options.log(`[engine ${name}] ${line}`);
      });
    };
    forward(worker.stdout, 'stdout');
    forward(worker.stderr, 'stderr');
    worker.on('message', (response: WorkerResponse) => {
      const waiter = this.waiting.get(response.id);
      if (waiter === undefined) return;
      this.waiting.delete(response.id);
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.resolve(response);
    });
    const lost = (why: string) => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.rules = undefined;
        if (!this.disposed) this.options.log(`engine thread lost: ${why}; a new one starts with the next run`);
      }
      for (const [id, waiter] of this.waiting) {
        if (waiter.worker !== worker) continue;
        this.waiting.delete(id);
        if (waiter.timer !== undefined) clearTimeout(waiter.timer);
        waiter.resolve({ kind: 'failed', id, message: `the analysis engine stopped (${why})`, stack: undefined });
      }
    };
    worker.on('error', (error) => lost(`${error.name}: ${error.message}`));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    // The engine's thread must not keep a server whose client went away alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private request(message: WorkerRequest, timeoutMs: number): Promise<WorkerResponse> {
    const worker = this.ensureWorker();
    return new Promise((resolve) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.waiting.delete(message.id);
              this.options.log(`run ${message.id} timed out after ${timeoutMs} ms; stopping the engine's thread`);
              resolve({
                kind: 'failed',
                id: message.id,
                message: `the analysis took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`,
                stack: undefined,
              });
              // Stopping the thread is the only way to interrupt a synchronous engine.
              if (this.worker === worker) this.worker = undefined;
              this.rules = undefined;
              void worker.terminate();
            }, timeoutMs)
          : undefined;
      this.waiting.set(message.id, { worker, resolve, timer });
      worker.postMessage(message);
    });
  }

  private tell(severity: 'error' | 'warning' | 'info', message: string): void {
    this.options.log(message);
    if (this.shown.has(message)) return;
    this.shown.add(message);
    this.options.notify(severity, message);
  }
}

function formatBytes(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} bytes`;
}

function sameConfig(a: FileAnalysisConfig, b: FileAnalysisConfig): boolean {
  return a.cwd === b.cwd && a.project === b.project && JSON.stringify(a.rules) === JSON.stringify(b.rules);
}

/** The diagnostic a document gets when the engine could not analyze it. */
function failureDiagnostic(file: string, message: string, line = 1): Diagnostic {
  // Offsets are unknown here; fixes never use this diagnostic, and the editor reads the line.
  const span = { file, startLine: line, startColumn: 1, endLine: line, endColumn: 1, start: 0, end: 0 };
  return {
    ruleId: engineFailureCode,
    messageId: 'analysisFailed',
    severity: 'warning',
    message,
    span,
    related: [],
    fixes: [],
  };
}
