/**
 * @fileoverview Runs the built `rcukit` CLI (analyzer/dist/cli/main.js) as a child process, the
 * way CI runs it, and makes throwaway TypeScript projects that can import @rcukit/runtime.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cliPath = path.join(repoRoot, 'analyzer/dist/cli/main.js');
export const demoDir = path.join(repoRoot, 'examples/checker-demo');

/** Whether this build has the engine (analyze and listRules exported from @rcukit/analyzer). */
export const engineAvailable: boolean = await (async () => {
  const mod = (await import('../../src/index.js')) as Record<string, unknown>;
  return typeof mod['analyze'] === 'function' && typeof mod['listRules'] === 'function';
})();

/**
 * Whether the built runtime exports the RCU read-side API the demo and the end-to-end projects
 * call. The engine recognizes primitives by symbol, so without these exports it rightly stays
 * quiet about read-side sections, and tests that expect such findings cannot run.
 */
export const runtimeRcuAvailable: boolean = await (async () => {
  try {
    const mod = (await import('@rcukit/runtime')) as Record<string, unknown>;
    return typeof mod['rcuReadLock'] === 'function' && typeof mod['rcuReadUnlock'] === 'function';
  } catch {
    return false;
  }
})();

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliRun {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: build first (npx tsc -b)`);
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const made: string[] = [];

/**
 * A fresh folder holding `files` (relative name -> text or bytes), where `@rcukit/runtime`
 * resolves to this repository's runtime package, as it would from an installed dependency.
 */
export function makeProject(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rcukit-cli-'));
  made.push(dir);
  mkdirSync(path.join(dir, 'node_modules/@rcukit'), { recursive: true });
  symlinkSync(path.join(repoRoot, 'runtime'), path.join(dir, 'node_modules/@rcukit/runtime'), 'dir');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export function removeProjects(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const strictTsconfig = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2024', 'ESNext.Disposable'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  },
  include: ['src'],
});

/**
 * Run `rcukit <args>` in this process (the same program main.ts runs, minus process startup),
 * for tests that run the checker many times: the engine loads once per test file.
 */
export async function runInProcess(args: readonly string[], cwd: string): Promise<CliRun> {
  const { main } = await import('../../src/cli/program.js');
  let stdout = '';
  let stderr = '';
  const status = await main(args, {
    cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
    stdout: { isTTY: false, write: (s: string) => (stdout += s) },
    stderr: { isTTY: false, write: (s: string) => (stderr += s) },
  });
  return { status, stdout, stderr };
}
