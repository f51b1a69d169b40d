/**
 * @fileoverview The server's side of the settings: fetching the `rcukit` section from the
 * client, and turning settings, tsconfig.json files and the rcukit config file (the same file
 * and loader as `rcukit check`) into the per-file analysis configuration the host needs.
 *
 * Precedence for a rule's severity, lowest first: the rule's default, the config file, the
 * `rcukit.rules` setting. A broken config file is reported to the user and ignored (the editor
 * keeps checking with the settings alone) rather than stopping all diagnostics.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Severity } from '../diagnostic.js';
import { isFileSelected, loadConfig, type RcukitConfig } from '../config/config.js';
import type { FileAnalysisConfig } from './analysis-host.js';
import { defaultSettings, normalizeSettings, settingsSection, type RcukitSettings } from './protocol.js';

export { settingsSection };

export class SettingsStore {
  private current: RcukitSettings = defaultSettings;
  private readonly tsconfigByDir = new Map<string, string | null>();
  private readonly configByDir = new Map<string, RcukitConfig | Error>();

  /**
   * @param workspaceFolders absolute paths of the client's workspace folders (may be empty).
   * @param report shows a problem to the user (the caller deduplicates).
   */
  private workspaceFolders: readonly string[] = [];

  constructor(
    workspaceFolders: readonly string[],
    private readonly report: (message: string) => void,
  ) {
    this.setWorkspaceFolders(workspaceFolders);
  }

  get settings(): RcukitSettings {
    return this.current;
  }

  setWorkspaceFolders(folders: readonly string[]): void {
    // path.resolve drops a trailing separator, so folder comparisons below are exact.
    this.workspaceFolders = folders.map((f) => path.resolve(f));
    this.invalidateFiles();
  }

  /** Take new raw settings (from workspace/configuration, didChangeConfiguration or initializationOptions). */
  update(raw: unknown): RcukitSettings {
    const { settings, problems } = normalizeSettings(raw);
    for (const p of problems) this.report(`rcukit: setting ${p.key}: ${p.message}; using the default`);
    this.current = settings;
    this.configByDir.clear();
    return settings;
  }

  /** tsconfig.json or the rcukit config changed on disk. */
  invalidateFiles(): void {
    this.tsconfigByDir.clear();
    this.configByDir.clear();
  }

  /** The workspace folder holding `file`, or undefined. */
  folderOf(file: string): string | undefined {
    let best: string | undefined;
    for (const folder of this.workspaceFolders) {
      if (
        (file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep)) &&
        (best === undefined || folder.length > best.length)
      ) {
        best = folder;
      }
    }
    return best;
  }

  /** How the host analyzes `file` now. */
  configFor(file: string): FileAnalysisConfig {
    const folder = this.folderOf(file);
    const project = this.findTsconfig(path.dirname(file), folder);
    const cwd = project !== undefined ? path.dirname(project) : (folder ?? path.dirname(file));
    const rules: Record<string, Severity> = {};
    let excluded = !this.current.enable;
    const config = this.loadConfigFor(path.dirname(file), folder);
    if (config !== undefined) {
      Object.assign(rules, config.rules);
      if (!isFileSelected(config, file)) excluded = true;
    }
    for (const [id, word] of Object.entries(this.current.rules)) rules[id] = word === 'warn' ? 'warning' : word;
    return { cwd, project, rules, excluded };
  }

  /**
   * Where `untitled:` buffers are analyzed: the first workspace folder (so that packages
   * resolve from its node_modules), else the server's working directory.
   */
  untitledRoot(): string {
    return this.workspaceFolders[0] ?? process.cwd();
  }

  /**
   * An untitled buffer (uri.ts's untitledPath) is a loose file under untitledRoot(): default
   * compiler options whatever tsconfig is around, the config file's rule severities, and no
   * include/exclude (a buffer has no path of its own for them to match).
   */
  untitledConfigFor(file: string): FileAnalysisConfig {
    const cwd = path.dirname(path.dirname(file));
    const rules: Record<string, Severity> = { ...this.loadConfigFor(cwd, this.folderOf(cwd))?.rules };
    for (const [id, word] of Object.entries(this.current.rules)) rules[id] = word === 'warn' ? 'warning' : word;
    return { cwd, project: undefined, rules, excluded: !this.current.enable };
  }

  /** The nearest tsconfig.json from `dir` up to the workspace folder (or the root). */
  private findTsconfig(dir: string, stopAt: string | undefined): string | undefined {
    const cached = this.tsconfigByDir.get(dir);
    if (cached !== undefined) return cached ?? undefined;
    let found: string | undefined;
    for (let d = dir; ; d = path.dirname(d)) {
      const candidate = path.join(d, 'tsconfig.json');
      if (existsSync(candidate)) {
        found = candidate;
        break;
      }
      if (d === stopAt || path.dirname(d) === d) break;
    }
    this.tsconfigByDir.set(dir, found ?? null);
    return found;
  }

  private loadConfigFor(dir: string, folder: string | undefined): RcukitConfig | undefined {
    const explicit = this.current.configFile;
    const key = explicit !== '' ? `explicit:${explicit}:${folder ?? ''}` : dir;
    let entry = this.configByDir.get(key);
    if (entry === undefined) {
      try {
        entry = explicit !== '' ? loadConfig(folder ?? dir, explicit) : loadConfig(dir, undefined);
      } catch (error) {
        entry = error instanceof Error ? error : new Error(String(error));
      }
      this.configByDir.set(key, entry);
    }
    if (entry instanceof Error) {
      this.report(
        `rcukit: config file problem: ${entry.message}. Checking with the rcukit.rules setting alone until it is fixed.`,
      );
      return undefined;
    }
    return entry;
  }
}
