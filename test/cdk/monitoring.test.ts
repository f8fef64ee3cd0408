import { OPEN_JOBS_INDEX } from '../../layers/aws/dynamodb-job-repository';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { METRIC_UNITS, type MetricName } from '../../layers/core/ports/metrics';
import { DataioTemplates, environmentOf, handlersByLogicalId, synthDataio } from './synth-dataio';

const SWEEPER = 'lambdas/ops/sweep-stuck-jobs.ts';

/** The dashboard body as text, with `Ref`/`Fn::GetAtt` written `${...}` and other intrinsics (imported table names) `${Fn::...}`. */
function dashboardBody(template: Template): string {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  return body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const node = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      if (node.Ref) return `\${${node.Ref}}`;
      if (node['Fn::GetAtt']) return `\${${node['Fn::GetAtt'].join('.')}}`;
      return `\${${Object.keys(node)[0]}}`;
    })
    .join('');
}

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly metrics?: unknown[][] };
}

function widgetsOf(template: Template): Widget[] {
  return (JSON.parse(dashboardBody(template)) as { widgets: Widget[] }).widgets;
}

/** Every metric of every graph of the dashboard: `[namespace, name, ...dimensions, options]` or `[{expression}]`. */
function dashboardMetrics(template: Template): unknown[][] {
  return widgetsOf(template).flatMap((w) => w.properties.metrics ?? []);
}

/** The math and SEARCH expressions of the dashboard's graphs. */
function expressionsOf(template: Template): string[] {
  return dashboardMetrics(template).flatMap((m) => m.flatMap((part) => (part && typeof part === 'object' && 'expression' in part ? [String(part.expression)] : [])));
}

function logicalIdOf(template: Template, handler: string): string {
  return Object.entries(handlersByLogicalId(template)).find(([, path]) => path === handler)![0];
}

function alarms(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties as Record<string, unknown>);
}

function topicRef(template: Template): { Ref: string } {
  const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
  return { Ref: topicId! };
}

describe('DataioMonitoring', () => {
  let templates: DataioTemplates;

  beforeAll(() => {
    templates = synthDataio();
  });

  describe('dashboard', () => {
    it('is named after the stack', () => {
      templates.service.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'DataioService-dataio' });
    });

    it.each(['JobsStarted', 'JobsCompleted', 'JobsFailed', 'JobsCancelled', 'RowsImported', 'RowsExported', 'RowErrors'] satisfies MetricName[])(
      'graphs %s by job type and model',
      (metric) => {
        expect(expressionsOf(templates.service)).toContain(`SEARCH('{"Dataio",job_type,model,service} MetricName="${metric}" service="dataio"', 'Sum', 300)`);
      },
    );

    it('graphs job duration at p50, p90 and p99, labelled by type and model', () => {
      const graphs = widgetsOf(templates.service).filter((w) => w.properties.title?.startsWith('Job duration'));

      expect(graphs.map((w) => w.properties.title)).toEqual(['Job duration p50 (ms)', 'Job duration p90 (ms)', 'Job duration p99 (ms)']);
      for (const [i, stat] of ['p50', 'p90', 'p99'].entries()) {
        expect(graphs[i]!.properties.metrics).toEqual([
          [{ expression: `SEARCH('{"Dataio",job_type,model,service} MetricName="JobDurationMs" service="dataio"', '${stat}', 300)`, label: "${PROP('Dim.job_type')} ${PROP('Dim.model')}" }],
        ]);
      }
    });

    it('graphs errors, throttles and durations of the chunk Lambdas', () => {
      const metrics = dashboardMetrics(templates.service).map((m) => JSON.stringify(m));

      for (const handler of ['lambdas/workflow/import-validate-chunk.ts', 'lambdas/workflow/import-commit-chunk.ts', 'lambdas/workflow/export-segment.ts']) {
        const fn = logicalIdOf(templates.service, handler);
        for (const metric of ['Errors', 'Throttles', 'Duration']) {
          expect(metrics).toContainEqual(expect.stringMatching(new RegExp(`"AWS/Lambda","${metric}","FunctionName","\\$\\{${fn}\\}"`)));
        }
      }
    });

    it('graphs failed and timed-out executions of both workflows, DynamoDB throttling, stuck jobs and the API', () => {
      const metrics = dashboardMetrics(templates.service).map((m) => JSON.stringify(m));

      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
        expect(metrics.filter((m) => m.includes(`"AWS/States","${metric}"`))).toHaveLength(2);
      }
      for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
        expect(metrics.filter((m) => m.includes(`"AWS/DynamoDB","${metric}"`))).toHaveLength(2);
      }
      expect(metrics).toContainEqual(expect.stringContaining('"Dataio","StuckJobsSwept","service","dataio"'));
      for (const metric of ['4XXError', '5XXError']) expect(metrics).toContainEqual(expect.stringContaining(`"AWS/ApiGateway","${metric}","ApiName","dataio-api"`));
      for (const stat of ['p50', 'p90', 'p99']) expect(metrics).toContainEqual(expect.stringMatching(new RegExp(`"AWS/ApiGateway","Latency","ApiName","dataio-api",.*"stat":"${stat}"`)));
      expect(widgetsOf(templates.service).map((w) => w.type)).toContain('alarm');
    });

    it('emits the metrics the dashboard reads: every function writes into its namespace', () => {
      for (const handler of Object.values(handlersByLogicalId(templates.service))) {
        expect(environmentOf(templates.service, handler)).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'dataio', POWERTOOLS_METRICS_NAMESPACE: 'Dataio' });
      }
      expect(Object.keys(METRIC_UNITS).sort()).toEqual(
        ['JobDurationMs', 'JobsCancelled', 'JobsCompleted', 'JobsFailed', 'JobsStarted', 'RowErrors', 'RowsExported', 'RowsImported', 'StuckJobsSwept'].sort(),
      );
    });

    it('reads and sets another namespace from context', () => {
      const { service } = synthDataio({ 'dataio:metricsNamespace': 'Dataio/staging' });

      expect(environmentOf(service, 'lambdas/workflow/import-finalize.ts')).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'Dataio/staging' });
      expect(expressionsOf(service)).toContain(`SEARCH('{"Dataio/staging",job_type,model,service} MetricName="JobsStarted" service="dataio"', 'Sum', 300)`);
      service.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Dataio/staging', MetricName: 'StuckJobsSwept' });
    });
  });

  describe('alarms', () => {
    it('notify an SNS topic encrypted with a rotated customer managed key that CloudWatch may use, over TLS only', () => {
      const template = templates.service;
      const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));

      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow' }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('every alarm notifies the topic when it fires and when it clears', () => {
      const topic = topicRef(templates.service);
      const all = alarms(templates.service);

      expect(all.length).toBeGreaterThan(0);
      for (const alarm of all) {
        expect(alarm).toMatchObject({ AlarmActions: [topic], OKActions: [topic], TreatMissingData: 'notBreaching', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      }
    });

    it('fires on failed or timed-out executions of each workflow', () => {
      const failed = alarms(templates.service).filter((a) => JSON.stringify(a.Metrics ?? []).includes('ExecutionsFailed'));

      expect(failed.map((a) => a.AlarmName).sort()).toEqual(['DataioService-ExportExecutionsFailed', 'DataioService-ImportExecutionsFailed']);
      for (const alarm of failed) {
        expect(JSON.stringify(alarm.Metrics)).toContain('ExecutionsTimedOut');
        expect(alarm).toMatchObject({ Threshold: 5, EvaluationPeriods: 1 });
      }
    });

    it('fires on the errors of every function', () => {
      const functions = Object.keys(templates.service.findResources('AWS::Lambda::Function'));
      const errors = alarms(templates.service).filter((a) => a.MetricName === 'Errors');

      expect(errors.map((a) => (a.Dimensions as Array<{ Value: { Ref: string } }>)[0]!.Value.Ref).sort()).toEqual(functions.sort());
      for (const alarm of errors) expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 300, Threshold: 5 });
      expect(errors.map((a) => a.AlarmName)).toContain('DataioService-ImportValidateChunkErrors');
    });

    it('fires on DynamoDB throttling of each table, twice in a row', () => {
      const throttled = alarms(templates.service).filter((a) => JSON.stringify(a.Metrics ?? []).includes('ThrottleEvents'));

      expect(throttled.map((a) => a.AlarmName).sort()).toEqual(['DataioService-JobsThrottled', 'DataioService-RecordsThrottled']);
      for (const alarm of throttled) expect(alarm).toMatchObject({ EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 10 });
    });

    it('fires on API 5xx responses', () => {
      templates.service.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'DataioService-ApiServerErrors', Namespace: 'AWS/ApiGateway', MetricName: '5XXError' });
    });

    it('fires as soon as the sweeper fails one stuck job', () => {
      templates.service.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'DataioService-StuckJobs',
        Namespace: 'Dataio',
        MetricName: 'StuckJobsSwept',
        Dimensions: [{ Name: 'service', Value: 'dataio' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
      });
    });

    it('subscribes the alarm email from context', () => {
      const { service } = synthDataio({ 'dataio:alarmEmail': 'ops@example.com' });

      service.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topicRef(service) });
    });

    it('fails at synth on an alarm email that is not one', () => {
      expect(() => synthDataio({ 'dataio:alarmEmail': 'ops' })).toThrow(/alarmEmail must be an email address/);
    });
  });

  describe('stuck-job sweeper', () => {
    it('runs every 5 minutes from an EventBridge rule, without retries', () => {
      const fn = logicalIdOf(templates.service, SWEEPER);

      templates.service.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
      });
      templates.service.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] }, Principal: 'events.amazonaws.com' });
    });

    it('fails jobs RUNNING 6 hours or waiting 1 hour by default, and takes the RUNNING limit from context', () => {
      expect(environmentOf(templates.service, SWEEPER)).toMatchObject({ STUCK_RUNNING_MINUTES: '360', STUCK_QUEUED_MINUTES: '60' });
      expect(environmentOf(synthDataio({ 'dataio:stuckJobRunningMinutes': 90 }).service, SWEEPER)).toMatchObject({ STUCK_RUNNING_MINUTES: '90' });
      expect(() => synthDataio({ 'dataio:stuckJobRunningMinutes': 10 })).toThrow(/runningTimeout must be at least 15 minutes/);
    });

    it('may query the jobs index, list and delete work files and stop executions of both workflows, nothing more', () => {
      const template = templates.service;
      const fn = template.findResources('AWS::Lambda::Function')[logicalIdOf(template, SWEEPER)]!;
      const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
      const on = (needle: string) => statements.filter((s) => JSON.stringify(s.Resource).includes(needle)).flatMap((s) => ([] as string[]).concat(s.Action));

      // The one index it reads, by name: no `/index/*`.
      expect(JSON.stringify(statements)).toContain(`/index/${OPEN_JOBS_INDEX.indexName}`);
      expect(JSON.stringify(statements)).not.toContain('/index/*');
      expect(on('JobsTable')).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
      const bucket = statements.filter((s) => JSON.stringify(s.Resource).includes('FilesBucket'));
      expect(bucket.map((s) => [([] as string[]).concat(s.Action), JSON.stringify(s.Resource).includes('/work/*'), (s as { Condition?: unknown }).Condition])).toEqual([
        [['s3:ListBucket'], false, { StringLike: { 's3:prefix': 'work/*' } }],
        [['s3:DeleteObject'], true, undefined],
      ]);
      expect(JSON.stringify(statements.filter((s) => ([] as string[]).concat(s.Action).includes('states:StopExecution')))).toMatch(/ImportWorkflow.*ExportWorkflow|ExportWorkflow.*ImportWorkflow/);
      expect(on('RecordsTable')).toEqual([]);
      expect(statements.flatMap((s) => ([] as string[]).concat(s.Action))).not.toContain('states:StartExecution');
    });
  });

  it('traces every function and both state machines with X-Ray', () => {
    for (const fn of Object.values(templates.service.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
    const machines = Object.values(templates.service.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(2);
    for (const machine of machines) expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });
});
