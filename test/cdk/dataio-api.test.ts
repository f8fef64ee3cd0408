import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ServiceStack } from '../../lib/service-stack';
import { StorageStack } from '../../lib/storage-stack';
import { DataioTemplates, environmentOf, handlersByLogicalId, synthDataio } from './synth-dataio';

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

function dataOf(storage: StorageStack) {
  return { jobsTable: storage.jobsTable, recordsTable: storage.recordsTable, filesBucket: storage.filesBucket, jwtSecret: storage.jwtSecret };
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

  it('routes the eight endpoints through the JWT authorizer to their handlers', () => {
    const paths = resourcePaths(templates.service.findResources('AWS::ApiGateway::Resource') as Resources);
    const authorizerId = Object.keys(templates.service.findResources('AWS::ApiGateway::Authorizer'))[0];
    const routes = Object.values(templates.service.findResources('AWS::ApiGateway::Method'))
      .filter((m) => m.Properties.HttpMethod !== 'OPTIONS' && paths[m.Properties.ResourceId.Ref] !== '/api/v1/openapi.json')
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
      'GET /api/v1/{model_plural}/export/reports → lambdas/api/list-reports.ts',
      'POST /api/v1/data-jobs/{job_id}/cancel → lambdas/api/cancel-job.ts',
      'POST /api/v1/{model_plural}/export → lambdas/api/create-export.ts',
      'POST /api/v1/{model_plural}/export/preview → lambdas/api/preview-export.ts',
      'POST /api/v1/{model_plural}/import → lambdas/api/create-import.ts',
      'POST /api/v1/{model_plural}/import/uploads → lambdas/api/create-upload.ts',
    ]);
  });

  it('serves the OpenAPI document without the authorizer, the only such route besides CORS preflight', () => {
    const paths = resourcePaths(templates.service.findResources('AWS::ApiGateway::Resource') as Resources);
    const open = Object.values(templates.service.findResources('AWS::ApiGateway::Method'))
      .filter((m) => m.Properties.HttpMethod !== 'OPTIONS' && m.Properties.AuthorizationType !== 'CUSTOM')
      .map((m) => `${m.Properties.HttpMethod} ${paths[m.Properties.ResourceId.Ref]} ${m.Properties.AuthorizationType} → ${handlers[functionInUri(m.Properties.Integration.Uri) ?? '']}`);

    expect(open).toEqual(['GET /api/v1/openapi.json NONE → lambdas/api/openapi.ts']);
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

  it('passes the upload settings to the functions that use them', () => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const storage = new StorageStack(app, 'Storage');
    const service = new ServiceStack(app, 'Service', { ...dataOf(storage), uploadUrlTtlSeconds: 300, maxUploadBytes: 1024 ** 3 });

    const template = Template.fromStack(service);

    expect(environmentOf(template, 'lambdas/api/create-upload.ts')).toMatchObject({ UPLOAD_URL_TTL_SECONDS: '300' });
    expect(environmentOf(template, 'lambdas/api/create-import.ts')).toMatchObject({ MAX_UPLOAD_BYTES: String(1024 ** 3) });
  });

  it.each([
    [{ maxUploadBytes: 6 * 1024 ** 3 }, /maxUploadBytes must be an integer between 1 and 5368709120/],
    [{ uploadUrlTtlSeconds: 8 * 24 * 3600 }, /uploadUrlTtlSeconds must be an integer between 1 and 604800/],
  ])('fails at synth on %j', (props, message) => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const storage = new StorageStack(app, 'Storage');

    expect(() => new ServiceStack(app, 'Service', { ...dataOf(storage), ...props })).toThrow(message);
  });

  it('outputs the API URL', () => {
    templates.service.hasOutput('ApiUrl', { Value: Match.anyValue() });
  });
});
