/**
 * @fileoverview SARIF output: the structure GitHub code scanning reads, and validation with
 * Microsoft's SARIF Multitool (`validate --rule-kind "Sarif;Gh"`) reporting no errors.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintKey } from '../../src/baseline/fingerprint.js';
import { formatSarif, pascalName } from '../../src/format/sarif.js';
import { rootDir, sampleReport, span } from './sample-report.js';

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Array<{
    physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Record<string, number> };
  }>;
  relatedLocations?: Array<{
    id: number;
    message: { text: string };
    physicalLocation: { artifactLocation: { uri: string } };
  }>;
  partialFingerprints: Record<string, string>;
  suppressions?: Array<{ kind: string; justification: string }>;
}
interface SarifLog {
  version: string;
  runs: Array<{
    tool: {
      driver: {
        name: string;
        version: string;
        rules: Array<{
          id: string;
          name: string;
          help: { text: string; markdown: string };
          properties: { precision: string };
        }>;
      };
    };
    originalUriBaseIds: Record<string, { uri: string }>;
    results: SarifResult[];
  }>;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rcukit-sarif-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The Multitool's native binary (the npm package's bin.js only wraps it through a shell). */
function multitool(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('@microsoft/sarif-multitool-linux/Sarif.Multitool');
}

/** Errors the Multitool reports for a SARIF text: `RULE: message` lines. */
function validate(sarif: string, name: string): { errors: string[]; succeeded: boolean } {
  const input = path.join(tmp, `${name}.sarif`);
  const output = path.join(tmp, `${name}.validation.sarif`);
  writeFileSync(input, sarif);
  execFileSync(multitool(), ['validate', '--rule-kind', 'Sarif;Gh', '--output', output, input], {
    env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
    stdio: 'pipe',
    timeout: 120_000,
  });
  const log = JSON.parse(readFileSync(output, 'utf8')) as {
    runs: Array<{
      results?: Array<{
        level?: string;
        ruleId: string;
        message: { text?: string; id?: string; arguments?: string[] };
      }>;
      invocations: Array<{ executionSuccessful: boolean }>;
    }>;
  };
  const results = log.runs[0]!.results ?? [];
  return {
    errors: results
      .filter((r) => r.level === 'error')
      .map((r) => `${r.ruleId}: ${r.message.text ?? r.message.arguments?.join(' ') ?? r.message.id}`),
    succeeded: log.runs[0]!.invocations[0]!.executionSuccessful,
  };
}

describe('SARIF format', () => {
  const log = JSON.parse(formatSarif(sampleReport())) as SarifLog;
  const run = log.runs[0]!;

  it('describes every rule with help from its doc page and a precision', () => {
    expect(log.version).toBe('2.1.0');
    expect(run.tool.driver.name).toBe('rcukit');
    const revalidation = run.tool.driver.rules.find((r) => r.id === 'rcu/missing-revalidation')!;
    expect(revalidation.name).toBe('RcuMissingRevalidation');
    expect(revalidation.help.markdown).toContain('❌ bad');
    expect(revalidation.properties.precision).toBe('high');
    // A rule without a loaded doc page still gets help text pointing at the page.
    const deref = run.tool.driver.rules.find((r) => r.id === 'rcu/deref-outside-read-lock')!;
    expect(deref.help.text).toContain('docs/rules/deref-outside-read-lock.md');
    expect(run.tool.driver.rules.map((r) => r.id)).toContain('rcukit/unused-suppression');
  });

  it('uses relative URIs under %SRCROOT%, related locations, fingerprints and in-source suppressions', () => {
    expect(run.originalUriBaseIds['%SRCROOT%']!.uri).toBe(`file://${rootDir}/`);
    const [first, second, suppressed] = run.results;
    expect(first!.locations[0]!.physicalLocation.artifactLocation).toEqual({
      uri: 'src/signal.ts',
      uriBaseId: '%SRCROOT%',
    });
    expect(first!.locations[0]!.physicalLocation.region).toEqual({
      startLine: 14,
      startColumn: 5,
      endLine: 14,
      endColumn: 12,
    });
    expect(second!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('src/net/sock%20table.ts');
    expect(second!.level).toBe('warning');
    expect(first!.relatedLocations!.map((r) => [r.id, r.message.text])).toEqual([
      [1, 'lock taken here'],
      [2, 'read-side section ends here'],
    ]);
    expect(first!.partialFingerprints[fingerprintKey]).toBe('aaaaaaaaaaaaaaaaaaaa:0');
    expect(run.tool.driver.rules[first!.ruleIndex]!.id).toBe(first!.ruleId);
    expect(suppressed!.suppressions).toEqual([{ kind: 'inSource', justification: 'held by caller' }]);
  });

  it('gives a file outside the root an absolute file URI', () => {
    const outside = {
      ...sampleReport().diagnostics[0]!,
      span: { ...span('x.ts', 1, 1, 1, 2), file: '/elsewhere/x.ts' },
      related: [],
    };
    const out = JSON.parse(formatSarif(sampleReport({ diagnostics: [outside], suppressed: [] }))) as SarifLog;
    expect(out.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({
      uri: 'file:///elsewhere/x.ts',
    });
  });

  it('names each function the engine could not analyze in a tool execution notification', () => {
    const skipped = [{ file: `${rootDir}/src/gen.ts`, line: 3, name: 'huge', reason: 'nested too deeply to analyze' }];
    const plain = JSON.parse(formatSarif(sampleReport())) as { runs: Array<{ invocations?: unknown }> };
    expect(plain.runs[0]!.invocations).toBeUndefined();
    const out = JSON.parse(formatSarif(sampleReport({ skipped }))) as {
      runs: Array<{
        invocations: Array<{
          executionSuccessful: boolean;
          toolExecutionNotifications: Array<{
            level: string;
            message: { text: string };
            locations: Array<{
              physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
            }>;
          }>;
        }>;
      }>;
    };
    const inv = out.runs[0]!.invocations[0]!;
    expect(inv.executionSuccessful).toBe(false);
    expect(inv.toolExecutionNotifications).toHaveLength(1);
    const n = inv.toolExecutionNotifications[0]!;
    expect(n.level).toBe('error');
    expect(n.message.text).toContain('`huge` was not analyzed (nested too deeply to analyze)');
    expect(n.locations[0]!.physicalLocation.artifactLocation.uri).toBe('src/gen.ts');
    expect(n.locations[0]!.physicalLocation.region).toEqual({ startLine: 3 });
  });

  it('names rules as identifiers', () => {
    expect(pascalName('rcukit/suppression-without-reason')).toBe('RcukitSuppressionWithoutReason');
  });

  it.skipIf(!existsSync(path.dirname(multitool())))(
    'passes the SARIF Multitool with the GitHub rules (Sarif;Gh), with no errors',
    () => {
      const { errors, succeeded } = validate(formatSarif(sampleReport()), 'sample');
      expect(succeeded).toBe(true);
      expect(errors).toEqual([]);
      const skipped = [
        { file: `${rootDir}/src/gen.ts`, line: 3, name: 'huge', reason: 'nested too deeply to analyze' },
      ];
      const incomplete = validate(formatSarif(sampleReport({ skipped })), 'incomplete');
      expect(incomplete.succeeded).toBe(true);
      expect(incomplete.errors).toEqual([]);
    },
  );

  it.skipIf(!existsSync(path.dirname(multitool())))('the validation does catch what GitHub rejects', () => {
    const broken = JSON.parse(formatSarif(sampleReport())) as SarifLog;
    for (const r of broken.runs[0]!.tool.driver.rules) delete (r as { help?: unknown }).help;
    const { errors } = validate(JSON.stringify(broken), 'broken');
    expect(errors.some((e) => e.startsWith('GH'))).toBe(true);
  });
});
