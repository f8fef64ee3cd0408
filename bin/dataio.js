#!/usr/bin/env node
// The `dataio` command: runs the TypeScript CLI through tsx's CommonJS loader (no build step).
// Exit codes are listed in docs/cli.md; 70 here means the CLI itself broke.
require('tsx/cjs');
require('./cli.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`dataio: ${error.message}\n`);
      process.exitCode = 70;
    },
  );
