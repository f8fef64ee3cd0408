import { Match, Template } from 'aws-cdk-lib/assertions';
import { DataioTemplates, synthDataio } from './synth-dataio';

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** The statements of the policies attached to the role of the function built from `handler`. */
function statementsOf(template: Template, handler: string): Statement[] {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) => r.Metadata?.['dataio:handler'] === handler);
  if (!fn) throw new Error(`no function for ${handler}`);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statement: Statement) => ([] as string[]).concat(statement.Action);

/** `s3:Action key-pattern` for every object grant on the files bucket, sorted. */
function objectGrants(template: Template, handler: string): string[] {
  return statementsOf(template, handler)
    .flatMap((s) =>
      ([] as unknown[]).concat(s.Resource).flatMap((resource) => {
        const json = JSON.stringify(resource);
        const key = /FilesBucket[^"]*Arn[^"]*"\}\},"\/([^"]+)"/.exec(json)?.[1];
        return key ? actionsOf(s).map((action) => `${action} ${key}`) : [];
      }),
    )
    .sort();
}

/** DynamoDB actions on `table` (its own ARN or an index of it), sorted. */
function tableActions(template: Template, handler: string, table: 'JobsTable' | 'RecordsTable'): string[] {
  return statementsOf(template, handler)
    .filter((s) => JSON.stringify(s.Resource).includes(table))
    .flatMap(actionsOf)
    .sort();
}

const H = (name: string) => (name.startsWith('import-') || name.startsWith('export-') || name === 'job-fail' ? `lambdas/workflow/${name}.ts` : name === 'sweep-stuck-jobs' ? `lambdas/ops/${name}.ts` : `lambdas/api/${name}.ts`);

/** Exactly the object grants of each handler: action and key pattern. */
const OBJECT_GRANTS: Record<string, string[]> = {
  'create-upload': ['s3:PutObject uploads/*'],
  'create-import': ['s3:GetObject uploads/*', 's3:PutObject imports/*/*/input/*'],
  'create-export': [],
  'get-job': ['s3:GetObject exports/*', 's3:GetObject imports/*/*/errors/*'],
  'list-jobs': [],
  'cancel-job': [],
  'preview-export': [],
  'import-prepare': ['s3:AbortMultipartUpload work/*', 's3:GetObject imports/*/*/input/*', 's3:GetObject uploads/*', 's3:PutObject work/*'],
  'import-validate-chunk': ['s3:AbortMultipartUpload work/*', 's3:GetObject work/*', 's3:PutObject work/*'],
  'import-decide': ['s3:GetObject work/*', 's3:PutObject work/*'],
  'import-commit-chunk': ['s3:GetObject work/*'],
  'import-finalize': ['s3:AbortMultipartUpload imports/*/*/errors/*', 's3:DeleteObject work/*', 's3:GetObject work/*', 's3:PutObject imports/*/*/errors/*'],
  'export-plan': [],
  'export-segment': ['s3:AbortMultipartUpload work/*', 's3:PutObject work/*'],
  'export-assemble': ['s3:AbortMultipartUpload exports/*', 's3:AbortMultipartUpload work/*', 's3:DeleteObject work/*', 's3:GetObject work/*', 's3:PutObject exports/*', 's3:PutObject work/*'],
  'job-fail': ['s3:DeleteObject work/*'],
  'sweep-stuck-jobs': ['s3:DeleteObject work/*'],
};

/** Exactly the DynamoDB actions of each handler on each table. */
const TABLE_GRANTS: Record<string, { jobs: string[]; records: string[] }> = {
  'create-import': { jobs: ['GetItem', 'PutItem', 'UpdateItem'], records: [] },
  'create-export': { jobs: ['GetItem', 'PutItem', 'UpdateItem'], records: [] },
  'get-job': { jobs: ['GetItem'], records: [] },
  'list-jobs': { jobs: ['Query'], records: [] },
  'cancel-job': { jobs: ['GetItem', 'UpdateItem'], records: [] },
  'create-upload': { jobs: [], records: [] },
  'preview-export': { jobs: [], records: ['BatchGetItem', 'Query'] },
  'import-prepare': { jobs: ['GetItem', 'UpdateItem'], records: ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'Query'] },
  'import-validate-chunk': { jobs: ['GetItem', 'UpdateItem'], records: ['BatchGetItem'] },
  'import-decide': { jobs: ['GetItem', 'UpdateItem'], records: [] },
  'import-commit-chunk': { jobs: ['GetItem', 'UpdateItem'], records: ['BatchWriteItem', 'DeleteItem'] },
  'import-finalize': { jobs: ['GetItem', 'UpdateItem'], records: ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'Query'] },
  'export-plan': { jobs: ['GetItem', 'UpdateItem'], records: [] },
  'export-segment': { jobs: ['GetItem', 'UpdateItem'], records: ['BatchGetItem', 'Query'] },
  'export-assemble': { jobs: ['GetItem', 'UpdateItem'], records: ['BatchGetItem', 'Query'] },
  'job-fail': { jobs: ['GetItem', 'UpdateItem'], records: [] },
  'sweep-stuck-jobs': { jobs: ['Query', 'UpdateItem'], records: [] },
};

describe('infrastructure security', () => {
  let templates: DataioTemplates;

  beforeAll(() => {
    templates = synthDataio();
  });

  describe('IAM: each function gets exactly what its handler uses', () => {
    it.each(Object.entries(OBJECT_GRANTS))('%s: these object actions on these key prefixes, nothing else', (name, grants) => {
      expect(objectGrants(templates.service, H(name))).toEqual([...grants].sort());
    });

    it.each(Object.entries(TABLE_GRANTS))('%s: these DynamoDB actions, nothing else', (name, { jobs, records }) => {
      expect(tableActions(templates.service, H(name), 'JobsTable')).toEqual(jobs.map((a) => `dynamodb:${a}`));
      expect(tableActions(templates.service, H(name), 'RecordsTable')).toEqual(records.map((a) => `dynamodb:${a}`));
    });

    it('lets the export segment function read records but never write one', () => {
      const actions = tableActions(templates.service, H('export-segment'), 'RecordsTable');
      for (const write of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) expect(actions).not.toContain(write);
    });

    it('never grants a Scan, an s3:* or s3:*Object* action, a whole bucket of keys, or a table index wildcard', () => {
      for (const policy of Object.values(templates.service.findResources('AWS::IAM::Policy'))) {
        for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
          const actions = actionsOf(statement);
          expect(actions).not.toContain('dynamodb:Scan');
          expect(actions.filter((a) => a.startsWith('s3:') && a.includes('*'))).toEqual([]);
          expect(actions.filter((a) => a.startsWith('dynamodb:') && a.includes('*'))).toEqual([]);
          const resources = JSON.stringify(statement.Resource);
          expect(resources).not.toContain('/index/*');
          expect(resources).not.toMatch(/FilesBucket[^\]]*"\/\*"/);
        }
      }
    });

    it('lists the bucket only under work/ (to delete a job\'s files), except create-import, which must tell a missing upload from a denied one', () => {
      for (const fn of Object.values(templates.service.findResources('AWS::Lambda::Function'))) {
        const handler = fn.Metadata['dataio:handler'] as string;
        const lists = statementsOf(templates.service, handler).filter((s) => actionsOf(s).includes('s3:ListBucket'));
        for (const statement of lists) {
          if (handler === H('create-import')) expect(statement.Condition).toBeUndefined();
          else expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': 'work/*' } });
        }
      }
      expect(statementsOf(templates.service, H('create-import')).filter((s) => actionsOf(s).includes('s3:ListBucket'))).toHaveLength(1);
    });

    it('gives every function a role of its own without AWS managed policies, writing logs to its own log group only', () => {
      const functions = Object.values(templates.service.findResources('AWS::Lambda::Function'));
      const roles = templates.service.findResources('AWS::IAM::Role');
      const roleIds = functions.map((fn) => fn.Properties.Role['Fn::GetAtt'][0] as string);
      expect(new Set(roleIds).size).toBe(functions.length);
      for (const fn of functions) {
        const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
        expect(roles[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
        const logs = statementsOf(templates.service, fn.Metadata['dataio:handler'] as string).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
        expect(logs).toEqual([{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] } }]);
      }
    });

    it('lets create-* start only their own workflow, and only cancel-job and the sweeper stop executions', () => {
      for (const fn of Object.values(templates.service.findResources('AWS::Lambda::Function'))) {
        const handler = fn.Metadata['dataio:handler'] as string;
        const states = statementsOf(templates.service, handler).flatMap(actionsOf).filter((a) => a.startsWith('states:'));
        if (handler === H('create-import') || handler === H('create-export')) expect(states).toEqual(['states:StartExecution']);
        else if (handler === H('cancel-job') || handler === H('sweep-stuck-jobs')) expect([...new Set(states)]).toEqual(['states:StopExecution']);
        else expect(states).toEqual([]);
      }
    });
  });

  describe('S3', () => {
    it('encrypts, blocks public access and denies non-TLS requests on every bucket', () => {
      const buckets = templates.storage.findResources('AWS::S3::Bucket');
      expect(Object.keys(buckets)).toHaveLength(2);
      for (const [logicalId, bucket] of Object.entries(buckets)) {
        expect(bucket.Properties).toMatchObject({
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        });
        expect(bucket.DeletionPolicy).toBe('Retain');
        templates.storage.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: logicalId },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('versions the files bucket, expiring noncurrent versions, and logs its access to the log bucket', () => {
      const buckets = templates.storage.findResources('AWS::S3::Bucket');
      const [filesId, files] = Object.entries(buckets).find(([id]) => id.startsWith('FilesBucket'))!;
      const [logsId, logs] = Object.entries(buckets).find(([id]) => id.startsWith('AccessLogsBucket'))!;
      expect(filesId).toBeDefined();
      expect(files.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(files.Properties.LifecycleConfiguration.Rules).toEqual(expect.arrayContaining([expect.objectContaining({ Id: 'expire-noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]));
      expect(files.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'files/' });
      expect(logs.Properties.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ Id: 'expire-access-logs', ExpirationInDays: 365 })]);
      // S3's log delivery writes through the bucket policy, limited to the files bucket as source.
      templates.storage.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logsId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: 's3:PutObject',
              Principal: { Service: 'logging.s3.amazonaws.com' },
              Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [filesId, 'Arn'] } } }),
            }),
          ]),
        },
      });
    });
  });

  describe('DynamoDB', () => {
    it('encrypts both tables, with point-in-time recovery and deletion protection, and retains them', () => {
      const tables = Object.values(templates.storage.findResources('AWS::DynamoDB::Table'));
      expect(tables).toHaveLength(2);
      for (const table of tables) {
        expect(table.Properties).toMatchObject({
          SSESpecification: { SSEEnabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        });
        expect(table.DeletionPolicy).toBe('Retain');
      }
    });
  });

  describe('API', () => {
    it('throttles the stage, 100 requests a second with bursts of 200 by default', () => {
      templates.service.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        TracingEnabled: true,
        MethodSettings: Match.arrayWith([Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })]),
      });
    });

    it('writes one JSON access log line per request with the caller, the route, the status and the refusal reason, never the token', () => {
      const stage = Object.values(templates.service.findResources('AWS::ApiGateway::Stage'))[0]!;
      const { DestinationArn, Format } = stage.Properties.AccessLogSetting as { DestinationArn: unknown; Format: string };
      expect(JSON.stringify(DestinationArn)).toContain('AccessLogs');
      const fields = JSON.parse(Format) as Record<string, string>;
      expect(fields).toMatchObject({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        user: '$context.authorizer.principalId',
        org: '$context.authorizer.org',
        httpMethod: '$context.httpMethod',
        resourcePath: '$context.resourcePath',
        status: '$context.status',
        authorizerError: '$context.authorizer.error',
        errorType: '$context.error.responseType',
      });
      expect(Format).not.toMatch(/Authorization|requestOverride|\$input/);
    });

    it('validates parameters and bodies with one request validator, on every authorized method, with the path parameters required', () => {
      const validators = templates.service.findResources('AWS::ApiGateway::RequestValidator');
      expect(Object.values(validators).map((v) => v.Properties)).toEqual([expect.objectContaining({ ValidateRequestBody: true, ValidateRequestParameters: true })]);
      const validatorId = Object.keys(validators)[0]!;
      // Every method behind the authorizer; the public OpenAPI document takes no parameter or body.
      const methods = Object.values(templates.service.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.AuthorizationType === 'CUSTOM');
      expect(methods.length).toBeGreaterThanOrEqual(8);
      for (const method of methods) expect(method.Properties.RequestValidatorId).toEqual({ Ref: validatorId });
      const withJob = methods.filter((m) => JSON.stringify(m.Properties.ResourceId).includes('jobid'));
      expect(withJob.length).toBeGreaterThan(0);
      for (const method of withJob) expect(method.Properties.RequestParameters).toEqual({ 'method.request.path.job_id': true });
    });

    it('answers a request the validator refuses like a handler refuses invalid input (400 validation_error)', () => {
      for (const type of ['BAD_REQUEST_PARAMETERS', 'BAD_REQUEST_BODY']) {
        templates.service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          StatusCode: '400',
          ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"validation_error"') },
        });
      }
    });

    it('takes the throttling limits from context (ServiceStack apiRateLimit/apiBurstLimit)', () => {
      const { service } = synthDataio({ 'dataio:apiRateLimit': 5, 'dataio:apiBurstLimit': 10 });
      service.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })]),
      });
    });
  });

  describe('state machines', () => {
    it('log every execution (without execution data) and trace with X-Ray', () => {
      const machines = Object.values(templates.service.findResources('AWS::StepFunctions::StateMachine'));
      expect(machines).toHaveLength(2);
      for (const machine of machines) {
        expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
        expect(machine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false, Destinations: [expect.anything()] });
      }
    });
  });
});
