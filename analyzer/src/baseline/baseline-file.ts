/**
 * @fileoverview The baseline file: findings a team has accepted, so that CI fails only on new
 * ones. `rcukit check --baseline rcukit-baseline.json` drops findings listed in it;
 * `--update-baseline` rewrites it with the current findings. The file is sorted JSON, one
 * finding per entry, with the message kept for the human reading the diff (matching uses only
 * rule, file and fingerprint):
 *
 * ```json
 * { "version": 1,
 *   "findings": [ { "ruleId": "rcu/missing-revalidation", "file": "src/a.ts",
 *                   "fingerprint": "3f2a...:0", "message": "..." } ] }
 * ```
 *
 * Matching is a multiset: two identical findings need two entries.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import type { Diagnostic } from '../diagnostic.js';

export const baselineVersion = 1;

export interface BaselineEntry {
  readonly ruleId: string;
  /** Relative POSIX path, as in fingerprints. */
  readonly file: string;
  readonly fingerprint: string;
  readonly message: string;
}

/** A baseline file is unreadable or malformed. The message names the file. */
export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}

export function readBaseline(absFile: string, shownAs: string): BaselineEntry[] {
  let text: string;
  try {
    text = readFileSync(absFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BaselineError(
      code === 'ENOENT'
        ? `${shownAs}: baseline file not found (create it with --update-baseline)`
        : `${shownAs}: cannot read baseline: ${(e as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BaselineError(`${shownAs}: invalid JSON in baseline: ${(e as Error).message}`);
  }
  const v = value as { version?: unknown; findings?: unknown };
  if (typeof value !== 'object' || value === null || v.version !== baselineVersion || !Array.isArray(v.findings)) {
    throw new BaselineError(
      `${shownAs}: not an rcukit baseline (expected {"version": ${baselineVersion}, "findings": [...]})`,
    );
  }
  return v.findings.map((f: unknown, i: number) => {
    const e = f as Partial<Record<keyof BaselineEntry, unknown>>;
    if (
      typeof f !== 'object' ||
      f === null ||
      typeof e.ruleId !== 'string' ||
      typeof e.file !== 'string' ||
      typeof e.fingerprint !== 'string'
    ) {
      throw new BaselineError(`${shownAs}: "findings[${i}]" needs string "ruleId", "file" and "fingerprint"`);
    }
    return {
      ruleId: e.ruleId,
      file: e.file,
      fingerprint: e.fingerprint,
      message: typeof e.message === 'string' ? e.message : '',
    };
  });
}

export function writeBaseline(absFile: string, entries: readonly BaselineEntry[]): void {
  const sorted = [...entries].sort((a, b) => key(a).localeCompare(key(b)));
  const body = { version: baselineVersion, findings: sorted };
  writeFileSync(absFile, JSON.stringify(body, null, 2) + '\n');
}

export interface BaselineMatch {
  /** Findings not in the baseline: these count. */
  readonly fresh: Diagnostic[];
  /** How many findings the baseline absorbed. */
  readonly baselined: number;
  /** Baseline entries that matched nothing (fixed since, or the code around them changed). */
  readonly stale: number;
}

/** Split findings into new ones and ones the baseline lists. */
export function matchBaseline(
  diagnostics: readonly Diagnostic[],
  entries: readonly BaselineEntry[],
  fingerprintOf: (d: Diagnostic) => string,
  relativePath: (absFile: string) => string,
): BaselineMatch {
  const remaining = new Map<string, number>();
  for (const e of entries) remaining.set(key(e), (remaining.get(key(e)) ?? 0) + 1);
  const fresh: Diagnostic[] = [];
  let baselined = 0;
  for (const d of diagnostics) {
    const k = key({ ruleId: d.ruleId, file: relativePath(d.span.file), fingerprint: fingerprintOf(d) });
    const n = remaining.get(k) ?? 0;
    if (n > 0) {
      remaining.set(k, n - 1);
      baselined++;
    } else {
      fresh.push(d);
    }
  }
  let stale = 0;
  for (const n of remaining.values()) stale += n;
  return { fresh, baselined, stale };
}

function key(e: Pick<BaselineEntry, 'ruleId' | 'file' | 'fingerprint'>): string {
  return `${e.file}\0${e.ruleId}\0${e.fingerprint}`;
}
