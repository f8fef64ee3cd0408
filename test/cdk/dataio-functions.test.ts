import { Template } from 'aws-cdk-lib/assertions';
import { DataioTemplates, environmentOf, handlersByLogicalId, synthDataio } from './synth-dataio';

const API = ['authorizer', 'create-export', 'preview-export', 'create-import', 'create-upload', 'get-job', 'list-jobs', 'cancel-job', 'list-reports', 'openapi'].map((f) => `lambdas/api/${f}.ts`);
const WORKFLOW = [
  'import-prepare',
  'import-validate-chunk',
  'import-decide',
  'import-commit-chunk',
  'import-finalize',
  'export-plan',
  'export-segment',
  'export-assemble',
  'job-fail',
].map((f) => `lambdas/workflow/${f}.ts`);

const OPS = ['lambdas/ops/sweep-stuck-jobs.ts'];

/** Every function: Powertools' service name and metrics namespace. */
const POWERTOOLS_ENV = ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'];

const WORKFLOW_ENV = ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'JOBS_TABLE_NAME', 'RECORDS_TABLE_NAME', 'FILES_BUCKET_NAME', 'IMPORT_CHUNK_ROWS', 'EXPORT_SEGMENTS'];
/** A task gets a table's or the bucket's name only when it is granted access to it. */
const without = (...names: string[]) => WORKFLOW_ENV.filter((name) => !names.includes(name));

/** The exact environment variable names each handler receives. */
const EXPECTED_ENV: Record<string, string[]> = {
  'lambdas/api/authorizer.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'JWT_SECRET_ARN', 'JWT_ISSUER', 'JWT_AUDIENCE'],
  'lambdas/api/create-export.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'JOBS_TABLE_NAME', 'EXPORT_STATE_MACHINE_ARN', 'JOB_TTL_DAYS'],
  'lambdas/api/create-import.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'JOBS_TABLE_NAME', 'FILES_BUCKET_NAME', 'IMPORT_STATE_MACHINE_ARN', 'MAX_UPLOAD_BYTES', 'JOB_TTL_DAYS'],
  'lambdas/api/preview-export.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'RECORDS_TABLE_NAME'],
  'lambdas/api/create-upload.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'FILES_BUCKET_NAME', 'UPLOAD_URL_TTL_SECONDS'],
  'lambdas/api/cancel-job.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'JOBS_TABLE_NAME'],
  'lambdas/api/get-job.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'JOBS_TABLE_NAME', 'FILES_BUCKET_NAME', 'DOWNLOAD_URL_TTL_SECONDS'],
  'lambdas/api/list-jobs.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'JOBS_TABLE_NAME'],
  'lambdas/api/list-reports.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV],
  'lambdas/api/openapi.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV],
  ...Object.fromEntries(WORKFLOW.map((handler) => [handler, WORKFLOW_ENV])),
  'lambdas/workflow/import-decide.ts': without('RECORDS_TABLE_NAME'),
  'lambdas/workflow/export-plan.ts': without('RECORDS_TABLE_NAME', 'FILES_BUCKET_NAME'),
  'lambdas/workflow/job-fail.ts': without('RECORDS_TABLE_NAME'),
  'lambdas/workflow/export-assemble.ts': [...WORKFLOW_ENV, 'PDF_MAX_PAGES'],
  'lambdas/ops/sweep-stuck-jobs.ts': ['NODE_OPTIONS', ...POWERTOOLS_ENV, 'JOBS_TABLE_NAME', 'FILES_BUCKET_NAME', 'STUCK_RUNNING_MINUTES', 'STUCK_QUEUED_MINUTES'],
};

/** IAM actions granted to a handler's role, each with the JSON of the resources it applies to. */
function grantsOf(template: Template, handler: string): Array<{ actions: string[]; resources: string }> {
  const functions = template.findResources('AWS::Lambda::Function');
  const fn = Object.values(functions).find((r) => r.Metadata?.['dataio:handler'] === handler);
  const roleId = fn?.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
  );
  return policies.flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).map((s) => ({
      actions: ([] as string[]).concat(s.Action),
      resources: JSON.stringify(s.Resource),
    })),
  );
}

function actionsOn(template: Template, handler: string, resourceName: string): string[] {
  return grantsOf(template, handler)
    .filter((g) => g.resources.includes(resourceName))
    .flatMap((g) => g.actions)
    .sort();
}

describe('DataioFunction', () => {
  let templates: DataioTemplates;

  beforeAll(() => {
    templates = synthDataio();
  });

  it('builds one function per handler, each tagged with its dataio:handler Metadata', () => {
    expect(Object.values(handlersByLogicalId(templates.service)).sort()).toEqual([...API, ...WORKFLOW, ...OPS].sort());
  });

  it('fixes runtime, architecture, tracing, own log group and source maps on every function', () => {
    for (const fn of Object.values(templates.service.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      });
    }
    templates.service.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it.each(Object.entries(EXPECTED_ENV))('%s gets exactly its environment', (handler, names) => {
    expect(Object.keys(environmentOf(templates.service, handler)).sort()).toEqual([...names].sort());
  });

  it('passes settings with their defaults', () => {
    expect(environmentOf(templates.service, 'lambdas/api/authorizer.ts')).toMatchObject({ JWT_ISSUER: 'dataio', JWT_AUDIENCE: 'dataio-api' });
    expect(environmentOf(templates.service, 'lambdas/api/get-job.ts')).toMatchObject({ DOWNLOAD_URL_TTL_SECONDS: '900' });
    expect(environmentOf(templates.service, 'lambdas/api/create-upload.ts')).toMatchObject({ UPLOAD_URL_TTL_SECONDS: '900' });
    expect(environmentOf(templates.service, 'lambdas/api/create-import.ts')).toMatchObject({ MAX_UPLOAD_BYTES: String(5 * 1024 ** 3) });
    for (const handler of WORKFLOW) {
      expect(environmentOf(templates.service, handler)).toMatchObject({ IMPORT_CHUNK_ROWS: '5000', EXPORT_SEGMENTS: '4' });
    }
  });

  it('gives API functions 29 s and workflow functions 15 min with 1 GB (1.5 GB and the PDF page limit for Assemble)', () => {
    const functions = Object.values(templates.service.findResources('AWS::Lambda::Function'));
    for (const fn of functions) {
      const handler = fn.Metadata['dataio:handler'] as string;
      if (handler.startsWith('lambdas/api/')) expect(fn.Properties).toMatchObject({ Timeout: 29 });
      else if (handler.startsWith('lambdas/ops/')) expect(fn.Properties).toMatchObject({ Timeout: 300, MemorySize: 512 });
      else if (handler === 'lambdas/workflow/export-assemble.ts') {
        expect(fn.Properties).toMatchObject({ Timeout: 900, MemorySize: 1536, Environment: { Variables: expect.objectContaining({ PDF_MAX_PAGES: '5000' }) } });
      } else expect(fn.Properties).toMatchObject({ Timeout: 900, MemorySize: 1024 });
    }
  });

  it('grants read-only access where the handler only reads', () => {
    const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
    expect(actionsOn(templates.service, 'lambdas/api/get-job.ts', 'JobsTable')).toEqual(['dynamodb:GetItem']);
    expect(actionsOn(templates.service, 'lambdas/api/list-jobs.ts', 'JobsTable')).toEqual(['dynamodb:Query']);
    for (const handler of ['lambdas/workflow/export-segment.ts', 'lambdas/workflow/export-assemble.ts']) {
      expect(actionsOn(templates.service, handler, 'RecordsTable')).toContain('dynamodb:Query');
      for (const action of writes) expect(actionsOn(templates.service, handler, 'RecordsTable')).not.toContain(action);
    }
    expect(actionsOn(templates.service, 'lambdas/workflow/export-plan.ts', 'RecordsTable')).toEqual([]);
    expect(actionsOn(templates.service, 'lambdas/workflow/import-commit-chunk.ts', 'RecordsTable')).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem']);
    expect(actionsOn(templates.service, 'lambdas/api/get-job.ts', 'FilesBucket')).not.toContain('s3:PutObject');
    expect(actionsOn(templates.service, 'lambdas/api/create-import.ts', 'FilesBucket')).toContain('s3:PutObject');
  });

  it('lets create-* only start executions of the workflow they create a job for', () => {
    for (const [handler, own, other] of [
      ['lambdas/api/create-export.ts', 'ExportWorkflowStateMachine', 'ImportWorkflowStateMachine'],
      ['lambdas/api/create-import.ts', 'ImportWorkflowStateMachine', 'ExportWorkflowStateMachine'],
    ] as const) {
      const sfnActions = grantsOf(templates.service, handler).filter((g) => g.resources.includes('StateMachine'));
      expect(sfnActions.flatMap((g) => g.actions)).toEqual(['states:StartExecution']);
      const resources = sfnActions.map((g) => g.resources).join();
      expect(resources).toContain(own);
      expect(resources).not.toContain(other);
    }
  });

  it('lets create-upload only put objects under uploads/ (what signing a presigned PUT needs)', () => {
    const grants = grantsOf(templates.service, 'lambdas/api/create-upload.ts').filter((g) => !g.actions.every((a) => a.startsWith('xray:') || a.startsWith('logs:')));

    expect(grants).toEqual([{ actions: ['s3:PutObject'], resources: expect.stringContaining('"/uploads/*"') }]);
    expect(grants[0]!.resources).toContain('FilesBucket');
  });

  it('lets cancel-job read and write jobs and only stop executions of both workflows', () => {
    const grants = grantsOf(templates.service, 'lambdas/api/cancel-job.ts');
    const sfnGrants = grants.filter((g) => g.resources.includes('StateMachine'));

    expect(actionsOn(templates.service, 'lambdas/api/cancel-job.ts', 'JobsTable')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect([...new Set(sfnGrants.flatMap((g) => g.actions))]).toEqual(['states:StopExecution']);
    expect(sfnGrants.map((g) => g.resources).join()).toEqual(expect.stringContaining(':execution:'));
    expect(sfnGrants.map((g) => g.resources).join()).toContain('ImportWorkflowStateMachine');
    expect(sfnGrants.map((g) => g.resources).join()).toContain('ExportWorkflowStateMachine');
    expect(actionsOn(templates.service, 'lambdas/api/cancel-job.ts', 'FilesBucket')).toEqual([]);
    expect(grants.flatMap((g) => g.actions)).not.toContain('states:StartExecution');
  });

  it('lets preview-export only read records: no jobs, no files, no workflows', () => {
    const grants = grantsOf(templates.service, 'lambdas/api/preview-export.ts').filter((g) => !g.actions.every((a) => a.startsWith('xray:') || a.startsWith('logs:')));
    const recordActions = actionsOn(templates.service, 'lambdas/api/preview-export.ts', 'RecordsTable');

    expect(recordActions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:Query']);
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) expect(recordActions).not.toContain(action);
    expect(grants.every((g) => g.resources.includes('RecordsTable'))).toBe(true);
  });

  it('lets only the authorizer read the JWT secret', () => {
    for (const handler of [...API, ...WORKFLOW]) {
      const actions = actionsOn(templates.service, handler, 'JwtSecret');
      if (handler === 'lambdas/api/authorizer.ts') expect(actions).toContain('secretsmanager:GetSecretValue');
      else expect(actions).toEqual([]);
    }
  });
});
