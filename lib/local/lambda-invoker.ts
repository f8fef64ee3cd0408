/**
 * Runs a template function's handler in-process, the way the Lambda runtime would: the event and
 * the result cross a JSON boundary, the context is a faithful stand-in, the timeout is enforced, and
 * a thrown error is reported as `{errorType, errorMessage, trace}`.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { LocalFunction } from './local-model';

/** The subset of the Lambda `Context` the dataio handlers may read. */
export interface LocalLambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(): void;
  fail(): void;
  succeed(): void;
}

type Handler = (event: unknown, context: LocalLambdaContext) => unknown;

/** A function invocation that ended in an error, shaped like Lambda's function error payload. */
export class LambdaFunctionError extends Error {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];

  constructor(functionName: string, errorType: string, errorMessage: string, trace: string[], options?: { cause?: unknown }) {
    super(`${functionName} failed: ${errorType}: ${errorMessage}`, options);
    this.name = 'LambdaFunctionError';
    this.errorType = errorType;
    this.errorMessage = errorMessage;
    this.trace = trace;
  }

  /** The JSON Lambda returns as the function error payload (and Step Functions uses as `Cause`). */
  toPayload(): string {
    return JSON.stringify({ errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace });
  }
}

/** Thrown when a function (or its handler module) is not in the local model. */
export class UnknownFunctionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnknownFunctionError';
  }
}

export interface LambdaInvoker {
  /** Invokes a function by logical id; resolves with its JSON result, rejects with LambdaFunctionError. */
  invoke(functionLogicalId: string, event: unknown): Promise<unknown>;
}

export interface LambdaInvokerOptions {
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** Absolute repo root the handler paths are relative to. */
  readonly repoRoot: string;
  /** Multiplies every function's timeout (local machines are slower than Lambda; 0 disables it). @default 1 */
  readonly timeoutScale?: number;
}

/**
 * Caps how many invocations run at once, like a Lambda account's concurrency limit: the local
 * stack runs every function in one process, so a Distributed Map with MaxConcurrency 200 would
 * otherwise hold 200 chunks in this process's memory at the same time.
 */
export function limitConcurrency(invoker: LambdaInvoker, limit: number): LambdaInvoker {
  let running = 0;
  const waiting: Array<() => void> = [];
  return {
    async invoke(functionLogicalId, event) {
      if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      running += 1;
      try {
        return await invoker.invoke(functionLogicalId, event);
      } finally {
        running -= 1;
        waiting.shift()?.();
      }
    },
  };
}

/** Loads handlers with `require` (the process runs under tsx or ts-jest, so `.ts` files load as-is). */
export function createLambdaInvoker(options: LambdaInvokerOptions): LambdaInvoker {
  const handlers = new Map<string, Handler>();
  const timeoutScale = options.timeoutScale ?? 1;

  const load = (fn: LocalFunction): Handler => {
    let handler = handlers.get(fn.logicalId);
    if (!handler) {
      const modulePath = path.resolve(options.repoRoot, fn.handlerPath);
      let loaded: { handler?: unknown };
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        loaded = require(modulePath) as { handler?: unknown };
      } catch (error) {
        throw new UnknownFunctionError(`cannot load handler ${fn.handlerPath} of ${fn.logicalId}`, { cause: error });
      }
      if (typeof loaded.handler !== 'function') {
        throw new UnknownFunctionError(`${fn.handlerPath} (function ${fn.logicalId}) does not export a handler function`);
      }
      handler = loaded.handler as Handler;
      handlers.set(fn.logicalId, handler);
    }
    return handler;
  };

  return {
    async invoke(functionLogicalId, event) {
      const fn = options.functions.get(functionLogicalId);
      if (!fn) throw new UnknownFunctionError(`function ${functionLogicalId} is not in the local model`);
      const handler = load(fn);
      const timeoutMs = fn.timeoutSeconds * 1000 * timeoutScale;
      const deadline = Date.now() + (timeoutMs > 0 ? timeoutMs : 15 * 60 * 1000);
      const requestId = randomUUID();
      const context: LocalLambdaContext = {
        functionName: fn.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: fn.arn,
        memoryLimitInMB: String(fn.memorySize),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${fn.name}`,
        logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
      };
      let timer: NodeJS.Timeout | undefined;
      try {
        const run = Promise.resolve().then(() => handler(jsonRoundTrip(event), context));
        const result = timeoutMs > 0
          ? await Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new FunctionTimeoutError(fn.timeoutSeconds * timeoutScale)), timeoutMs);
            }),
          ])
          : await run;
        return jsonRoundTrip(result);
      } catch (error) {
        throw toFunctionError(fn.name, error);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

class FunctionTimeoutError extends Error {
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    // The error type Lambda reports for a timed-out invocation.
    this.name = 'Sandbox.Timedout';
  }
}

function toFunctionError(functionName: string, error: unknown): LambdaFunctionError {
  if (error instanceof Error) {
    const trace = (error.stack ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
    return new LambdaFunctionError(functionName, error.name || 'Error', error.message, trace, { cause: error });
  }
  return new LambdaFunctionError(functionName, typeof error, String(error), [], { cause: error });
}

/** Lambda serializes events and results as JSON: undefined becomes null, Dates become strings. */
function jsonRoundTrip(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as unknown;
}
