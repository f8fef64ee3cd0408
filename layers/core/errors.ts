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
