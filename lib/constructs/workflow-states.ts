import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { executionArnPrefix } from './dataio-function';
import { acknowledgeNag, acknowledgeWildcardResource } from './nag-acknowledgements';

// The definitions stay inside what both AWS and aws-local-stepfunctions execute: JSONPath only,
// lambda:invoke tasks, inline Map, Choice, Pass, Succeed, Fail, Retry and Catch. The local stack
// keys its handlers by state name, so construct ids double as unique, readable state names.

/** Settings shared by the import and export state machines. */
export interface WorkflowMachineProps {
  /**
   * Function the failure branch invokes to mark the DataJob FAILED.
   */
  readonly jobFailFunction: lambda.IFunction;

  /**
   * Parallel iterations of each inline Map state.
   * @default 10
   */
  readonly maxConcurrency?: number;

  /**
   * Parallel chunk tasks of the import's chunk maps (Distributed Maps: one child execution per
   * chunk, so hundreds of chunk Lambdas can run at once).
   * @default 200
   */
  readonly chunkMaxConcurrency?: number;

  /**
   * Maximum duration of one execution.
   * @default Duration.hours(24)
   */
  readonly executionTimeout?: cdk.Duration;

  /**
   * Retention of the state machine's execution log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

export const DEFAULT_MAP_MAX_CONCURRENCY = 10;

/** Parallel chunk tasks of an import's Distributed Maps. */
export const DEFAULT_CHUNK_MAX_CONCURRENCY = 200;

/**
 * A `lambda:invoke` task whose output is the function's return value.
 * Lambda service errors are retried with the CDK defaults.
 */
export function invokeTask(scope: Construct, stateName: string, fn: lambda.IFunction, payload?: sfn.TaskInput): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, stateName, {
    lambdaFunction: fn,
    payload,
    payloadResponseOnly: false,
    outputPath: '$.Payload',
    // Lambda's own limit. Explicit because the local runner otherwise cuts a task at 60 s, and a
    // task that outlives its Lambda should fail the state rather than wait for the execution's.
    taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
  });
}

/** How long one task may run: the Lambda maximum. */
export const TASK_TIMEOUT = cdk.Duration.minutes(15);

/**
 * A chunk or segment task: on top of the Lambda service retries, a failed attempt is retried
 * twice with backoff, which is safe because chunk work is idempotent.
 */
export function chunkTask(scope: Construct, stateName: string, fn: lambda.IFunction): tasks.LambdaInvoke {
  const task = invokeTask(scope, stateName, fn);
  task.addRetry({
    errors: [sfn.Errors.TASKS_FAILED],
    maxAttempts: 2,
    interval: cdk.Duration.seconds(2),
    backoffRate: 2,
  });
  return task;
}

/**
 * An inline Map over the number array at `itemsPath`; every iteration receives
 * `{org, job_id, [itemField]: <item>}`. Its results are discarded: the state keeps its input.
 */
export function fanOut(
  scope: Construct,
  stateName: string,
  opts: { itemsPath: string; itemField: string; maxConcurrency: number; task: sfn.IChainable; distributed?: boolean },
): sfn.Map | sfn.DistributedMap {
  const props = {
    itemsPath: opts.itemsPath,
    itemSelector: {
      org: sfn.JsonPath.stringAt('$.org'),
      job_id: sfn.JsonPath.stringAt('$.job_id'),
      [opts.itemField]: sfn.JsonPath.numberAt('$$.Map.Item.Value'),
    },
    maxConcurrency: opts.maxConcurrency,
    resultPath: sfn.JsonPath.DISCARD,
  };
  // An inline Map runs at most 40 iterations at once; a Distributed Map runs its items as child
  // executions, hundreds at a time. Items still come from the state (ItemsPath, no ItemReader),
  // which is the part of Distributed Map the local runner also executes.
  const map = opts.distributed
    ? new sfn.DistributedMap(scope, stateName, { ...props, mapExecutionType: sfn.StateMachineType.STANDARD })
    : new sfn.Map(scope, stateName, props);
  map.itemProcessor(opts.task);
  return map;
}

/**
 * The failure branch: `<prefix>Failed` records the error on the DataJob, then
 * `<prefix>FailedEnd` fails the execution.
 */
export function failureBranch(scope: Construct, prefix: string, jobFailFunction: lambda.IFunction): sfn.IChainable {
  const recordFailure = invokeTask(
    scope,
    `${prefix}Failed`,
    jobFailFunction,
    sfn.TaskInput.fromObject({
      org: sfn.JsonPath.stringAt('$.org'),
      job_id: sfn.JsonPath.stringAt('$.job_id'),
      error: sfn.JsonPath.objectAt('$.error'),
    }),
  );
  return recordFailure.next(
    new sfn.Fail(scope, `${prefix}FailedEnd`, {
      error: `Dataio${prefix}Failed`,
      cause: `The ${prefix.toLowerCase()} job failed; its DataJob holds the error.`,
    }),
  );
}

/** Catches every error of `states`, keeping their input and adding the error under `$.error`. */
export function catchAll(handler: sfn.IChainable, ...states: Array<sfn.TaskStateBase | sfn.Map | sfn.DistributedMap>): void {
  for (const state of states) state.addCatch(handler, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
}

/** A Standard state machine with X-Ray tracing and execution logs in its own log group. */
export function workflowStateMachine(
  scope: Construct,
  definition: sfn.IChainable,
  props: WorkflowMachineProps & { kind: 'import' | 'export' },
): { stateMachine: sfn.StateMachine; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, 'ExecutionLogs', {
    // The /aws/vendedlogs/ prefix keeps the account's CloudWatch Logs resource policy small.
    logGroupName: `/aws/vendedlogs/states/${cdk.Stack.of(scope).stackName}-${props.kind}`,
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: cdk.RemovalPolicy.DESTROY,
  });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    comment: `dataio ${props.kind} workflow`,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    timeout: props.executionTimeout ?? cdk.Duration.hours(24),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  acknowledgeNag(
    stateMachine,
    'AwsSolutions-IAM5[Resource::*]',
    'Resource "*" only for the actions that have no resource-level permissions: X-Ray tracing (xray:PutTraceSegments, ...) and CloudWatch Logs delivery (logs:CreateLogDelivery, logs:DescribeResourcePolicies, ...), which Step Functions needs to log to its log group.',
  );
  return { stateMachine, logGroup };
}

/**
 * Acknowledges the wildcards CDK's own grants put on a workflow's role: `lambda:InvokeFunction`
 * on `<function ARN>:*` (the versions and aliases of each task function, which the task ARN may
 * name), and for a Distributed Map the child executions of this very state machine.
 */
export function acknowledgeWorkflowGrants(stateMachine: sfn.StateMachine, functions: readonly lambda.IFunction[], distributed: boolean): void {
  for (const fn of functions) {
    acknowledgeWildcardResource(stateMachine, `${fn.functionArn}:*`, 'lambda:InvokeFunction on the versions and aliases (":*") of one task function of this workflow, as the LambdaInvoke task grants it');
  }
  if (!distributed) return;
  const executions = executionArnPrefix(stateMachine);
  acknowledgeWildcardResource(stateMachine, `${executions}:*`, 'The Distributed Map runs each chunk as a child execution of this same state machine: it describes and stops its own executions, whose names are generated at run time');
  acknowledgeWildcardResource(stateMachine, `${executions}/*:*`, 'The Distributed Map redrives the child executions of its own map runs (labelled executions of this same state machine), whose names are generated at run time');
}
