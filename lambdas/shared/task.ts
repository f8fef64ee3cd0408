import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { currentLogKeys, log, withLogScope, type LogKeys } from './log';
import { annotateTrace, tracer } from './observability';

/**
 * Wraps a state machine task: validates its input with `schema`, runs it in a log scope keyed by
 * the job (`job_id`, `organization`, then `model` once the job is read, and `chunk` or `segment`),
 * traces it with X-Ray on AWS, and rethrows every error so the state machine's Retry and Catch
 * see it.
 */
export function withTask<TInput, TOutput>(name: string, schema: z.ZodType<TInput>, handler: (input: TInput) => Promise<TOutput>) {
  const base = async (event: unknown, _context: Context): Promise<TOutput> => {
    annotateTrace(currentLogKeys());
    const input = schema.parse(event);
    const started = Date.now();
    log('debug', `${name} started`);
    const output = await handler(input);
    log('info', `${name} finished`, { duration_ms: Date.now() - started });
    return output;
  };
  const wrapped = middy(base)
    .use(captureLambdaHandler(tracer))
    .use({
      onError: async (request) => {
        log('error', `${name} failed`, { error: request.error });
        // Leave request.response unset: middy rethrows the error.
      },
    });
  return withLogScope(wrapped, taskLogKeys);
}

/** The job a task works on, from its raw input (read before validation, so failures carry it too). */
function taskLogKeys(input: unknown): LogKeys {
  if (!input || typeof input !== 'object') return {};
  const { org, job_id, chunk, segment } = input as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const count = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return { job_id: text(job_id), organization: text(org), chunk: count(chunk), segment: count(segment) };
}
