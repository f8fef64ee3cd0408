import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { UnauthorizedError, ValidationError } from '../../layers/core/errors';
import { errorToHttp } from './errors-to-http';
import type { Principal } from './jwt';
import { currentLogKeys, log, withLogScope, type LogKeys } from './log';
import { annotateTrace, tracer } from './observability';

/** What an HTTP handler receives once the wrapper has done the edge work. */
export interface HttpRequest<TBody> {
  readonly event: APIGatewayProxyEvent;
  readonly principal: Principal;
  readonly body: TBody;
  readonly path: Record<string, string>;
  readonly query: Record<string, string>;
}

/** What an HTTP handler returns; the wrapper serializes it. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly body: unknown;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/**
 * Wraps an endpoint: reads the caller from the authorizer context, validates a JSON body with
 * `schema` (when given), and turns the result or any error into a JSON response. Every log line
 * of the request carries `organization` and, when the path names them, `job_id` and `model`;
 * the request is traced with X-Ray on AWS.
 */
export function withHttp<TBody = undefined>(
  handler: (request: HttpRequest<TBody>) => Promise<HttpResponse>,
  schema?: z.ZodType<TBody>,
) {
  const base = async (event: APIGatewayProxyEvent, _context: Context): Promise<APIGatewayProxyResult> => {
    annotateTrace(currentLogKeys());
    const principal = principalOf(event);
    const body = schema ? schema.parse(parseJsonBody(event)) : (undefined as TBody);
    const result = await handler({
      event,
      principal,
      body,
      path: definedOnly(event.pathParameters),
      query: definedOnly(event.queryStringParameters),
    });
    return { statusCode: result.statusCode, headers: JSON_HEADERS, body: JSON.stringify(result.body) };
  };
  const wrapped = middy(base)
    // Responses (job lists, previews) can be large: keep them out of the trace.
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use({
      onError: async (request) => {
        const { statusCode, body } = errorToHttp(request.error);
        const logged = { path: request.event?.path, method: request.event?.httpMethod, status: statusCode };
        if (statusCode >= 500) log('error', 'request failed', { ...logged, error: request.error });
        else log('info', 'request rejected', { ...logged, error: String(request.error) });
        request.response = { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body) };
      },
    });
  return withLogScope(wrapped, requestLogKeys);
}

/** What the request names before the handler runs: the caller's organization, a job, a model. */
function requestLogKeys(event: APIGatewayProxyEvent): LogKeys {
  const org = (event?.requestContext?.authorizer as Record<string, unknown> | null | undefined)?.org;
  return {
    organization: typeof org === 'string' ? org : undefined,
    job_id: event?.pathParameters?.job_id,
    model: event?.pathParameters?.model_plural,
  };
}

/** The caller as the authorizer proved it; the API never runs a handler without one. */
export function principalOf(event: APIGatewayProxyEvent): Principal {
  const context = event.requestContext?.authorizer ?? {};
  const { user, org, perms } = context as Record<string, unknown>;
  if (typeof user !== 'string' || typeof org !== 'string' || typeof perms !== 'string') {
    throw new UnauthorizedError('no authenticated caller');
  }
  return { user, org, perms: perms.split(/\s+/).filter(Boolean) };
}

/** The raw body as a Buffer, decoding API Gateway's base64 for binary media types. */
export function rawBody(event: APIGatewayProxyEvent): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** A header value, case-insensitively. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const found = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return found?.[1] ?? undefined;
}

/** The body parsed as JSON (`{}` when empty), for handlers that accept JSON next to other types. */
export function parseJsonBody(event: APIGatewayProxyEvent): unknown {
  const text = rawBody(event).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError('the request body is not valid JSON', undefined, { cause: error });
  }
}

function definedOnly(values: Record<string, string | undefined> | null): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
