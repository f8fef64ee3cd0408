/** Base of every error the framework raises on purpose; `code` is stable and machine-readable. */
export class DataioError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DataioError';
  }
}

/** The request is malformed or asks for something impossible (HTTP 400). */
export class ValidationError extends DataioError {
  constructor(message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, 'validation_error', details, options);
    this.name = 'ValidationError';
  }
}

/** The thing asked for does not exist in the caller's organization (HTTP 404). */
export class NotFoundError extends DataioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'not_found', undefined, options);
    this.name = 'NotFoundError';
  }
}

/** The caller is not allowed to do this (HTTP 403). */
export class ForbiddenError extends DataioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'forbidden', undefined, options);
    this.name = 'ForbiddenError';
  }
}

/** The caller is not authenticated (HTTP 401). */
export class UnauthorizedError extends DataioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'unauthorized', undefined, options);
    this.name = 'UnauthorizedError';
  }
}

/** The state of a resource forbids the request (HTTP 409). */
export class ConflictError extends DataioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'conflict', undefined, options);
    this.name = 'ConflictError';
  }
}

/** A DataJob was not in a status that allows the requested change. */
export class JobTransitionError extends DataioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'job_transition', undefined, options);
    this.name = 'JobTransitionError';
  }
}

/** A stored file does not exist. */
export class FileNotFoundError extends DataioError {
  constructor(readonly key: string, options?: { cause?: unknown }) {
    super(`file not found: ${key}`, 'file_not_found', undefined, options);
    this.name = 'FileNotFoundError';
  }
}

/** The input file as a whole cannot be imported (empty, no header, unreadable). */
export class FileFormatError extends DataioError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'file_format', undefined, options);
    this.name = 'FileFormatError';
  }
}

/**
 * An import file is over one of the reading limits (see `ReadLimits`): it cannot be imported as a
 * whole, like any `FileFormatError`, and fails before anything is written. Each limit has its own
 * subclass, so its `code` survives a Step Functions Catch, which carries only the error's name and
 * message.
 */
export class FileLimitError extends FileFormatError {
  override readonly code: string;

  constructor(message: string, code: string, readonly limit: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'FileLimitError';
  }
}

/** The import file has more bytes than an import reads (`file_too_large`). */
export class FileTooLargeError extends FileLimitError {
  constructor(message: string, limit: number, options?: { cause?: unknown }) {
    super(message, 'file_too_large', limit, options);
    this.name = 'FileTooLargeError';
  }
}

/** The import file has more data rows than one import takes (`too_many_rows`). */
export class TooManyRowsError extends FileLimitError {
  constructor(message: string, limit: number, options?: { cause?: unknown }) {
    super(message, 'too_many_rows', limit, options);
    this.name = 'TooManyRowsError';
  }
}

/** A row of the import file has a value beyond the last column read (`too_many_columns`). */
export class TooManyColumnsError extends FileLimitError {
  constructor(message: string, limit: number, options?: { cause?: unknown }) {
    super(message, 'too_many_columns', limit, options);
    this.name = 'TooManyColumnsError';
  }
}

/** A cell of the import file holds more characters than a cell may (`cell_too_long`). */
export class CellTooLongError extends FileLimitError {
  constructor(message: string, limit: number, options?: { cause?: unknown }) {
    super(message, 'cell_too_long', limit, options);
    this.name = 'CellTooLongError';
  }
}

/** An XLSX file inflates to too many bytes or holds too many zip entries: a zip bomb (`xlsx_too_large`). */
export class XlsxTooLargeError extends FileLimitError {
  constructor(message: string, limit: number, options?: { cause?: unknown }) {
    super(message, 'xlsx_too_large', limit, options);
    this.name = 'XlsxTooLargeError';
  }
}
