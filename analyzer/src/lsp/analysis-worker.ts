/**
 * @fileoverview The engine's own thread. The language server runs the engine here, never on the
 * thread that reads the client's messages, for three reasons: the engine is synchronous and a
 * run over a large project takes long enough that hovers, code actions, cancellations and newer
 * edits must still be read meanwhile; a file that sends the engine into deep recursion or an
 * endless loop can be stopped by terminating this thread (analysis-host.ts does that on a
 * timeout) without losing the session; and the engine's caches live as long as the thread, not
 * per request. analysis-host.ts is the only module that talks to this one; this is the only
 * module of the server that loads the engine, through check/pipeline.ts, the same pipeline
 * `rcukit check` runs.
 */

import { parentPort, type MessagePort } from 'node:worker_threads';
import type { CheckRequest, ProgramCache } from '../check/pipeline.js';
import type { AnalysisResult, RuleInfo, SkippedFunction } from '../engine/api.js';
import type { Diagnostic } from '../diagnostic.js';
import type { Ownership } from './project-owner.js';

/** Host → worker. */
export type WorkerRequest =
  | {
      readonly kind: 'analyze';
      readonly id: number;
      /** What check/pipeline.ts runs: the same request `rcukit check` makes, for one project. */
      readonly request: CheckRequest;
      /** Drop the warm programs first (a tsconfig or package.json changed, or the user asked). */
      readonly reset: boolean;
    }
  | { readonly kind: 'listRules'; readonly id: number };

/** Worker → host. */
export type WorkerResponse =
  | {
      readonly kind: 'analyzed';
      readonly id: number;
      readonly result: AnalysisResult;
      readonly ms: number;
      /** Where each requested file was analyzed, when not with the tsconfig the host named. */
      readonly owners: readonly (Ownership & { readonly file: string })[];
      /** file -> project files it imports, as TypeScript resolved them (tsconfig projects only). */
      readonly imports: readonly (readonly [string, readonly string[]])[];
    }
  | { readonly kind: 'rules'; readonly id: number; readonly rules: readonly RuleInfo[] }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string; readonly stack: string | undefined };

type Pipeline = typeof import('../check/pipeline.js');
interface Loaded {
  readonly pipeline: Pipeline;
  readonly programs: ProgramCache;
  readonly owners: import('./project-owner.js').ProjectOwners;
  readonly resolvedImports: typeof import('./resolved-imports.js').resolvedImports;
}

let loaded: Loaded | undefined;

/**
 * Load the pipeline (and with it the engine, ts-morph and TypeScript) on the first request, so
 * that a build that cannot load it answers that request with a clear failure instead of
 * ending the thread. The warm programs live as long as the thread.
 */
async function load(): Promise<Loaded> {
  if (loaded !== undefined) return loaded;
  const [pipeline, { ProjectOwners }, { resolvedImports }] = await Promise.all([
    import('../check/pipeline.js'),
    import('./project-owner.js'),
    import('./resolved-imports.js'),
  ]);
  loaded = { pipeline, programs: new pipeline.ProgramCache(), owners: new ProjectOwners(), resolvedImports };
  return loaded;
}

export function runAnalysisWorker(): void {
  const port = parentPort;
  if (port === null) throw new Error('runAnalysisWorker: not in a worker thread');
  // The engine never prints, but its dependencies might; our stdout is piped to the host,
  // which logs it on stderr, so nothing can reach the LSP stream from here anyway.
  // handle() catches everything it can throw and answers with 'failed'.
  port.on('message', (request: WorkerRequest) => void handle(port, request));
}

async function handle(port: MessagePort, request: WorkerRequest): Promise<void> {
  try {
    const { pipeline, programs, owners } = await load();
    if (request.kind === 'analyze') {
      const t0 = performance.now();
      if (request.reset) {
        programs.clear();
        owners.clear();
      }
      port.postMessage({
        ...analyzeByOwner(loaded!, request.request),
        kind: 'analyzed',
        id: request.id,
        ms: performance.now() - t0,
      } satisfies WorkerResponse);
    } else {
      port.postMessage({ kind: 'rules', id: request.id, rules: pipeline.allRules() } satisfies WorkerResponse);
    }
  } catch (error) {
    // One project per request: the target adds nothing the host does not know.
    const cause = loaded !== undefined && error instanceof loaded.pipeline.TargetAnalysisError ? error.cause : error;
    const e = cause instanceof Error ? cause : new Error(String(cause));
    port.postMessage({
      kind: 'failed',
      id: request.id,
      message: `${e.name}: ${e.message}`,
      stack: e.stack,
    } satisfies WorkerResponse);
  }
}

/**
 * The host groups files by their nearest tsconfig; each goes to the project that owns it
 * (project-owner.ts), one pipeline run per owner, with the open buffers the owner's program
 * may see: its own files' and those no other owner in this request claims.
 */
function analyzeByOwner(
  { pipeline, programs, owners, resolvedImports }: Loaded,
  request: CheckRequest,
): Pick<Extract<WorkerResponse, { kind: 'analyzed' }>, 'result' | 'owners' | 'imports'> {
  const byOwner = new Map<string | undefined, string[]>();
  const placed: (Ownership & { file: string })[] = [];
  const ownerOfFile = new Map<string, string | undefined>();
  for (const target of request.targets) {
    for (const file of target.files) {
      const owner: Ownership =
        target.project === undefined ? { project: undefined, how: 'nearest' } : owners.ownerOf(target.project, file);
      if (owner.how !== 'nearest') placed.push({ file, ...owner });
      ownerOfFile.set(file, owner.project);
      const list = byOwner.get(owner.project) ?? [];
      list.push(file);
      byOwner.set(owner.project, list);
    }
  }
  const diagnostics: Diagnostic[] = [];
  const skipped: SkippedFunction[] = [];
  let filesAnalyzed = 0;
  let filesInProgram = 0;
  const imports = new Map<string, readonly string[]>();
  for (const [project, files] of byOwner) {
    const overlays = new Map(
      [...(request.overlays ?? [])].filter(([file]) => !ownerOfFile.has(file) || ownerOfFile.get(file) === project),
    );
    const checked = pipeline.runPipeline({ ...request, targets: [{ project, files }], overlays }, programs);
    diagnostics.push(...checked.diagnostics);
    skipped.push(...checked.skipped);
    filesAnalyzed += checked.filesAnalyzed;
    filesInProgram += checked.filesInProgram;
    // The run left the program warm: its resolved imports cost no second refresh.
    const program = project !== undefined ? programs.current(project) : undefined;
    if (program !== undefined) for (const edge of resolvedImports(program)) imports.set(...edge);
  }
  return { result: { diagnostics, filesAnalyzed, filesInProgram, skipped }, owners: placed, imports: [...imports] };
}
