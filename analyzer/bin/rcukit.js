#!/usr/bin/env node
// The `rcukit` executable. npm links a package's bins when it installs it, and inside the
// repository that happens before anything is built, so the bin is this committed file rather
// than the compiled one it loads: `npx rcukit` works as soon as `npm run build` has run.
import '../dist/cli/main.js';
