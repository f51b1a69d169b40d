/**
 * @fileoverview Glob patterns for the config's include/exclude lists, compiled to RegExps.
 * Node 20 has no path.matchesGlob, and the syntax we need is small: `**` (any number of path
 * segments), `*` and `?` (within one segment), `{a,b}` alternatives and `[...]` classes.
 * Patterns are matched against POSIX-style paths relative to the config file's folder. A
 * pattern without a `/` matches at any depth (`*.test.ts` matches `src/a.test.ts`), as in .gitignore;
 * a pattern naming a folder (`generated` or `generated/`) matches everything inside it.
 */

/** Thrown for a pattern we cannot compile; config.ts turns it into a message naming the key. */
export class GlobSyntaxError extends Error {
  override readonly name = 'GlobSyntaxError';
}

export interface Glob {
  readonly pattern: string;
  matches(relativePosixPath: string): boolean;
}

export function compileGlob(pattern: string): Glob {
  if (pattern.length === 0) throw new GlobSyntaxError('empty pattern');
  let body = pattern.startsWith('./') ? pattern.slice(2) : pattern;
  if (body.startsWith('/')) body = body.slice(1);
  const anchored = body.replace(/\/$/, '').includes('/');
  const source = translate(body.replace(/\/$/, ''), pattern);
  // Matching the path itself, or anything below it when the pattern names a folder.
  const re = new RegExp(`^${anchored ? '' : '(?:.*/)?'}${source}(?:/.*)?$`);
  return { pattern, matches: (p) => re.test(p) };
}

/** Any of the globs matches. */
export function matchesAny(globs: readonly Glob[], relativePosixPath: string): boolean {
  return globs.some((g) => g.matches(relativePosixPath));
}

function translate(glob: string, original: string): string {
  let out = '';
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**` must be a whole segment: `a/**/b`, `**/b`, `a/**`.
        const before = i === 0 || glob[i - 1] === '/';
        const after = i + 2 === glob.length || glob[i + 2] === '/';
        if (!before || !after) throw new GlobSyntaxError(`'**' must be a whole path segment in '${original}'`);
        if (glob[i + 2] === '/') {
          out += '(?:[^/]+/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) throw new GlobSyntaxError(`unclosed '[' in '${original}'`);
      let cls = glob.slice(i + 1, close);
      if (cls.startsWith('!')) cls = '^' + cls.slice(1);
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '{') {
      braceDepth++;
      out += '(?:';
    } else if (c === '}' && braceDepth > 0) {
      braceDepth--;
      out += ')';
    } else if (c === ',' && braceDepth > 0) {
      out += '|';
    } else {
      out += c.replace(/[.+^$()|\\{}\]]/g, '\\$&');
    }
  }
  if (braceDepth !== 0) throw new GlobSyntaxError(`unclosed '{' in '${original}'`);
  return out;
}
