/**
 * One local "Lambda container": a child process (`lambda-invoker.ts`, isolation `process`) that
 * loads one function's handler and runs its invocations one at a time, as a warm Lambda
 * execution environment does. Its own V8 heap and RSS are what the function itself needs, apart
 * from the emulators of the local stack's main process; each reply says how much it used.
 */
import './promise-with-resolvers';
import { requestMessage, type WorkerReply } from './lambda-worker-protocol';

type Handler = (event: unknown, context: unknown) => unknown;

const handlers = new Map<string, Handler>();

function load(modulePath: string): Handler {
  let handler = handlers.get(modulePath);
  if (!handler) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(modulePath) as { handler?: unknown };
    if (typeof loaded.handler !== 'function') throw new Error(`${modulePath} does not export a handler function`);
    handler = loaded.handler as Handler;
    handlers.set(modulePath, handler);
  }
  return handler;
}

/** Peaks of the heap and of Buffers during one invocation, sampled every 50 ms. */
function samplePeaks(): { stop: () => { heapUsed: number; arrayBuffers: number } } {
  const peak = { heapUsed: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

process.on('message', (message: unknown) => {
  const request = requestMessage.parse(message);
  const deadline = Date.now() + request.timeoutMs;
  const context = {
    ...request.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  const started = Date.now();
  const peaks = samplePeaks();
  const reply = (outcome: Pick<WorkerReply, 'ok' | 'result' | 'error'>) => {
    const peak = peaks.stop();
    const usage: WorkerReply['usage'] = {
      durationMs: Date.now() - started,
      // Kilobytes on Linux: the container's peak since it started, like Lambda's "Max Memory Used".
      maxRssKb: process.resourceUsage().maxRSS,
      peakHeapUsed: peak.heapUsed,
      peakArrayBuffers: peak.arrayBuffers,
    };
    process.send?.({ id: request.id, ...outcome, usage } satisfies WorkerReply);
  };
  Promise.resolve()
    .then(() => load(request.modulePath)(JSON.parse(request.event), context))
    .then(
      (result) => reply({ ok: true, result: JSON.stringify(result ?? null) }),
      (error: unknown) => {
        const err = error instanceof Error ? error : new Error(String(error));
        reply({ ok: false, error: { name: err.name || 'Error', message: err.message, stack: err.stack ?? '' } });
      },
    );
});

process.send?.({ ready: true });
