// The findings of `rcukit check --format json` and `eslint --format json` with the plugin, for
// one app folder: the same rule, span and message for each, or a list of what differs.
// Usage: node same-findings.mjs <app folder> <rcukit.json> <eslint.json>
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, rcukitFile, eslintFile] = process.argv.slice(2);
const rcukit = JSON.parse(readFileSync(rcukitFile, 'utf8'));
const eslint = JSON.parse(readFileSync(eslintFile, 'utf8'));
const cli = rcukit.diagnostics.map(
  (d) =>
    `${path.resolve(dir, d.span.file)}:${d.span.startLine}:${d.span.startColumn} @rcukit/${d.ruleId.split('/')[1]} ${d.message}`,
);
const lint = eslint.flatMap((r) =>
  r.messages.map((m) => `${r.filePath}:${m.line}:${m.column} ${m.ruleId} ${m.message}`),
);
const onlyCli = cli.filter((x) => !lint.includes(x));
const onlyLint = lint.filter((x) => !cli.includes(x));
if (onlyCli.length > 0 || onlyLint.length > 0) {
  console.error(`${dir}: rcukit check and eslint disagree`);
  for (const x of onlyCli) console.error(`  only rcukit check: ${x}`);
  for (const x of onlyLint) console.error(`  only eslint: ${x}`);
  process.exit(1);
}
console.log(`${path.basename(dir)}: ${cli.length} finding(s), the same from rcukit check and eslint`);
