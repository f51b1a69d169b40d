/**
 * @fileoverview What the rcukit server and the VS Code extension agree on, written once: the
 * setting keys and their shape, and rcukit's own notifications. The extension's bundler pulls
 * this file in from the analyzer's sources, so it must stay free of imports (no Node APIs, no
 * vscode, no LSP library): plain types, constants and one pure function.
 *
 * Adding a setting: (1) add it to RcukitSettings and defaultSettings here; (2) validate it in
 * normalizeSettings; (3) contribute it in vscode-extension/package.json under
 * `contributes.configuration` with the same key; (4) read it where the server needs it.
 */

/** Severity words a user writes for a rule in `rcukit.rules` (as in rcukit.config.json). */
export type RuleSeveritySetting = 'off' | 'warn' | 'error';

/** The settings under the `rcukit` section of the workspace configuration. */
export interface RcukitSettings {
  /** `rcukit.enable`: analyze and publish diagnostics at all. */
  readonly enable: boolean;
  /** `rcukit.rules`: severity per rule id, over the config file's and the rules' defaults. */
  readonly rules: Readonly<Record<string, RuleSeveritySetting>>;
  /** `rcukit.configFile`: path of the rcukit config file (relative to the workspace folder); empty = nearest one. */
  readonly configFile: string;
  /** `rcukit.debounceMs`: quiet time that ends a burst of edits (the first edit after a pause runs at once). */
  readonly debounceMs: number;
  /** `rcukit.trace.server`: read by vscode-languageclient itself; listed so the server knows the key. */
  readonly trace: { readonly server: 'off' | 'messages' | 'verbose' };
}

/** The configuration section every key lives under: `rcukit.enable`, `rcukit.rules`, ... */
export const settingsSection = 'rcukit';

export const defaultSettings: RcukitSettings = {
  enable: true,
  rules: {},
  configFile: '',
  debounceMs: 50,
  trace: { server: 'off' },
};

/** One problem found in what the client sent as settings (reported, then the default is used). */
export interface SettingsProblem {
  readonly key: string;
  readonly message: string;
}

/**
 * Turn whatever the client sent for the `rcukit` section (possibly null, partial or wrong) into
 * complete settings, keeping the defaults where a value is missing or invalid and saying why.
 */
export function normalizeSettings(raw: unknown): { settings: RcukitSettings; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  if (raw === null || raw === undefined) return { settings: defaultSettings, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ key: settingsSection, message: `expected an object, got ${describe(raw)}` });
    return { settings: defaultSettings, problems };
  }
  const o = raw as Record<string, unknown>;
  let enable = defaultSettings.enable;
  if (o['enable'] !== undefined) {
    if (typeof o['enable'] === 'boolean') enable = o['enable'];
    else problems.push({ key: 'rcukit.enable', message: `expected true or false, got ${describe(o['enable'])}` });
  }
  const rules: Record<string, RuleSeveritySetting> = {};
  if (o['rules'] !== undefined && o['rules'] !== null) {
    if (typeof o['rules'] !== 'object' || Array.isArray(o['rules'])) {
      problems.push({
        key: 'rcukit.rules',
        message: `expected an object of rule id to "off" | "warn" | "error", got ${describe(o['rules'])}`,
      });
    } else {
      for (const [id, value] of Object.entries(o['rules'] as Record<string, unknown>)) {
        const severity = value === 'warning' ? 'warn' : value;
        if (severity === 'off' || severity === 'warn' || severity === 'error') rules[id] = severity;
        else
          problems.push({
            key: `rcukit.rules.${id}`,
            message: `expected "off", "warn" or "error", got ${describe(value)}`,
          });
      }
    }
  }
  let configFile = defaultSettings.configFile;
  if (o['configFile'] !== undefined && o['configFile'] !== null) {
    if (typeof o['configFile'] === 'string') configFile = o['configFile'].trim();
    else problems.push({ key: 'rcukit.configFile', message: `expected a path, got ${describe(o['configFile'])}` });
  }
  let debounceMs = defaultSettings.debounceMs;
  if (o['debounceMs'] !== undefined && o['debounceMs'] !== null) {
    const v = o['debounceMs'];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 10_000) debounceMs = Math.round(v);
    else
      problems.push({
        key: 'rcukit.debounceMs',
        message: `expected a number of milliseconds from 0 to 10000, got ${describe(v)}`,
      });
  }
  let trace = defaultSettings.trace;
  const t = o['trace'];
  if (t !== null && typeof t === 'object' && !Array.isArray(t)) {
    const server = (t as Record<string, unknown>)['server'];
    if (server === 'off' || server === 'messages' || server === 'verbose') trace = { server };
  }
  return { settings: { enable, rules, configFile, debounceMs, trace }, problems };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * `rcukit/status` (server → client notification): what the server is doing for a document, so
 * the extension can show it in the status bar and tests can wait for an analysis to settle.
 */
export const StatusNotification = { method: 'rcukit/status' } as const;

/** The params of StatusNotification. */
export interface StatusParams {
  /** `analyzing` while a run is in flight; `ok` or `error` after it. */
  readonly state: 'analyzing' | 'ok' | 'error' | 'disabled';
  /** The document the run was for (the one that changed), when there is one. */
  readonly uri?: string;
  /** Short human text: "3 findings in 2 files (140 ms)", or what went wrong. */
  readonly message: string;
}

/** The command the server registers to re-run analysis of every open document. */
export const reanalyzeCommand = 'rcukit.reanalyze';

/** The `source` of every diagnostic rcukit publishes. */
export const diagnosticSource = 'rcukit';
