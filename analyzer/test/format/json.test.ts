/**
 * @fileoverview The JSON formatter, checked against its published schema
 * (analyzer/docs/json-output.schema.json) so the doc and the code cannot drift.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatJson } from '../../src/format/json.js';
import { checkSchema } from './json-schema-check.js';
import { deref, revalidation, rootDir, sampleReport } from './sample-report.js';

const schema = JSON.parse(
  readFileSync(new URL('../../docs/json-output.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

describe('JSON format', () => {
  it('conforms to docs/json-output.schema.json', () => {
    const out = JSON.parse(formatJson(sampleReport())) as unknown;
    expect(checkSchema(schema, out)).toEqual([]);
  });

  it('lists the functions the engine could not analyze, with relative paths, in the schema', () => {
    const skipped = [{ file: `${rootDir}/src/gen.ts`, line: 3, name: 'huge', reason: 'nested too deeply to analyze' }];
    const out = JSON.parse(formatJson(sampleReport({ skipped }))) as {
      summary: { skipped: number };
      skipped: unknown[];
    };
    expect(checkSchema(schema, out)).toEqual([]);
    expect(out.summary.skipped).toBe(1);
    expect(out.skipped).toEqual([
      { file: 'src/gen.ts', line: 3, name: 'huge', reason: 'nested too deeply to analyze' },
    ]);
  });

  it('the schema checker does catch a non-conforming report', () => {
    const out = JSON.parse(formatJson(sampleReport())) as { diagnostics: Array<Record<string, unknown>> };
    out.diagnostics[0]!['severity'] = 'fatal';
    delete out.diagnostics[1]!['fingerprint'];
    out.diagnostics[1]!['extra'] = 1;
    expect(checkSchema(schema, out)).toEqual([
      '$.diagnostics[0].severity: not one of ["error","warning"]',
      '$.diagnostics[1]: missing fingerprint',
      '$.diagnostics[1]: unexpected property extra',
    ]);
  });

  it('reports paths relative to rootDir, the summary, fingerprints and suppressions', () => {
    const out = JSON.parse(formatJson(sampleReport())) as {
      summary: Record<string, number>;
      diagnostics: Array<{
        ruleId: string;
        span: { file: string; startLine: number };
        related: Array<{ span: { file: string } }>;
        fingerprint: string;
        fixes: Array<{ edits: Array<{ file: string }> }>;
      }>;
      suppressed: Array<{ justification: string; span: { startLine: number } }>;
    };
    expect(out.summary).toEqual({
      errors: 1,
      warnings: 1,
      suppressed: 1,
      baselined: 2,
      staleBaselineEntries: 0,
      filesChecked: 7,
      filesInProgram: 40,
      skipped: 0,
    });
    expect(out.diagnostics.map((d) => [d.ruleId, d.span.file, d.span.startLine])).toEqual([
      [revalidation.ruleId, 'src/signal.ts', revalidation.span.startLine],
      [deref.ruleId, 'src/net/sock table.ts', deref.span.startLine],
    ]);
    expect(out.diagnostics[0]!.related[0]!.span.file).toBe('src/signal.ts');
    expect(out.diagnostics[1]!.fixes[0]!.edits[0]!.file).toBe('src/net/sock table.ts');
    expect(out.diagnostics[0]!.fingerprint).toBe('aaaaaaaaaaaaaaaaaaaa:0');
    expect(out.suppressed).toMatchObject([{ justification: 'held by caller', span: { startLine: 30 } }]);
  });
});
