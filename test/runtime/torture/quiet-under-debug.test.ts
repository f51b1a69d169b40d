/**
 * @fileoverview No false alarms: the bundled example, the demo and rcutorture run with
 * RCUKIT_DEBUG=1 (every heap in debug mode, in every worker) and with fuzzing, and must end as
 * they do without it: exit code 0, and not one debug report (a thrown report fails the
 * program; a reported one is a process warning carrying its ERR_ code).
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

function runUnderDebug(mode: string, script: string, args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args], {
    cwd: repo,
    env: { ...process.env, RCUKIT_DEBUG: mode },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describe.each(['1', 'fuzz'])('RCUKIT_DEBUG=%s', (mode) => {
  it('the shared-cache example serves and checks out', () => {
    const r = runUnderDebug(mode, 'examples/shared-cache/dist/main.js', ['1', '2']);
    expect(r.output).not.toMatch(/ERR_[A-Z_]+/);
    expect(r.output).toMatch(/checks: 0 wrong products returned, 0 torn prices seen/);
    expect(r.status).toBe(0);
  });

  it('the demo ends OK', () => {
    const r = runUnderDebug(mode, 'test/dist/demo/rcu-demo.js', ['--ms', '1000']);
    expect(r.output).not.toMatch(/ERR_[A-Z_]+/);
    expect(r.output).toMatch(/^OK:/m);
    expect(r.status).toBe(0);
  });

  it('rcutorture succeeds', () => {
    // Long enough for the workers to start on a loaded machine.
    const r = runUnderDebug(mode, 'test/dist/torture/rcutorture-cli.js', ['--seconds', '5', '--readers', '2']);
    expect(r.output).not.toMatch(/ERR_[A-Z_]+/);
    expect(r.output).toMatch(/End of test: SUCCESS/);
    expect(r.status).toBe(0);
  });
});
