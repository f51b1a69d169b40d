#!/usr/bin/env node
/**
 * @fileoverview Compare benchmark suites of two builds side by side in one run: the working
 * tree and another git revision, run alternately (A B A B …) so that machine noise falls on
 * both alike. Prints each case's median per build and the ratio (this build / the other).
 *
 * Usage: node scripts/bench-compare.mjs <rev> <suite>... [--rounds=N]
 * The other revision is checked out and built once in a temporary worktree (npm ci, tsc -b).
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 3);
const [rev, ...suites] = args.filter((a) => !a.startsWith('--'));
if (rev === undefined || suites.length === 0) {
  console.error('usage: node scripts/bench-compare.mjs <rev> <suite>... [--rounds=N]');
  process.exit(2);
}

const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const sha = execFileSync('git', ['rev-parse', rev], { cwd: here, encoding: 'utf8' }).trim();
const other = path.join(mkdtempSync(path.join(tmpdir(), 'rcukit-bench-')), sha.slice(0, 10));
const sh = (cmd, cwd) => execFileSync('bash', ['-c', cmd], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
console.error(`building ${sha.slice(0, 10)} in ${other}`);
sh(`git worktree add --detach -q ${JSON.stringify(other)} ${sha}`, here);
try {
  sh('npm ci --no-audit --no-fund --silent && npx tsc -b', other);
  sh('npx tsc -b', here);
  const run = (root, suite) => {
    const out = execFileSync('node', [path.join(root, 'test/dist/bench/run.js'), suite, '--json'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    return JSON.parse(out.slice(out.indexOf('[')));
  };
  for (const suite of suites) {
    const samples = { here: new Map(), other: new Map() };
    for (let r = 0; r < rounds; r++) {
      for (const [side, root] of r % 2 === 0
        ? [
            ['here', here],
            ['other', other],
          ]
        : [
            ['other', other],
            ['here', here],
          ]) {
        for (const c of run(root, suite)) {
          const list = samples[side].get(c.name) ?? [];
          list.push(c);
          samples[side].set(c.name, list);
        }
      }
    }
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`\n${suite}: ${rounds} rounds each, alternating; median of each build's medians`);
    console.log(`${'case'.padEnd(36)}${'this'.padStart(12)}${sha.slice(0, 8).padStart(12)}  unit   ratio`);
    for (const [name, list] of samples.here) {
      const theirs = samples.other.get(name);
      if (theirs === undefined) continue;
      const a = median(list.map((c) => c.median));
      const b = median(theirs.map((c) => c.median));
      console.log(
        `${name.padEnd(36)}${a.toPrecision(4).padStart(12)}${b.toPrecision(4).padStart(12)}  ${list[0].unit.padEnd(6)} ${(a / b).toFixed(3)}`,
      );
    }
  }
} finally {
  if (existsSync(other)) sh(`git worktree remove --force ${JSON.stringify(other)}`, here);
}
