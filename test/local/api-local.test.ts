import path from 'node:path';
import { evaluatePolicy, isBinaryMediaType, startApiServer } from '../../lib/local/api-local';
import { createLambdaInvoker } from '../../lib/local/lambda-invoker';
import { buildLocalModel } from '../../lib/local/local-model';
import type { RunningServer } from '../../lib/local/sfn-endpoint';
import { fixtureStacks } from './fixture-stacks';
import { authorizerCalls } from './fixtures/handlers/authorizer';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The bodies these tests read: the echo handler's and the error shape. */
interface Body {
  event: Record<string, unknown>;
  env: Record<string, string | undefined>;
  error: { code: string };
}
const json = async (response: Response): Promise<Body> => (await response.json()) as Body;

describe('local API Gateway (fixture template)', () => {
  let server: RunningServer;
  const model = buildLocalModel(fixtureStacks());
  const call = (urlPath: string, init: RequestInit & { token?: string } = {}): Promise<Response> =>
    fetch(`${server.url}${urlPath}`, {
      ...init,
      headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.headers as Record<string, string>) },
    });

  beforeAll(async () => {
    const invoker = createLambdaInvoker({ functions: model.functions, repoRoot: REPO_ROOT });
    server = await startApiServer({ api: model.api, invoker, port: 0 });
  });

  afterAll(() => server.close());

  beforeEach(() => {
    authorizerCalls.length = 0;
  });

  it('answers 401 from the UNAUTHORIZED gateway response without calling the authorizer when the header is missing', async () => {
    const response = await call('/data-jobs/j1');
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await json(response)).toEqual({ error: { code: 'unauthorized', message: 'Unauthorized', details: null } });
    expect(authorizerCalls).toHaveLength(0);
  });

  it('answers 401 when the authorizer throws Unauthorized', async () => {
    const response = await call('/data-jobs/j1', { token: 'nonsense' });
    expect(response.status).toBe(401);
    expect(authorizerCalls).toEqual(['Bearer nonsense']);
  });

  it('answers 403 ACCESS_DENIED for a Deny policy', async () => {
    const response = await call('/data-jobs/j1', { token: 'deny' });
    expect(response.status).toBe(403);
    expect(await json(response)).toEqual({
      error: { code: 'forbidden', message: 'User is not authorized to access this resource with an explicit deny', details: null },
    });
  });

  it('answers 500 when the authorizer crashes or returns a context API Gateway rejects', async () => {
    expect((await call('/data-jobs/j1', { token: 'crash' })).status).toBe(500);
    const nested = await call('/data-jobs/j1', { token: 'nested-context' });
    expect(nested.status).toBe(500);
    expect((await json(nested)).error.code).toBe('internal_error');
  });

  it('calls the handler with a REST API v1 proxy event on Allow', async () => {
    const response = await call('/data-jobs/j%201/cancel/?a=1&b=2&b=3', {
      method: 'POST',
      token: 'allow',
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' },
      body: '{"reason":"test"}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-function')).toBe('EchoFn11111111');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(response.headers.get('x-amzn-requestid')).toBeTruthy();
    const { event, env } = await json(response);
    expect(env.JOBS_TABLE_NAME).toBeUndefined(); // the API server alone does not set the env; local-stack does
    expect(event).toMatchObject({
      resource: '/data-jobs/{job_id}/cancel',
      path: '/data-jobs/j%201/cancel/',
      httpMethod: 'POST',
      headers: expect.objectContaining({ 'Content-Type': 'application/json', 'X-Custom': 'yes', Authorization: 'Bearer allow' }),
      multiValueHeaders: expect.objectContaining({ 'X-Custom': ['yes'] }),
      queryStringParameters: { a: '1', b: '3' },
      multiValueQueryStringParameters: { a: ['1'], b: ['2', '3'] },
      pathParameters: { job_id: 'j 1' },
      body: '{"reason":"test"}',
      isBase64Encoded: false,
      requestContext: {
        stage: 'prod',
        resourcePath: '/data-jobs/{job_id}/cancel',
        httpMethod: 'POST',
        requestId: expect.any(String),
        authorizer: { principalId: 'user-1', org: 'acme', perms: 'jobs:read jobs:write', admin: 'true', level: '3' },
      },
    });
  });

  it('passes the methodArn API Gateway would and applies the policy to it', async () => {
    await call('/data-jobs/j1', { token: 'allow' });
    const scoped = await call('/data-jobs/j1', { token: 'allow-this-route-only' });
    expect(scoped.status).toBe(200);
    expect(authorizerCalls).toEqual(['Bearer allow', 'Bearer allow-this-route-only']);
    expect(evaluatePolicy({ Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:us-east-1:000000000000:RestApi0C43BF4B/prod/GET/data-jobs/*' }] },
      'arn:aws:execute-api:us-east-1:000000000000:RestApi0C43BF4B/prod/GET/data-jobs/j1')).toBe('Allow');
    expect(evaluatePolicy({ Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:us-east-1:000000000000:RestApi0C43BF4B/prod/POST/*' }] },
      'arn:aws:execute-api:us-east-1:000000000000:RestApi0C43BF4B/prod/GET/data-jobs/j1')).toBeUndefined();
  });

  it('base64-encodes bodies of binary media types and decodes base64 responses', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x10]);
    const response = await call('/products/import', { method: 'POST', token: 'allow', headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
    const { event } = await json(response);
    expect(event).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64'), pathParameters: { model_plural: 'products' } });
    const binary = await call('/data-jobs/j1?binary=1', { token: 'allow' });
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(isBinaryMediaType('multipart/form-data; boundary=x', ['multipart/form-data'])).toBe(true);
    expect(isBinaryMediaType('image/png', ['image/*'])).toBe(true);
    expect(isBinaryMediaType('application/json', ['application/octet-stream'])).toBe(false);
  });

  it('routes static segments before parameters and accepts a trailing slash', async () => {
    const stats = await call('/data-jobs/stats/', { token: 'allow' });
    expect(stats.headers.get('x-function')).toBe('StatsFn22222222');
    const root = await call('/', { token: 'allow' });
    expect((await json(root)).event.resource).toBe('/');
  });

  it('answers 404 for unknown routes, 502 for crashing or malformed handlers', async () => {
    const missing = await call('/nope', { token: 'allow' });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"error":{"code":"not_found","message":"Route not found","details":null}}');
    expect(authorizerCalls).toHaveLength(0);
    const crash = await call('/data-jobs/j1?crash=1', { token: 'allow' });
    expect(crash.status).toBe(502);
    expect((await json(crash)).error.code).toBe('internal_error');
    expect((await call('/data-jobs/j1?malformed=1', { token: 'allow' })).status).toBe(502);
  });

  it('answers MOCK integrations (CORS preflight) from the template without authorization', async () => {
    const response = await call('/data-jobs', { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toBe('OPTIONS,GET,POST');
  });
});
