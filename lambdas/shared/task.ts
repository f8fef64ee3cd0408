import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { log } from './log';

/**
 * Wraps a state machine task: validates its input with `schema`, logs with the job's ids, and
 * rethrows every error so the state machine's Retry and Catch see it.
 */
export function withTask<TInput, TOutput>(name: string, schema: z.ZodType<TInput>, handler: (input: TInput) => Promise<TOutput>) {
  const base = async (event: unknown, _context: Context): Promise<TOutput> => {
    const input = schema.parse(event);
    const started = Date.now();
    const ids = pickIds(input);
    log('info', `${name} started`, ids);
    const output = await handler(input);
    log('info', `${name} finished`, { ...ids, duration_ms: Date.now() - started });
    return output;
  };
  return middy(base).use({
    onError: async (request) => {
      log('error', `${name} failed`, { ...pickIds(request.event), error: String(request.error), stack: (request.error as Error)?.stack });
      // Leave request.response unset: middy rethrows the error.
    },
  });
}

function pickIds(input: unknown): Record<string, unknown> {
  if (!input || typeof input !== 'object') return {};
  const { org, job_id, chunk, segment } = input as Record<string, unknown>;
  return { organization: org, job_id, chunk, segment };
}
