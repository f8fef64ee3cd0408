import { buildLocalModel } from '../../lib/local/local-model';
import { mergeFunctionEnv } from '../../lib/local/local-stack';
import { fixtureStacks } from './fixture-stacks';

describe('buildLocalModel (fixture templates)', () => {
  const model = buildLocalModel(fixtureStacks());

  it('reads tables with keys, GSIs and TTL, and buckets by local name', () => {
    expect(model.tables.map((t) => t.name)).toEqual(['JobsTable1970BC16', 'RecordsTableB5C3E0AA']);
    expect(model.tables[0]).toMatchObject({
      keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      gsis: [expect.objectContaining({ IndexName: 'gsi1' })],
      ttlAttribute: 'expires_at',
    });
    expect(model.buckets).toEqual(['filesbucket7a3e9b21']);
  });

  it('reads functions with their handler file and resolved env', () => {
    const echo = model.functions.get('EchoFn11111111');
    expect(echo).toMatchObject({
      handlerPath: 'test/local/fixtures/handlers/echo.ts',
      timeoutSeconds: 30,
      env: expect.objectContaining({
        JOBS_TABLE_NAME: 'JobsTable1970BC16',
        FILES_BUCKET_NAME: 'filesbucket7a3e9b21',
        JWT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:JwtSecretB8834B39',
        IMPORT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:ImportStateMachine3A0D1E2F',
      }),
    });
  });

  it('reads the API: routes with full paths, the TOKEN authorizer, binary types and gateway responses', () => {
    const routes = model.api.routes.map((r) => `${r.method} ${r.pathTemplate} ${r.functionLogicalId ?? 'MOCK'}`);
    expect(routes).toEqual(expect.arrayContaining([
      'GET / EchoFn11111111',
      'POST /{model_plural}/import EchoFn11111111',
      'GET /data-jobs/{job_id} EchoFn11111111',
      'GET /data-jobs/stats StatsFn22222222',
      'POST /data-jobs/{job_id}/cancel EchoFn11111111',
      'OPTIONS /data-jobs MOCK',
    ]));
    expect(model.api.authorizer).toMatchObject({ functionLogicalId: 'AuthorizerFnA1B2C3D4', identityHeader: 'Authorization' });
    expect(model.api.binaryMediaTypes).toEqual(['application/octet-stream', 'multipart/form-data']);
    expect(model.api.gatewayResponses.UNAUTHORIZED).toMatchObject({ statusCode: 401, headers: { 'Access-Control-Allow-Origin': '*' } });
    expect(model.api.gatewayResponses.DEFAULT_5XX.statusCode).toBeUndefined();
  });

  it('parses the resolved state machine definition', () => {
    const [machine] = model.stateMachines;
    expect(machine.arn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:ImportStateMachine3A0D1E2F');
    expect(machine.definition.States.Prepare.Parameters).toEqual({
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:PrepareFn33333333',
      'Payload.$': '$',
    });
  });
});

describe('mergeFunctionEnv', () => {
  const fn = (logicalId: string, env: Record<string, string>) =>
    ({ logicalId, stackName: 'S', name: logicalId, arn: '', handlerPath: '', env, timeoutSeconds: 3, memorySize: 128 });

  it('unions the env of all functions, leaving out process-level NODE_OPTIONS', () => {
    expect(mergeFunctionEnv([fn('A', { X: '1', NODE_OPTIONS: '--enable-source-maps' }), fn('B', { X: '1', Y: '2' })])).toEqual({ X: '1', Y: '2' });
  });

  it('fails loudly when two functions disagree on a value', () => {
    expect(() => mergeFunctionEnv([fn('A', { X: '1' }), fn('B', { X: '2' })])).toThrow(/env X is "1" for A but "2" for B/);
  });
});
