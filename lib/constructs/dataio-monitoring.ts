import * as cdk from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { MetricName } from '../../layers/core/ports/metrics';
import { DATAIO_SERVICE_NAME, DEFAULT_METRICS_NAMESPACE } from './dataio-function';

export interface DataioMonitoringProps {
  /** The workflow state machines, by label (`Import`, `Export`): failed and timed-out executions. */
  readonly stateMachines: Readonly<Record<string, sfn.IStateMachine>>;

  /**
   * Every function, by label: each gets a Lambda errors alarm, and emits its business metrics
   * into `metricsNamespace`.
   */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;

  /** The functions that do the row work (chunks, segments), by label: errors, throttles and durations on the dashboard. */
  readonly chunkFunctions: Readonly<Record<string, lambda.IFunction>>;

  /** The DynamoDB tables, by label: throttled requests on the dashboard and an alarm each. */
  readonly tables: Readonly<Record<string, dynamodb.ITable>>;

  /** The REST API: 4xx, 5xx and latency. */
  readonly api: apigateway.RestApi;

  /**
   * CloudWatch namespace of the business metrics (Powertools' POWERTOOLS_METRICS_NAMESPACE, set
   * on every function in `functions`). Give each deployment sharing an account its own.
   * @default 'Dataio'
   */
  readonly metricsNamespace?: string;

  /**
   * Email address subscribed to the alarm topic (the recipient confirms the subscription).
   * @default - no subscription; subscribe to `alarmTopic` yourself
   */
  readonly alarmEmail?: string;

  /**
   * The period of the stuck-job sweeper, which the stuck-jobs alarm evaluates.
   * @default Duration.minutes(5)
   */
  readonly sweepInterval?: cdk.Duration;

  /**
   * Failed or timed-out executions, over 15 minutes, that raise the alarm. A file the workflow
   * cannot read fails its execution too, so one failure is usually a user's problem, not an outage.
   * @default 5
   */
  readonly failedExecutionsThreshold?: number;

  /**
   * Errors of one function, over 5 minutes, that raise its alarm (a chunk retried twice counts three).
   * @default 5
   */
  readonly lambdaErrorsThreshold?: number;

  /**
   * Throttled read and write events of one table, per 5 minutes, two periods in a row.
   * @default 10
   */
  readonly dynamoDbThrottleThreshold?: number;

  /**
   * API 5xx responses over 5 minutes that raise the alarm.
   * @default 5
   */
  readonly apiServerErrorsThreshold?: number;

  /**
   * Name of the dashboard.
   * @default - `<stack name>-dataio`
   */
  readonly dashboardName?: string;
}

const FIVE_MINUTES = cdk.Duration.minutes(5);

/**
 * dataio's operations view: one CloudWatch dashboard (jobs by type and model, rows, row errors,
 * job duration percentiles, chunk Lambdas, executions, DynamoDB throttling, API) and the alarms
 * an operator acts on (failed executions, Lambda errors, DynamoDB throttling, API 5xx, stuck
 * jobs), which notify an SNS topic encrypted with its own KMS key. docs/operations.md says what
 * each alarm means and what to do.
 */
export class DataioMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** Alarm and OK notifications. */
  public readonly alarmTopic: sns.Topic;
  /** The key the topic is encrypted with (CloudWatch may use it to publish). */
  public readonly alarmTopicKey: kms.Key;
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The namespace the business metrics are emitted into. */
  public readonly metricsNamespace: string;

  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: DataioMonitoringProps) {
    super(scope, id);
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    if (!/^[A-Za-z0-9._#:/-]{1,255}$/.test(this.metricsNamespace) || this.metricsNamespace.startsWith('AWS/')) {
      throw new Error(`metricsNamespace must be 1-255 letters, digits or . _ - # : / and not start with AWS/, got "${this.metricsNamespace}"`);
    }
    const sweepInterval = props.sweepInterval ?? FIVE_MINUTES;
    const thresholds = {
      failedExecutions: positive('failedExecutionsThreshold', props.failedExecutionsThreshold ?? 5),
      lambdaErrors: positive('lambdaErrorsThreshold', props.lambdaErrorsThreshold ?? 5),
      dynamoDbThrottles: positive('dynamoDbThrottleThreshold', props.dynamoDbThrottleThreshold ?? 10),
      apiServerErrors: positive('apiServerErrorsThreshold', props.apiServerErrorsThreshold ?? 5),
    };
    if (Object.keys(props.functions).length === 0) throw new Error('DataioMonitoring needs the functions it watches');
    const stackName = cdk.Stack.of(this).stackName;
    this.stackName = stackName;

    // Every monitored function emits into the namespace the dashboard and alarms read.
    for (const fn of Object.values(props.functions)) {
      if (fn instanceof lambda.Function) fn.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', this.metricsNamespace);
    }

    // CloudWatch can publish to an encrypted topic only with a customer managed key it may use.
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `dataio ${stackName} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
      pendingWindow: cdk.Duration.days(7),
    });
    this.alarmTopicKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `dataio alarms (${stackName})`,
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) {
      if (!cdk.Token.isUnresolved(props.alarmEmail) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
        throw new Error(`alarmEmail must be an email address, got "${props.alarmEmail}"`);
      }
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    // Alarms.
    for (const [label, machine] of Object.entries(props.stateMachines)) {
      const period = cdk.Duration.minutes(15);
      this.alarm(`${label}ExecutionsFailed`, {
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedOut',
          usingMetrics: { failed: machine.metricFailed({ period, statistic: 'Sum' }), timedOut: machine.metricTimedOut({ period, statistic: 'Sum' }) },
          label: `${label} executions failed or timed out`,
          period,
        }),
        threshold: thresholds.failedExecutions,
        evaluationPeriods: 1,
        alarmDescription: `${label} workflow executions failed or timed out (${thresholds.failedExecutions}+ in 15 minutes). See docs/operations.md#failed-executions.`,
      });
    }
    for (const [label, fn] of Object.entries(props.functions)) {
      this.alarm(`${label}Errors`, {
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: thresholds.lambdaErrors,
        evaluationPeriods: 1,
        alarmDescription: `The ${label} function failed ${thresholds.lambdaErrors}+ times in 5 minutes. See docs/operations.md#lambda-errors.`,
      });
    }
    for (const [label, table] of Object.entries(props.tables)) {
      this.alarm(`${label}Throttled`, {
        metric: throttleEvents(table, label),
        threshold: thresholds.dynamoDbThrottles,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        alarmDescription: `DynamoDB throttled ${thresholds.dynamoDbThrottles}+ requests of the ${label} table per 5 minutes, twice in a row. See docs/operations.md#dynamodb-throttling.`,
      });
    }
    this.alarm('ApiServerErrors', {
      metric: props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: thresholds.apiServerErrors,
      evaluationPeriods: 1,
      alarmDescription: `The API answered ${thresholds.apiServerErrors}+ 5xx responses in 5 minutes. See docs/operations.md#api-5xx.`,
    });
    const stuckJobs = this.jobMetricTotal('StuckJobsSwept', sweepInterval);
    this.alarm('StuckJobs', {
      metric: stuckJobs,
      threshold: 1,
      evaluationPeriods: 1,
      alarmDescription: 'The sweeper failed jobs that stayed RUNNING or QUEUED past their limit (result_log.error.code stuck_timeout). See docs/operations.md#stuck-jobs.',
    });

    // Dashboard.
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? (cdk.Token.isUnresolved(stackName) ? undefined : `${stackName}-dataio`),
      defaultInterval: cdk.Duration.hours(3),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 6, extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6, ...extra });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# dataio jobs\nBusiness metrics in namespace \`${this.metricsNamespace}\`, by job type and model. What each alarm means and what to do: docs/operations.md.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Jobs started', [this.jobSearch('JobsStarted', 'Sum')]),
      graph('Jobs completed', [this.jobSearch('JobsCompleted', 'Sum')]),
      graph('Jobs failed', [this.jobSearch('JobsFailed', 'Sum')]),
      graph('Jobs cancelled', [this.jobSearch('JobsCancelled', 'Sum')]),
    );
    this.dashboard.addWidgets(
      graph('Rows imported', [this.jobSearch('RowsImported', 'Sum')], 8),
      graph('Rows exported', [this.jobSearch('RowsExported', 'Sum')], 8),
      graph('Import rows with errors', [this.jobSearch('RowErrors', 'Sum')], 8),
    );
    this.dashboard.addWidgets(
      ...(['p50', 'p90', 'p99'] as const).map((stat) => graph(`Job duration ${stat} (ms)`, [this.jobSearch('JobDurationMs', stat)], 8)),
    );
    const chunkFns = Object.entries(props.chunkFunctions);
    this.dashboard.addWidgets(
      graph('Chunk Lambda errors', chunkFns.map(([label, fn]) => fn.metricErrors({ label, period: FIVE_MINUTES, statistic: 'Sum' })), 8),
      graph('Chunk Lambda throttles', chunkFns.map(([label, fn]) => fn.metricThrottles({ label, period: FIVE_MINUTES, statistic: 'Sum' })), 8),
      graph(
        'Chunk Lambda duration p50 / p99 (ms)',
        chunkFns.flatMap(([label, fn]) => (['p50', 'p99'] as const).map((stat) => fn.metricDuration({ label: `${label} ${stat}`, period: FIVE_MINUTES, statistic: stat }))),
        8,
      ),
    );
    const machines = Object.entries(props.stateMachines);
    this.dashboard.addWidgets(
      graph(
        'Executions failed / timed out',
        machines.flatMap(([label, machine]) => [
          machine.metricFailed({ label: `${label} failed`, period: FIVE_MINUTES, statistic: 'Sum' }),
          machine.metricTimedOut({ label: `${label} timed out`, period: FIVE_MINUTES, statistic: 'Sum' }),
        ]),
        8,
      ),
      graph('DynamoDB throttled requests', Object.entries(props.tables).map(([label, table]) => throttleEvents(table, label)), 8),
      graph('Stuck jobs swept', [stuckJobs], 8),
    );
    this.dashboard.addWidgets(
      graph(
        'API 4xx / 5xx',
        [
          props.api.metricClientError({ label: '4xx', period: FIVE_MINUTES, statistic: 'Sum' }),
          props.api.metricServerError({ label: '5xx', period: FIVE_MINUTES, statistic: 'Sum' }),
        ],
        12,
      ),
      graph('API latency (ms)', (['p50', 'p90', 'p99'] as const).map((stat) => props.api.metricLatency({ label: stat, period: FIVE_MINUTES, statistic: stat })), 12),
    );
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));

    new cdk.CfnOutput(this, 'DashboardName', { description: 'CloudWatch dashboard of dataio jobs', value: this.dashboard.dashboardName });
    new cdk.CfnOutput(this, 'AlarmTopicArn', { description: 'SNS topic of dataio alarms: subscribe to be notified', value: this.alarmTopic.topicArn });
  }

  /**
   * One line per job type and model: a CloudWatch SEARCH over the dimensions the functions emit
   * with (`service`, `job_type`, `model`), so a model added later shows up without a redeploy.
   */
  private jobSearch(metric: MetricName, statistic: string): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{"${this.metricsNamespace}",job_type,model,service} MetricName="${metric}" service="${DATAIO_SERVICE_NAME}"', '${statistic}', ${FIVE_MINUTES.toSeconds()})`,
      label: "${PROP('Dim.job_type')} ${PROP('Dim.model')}",
      period: FIVE_MINUTES,
    });
  }

  /** A business metric recorded without job dimensions (only Powertools' `service`). */
  private jobMetricTotal(metric: MetricName, period: cdk.Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: this.metricsNamespace, metricName: metric, dimensionsMap: { service: DATAIO_SERVICE_NAME }, statistic: 'Sum', period });
  }

  private alarm(id: string, props: Omit<cloudwatch.AlarmProps, 'treatMissingData' | 'comparisonOperator'>): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      ...props,
      alarmName: cdk.Token.isUnresolved(this.stackName) ? undefined : `${this.stackName}-${id}`,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened: no executions, no errors, no sweep finding anything.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }
}

/** Read and write throttle events of a table (on-demand tables throttle too, past their peak). */
function throttleEvents(table: dynamodb.ITable, label: string): cloudwatch.MathExpression {
  // Ids unique per table: one graph shows every table.
  const [reads, writes] = [`reads${label}`, `writes${label}`];
  return new cloudwatch.MathExpression({
    expression: `${reads} + ${writes}`,
    usingMetrics: {
      [reads]: table.metric('ReadThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' }),
      [writes]: table.metric('WriteThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' }),
    },
    label: `${label} throttled`,
    period: FIVE_MINUTES,
  });
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${name} must be a positive number, got ${value}`);
  return value;
}
