// Checks packed tarballs as npm would publish them: each has its README, LICENSE and entry
// points, the package.json fields a registry page and SARIF's helpUri need, no build-state or
// tooling files, and source maps whose sources are in the package.
// Usage: node check-tarballs.mjs <tarball.tgz>...
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const problems = [];
for (const tarball of process.argv.slice(2)) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rcukit-tarball-'));
  try {
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    const pkgDir = path.join(dir, 'package');
    const files = walk(pkgDir).map((f) => path.relative(pkgDir, f).split(path.sep).join('/'));
    const say = (what) => problems.push(`${path.basename(tarball)}: ${what}`);
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    for (const f of ['README.md', 'LICENSE']) if (!files.includes(f)) say(`no ${f}`);
    for (const field of ['repository', 'homepage', 'bugs', 'keywords', 'license']) {
      if (pkg[field] === undefined) say(`package.json has no ${field}`);
    }
    const entries = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})].filter(Boolean);
    for (const e of entries)
      if (!files.includes(path.posix.normalize(e))) say(`entry point ${e} is not in the package`);
    for (const f of files) {
      if (f.endsWith('.tsbuildinfo')) say(`ships build state ${f}`);
      if (/(^|\/)eval\//.test(f)) say(`ships the eval tooling ${f}`);
      if (f.endsWith('.map')) {
        const map = JSON.parse(readFileSync(path.join(pkgDir, f), 'utf8'));
        for (const s of map.sources ?? []) {
          const source = path.posix.normalize(path.posix.join(path.posix.dirname(f), map.sourceRoot ?? '', s));
          if (!files.includes(source)) say(`${f} points at ${source}, which is not in the package`);
        }
      }
    }
    console.log(`${path.basename(tarball)}: ${files.length} files`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
