import { Match } from 'aws-cdk-lib/assertions';
import { DataioTemplates, handlersByLogicalId, synthDataio } from './synth-dataio';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

/** Full path of every API Gateway resource, by logical id. */
function resourcePaths(resources: Resources): Record<string, string> {
  const paths: Record<string, string> = {};
  const pathOf = (id: string): string => {
    if (paths[id] === undefined) {
      const { ParentId, PathPart } = resources[id].Properties as { ParentId: { Ref?: string }; PathPart: string };
      paths[id] = `${ParentId.Ref ? pathOf(ParentId.Ref) : ''}/${PathPart}`;
    }
    return paths[id];
  };
  Object.keys(resources).forEach(pathOf);
  return paths;
}

/** The Lambda logical id an integration or authorizer URI points at. */
function functionInUri(uri: unknown): string | undefined {
  return /"Fn::GetAtt":\["(\w+)","Arn"\]/.exec(JSON.stringify(uri))?.[1];
}

describe('DataioApi', () => {
  let templates: DataioTemplates;
  let handlers: Record<string, string>;

  beforeAll(() => {
    templates = synthDataio();
    handlers = handlersByLogicalId(templates.service);
  });

  it('is the REST API dataio-api with binary media types for uploads', () => {
    templates.service.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: 'dataio-api',
      BinaryMediaTypes: ['multipart/form-data', 'application/octet-stream'],
    });
  });

  it('routes the four endpoints through the JWT authorizer to their handlers', () => {
    const paths = resourcePaths(templates.service.findResources('AWS::ApiGateway::Resource') as Resources);
    const authorizerId = Object.keys(templates.service.findResources('AWS::ApiGateway::Authorizer'))[0];
    const routes = Object.values(templates.service.findResources('AWS::ApiGateway::Method'))
      .filter((m) => m.Properties.HttpMethod !== 'OPTIONS')
      .map((m) => {
        const p = m.Properties;
        expect(p.AuthorizationType).toBe('CUSTOM');
        expect(p.AuthorizerId).toEqual({ Ref: authorizerId });
        expect(p.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
        return `${p.HttpMethod} ${paths[p.ResourceId.Ref]} → ${handlers[functionInUri(p.Integration.Uri) ?? '']}`;
      });

    expect(routes.sort()).toEqual([
      'GET /api/v1/data-jobs → lambdas/api/list-jobs.ts',
      'GET /api/v1/data-jobs/{job_id} → lambdas/api/get-job.ts',
      'POST /api/v1/{model_plural}/export → lambdas/api/create-export.ts',
      'POST /api/v1/{model_plural}/import → lambdas/api/create-import.ts',
    ]);
  });

  it('answers CORS preflight without the authorizer', () => {
    for (const method of Object.values(templates.service.findResources('AWS::ApiGateway::Method'))) {
      if (method.Properties.HttpMethod === 'OPTIONS') expect(method.Properties.AuthorizationType).toBe('NONE');
    }
  });

  it('uses an uncached TOKEN authorizer on the Authorization header', () => {
    const authorizers = Object.values(templates.service.findResources('AWS::ApiGateway::Authorizer'));
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0].Properties).toMatchObject({
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(handlers[functionInUri(authorizers[0].Properties.AuthorizerUri) ?? '']).toBe('lambdas/api/authorizer.ts');
  });

  it.each([
    ['UNAUTHORIZED', '401', 'unauthorized'],
    ['ACCESS_DENIED', '403', 'forbidden'],
    ['DEFAULT_4XX', undefined, 'bad_request'],
    ['DEFAULT_5XX', undefined, 'internal_error'],
  ])('shapes %s gateway errors like handler errors', (type, statusCode, code) => {
    templates.service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: statusCode ?? Match.absent(),
      ResponseTemplates: {
        'application/json': `{"error":{"code":"${code}","message":$context.error.messageString,"details":null}}`,
      },
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" }),
    });
  });

  it('deploys stage prod with throttling, tracing and access logs', () => {
    templates.service.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
      ]),
    });
  });

  it('outputs the API URL', () => {
    templates.service.hasOutput('ApiUrl', { Value: Match.anyValue() });
  });
});
