#!/usr/bin/env bash
# The path a new user takes, from packages to a checked app (CI runs it from .ci/run):
#   1. pack @rcukit/runtime, @rcukit/analyzer and @rcukit/eslint-plugin from a clean checkout
#      (a git clone of HEAD: no build output, so prepack must build) and check the tarballs;
#   2. install them into an app of its own outside the repository (test/user-path/app), with
#      TypeScript, ESLint and typescript-eslint from the registry;
#   3. compile it under strict NodeNext and run its multi-worker program;
#   4. npx rcukit check: exit 0 on the app, exit 1 on a copy with planted bugs;
#   5. npx eslint with the plugin: the same findings as rcukit check on both;
#   6. the same app with TypeScript 7, the native compiler npm installs today (no ESLint, whose
#      typescript-eslint needs TypeScript below 6.1): tsc compiles it against the packed
#      declarations (skipLibCheck off), the program runs, rcukit check gives 0 and 1 again.
# Needs the repository's node_modules (npm ci) for the pack's build, and the npm registry.
# Keeps its work folder when it fails (the path is printed); KEEP=1 keeps it always.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/rcukit-user-path.XXXXXX")"
cleanup() { if [ "$?" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "user-path: work folder kept: $work" >&2; fi; }
trap cleanup EXIT
step() { echo "== user-path: $*"; }
npm_quiet=(--no-audit --no-fund --loglevel=error)
export npm_config_update_notifier=false

step "npx rcukit inside the repository (the workspace bin, linked at npm ci)"
(cd "$root" && npx --no-install rcukit --version)

step "pack from a clean checkout"
git clone -q "$root" "$work/src"
ln -s "$root/node_modules" "$work/src/node_modules"
mkdir "$work/tarballs"
(cd "$work/src" && npm pack -w runtime -w analyzer -w eslint-plugin --pack-destination "$work/tarballs" "${npm_quiet[@]}" >/dev/null)
node "$root/test/user-path/check-tarballs.mjs" "$work/tarballs"/*.tgz

step "install into an app outside the repository"
cp -r "$root/test/user-path/app" "$work/app"
# typescript-eslint supports TypeScript below 6.1, so an app that lints with it installs 6.0.
(cd "$work/app" && npm install "${npm_quiet[@]}" "$work"/tarballs/*.tgz \
  typescript@~6.0.3 @types/node@^20 eslint@^9 typescript-eslint@^8)

step "tsc (strict, NodeNext) and the multi-worker program"
(cd "$work/app" && npx --no-install tsc -p . && node dist/main.js)

step "rcukit check and eslint on the app (clean) and on a copy with planted bugs"
mkdir -p "$work/planted"
cp -r "$work/app/src" "$work/app/tsconfig.json" "$work/app/package.json" "$work/app/eslint.config.js" "$work/planted/"
cp "$root"/test/user-path/planted/*.ts "$work/planted/src/"
ln -s "$work/app/node_modules" "$work/planted/node_modules"
for dir in app planted; do
  want=0
  [ "$dir" = planted ] && want=1
  set +e
  (cd "$work/$dir" && npx --no-install rcukit check --format json --output "$work/$dir.rcukit.json")
  got=$?
  (cd "$work/$dir" && npx --no-install eslint --format json --output-file "$work/$dir.eslint.json" .)
  got_eslint=$?
  set -e
  if [ "$got" -ne "$want" ] || [ "$got_eslint" -ne "$want" ]; then
    echo "user-path: $dir: rcukit check exited $got, eslint $got_eslint; expected $want" >&2
    (cd "$work/$dir" && npx --no-install rcukit check) >&2 || true
    exit 1
  fi
  node "$root/test/user-path/same-findings.mjs" "$work/$dir" "$work/$dir.rcukit.json" "$work/$dir.eslint.json"
done
# The planted copy's second updater calls countSwap() after the unlock; lockdepAssertHeld() in
# countSwap() is the contract that must catch it.
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const hit = r.diagnostics.some((d) => d.ruleId === "rcu/unbalanced-spinlock" && d.span.file.endsWith("swaps.ts") && /countSwap\(\)` must be called holding `registry.lock`/.test(d.message));
if (!hit) { console.error("user-path: planted: no report of countSwap() called without registry.lock (lockdepAssertHeld)"); process.exit(1); }
' "$work/planted.rcukit.json"
step "the same app under TypeScript 7 (tsc, the program, rcukit check on the app and the planted copy)"
mkdir -p "$work/ts7"
cp -r "$root/test/user-path/app/src" "$root/test/user-path/app/tsconfig.json" "$root/test/user-path/app/package.json" "$work/ts7/"
(cd "$work/ts7" && npm install "${npm_quiet[@]}" "$work"/tarballs/rcukit-runtime-*.tgz "$work"/tarballs/rcukit-analyzer-*.tgz \
  typescript@^7 @types/node@^20)
(cd "$work/ts7" && npx --no-install tsc --version && npx --no-install tsc -p . && node dist/main.js)
mkdir -p "$work/ts7-planted"
cp -r "$work/ts7/src" "$work/ts7/tsconfig.json" "$work/ts7/package.json" "$work/ts7-planted/"
cp "$root"/test/user-path/planted/*.ts "$work/ts7-planted/src/"
ln -s "$work/ts7/node_modules" "$work/ts7-planted/node_modules"
(cd "$work/ts7-planted" && npx --no-install tsc -p . --noEmit)
for dir in ts7 ts7-planted; do
  want=0
  [ "$dir" = ts7-planted ] && want=1
  set +e
  (cd "$work/$dir" && npx --no-install rcukit check)
  got=$?
  set -e
  if [ "$got" -ne "$want" ]; then
    echo "user-path: $dir: rcukit check exited $got; expected $want" >&2
    exit 1
  fi
done
step "passed"
