/**
 * @fileoverview Rule documentation for the editor: the link each diagnostic's code carries
 * (`codeDescription.href`, a file URI of the rule's page) and the Markdown a hover shows.
 *
 * Pages live in the analyzer package (`docs/rules/<rule>.md`, RuleInfo.docPath is relative to
 * the package root). The server finds that root next to its own script: `analyzer/dist/lsp/` →
 * `analyzer/`, or, in the VS Code bundle, the extension's `dist/` folder, into which the
 * packaging step copies `docs/`.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleInfo } from '../engine/api.js';
import { pathToUri } from './uri.js';

/** Longest doc text a hover shows; the rest is behind the link. */
const maxHoverChars = 4000;

export class RuleDocs {
  private readonly byId = new Map<string, RuleInfo>();
  private readonly textCache = new Map<string, string | undefined>();

  /** @param packageRoot folder that docPath values are relative to, when the docs were found. */
  constructor(
    rules: readonly RuleInfo[],
    private readonly packageRoot: string | undefined,
  ) {
    for (const r of rules) this.byId.set(r.id, r);
  }

  rule(id: string): RuleInfo | undefined {
    return this.byId.get(id);
  }

  /** Absolute path of the page and its anchor, when the page exists. */
  private page(id: string): { file: string; anchor: string } | undefined {
    const info = this.byId.get(id);
    if (info === undefined || this.packageRoot === undefined) return undefined;
    const [rel = '', anchor = ''] = info.docPath.split('#', 2);
    const file = path.join(this.packageRoot, rel);
    return existsSync(file) ? { file, anchor } : undefined;
  }

  /** `codeDescription.href` for a rule: the page's file URI (with its anchor), or undefined. */
  href(id: string): string | undefined {
    const page = this.page(id);
    if (page === undefined) return undefined;
    return pathToUri(page.file) + (page.anchor !== '' ? `#${page.anchor}` : '');
  }

  /** Markdown for a hover over a finding of rule `id`. */
  hoverMarkdown(id: string, severity: string): string {
    const info = this.byId.get(id);
    const head = `**${id}** (${severity})` + (info !== undefined ? ` — ${info.description}` : '');
    const page = this.page(id);
    let body = '';
    if (page !== undefined) {
      body = this.readDoc(page.file, page.anchor) ?? '';
    }
    const href = this.href(id);
    const link = href !== undefined ? `\n\n[Rule documentation](${href})` : '';
    const suppress = `\n\nSuppress one finding with a reason: \`// rcukit-ignore-next-line ${id} -- <why this is safe>\``;
    return head + (body !== '' ? `\n\n---\n\n${body}` : '') + suppress + link;
  }

  private readDoc(file: string, anchor: string): string | undefined {
    const key = `${file}#${anchor}`;
    if (this.textCache.has(key)) return this.textCache.get(key);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
      if (anchor !== '') text = sectionFor(text, anchor) ?? text;
      // The page title repeats the rule id the hover already shows.
      text = text.replace(/^#\s+[^\n]*\n+/, '');
      if (text.length > maxHoverChars) text = text.slice(0, text.lastIndexOf('\n', maxHoverChars)) + '\n\n…';
    } catch {
      text = undefined;
    }
    this.textCache.set(key, text);
    return text;
  }
}

/** The section of a Markdown page whose heading's GitHub-style slug is `anchor`. */
function sectionFor(markdown: string, anchor: string): string | undefined {
  const lines = markdown.split('\n');
  const slug = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replace(/ /g, '-');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(#+)\s+(.*)$/.exec(lines[i]!);
    if (m === null || slug(m[2]!) !== anchor) continue;
    const level = m[1]!.length;
    let end = lines.length;
    for (let j = i + 1; j < lines.length; j++) {
      const n = /^(#+)\s/.exec(lines[j]!);
      if (n !== null && n[1]!.length <= level) {
        end = j;
        break;
      }
    }
    return lines.slice(i, end).join('\n');
  }
  return undefined;
}

/** The analyzer package root near a script: the first candidate that holds `docs/`. */
export function findPackageRoot(scriptDir: string): string | undefined {
  // The bundle's own folder first (its docs/ was copied there), then the analyzer package above dist/lsp/.
  for (const candidate of [scriptDir, path.resolve(scriptDir, '..', '..')]) {
    if (existsSync(path.join(candidate, 'docs', 'rules'))) return candidate;
  }
  return undefined;
}
