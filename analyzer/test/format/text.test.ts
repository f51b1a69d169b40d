/**
 * @fileoverview The text formatter: tsc-shaped lines, related notes under them, colour rules.
 */

import { describe, expect, it } from 'vitest';
import { colorEnabled, formatText } from '../../src/format/text.js';
import { sampleReport } from './sample-report.js';

describe('text format', () => {
  it('prints one tsc-style line per finding with relative paths and its notes indented under it', () => {
    const lines = formatText(sampleReport(), { color: false }).split('\n');
    expect(lines[0]).toBe(
      'src/signal.ts(14,5): error rcu/missing-revalidation: `sighand` is used at line 14 after `spinLock(sighand.siglock)` at line 11 without revalidating its identity',
    );
    expect(lines[1]).toBe('    src/signal.ts(11,3): lock taken here');
    expect(lines[2]).toBe('    src/signal.ts(15,3): read-side section ends here');
    expect(lines[3]).toBe(
      'src/net/sock table.ts(3,1): warning rcu/deref-outside-read-lock: `sock` is dereferenced outside a read-side section',
    );
  });

  it('ends with a summary that counts errors, warnings, files, suppressions and the baseline', () => {
    const out = formatText(sampleReport(), { color: false });
    expect(out.trimEnd().split('\n').at(-1)).toBe(
      '1 error and 1 warning in 2 files (7 files checked, 1 suppressed, 2 in baseline).',
    );
    const clean = formatText(sampleReport({ diagnostics: [], suppressed: [], baselined: 0 }), { color: false });
    expect(clean).toBe('No problems found (7 files checked).\n');
  });

  it('never says "No problems found" when some function was not analyzed', () => {
    const skipped = [{ file: '/p/gen.ts', line: 3, name: 'huge', reason: 'nested too deeply to analyze' }];
    const clean = formatText(sampleReport({ diagnostics: [], suppressed: [], baselined: 0, skipped }), {
      color: false,
    });
    expect(clean).toBe(
      'Analysis incomplete: 1 function not analyzed (named on stderr). Nothing found in the rest (7 files checked).\n',
    );
    const found = formatText(sampleReport({ skipped }), { color: false });
    expect(found.trimEnd().split('\n').at(-1)).toBe(
      'Analysis incomplete: 1 function not analyzed (named on stderr). 1 error and 1 warning in 2 files (7 files checked, 1 suppressed, 2 in baseline).',
    );
  });

  it('mentions stale baseline entries', () => {
    expect(formatText(sampleReport({ staleBaselineEntries: 3 }), { color: false })).toContain(
      '3 baseline entries matched nothing',
    );
  });

  it('uses ANSI colours only when asked, and the text is otherwise identical', () => {
    const plain = formatText(sampleReport(), { color: false });
    const coloured = formatText(sampleReport(), { color: true });
    expect(plain).not.toContain('\x1b[');
    expect(coloured).toContain('\x1b[31merror\x1b[0m');
    expect(coloured.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')).toBe(plain);
  });

  it('colours a terminal only, never with NO_COLOR, and FORCE_COLOR forces it', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
  });

  it('indents the continuation lines of a multi-line message', () => {
    const d = { ...sampleReport().diagnostics[0]!, message: 'first\nsecond', related: [] };
    const out = formatText(sampleReport({ diagnostics: [d] }), { color: false });
    expect(out.split('\n').slice(0, 2)).toEqual([
      'src/signal.ts(14,5): error rcu/missing-revalidation: first',
      '    second',
    ]);
  });
});
