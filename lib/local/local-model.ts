/**
 * The local model: what the embedded stack must emulate, read from the synthesized templates
 * (tables, buckets, functions with their resolved env, state machines, the REST API routes).
 */
import {
  CfnResource,
  functionNameFromArn,
  StackTemplate,
  TemplateResolutionError,
  TemplateResolver,
} from './template-resolver';

/** The CloudFormation Metadata key every dataio function carries: the repo-relative handler file. */
export const HANDLER_METADATA_KEY = 'dataio:handler';

export interface KeySchemaElement {
  readonly AttributeName: string;
  readonly KeyType: 'HASH' | 'RANGE';
}

export interface AttributeDefinition {
  readonly AttributeName: string;
  readonly AttributeType: 'S' | 'N' | 'B';
}

export interface LocalIndex {
  readonly IndexName: string;
  readonly KeySchema: KeySchemaElement[];
  readonly Projection: { ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
}

export interface LocalTable {
  readonly logicalId: string;
  readonly name: string;
  readonly keySchema: KeySchemaElement[];
  readonly attributeDefinitions: AttributeDefinition[];
  readonly gsis: LocalIndex[];
  readonly lsis: LocalIndex[];
  /** The TTL attribute when TimeToLiveSpecification is enabled. */
  readonly ttlAttribute?: string;
}

export interface LocalFunction {
  readonly logicalId: string;
  readonly stackName: string;
  /** The function name its ARN carries (FunctionName, or the logical id). */
  readonly name: string;
  readonly arn: string;
  /** Repo-relative path of the handler module (exports `handler`). */
  readonly handlerPath: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
}

export interface LocalStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The parsed, fully resolved `DefinitionString`. */
  readonly definition: StateMachineJson;
}

/** An Amazon States Language document (kept loose: the runner validates it). */
export interface StateMachineJson {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface LocalAuthorizer {
  readonly logicalId: string;
  readonly type: 'TOKEN';
  readonly functionLogicalId: string;
  /** The request header that carries the token (from `method.request.header.X`). */
  readonly identityHeader: string;
  /** When set, a token that does not match is rejected with 401 before the function runs. */
  readonly identityValidationExpression?: string;
  readonly resultTtlSeconds: number;
}

/** A MOCK integration (CORS preflight methods): answered from the template, no function runs. */
export interface LocalMockResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface LocalRoute {
  /** Upper-case HTTP method, or `ANY`. */
  readonly method: string;
  /** `/data-jobs/{job_id}` style; `/` for the root resource. */
  readonly pathTemplate: string;
  readonly functionLogicalId?: string;
  readonly mock?: LocalMockResponse;
  readonly authorizationType: string;
  readonly authorizer?: LocalAuthorizer;
}

export interface LocalGatewayResponse {
  readonly statusCode?: number;
  readonly templates: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

export interface LocalApi {
  readonly restApiId: string;
  readonly stageName: string;
  readonly routes: LocalRoute[];
  /** The TOKEN authorizer of the API (the first one when there are several; routes carry their own). */
  readonly authorizer?: LocalAuthorizer;
  readonly binaryMediaTypes: string[];
  /** Keyed by ResponseType (UNAUTHORIZED, ACCESS_DENIED, DEFAULT_4XX, DEFAULT_5XX, ...). */
  readonly gatewayResponses: Readonly<Record<string, LocalGatewayResponse>>;
}

export interface LocalModel {
  readonly tables: LocalTable[];
  readonly buckets: string[];
  readonly functions: Map<string, LocalFunction>;
  readonly stateMachines: LocalStateMachine[];
  readonly api: LocalApi;
}

/** Thrown when the templates describe something the local stack cannot emulate. */
export class LocalModelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalModelError';
  }
}

interface Located {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

/** Builds the local model from the app's synthesized stacks. */
export function buildLocalModel(stacks: readonly StackTemplate[]): LocalModel {
  const resolver = new TemplateResolver(stacks);
  const all: Located[] = stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {})
      .filter(([, resource]) => !resource.Condition || resolver.resolve(stack.stackName, { Condition: resource.Condition }))
      .map(([logicalId, resource]) => ({ stack, logicalId, resource })),
  );
  const ofType = (...types: string[]): Located[] => all.filter((r) => types.includes(r.resource.Type));
  // Only the properties the local stack reads are resolved: IAM policies and asset locations may
  // use intrinsics that mean nothing locally.
  const props = (r: Located, ...keys: string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const raw = r.resource.Properties?.[key];
      if (raw !== undefined) out[key] = resolver.resolve(r.stack.stackName, raw);
    }
    return out;
  };

  const tables = ofType('AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable').map((r) =>
    toTable(r, props(r, 'KeySchema', 'AttributeDefinitions', 'GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'TimeToLiveSpecification'), resolver),
  );
  const buckets = ofType('AWS::S3::Bucket').map((r) => resolver.physicalId(r.stack.stackName, r.logicalId));
  const functions = new Map(
    ofType('AWS::Lambda::Function')
      .filter((r) => typeof r.resource.Metadata?.[HANDLER_METADATA_KEY] === 'string')
      .map((r) => [r.logicalId, toFunction(r, props(r, 'Environment', 'Timeout', 'MemorySize'), resolver)] as const),
  );
  const functionsByName = new Map([...functions.values()].map((f) => [f.name, f.logicalId]));
  const functionForArn = (arnOrUri: string, where: string): string => {
    const arn = arnFromIntegrationUri(arnOrUri);
    const name = functionNameFromArn(arn);
    const logicalId = name && functionsByName.get(name);
    if (!logicalId) throw new LocalModelError(`${where} targets ${arn}, which is not a function with ${HANDLER_METADATA_KEY} metadata`);
    return logicalId;
  };
  const stateMachines = ofType('AWS::StepFunctions::StateMachine').map((r) => toStateMachine(r, props(r, 'DefinitionString', 'Definition', 'DefinitionSubstitutions'), resolver));
  const api = toApi(all, props, resolver, functionForArn);
  return { tables, buckets, functions, stateMachines, api };
}

/** The logical id of the dataio function an ARN (or an `apigateway` integration URI) points at. */
export function findFunctionByArn(model: LocalModel, arnOrUri: string): LocalFunction | undefined {
  const name = functionNameFromArn(arnFromIntegrationUri(arnOrUri));
  return [...model.functions.values()].find((f) => f.name === name);
}

/** `arn:aws:apigateway:..:lambda:path/2015-03-31/functions/<arn>/invocations` → `<arn>`; ARNs pass through. */
function arnFromIntegrationUri(arnOrUri: string): string {
  return /\/functions\/(arn:[^/]+)\/invocations/.exec(arnOrUri)?.[1] ?? arnOrUri;
}

function toTable(r: Located, p: Record<string, unknown>, resolver: TemplateResolver): LocalTable {
  const index = (i: Record<string, unknown>): LocalIndex => ({
    IndexName: String(i.IndexName),
    KeySchema: i.KeySchema as KeySchemaElement[],
    Projection: (i.Projection as LocalIndex['Projection']) ?? { ProjectionType: 'ALL' },
  });
  const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  return {
    logicalId: r.logicalId,
    name: resolver.physicalId(r.stack.stackName, r.logicalId),
    keySchema: p.KeySchema as KeySchemaElement[],
    attributeDefinitions: p.AttributeDefinitions as AttributeDefinition[],
    gsis: ((p.GlobalSecondaryIndexes as Record<string, unknown>[] | undefined) ?? []).map(index),
    lsis: ((p.LocalSecondaryIndexes as Record<string, unknown>[] | undefined) ?? []).map(index),
    ttlAttribute: ttl && ttl.Enabled !== false ? ttl.AttributeName : undefined,
  };
}

function toFunction(r: Located, p: Record<string, unknown>, resolver: TemplateResolver): LocalFunction {
  const name = resolver.physicalId(r.stack.stackName, r.logicalId);
  const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables) ?? {};
  const env = Object.fromEntries(
    Object.entries(variables).map(([k, v]) => {
      if (typeof v === 'object' && v !== null) {
        throw new LocalModelError(`env ${k} of ${r.logicalId} did not resolve to a string: ${JSON.stringify(v)}`);
      }
      return [k, String(v)];
    }),
  );
  return {
    logicalId: r.logicalId,
    stackName: r.stack.stackName,
    name,
    arn: String(resolver.resolve(r.stack.stackName, { 'Fn::GetAtt': [r.logicalId, 'Arn'] })),
    handlerPath: String(r.resource.Metadata?.[HANDLER_METADATA_KEY]),
    env,
    timeoutSeconds: Number(p.Timeout ?? 3),
    memorySize: Number(p.MemorySize ?? 128),
  };
}

function toStateMachine(r: Located, p: Record<string, unknown>, resolver: TemplateResolver): LocalStateMachine {
  let text: string;
  if (typeof p.DefinitionString === 'string') text = p.DefinitionString;
  else if (p.Definition && typeof p.Definition === 'object') text = JSON.stringify(p.Definition);
  else throw new LocalModelError(`state machine ${r.logicalId} has no DefinitionString`);
  const substitutions = (p.DefinitionSubstitutions as Record<string, unknown> | undefined) ?? {};
  text = text.replace(/\$\{([^}]+)\}/g, (whole, key: string) => (key in substitutions ? String(substitutions[key]) : whole));
  let definition: StateMachineJson;
  try {
    definition = JSON.parse(text) as StateMachineJson;
  } catch (error) {
    throw new LocalModelError(`state machine ${r.logicalId} has an invalid definition`, { cause: error });
  }
  const arn = resolver.physicalId(r.stack.stackName, r.logicalId);
  return { logicalId: r.logicalId, name: arn.split(':').pop() ?? r.logicalId, arn, definition };
}

function toApi(
  all: readonly Located[],
  props: (r: Located, ...keys: string[]) => Record<string, unknown>,
  resolver: TemplateResolver,
  functionForArn: (arn: string, where: string) => string,
): LocalApi {
  const restApis = all.filter((r) => r.resource.Type === 'AWS::ApiGateway::RestApi');
  if (restApis.length === 0) {
    return { restApiId: 'none', stageName: 'prod', routes: [], binaryMediaTypes: [], gatewayResponses: {} };
  }
  if (restApis.length > 1) {
    throw new LocalModelError(`the local stack serves one REST API; found ${restApis.map((r) => r.logicalId).join(', ')}`);
  }
  const restApi = restApis[0];
  const restApiId = resolver.physicalId(restApi.stack.stackName, restApi.logicalId);
  const belongs = (r: Located): boolean => props(r, 'RestApiId').RestApiId === restApiId;
  const ofType = (type: string): Located[] => all.filter((r) => r.resource.Type === type && belongs(r));

  const resources = new Map(
    ofType('AWS::ApiGateway::Resource').map((r) => {
      const p = props(r, 'ParentId', 'PathPart');
      return [resolver.physicalId(r.stack.stackName, r.logicalId), { parentId: String(p.ParentId), pathPart: String(p.PathPart) }];
    }),
  );
  const pathOf = (resourceId: string, seen: string[] = []): string => {
    if (resourceId === 'root') return '/';
    const resource = resources.get(resourceId);
    if (!resource || seen.includes(resourceId)) throw new LocalModelError(`API resource ${resourceId} is unknown or cyclic`);
    const parent = pathOf(resource.parentId, [...seen, resourceId]);
    return `${parent === '/' ? '' : parent}/${resource.pathPart}`;
  };

  const authorizers = new Map(
    ofType('AWS::ApiGateway::Authorizer').map((r) => {
      const p = props(r, 'Type', 'IdentitySource', 'AuthorizerUri', 'IdentityValidationExpression', 'AuthorizerResultTtlInSeconds');
      if (p.Type !== 'TOKEN') throw new LocalModelError(`authorizer ${r.logicalId}: only TOKEN authorizers run locally (got ${String(p.Type)})`);
      const source = String(p.IdentitySource ?? 'method.request.header.Authorization');
      const header = /^method\.request\.header\.(.+)$/.exec(source)?.[1];
      if (!header) throw new LocalModelError(`authorizer ${r.logicalId}: unsupported IdentitySource ${source}`);
      const authorizer: LocalAuthorizer = {
        logicalId: r.logicalId,
        type: 'TOKEN',
        functionLogicalId: functionForArn(String(p.AuthorizerUri), `authorizer ${r.logicalId}`),
        identityHeader: header,
        identityValidationExpression: p.IdentityValidationExpression as string | undefined,
        resultTtlSeconds: Number(p.AuthorizerResultTtlInSeconds ?? 300),
      };
      return [resolver.physicalId(r.stack.stackName, r.logicalId), authorizer] as const;
    }),
  );

  const routes = ofType('AWS::ApiGateway::Method').map((r): LocalRoute => {
    const p = props(r, 'Integration', 'AuthorizationType', 'AuthorizerId', 'HttpMethod', 'ResourceId');
    const integration = (p.Integration as Record<string, unknown> | undefined) ?? {};
    const authorizationType = String(p.AuthorizationType ?? 'NONE');
    const authorizer = p.AuthorizerId === undefined ? undefined : authorizers.get(String(p.AuthorizerId));
    if (authorizationType === 'CUSTOM' && !authorizer) {
      throw new LocalModelError(`method ${r.logicalId} is CUSTOM-authorized but its authorizer is unknown`);
    }
    const route = {
      method: String(p.HttpMethod).toUpperCase(),
      pathTemplate: pathOf(String(p.ResourceId)),
      authorizationType,
      authorizer: authorizationType === 'CUSTOM' ? authorizer : undefined,
    };
    switch (integration.Type) {
      case 'AWS_PROXY':
        return { ...route, functionLogicalId: functionForArn(String(integration.Uri), `method ${r.logicalId}`) };
      case 'MOCK':
        return { ...route, mock: toMockResponse(integration) };
      default:
        throw new LocalModelError(`method ${r.logicalId}: integration ${String(integration.Type)} is not supported locally`);
    }
  });

  const gatewayResponses = Object.fromEntries(
    ofType('AWS::ApiGateway::GatewayResponse').map((r) => {
      const p = props(r, 'StatusCode', 'ResponseTemplates', 'ResponseParameters', 'ResponseType');
      const response: LocalGatewayResponse = {
        statusCode: p.StatusCode === undefined ? undefined : Number(p.StatusCode),
        templates: (p.ResponseTemplates as Record<string, string> | undefined) ?? {},
        headers: headersFromParameters(p.ResponseParameters, 'gatewayresponse.header.'),
      };
      return [String(p.ResponseType), response];
    }),
  );

  const stage = ofType('AWS::ApiGateway::Stage')[0];
  const restApiProps = props(restApi, 'BinaryMediaTypes');
  return {
    restApiId,
    stageName: stage ? String(props(stage, 'StageName').StageName ?? 'prod') : 'prod',
    routes,
    authorizer: authorizers.values().next().value,
    binaryMediaTypes: ((restApiProps.BinaryMediaTypes as string[] | undefined) ?? []).map((t) => t.replace(/~1/g, '/')),
    gatewayResponses,
  };
}

function toMockResponse(integration: Record<string, unknown>): LocalMockResponse {
  const responses = (integration.IntegrationResponses as Record<string, unknown>[] | undefined) ?? [];
  const first = responses[0] ?? {};
  const templates = (first.ResponseTemplates as Record<string, string> | undefined) ?? {};
  return {
    statusCode: Number(first.StatusCode ?? 200),
    headers: headersFromParameters(first.ResponseParameters, 'method.response.header.'),
    body: templates['application/json'] ?? '',
  };
}

/** `{'gatewayresponse.header.X': "'v'"}` → `{X: 'v'}` (API Gateway quotes static values). */
function headersFromParameters(parameters: unknown, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries((parameters as Record<string, unknown> | undefined) ?? {})) {
    if (!key.startsWith(prefix) || typeof value !== 'string') continue;
    headers[key.slice(prefix.length)] = value.replace(/^'(.*)'$/s, '$1');
  }
  return headers;
}

export { TemplateResolutionError };
