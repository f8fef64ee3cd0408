import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** Level of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Keys added to every line of one invocation (`job_id`, `organization`, `model`, ...). */
export type LogKeys = Record<string, string | number | boolean | undefined>;

/**
 * The Powertools logger every handler writes through: one JSON object per line with `level`,
 * `message`, `timestamp`, `service` (POWERTOOLS_SERVICE_NAME) and, on AWS, `xray_trace_id`.
 * POWERTOOLS_LOG_LEVEL sets the level (INFO by default).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dataio' });

interface LogScope {
  readonly keys: Record<string, string | number | boolean>;
}

/**
 * The keys of the invocation being served. Per invocation, not per logger: the local stack runs
 * many handlers at once in one process, where keys appended to a shared logger would end up on
 * another job's lines. Each invocation gets a fresh scope, so nothing carries over to the next.
 */
const scopes = new AsyncLocalStorage<LogScope>();

/** One structured log line, carrying the current invocation's keys. `DATAIO_LOG=silent` mutes it. */
export function log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  if (process.env.DATAIO_LOG === 'silent') return;
  logger[level](message, { ...scopes.getStore()?.keys, ...fields });
}

/** Adds keys to every later line of the current invocation (no-op outside one). */
export function appendLogKeys(keys: LogKeys): void {
  const scope = scopes.getStore();
  if (scope) Object.assign(scope.keys, definedKeys(keys));
}

/** The keys of the current invocation. */
export function currentLogKeys(): Readonly<Record<string, string | number | boolean>> {
  return scopes.getStore()?.keys ?? {};
}

/**
 * Runs each invocation of `handler` in its own log scope, starting with the Lambda context
 * (`function_name`, `function_request_id`, `cold_start`, named as Powertools names them) and the
 * keys `keysOf` finds in the event.
 */
export function withLogScope<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
  keysOf: (event: TEvent) => LogKeys,
): (event: TEvent, context: Context) => Promise<TResult> {
  let coldStart = true;
  return (event, context) => {
    const keys = definedKeys({
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      cold_start: coldStart,
      ...safeKeys(keysOf, event),
    });
    coldStart = false;
    return scopes.run({ keys }, () => handler(event, context));
  };
}

function safeKeys<TEvent>(keysOf: (event: TEvent) => LogKeys, event: TEvent): LogKeys {
  try {
    return keysOf(event);
  } catch {
    // A malformed event is the handler's to reject; logging must not fail first.
    return {};
  }
}

function definedKeys(keys: LogKeys): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined && entry[1] !== ''));
}
