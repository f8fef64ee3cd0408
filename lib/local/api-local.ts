/**
 * A local API Gateway (REST API, v1 proxy integration): routes by the template's resources, runs
 * the TOKEN authorizer the way API Gateway does (with its result cache), calls the same handlers
 * with the same event shape, and renders gateway responses from the template.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { LambdaInvoker } from './lambda-invoker';
import type { LocalApi, LocalAuthorizer, LocalRoute } from './local-model';
import { RouteTable } from './api-routes';
import { listen, RunningServer } from './sfn-endpoint';
import { LOCAL_ACCOUNT, LOCAL_PARTITION, LOCAL_REGION } from './template-resolver';

/** API Gateway's request payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface ApiServerOptions {
  readonly api: LocalApi;
  readonly invoker: LambdaInvoker;
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** API Gateway's integration timeout; 0 disables it. @default 29000 */
  readonly integrationTimeoutMs?: number;
  readonly log?: (message: string) => void;
}

/** The proxy response a handler returns (REST API v1 format). */
interface ProxyResult {
  statusCode: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, Array<string | number | boolean>>;
  body?: string;
  isBase64Encoded?: boolean;
}

interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

interface AuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: { Statement: PolicyStatement[] | PolicyStatement };
  readonly context?: Record<string, unknown>;
}

interface PolicyStatement {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
}

type Decision =
  | { kind: 'allow'; authorizer: Record<string, string> }
  | { kind: 'gateway'; type: GatewayResponseType; message: string };

type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'REQUEST_TOO_LARGE'
  | 'INTEGRATION_TIMEOUT';

const DEFAULT_STATUS: Record<GatewayResponseType, number> = {
  UNAUTHORIZED: 401,
  ACCESS_DENIED: 403,
  AUTHORIZER_FAILURE: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  REQUEST_TOO_LARGE: 413,
  INTEGRATION_TIMEOUT: 504,
};

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * A missing route answers 404 with the project's error body. API Gateway itself answers 403
 * `MissingAuthenticationToken` there, which misleads more than it helps when developing locally.
 */
export const ROUTE_NOT_FOUND_BODY = '{"error":{"code":"not_found","message":"Route not found","details":null}}';
export const INTERNAL_ERROR_BODY = '{"error":{"code":"internal_error","message":"Internal server error","details":null}}';

/** Builds the request handler; separate from listening so tests can drive it directly. */
export function createApiHandler(options: Omit<ApiServerOptions, 'port' | 'host'>): (req: http.IncomingMessage) => Promise<HttpResponse> {
  const { api, invoker } = options;
  const log = options.log ?? (() => undefined);
  const routes = new RouteTable(api.routes);
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 29_000;
  const authorizerCache = new Map<string, { result: AuthorizerResult; expires: number }>();

  const gatewayResponse = (type: GatewayResponseType, message: string, requestId: string): HttpResponse => {
    const family = DEFAULT_STATUS[type] >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const specific = api.gatewayResponses[type];
    const fallback = api.gatewayResponses[family];
    const template = specific?.templates['application/json'] ?? fallback?.templates['application/json'] ?? '{"message":$context.error.messageString}';
    const body = template
      .replace(/\$context\.error\.messageString/g, JSON.stringify(message))
      .replace(/\$context\.error\.message/g, message)
      .replace(/\$context\.error\.responseType/g, type)
      .replace(/\$context\.requestId/g, requestId);
    return {
      statusCode: specific?.statusCode ?? DEFAULT_STATUS[type],
      headers: { ...JSON_HEADERS, ...fallback?.headers, ...specific?.headers, 'x-amzn-errortype': errorTypeHeader(type) },
      body: Buffer.from(body),
    };
  };

  const authorize = async (authorizer: LocalAuthorizer, token: string | undefined, methodArn: string): Promise<Decision> => {
    if (!token) return { kind: 'gateway', type: 'UNAUTHORIZED', message: 'Unauthorized' };
    if (authorizer.identityValidationExpression && !new RegExp(authorizer.identityValidationExpression).test(token)) {
      return { kind: 'gateway', type: 'UNAUTHORIZED', message: 'Unauthorized' };
    }
    const cached = authorizerCache.get(token);
    let result: AuthorizerResult;
    if (cached && cached.expires > Date.now()) {
      result = cached.result;
    } else {
      try {
        result = (await invoker.invoke(authorizer.functionLogicalId, { type: 'TOKEN', authorizationToken: token, methodArn })) as AuthorizerResult;
      } catch (error) {
        const message = (error as { errorMessage?: string }).errorMessage;
        if (message === 'Unauthorized') return { kind: 'gateway', type: 'UNAUTHORIZED', message: 'Unauthorized' };
        log(`api: authorizer failed: ${error instanceof Error ? error.message : String(error)}`);
        return { kind: 'gateway', type: 'AUTHORIZER_FAILURE', message: 'Internal server error' };
      }
      if (!isAuthorizerResult(result)) {
        log(`api: authorizer returned an invalid policy: ${JSON.stringify(result)}`);
        return { kind: 'gateway', type: 'AUTHORIZER_CONFIGURATION_ERROR', message: 'Internal server error' };
      }
      // API Gateway caches the whole policy per token: a policy scoped to one methodArn then denies other routes.
      if (authorizer.resultTtlSeconds > 0) authorizerCache.set(token, { result, expires: Date.now() + authorizer.resultTtlSeconds * 1000 });
    }
    const effect = evaluatePolicy(result.policyDocument, methodArn);
    if (effect === 'Deny') return { kind: 'gateway', type: 'ACCESS_DENIED', message: 'User is not authorized to access this resource with an explicit deny' };
    if (effect !== 'Allow') return { kind: 'gateway', type: 'ACCESS_DENIED', message: 'User is not authorized to access this resource' };
    const context: Record<string, string> = { principalId: String(result.principalId) };
    for (const [key, value] of Object.entries(result.context ?? {})) {
      if (value !== null && typeof value === 'object') {
        log(`api: authorizer context value ${key} must be a string, number or boolean`);
        return { kind: 'gateway', type: 'AUTHORIZER_CONFIGURATION_ERROR', message: 'Internal server error' };
      }
      // REST APIs hand the context to the integration as strings.
      if (value !== undefined && value !== null) context[key] = String(value);
    }
    return { kind: 'allow', authorizer: context };
  };

  const callIntegration = async (route: LocalRoute, event: Record<string, unknown>, requestId: string): Promise<HttpResponse> => {
    if (route.mock) {
      return { statusCode: route.mock.statusCode, headers: { ...JSON_HEADERS, ...route.mock.headers }, body: Buffer.from(route.mock.body) };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const invocation = invoker.invoke(String(route.functionLogicalId), event);
      const result = integrationTimeoutMs > 0
        ? await Promise.race([
          invocation,
          new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), integrationTimeoutMs);
          }),
        ])
        : await invocation;
      if (result === 'timeout') {
        invocation.catch(() => undefined);
        return gatewayResponse('INTEGRATION_TIMEOUT', 'Endpoint request timed out', requestId);
      }
      if (!isProxyResult(result)) {
        log(`api: ${route.functionLogicalId} returned a malformed proxy response: ${JSON.stringify(result).slice(0, 300)}`);
        return { statusCode: 502, headers: { ...JSON_HEADERS }, body: Buffer.from(INTERNAL_ERROR_BODY) };
      }
      return toHttpResponse(result);
    } catch (error) {
      log(`api: ${route.functionLogicalId} crashed: ${error instanceof Error ? error.message : String(error)}`);
      return { statusCode: 502, headers: { ...JSON_HEADERS }, body: Buffer.from(INTERNAL_ERROR_BODY) };
    } finally {
      clearTimeout(timer);
    }
  };

  const handle = async (req: http.IncomingMessage, requestId: string): Promise<HttpResponse> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    if (body === 'too-large') return gatewayResponse('REQUEST_TOO_LARGE', 'Request Too Long', requestId);
    const match = routes.match(method, url.pathname);
    if (!match) return { statusCode: 404, headers: { ...JSON_HEADERS }, body: Buffer.from(ROUTE_NOT_FOUND_BODY) };
    const { route } = match;
    const { headers, multiValueHeaders } = requestHeaders(req);
    const methodArn = `arn:${LOCAL_PARTITION}:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${api.restApiId}/${api.stageName}/${method}${url.pathname}`;
    let authorizerContext: Record<string, string> | undefined;
    if (route.authorizationType === 'CUSTOM' && route.authorizer) {
      const token = headerValue(headers, route.authorizer.identityHeader);
      const decision = await authorize(route.authorizer, token, methodArn);
      if (decision.kind === 'gateway') return gatewayResponse(decision.type, decision.message, requestId);
      authorizerContext = decision.authorizer;
    }
    const contentType = headerValue(headers, 'content-type') ?? '';
    const binary = body.length > 0 && isBinaryMediaType(contentType, api.binaryMediaTypes);
    const query = queryParameters(url);
    const event = {
      resource: route.pathTemplate,
      path: url.pathname,
      httpMethod: method,
      headers: Object.keys(headers).length ? headers : null,
      multiValueHeaders: Object.keys(multiValueHeaders).length ? multiValueHeaders : null,
      queryStringParameters: query.single,
      multiValueQueryStringParameters: query.multi,
      pathParameters: match.pathParameters,
      stageVariables: null,
      requestContext: {
        accountId: LOCAL_ACCOUNT,
        apiId: api.restApiId,
        domainName: headerValue(headers, 'host') ?? 'localhost',
        extendedRequestId: requestId,
        httpMethod: method,
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headerValue(headers, 'user-agent') ?? null },
        path: `/${api.stageName}${url.pathname}`,
        protocol: `HTTP/${req.httpVersion}`,
        requestId,
        requestTime: new Date().toISOString(),
        requestTimeEpoch: Date.now(),
        resourceId: route.pathTemplate,
        resourcePath: route.pathTemplate,
        stage: api.stageName,
        ...(authorizerContext ? { authorizer: authorizerContext } : {}),
      },
      body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
      isBase64Encoded: binary,
    };
    return callIntegration(route, event, requestId);
  };

  return async (req) => {
    const requestId = randomUUID();
    const response = await handle(req, requestId);
    return { ...response, headers: { ...response.headers, 'x-amzn-requestid': requestId } };
  };
}

/** Starts the local API on `host:port` (port 0 picks a free one). */
export async function startApiServer(options: ApiServerOptions): Promise<RunningServer> {
  const handle = createApiHandler(options);
  const log = options.log ?? (() => undefined);
  const server = http.createServer((req, res) => {
    const started = Date.now();
    handle(req)
      .then((response) => {
        res.writeHead(response.statusCode, response.headers);
        res.end(req.method === 'HEAD' ? undefined : response.body);
        log(`api: ${req.method} ${req.url} ${response.statusCode} ${Date.now() - started}ms`);
      })
      .catch((error: unknown) => {
        log(`api: ${req.method} ${req.url} failed: ${error instanceof Error ? error.stack : String(error)}`);
        if (!res.headersSent) res.writeHead(500, JSON_HEADERS);
        res.end(INTERNAL_ERROR_BODY);
      });
  });
  return listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
}

/** IAM-style evaluation of an authorizer policy for one methodArn: an explicit Deny wins over Allow. */
export function evaluatePolicy(policy: AuthorizerResult['policyDocument'], methodArn: string): 'Allow' | 'Deny' | undefined {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  let allowed = false;
  for (const statement of statements) {
    const actions = ([] as string[]).concat(statement.Action ?? []);
    const resources = ([] as string[]).concat(statement.Resource ?? []);
    const actionMatches = actions.some((a) => wildcardMatch(a, 'execute-api:Invoke'));
    const resourceMatches = resources.some((r) => wildcardMatch(r, methodArn));
    if (!actionMatches || !resourceMatches) continue;
    if (statement.Effect === 'Deny') return 'Deny';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'Allow' : undefined;
}

function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((p) => p.split('?').map(escapeRegExp).join('.')).join('.*')}$`, 'i');
  return regex.test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isAuthorizerResult(value: unknown): value is AuthorizerResult {
  const v = value as AuthorizerResult | null;
  return !!v && typeof v === 'object' && v.principalId !== undefined && !!v.policyDocument && !!v.policyDocument.Statement;
}

function isProxyResult(value: unknown): value is ProxyResult {
  const v = value as ProxyResult | null;
  return !!v && typeof v === 'object' && Number.isInteger(v.statusCode) && (v.body === undefined || v.body === null || typeof v.body === 'string');
}

function toHttpResponse(result: ProxyResult): HttpResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    const key = name.toLowerCase();
    const existing = headers[key];
    headers[key] = [...(existing === undefined ? [] : ([] as string[]).concat(existing)), ...values.map(String)];
  }
  if (!headers['content-type']) headers['content-type'] = 'application/json';
  const body = result.body ?? '';
  return { statusCode: result.statusCode, headers, body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8') };
}

function requestHeaders(req: http.IncomingMessage): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  // API Gateway passes header names as the client sent them; rawHeaders keeps their case.
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const forwarded: Record<string, string> = {
    'X-Forwarded-For': req.socket.remoteAddress ?? '127.0.0.1',
    'X-Forwarded-Port': String(req.socket.localPort ?? ''),
    'X-Forwarded-Proto': 'http',
  };
  for (const [name, value] of Object.entries(forwarded)) {
    if (headerValue(headers, name) === undefined) {
      headers[name] = value;
      multiValueHeaders[name] = [value];
    }
  }
  return { headers, multiValueHeaders };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function queryParameters(url: URL): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  return Object.keys(single).length ? { single, multi } : { single: null, multi: null };
}

/** Matches a Content-Type against BinaryMediaTypes (`*` wildcards allowed, parameters ignored). */
export function isBinaryMediaType(contentType: string, binaryMediaTypes: readonly string[]): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (!type) return false;
  return binaryMediaTypes.some((pattern) => wildcardMatch(pattern.toLowerCase(), type));
}

function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function errorTypeHeader(type: GatewayResponseType): string {
  switch (type) {
    case 'UNAUTHORIZED':
      return 'UnauthorizedException';
    case 'ACCESS_DENIED':
      return 'AccessDeniedException';
    case 'REQUEST_TOO_LARGE':
      return 'RequestTooLargeException';
    case 'INTEGRATION_TIMEOUT':
      return 'IntegrationTimeoutException';
    default:
      return 'AuthorizerFailureException';
  }
}
