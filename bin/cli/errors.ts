/**
 * Exit codes of `dataio`. 64 is sysexits' EX_USAGE; 130 is the shell's code for Ctrl-C.
 * Documented in docs/cli.md: scripts depend on them.
 */
export const EXIT = {
  ok: 0,
  /** The job ended FAILED or CANCELLED. */
  jobFailed: 1,
  /** The job COMPLETED but some rows failed (`--skip-errors` or `--dry-run`). */
  rowErrors: 2,
  /** The API answered an error, could not be reached, or there is no local stack. */
  apiError: 3,
  usage: 64,
  /** A bug in the CLI, or an answer it does not understand (sysexits' EX_SOFTWARE). */
  software: 70,
  interrupted: 130,
} as const;

/** The command line is wrong: unknown option, missing argument, unreadable input file. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** The API answered with an error status; `code` and `message` come from its `error` object. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The API could not be reached at all, or there is no local stack to reach. */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}
