#!/usr/bin/env node
// `npm start` and `dataio start`: runs the embedded local stack (bin/local-stack-main.ts, through
// tsx's CommonJS loader) in a child process with few malloc arenas.
//
// The stack's process hosts every function at once, and in glibc each thread that allocates
// native memory (libuv's pool for zlib, fs and crypto; V8's GC and compiler threads) gets an arena
// of its own, up to eight per core. Freed Buffers and zlib state stay reserved there, so after an
// import of 100,000 rows the process kept 35-40 MB it no longer used (246 MB, 212 MB with two
// arenas; the export after it 270 -> 231 MB). glibc reads MALLOC_ARENA_MAX only when a process
// starts, hence this launcher. A value already set is kept (`MALLOC_ARENA_MAX=8 npm start`).
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

/** Arenas the local stack's process runs with (glibc's default is eight per core). */
const LOCAL_MALLOC_ARENA_MAX = '2';

/**
 * Starts the stack's process (bin/local-stack-main.ts) and resolves with the exit code to end
 * with. Signals reaching this process are passed on; the IPC channel tells the stack when this
 * process is gone, however it ended, so the stack and its emulators never outlive it.
 */
function launch() {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'local-stack-main.ts')], {
    env: { MALLOC_ARENA_MAX: LOCAL_MALLOC_ARENA_MAX, ...process.env },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`cannot start the local stack: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1)));
  });
}

module.exports = { launch };

if (require.main === module) launch().then((code) => process.exit(code));
