/**
 * Runs a template function's handler in-process, the way the Lambda runtime would: the event and
 * the result cross a JSON boundary, the context is a faithful stand-in, the timeout is enforced, and
 * a thrown error is reported as `{errorType, errorMessage, trace}`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { InvocationUsage, WorkerReply, WorkerRequest } from './lambda-worker-protocol';
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
  /** Ends what the invoker keeps running (worker processes). */
  close?(): Promise<void>;
}

/**
 * Where handlers run:
 * - `in-process`: in the local stack's own process (fast to start; tests can mock adapters);
 * - `process`: in worker processes, one invocation at a time each and reused while warm, like
 *   Lambda execution environments. Each has its own heap, capped at the function's memory size,
 *   so a function's memory is measured apart from the emulators' (`onReport`).
 */
export type LambdaIsolation = 'in-process' | 'process';

/** One invocation's cost, for `onReport` (process isolation only). */
export interface InvocationReport extends InvocationUsage {
  readonly functionLogicalId: string;
  /** The handler module, e.g. `lambdas/workflow/import-commit-chunk.ts`. */
  readonly handlerPath: string;
  /** The function's configured memory, in MB. */
  readonly memorySize: number;
  readonly ok: boolean;
  /** Whether this invocation started a new worker process (a cold start). */
  readonly coldStart: boolean;
}

export interface LambdaInvokerOptions {
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** Absolute repo root the handler paths are relative to. */
  readonly repoRoot: string;
  /** Multiplies every function's timeout (local machines are slower than Lambda; 0 disables it). @default 1 */
  readonly timeoutScale?: number;
  /** @default 'in-process' */
  readonly isolation?: LambdaIsolation;
  /** Called after each invocation in a worker process with what it cost. */
  readonly onReport?: (report: InvocationReport) => void;
  /** Idle worker processes are ended after this long, as Lambda reclaims idle environments. @default 60000 */
  readonly workerIdleMs?: number;
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
  if (options.isolation === 'process') return createWorkerInvoker(options);
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
      const context: LocalLambdaContext = {
        ...staticContext(fn),
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

/** The parts of a Lambda context that are plain data (they cross to a worker process as JSON). */
function staticContext(fn: LocalFunction) {
  const requestId = randomUUID();
  return {
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
  };
}

const WORKER_MODULE = path.join(__dirname, 'lambda-worker.ts');

/** A worker process with the invocation it is running, if any. */
interface Worker {
  readonly child: ChildProcess;
  readonly logicalId: string;
  readonly ready: Promise<void>;
  running?: { readonly id: number; settle(reply: WorkerReply | Error): void };
  idleTimer?: NodeJS.Timeout;
  exited: boolean;
}

/**
 * Runs each invocation in a worker process (`lambda-worker.ts`): a warm one of the function when
 * one is idle, else a new one (a cold start). A worker runs one invocation at a time; a timeout
 * or a crash ends it, as Lambda ends the environment.
 */
function createWorkerInvoker(options: LambdaInvokerOptions): LambdaInvoker {
  const timeoutScale = options.timeoutScale ?? 1;
  const idleMs = options.workerIdleMs ?? 60_000;
  const idle = new Map<string, Worker[]>();
  const all = new Set<Worker>();
  let nextId = 0;

  const end = (worker: Worker): void => {
    clearTimeout(worker.idleTimer);
    all.delete(worker);
    const list = idle.get(worker.logicalId);
    if (list?.includes(worker)) list.splice(list.indexOf(worker), 1);
    if (!worker.exited) worker.child.kill('SIGKILL');
  };

  const spawnWorker = (fn: LocalFunction): Worker => {
    const child = fork(WORKER_MODULE, [], {
      cwd: options.repoRoot,
      // tsx loads the .ts handlers; the heap may not outgrow the function's memory.
      execArgv: ['--import', 'tsx', `--max-old-space-size=${fn.memorySize}`],
      env: process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let markReady: () => void = () => undefined;
    const worker: Worker = { child, logicalId: fn.logicalId, ready: new Promise<void>((resolve) => (markReady = resolve)), exited: false };
    child.on('message', (message: unknown) => {
      if ((message as { ready?: boolean }).ready) return markReady();
      const reply = message as WorkerReply;
      if (worker.running?.id === reply.id) worker.running.settle(reply);
    });
    child.once('exit', (code, signal) => {
      worker.exited = true;
      markReady();
      end(worker);
      worker.running?.settle(new Error(`Runtime exited with ${signal ? `signal ${signal}` : `exit code ${code}`}`));
    });
    all.add(worker);
    return worker;
  };

  const acquire = (fn: LocalFunction): { worker: Worker; coldStart: boolean } => {
    const warm = idle.get(fn.logicalId)?.pop();
    if (warm) {
      clearTimeout(warm.idleTimer);
      return { worker: warm, coldStart: false };
    }
    return { worker: spawnWorker(fn), coldStart: true };
  };

  const release = (worker: Worker): void => {
    if (worker.exited) return;
    const list = idle.get(worker.logicalId) ?? [];
    idle.set(worker.logicalId, list);
    list.push(worker);
    worker.idleTimer = setTimeout(() => end(worker), idleMs);
    worker.idleTimer.unref();
  };

  return {
    async invoke(functionLogicalId, event) {
      const fn = options.functions.get(functionLogicalId);
      if (!fn) throw new UnknownFunctionError(`function ${functionLogicalId} is not in the local model`);
      const timeoutMs = fn.timeoutSeconds * 1000 * timeoutScale;
      const { worker, coldStart } = acquire(fn);
      await worker.ready;
      const request: WorkerRequest = {
        id: (nextId += 1),
        modulePath: path.resolve(options.repoRoot, fn.handlerPath),
        event: JSON.stringify(event ?? null),
        timeoutMs: timeoutMs > 0 ? timeoutMs : 15 * 60 * 1000,
        context: staticContext(fn),
      };
      const reply = await new Promise<WorkerReply | Error>((resolve) => {
        const timer = timeoutMs > 0
          ? setTimeout(() => {
            // Lambda ends an environment whose invocation timed out; so does this.
            worker.running = undefined;
            end(worker);
            resolve(new FunctionTimeoutError(fn.timeoutSeconds * timeoutScale));
          }, timeoutMs)
          : undefined;
        worker.running = {
          id: request.id,
          settle: (outcome) => {
            clearTimeout(timer);
            worker.running = undefined;
            resolve(outcome);
          },
        };
        if (worker.exited) worker.running.settle(new Error('Runtime exited before the invocation'));
        else worker.child.send(request);
      });
      if (reply instanceof FunctionTimeoutError) throw toFunctionError(fn.name, reply);
      if (reply instanceof Error) {
        throw new LambdaFunctionError(fn.name, 'Runtime.ExitError', reply.message, [], { cause: reply });
      }
      release(worker);
      options.onReport?.({ functionLogicalId, handlerPath: fn.handlerPath, memorySize: fn.memorySize, ok: reply.ok, coldStart, ...reply.usage });
      if (!reply.ok) {
        const error = reply.error ?? { name: 'Error', message: 'unknown error', stack: '' };
        const trace = error.stack.split('\n').map((l) => l.trim()).filter(Boolean);
        throw new LambdaFunctionError(fn.name, error.name, error.message, trace);
      }
      return JSON.parse(reply.result ?? 'null') as unknown;
    },
    async close() {
      const exits = [...all].map((worker) => (worker.exited ? Promise.resolve() : new Promise((resolve) => worker.child.once('exit', resolve))));
      for (const worker of [...all]) end(worker);
      await Promise.all(exits);
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
