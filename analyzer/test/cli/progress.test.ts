/**
 * @fileoverview The progress line: only on a terminal, only for large runs, erased when done.
 */

import { describe, expect, it } from 'vitest';
import { progressThreshold, startProgress } from '../../src/cli/progress.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) };
}

describe('progress on stderr', () => {
  it('shows and then erases a line on a terminal for a large project', () => {
    const s = stream(true);
    const p = startProgress(s, progressThreshold, 'tsconfig.json');
    expect(s.writes).toEqual([`rcukit: analyzing ${progressThreshold} files (tsconfig.json)...`]);
    p.done();
    expect(s.writes[1]).toBe('\r\x1b[K');
  });

  it('stays silent in a pipe or a CI log, and for small projects', () => {
    const pipe = stream(false);
    startProgress(pipe, 10_000, 'x').done();
    const small = stream(true);
    startProgress(small, progressThreshold - 1, 'x').done();
    expect([...pipe.writes, ...small.writes]).toEqual([]);
  });
});
