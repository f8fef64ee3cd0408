import { ZodError } from 'zod';
import {
  ConflictError,
  DataioError,
  FileFormatError,
  ForbiddenError,
  JobTransitionError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../layers/core/errors';

/** The JSON error body every endpoint returns. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details: unknown };
}

/** Domain error → HTTP status: the one place this mapping lives. */
const STATUS_BY_ERROR: ReadonlyArray<readonly [new (...args: never[]) => Error, number]> = [
  [ValidationError, 400],
  [FileFormatError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [JobTransitionError, 409],
];

/** Maps any thrown value to a status and a body that is safe to show a client. */
export function errorToHttp(error: unknown): { statusCode: number; body: ErrorBody } {
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const path = issue?.path.join('.') ?? '';
    return {
      statusCode: 400,
      body: { error: { code: 'validation_error', message: path ? `${path}: ${issue?.message}` : (issue?.message ?? 'invalid request'), details: { issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } } },
    };
  }
  if (error instanceof DataioError) {
    const match = STATUS_BY_ERROR.find(([type]) => error instanceof type);
    if (match) return { statusCode: match[1], body: { error: { code: error.code, message: error.message, details: error.details ?? null } } };
  }
  return { statusCode: 500, body: { error: { code: 'internal_error', message: 'internal server error', details: null } } };
}
