/**
 * Messages between the local stack and its Lambda worker processes (`lambda-worker.ts`). Events and
 * results cross as JSON text, as they cross the Lambda runtime API.
 */
import { z } from 'zod';

/** One invocation, parent → worker. */
export const requestMessage = z.object({
  id: z.number().int(),
  /** Absolute path of the handler module. */
  modulePath: z.string(),
  /** The event as JSON text. */
  event: z.string(),
  timeoutMs: z.number().positive(),
  /** The static part of the Lambda context (names, ARN, memory, request id, log group and stream). */
  context: z.record(z.string(), z.unknown()),
});

/** One invocation, parent → worker. */
export type WorkerRequest = z.infer<typeof requestMessage>;

/** The outcome of one invocation, worker → parent. */
export interface WorkerReply {
  readonly id: number;
  readonly ok: boolean;
  /** The result as JSON text, when ok. */
  readonly result?: string;
  readonly error?: { readonly name: string; readonly message: string; readonly stack: string };
  readonly usage: InvocationUsage;
}

/** What one invocation cost its worker process. */
export interface InvocationUsage {
  readonly durationMs: number;
  /** The worker's peak RSS since it started, in kB (Lambda's "Max Memory Used"). */
  readonly maxRssKb: number;
  /** Peak `heapUsed` during the invocation, in bytes. */
  readonly peakHeapUsed: number;
  /** Peak `arrayBuffers` (Buffers) during the invocation, in bytes. */
  readonly peakArrayBuffers: number;
}
