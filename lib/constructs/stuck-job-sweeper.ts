import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { OPEN_JOBS_INDEX } from '../../layers/aws/dynamodb-job-repository';
import { DataioFunction } from './dataio-function';
import { TASK_TIMEOUT } from './workflow-states';

export interface StuckJobSweeperProps {
  /** The DataJob table, with its open-jobs index. */
  readonly jobsTable: dynamodb.ITable;

  /** The files bucket: a swept job's work files are removed. */
  readonly filesBucket: s3.IBucket;

  /** The state machines whose executions a swept job may still have running. */
  readonly stateMachines: readonly sfn.IStateMachine[];

  /**
   * How long a job may stay RUNNING, from its start, before it is failed with `stuck_timeout`
   * and its execution stopped. At least one task's timeout (15 minutes).
   * @default Duration.hours(6)
   */
  readonly runningTimeout?: cdk.Duration;

  /**
   * How long a job may wait PENDING or QUEUED, from its creation.
   * @default Duration.hours(1)
   */
  readonly queuedTimeout?: cdk.Duration;

  /**
   * How often the sweeper runs (also the period of its StuckJobsSwept data points).
   * @default Duration.minutes(5)
   */
  readonly interval?: cdk.Duration;

  /**
   * Retention of the sweeper's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The stuck-job sweeper: an EventBridge schedule runs `lambdas/ops/sweep-stuck-jobs.ts`, which
 * fails the jobs that outlived their limits (a workflow that died without its Catch leaves its
 * job RUNNING) with a conditional write, stops their executions and records StuckJobsSwept.
 */
export class StuckJobSweeper extends Construct {
  public readonly function: DataioFunction;
  public readonly rule: events.Rule;
  /** How often it runs. */
  public readonly interval: cdk.Duration;

  constructor(scope: Construct, id: string, props: StuckJobSweeperProps) {
    super(scope, id);
    const runningTimeout = props.runningTimeout ?? cdk.Duration.hours(6);
    const queuedTimeout = props.queuedTimeout ?? cdk.Duration.hours(1);
    this.interval = props.interval ?? cdk.Duration.minutes(5);
    if (runningTimeout.toMinutes() < TASK_TIMEOUT.toMinutes()) {
      throw new Error(`runningTimeout must be at least ${TASK_TIMEOUT.toMinutes()} minutes (one task may run that long), got ${runningTimeout.toHumanString()}`);
    }
    if (queuedTimeout.toMinutes() < 5) throw new Error(`queuedTimeout must be at least 5 minutes, got ${queuedTimeout.toHumanString()}`);
    if (this.interval.toMinutes() < 1) throw new Error(`interval must be at least 1 minute, got ${this.interval.toHumanString()}`);

    this.function = new DataioFunction(this, 'Function', {
      entry: 'lambdas/ops/sweep-stuck-jobs.ts',
      description: 'dataio: fails jobs stuck RUNNING or QUEUED past their limit and stops their executions',
      timeout: cdk.Duration.minutes(5),
      logRetention: props.logRetention,
      environment: {
        STUCK_RUNNING_MINUTES: String(runningTimeout.toMinutes()),
        STUCK_QUEUED_MINUTES: String(queuedTimeout.toMinutes()),
      },
    })
      // Reads the open-jobs index, fails a job with a conditional update, removes its work/ files.
      .bindJobsTable(props.jobsTable, { actions: ['UpdateItem'], indexQueries: [OPEN_JOBS_INDEX.indexName] })
      .bindFilesBucket(props.filesBucket, { deletePrefixes: ['work/'] })
      .allowStoppingExecutions(...props.stateMachines);

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'dataio: sweep stuck jobs',
      schedule: events.Schedule.rate(this.interval),
      // The next run sweeps again; a late retry would only overlap it.
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
