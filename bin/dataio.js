#!/usr/bin/env node
// The `dataio` command: runs the TypeScript CLI through tsx's CommonJS loader (no build step).
require('tsx/cjs');
require('./cli.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`dataio: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
