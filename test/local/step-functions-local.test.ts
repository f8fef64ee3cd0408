import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import path from 'node:path';
import { createLambdaInvoker } from '../../lib/local/lambda-invoker';
import { buildLocalModel, LocalFunction, LocalStateMachine } from '../../lib/local/local-model';
import { RunningServer, startSfnEndpoint } from '../../lib/local/sfn-endpoint';
import { LocalStepFunctions, UnsupportedDefinitionError } from '../../lib/local/step-functions-local';
import { fixtureStacks } from './fixture-stacks';
import { workflowCalls } from './fixtures/handlers/workflow-step';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const fnArn = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const localFunction = (name: string): LocalFunction => ({
  logicalId: name,
  stackName: 'Test',
  name,
  arn: fnArn(name),
  handlerPath: 'test/local/fixtures/handlers/workflow-step.ts',
  env: {},
  timeoutSeconds: 5,
  memorySize: 128,
});

/** Map over the input values (Double each) with a Catch to a Fail state. */
const tinyMachine: LocalStateMachine = {
  logicalId: 'Tiny',
  name: 'Tiny',
  arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Tiny',
  definition: {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemsPath: '$.values',
        MaxConcurrency: 1,
        ItemSelector: { 'value.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Double',
          States: {
            Double: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: fnArn('DoubleFn'), 'Payload.$': '$' },
              OutputPath: '$.Payload',
              End: true,
            },
          },
        },
        ResultPath: '$.doubled',
        Catch: [{ ErrorEquals: ['ChunkInvalidError'], ResultPath: '$.error', Next: 'Failed' }],
        End: true,
      },
      Failed: { Type: 'Fail', Error: 'TinyFailed', Cause: 'a value exploded' },
    },
  },
};

function tinyRunner(): LocalStepFunctions {
  const functions = new Map([['DoubleFn', localFunction('DoubleFn')]]);
  return new LocalStepFunctions({
    stateMachines: [tinyMachine],
    functions,
    invoker: createLambdaInvoker({ functions, repoRoot: REPO_ROOT }),
  });
}

describe('LocalStepFunctions', () => {
  beforeEach(() => {
    workflowCalls.length = 0;
  });

  it('runs a Map of lambda:invoke tasks with the local handler and records the output', async () => {
    const sfn = tinyRunner();
    const started = sfn.startExecution({ stateMachineArn: tinyMachine.arn, name: 'ok', input: JSON.stringify({ values: [{ n: 1 }, { n: 2 }, { n: 5 }] }) });
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:Tiny:ok');
    const done = await sfn.waitForExecution(started.executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ values: [{ n: 1 }, { n: 2 }, { n: 5 }], doubled: [2, 4, 10] });
    // The handler saw the Payload only, as Lambda would.
    expect(workflowCalls.map((c) => c.event)).toEqual([{ value: { n: 1 } }, { value: { n: 2 } }, { value: { n: 5 } }]);
  });

  it('reports a function error as Error = errorType and Cause = the error payload, matched by Catch', async () => {
    const sfn = tinyRunner();
    const { executionArn } = sfn.startExecution({ stateMachineArn: tinyMachine.arn, name: 'boom', input: JSON.stringify({ values: [{ n: 1, explode: true }] }) });
    const done = await sfn.waitForExecution(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'TinyFailed', cause: 'a value exploded' });
  });

  it('fails the execution with the function error when nothing catches it', async () => {
    const machine = { ...tinyMachine, definition: structuredClone(tinyMachine.definition) };
    machine.definition.States.Each.Catch = [{ ErrorEquals: ['SomethingElse'], Next: 'Failed' }];
    const functions = new Map([['DoubleFn', localFunction('DoubleFn')]]);
    const sfn = new LocalStepFunctions({ stateMachines: [machine], functions, invoker: createLambdaInvoker({ functions, repoRoot: REPO_ROOT }) });
    const { executionArn } = sfn.startExecution({ stateMachineArn: machine.arn, input: JSON.stringify({ values: [{ n: 3, explode: true }] }) });
    const done = await sfn.waitForExecution(executionArn);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('ChunkInvalidError');
    expect(JSON.parse(done.cause!)).toMatchObject({ errorType: 'ChunkInvalidError', errorMessage: 'chunk 3 exploded' });
  });

  it('stops an execution and does not start its queued Map items', async () => {
    const sfn = tinyRunner();
    const values = [1, 2, 3, 4].map((n) => ({ n, delayMs: 200 }));
    const { executionArn } = sfn.startExecution({ stateMachineArn: tinyMachine.arn, name: 'slow', input: JSON.stringify({ values }) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sfn.stopExecution(executionArn, { error: 'Cancelled', cause: 'user asked' })).toMatchObject({ status: 'ABORTED', error: 'Cancelled' });
    await sfn.waitForExecution(executionArn);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(workflowCalls).toHaveLength(1);
    expect(sfn.describeExecution(executionArn).status).toBe('ABORTED');
  });

  it('rejects definitions whose tasks it cannot run', () => {
    const machine: LocalStateMachine = {
      ...tinyMachine,
      definition: { StartAt: 'Put', States: { Put: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: {}, End: true } } },
    };
    expect(() => new LocalStepFunctions({ stateMachines: [machine], functions: new Map(), invoker: { invoke: jest.fn() } }))
      .toThrow(UnsupportedDefinitionError);
  });

  it('runs the fixture template state machine (Map, Choice, Catch) end to end', async () => {
    const model = buildLocalModel(fixtureStacks());
    const sfn = new LocalStepFunctions({
      stateMachines: model.stateMachines,
      functions: model.functions,
      invoker: createLambdaInvoker({ functions: model.functions, repoRoot: REPO_ROOT }),
    });
    const [machine] = model.stateMachines;
    const ok = sfn.startExecution({ stateMachineArn: machine.arn, input: JSON.stringify({ org: 'acme', job_id: 'j1' }) });
    expect(await sfn.waitForExecution(ok.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ status: 'SUCCEEDED', job_id: 'j1' }) });
    const bad = sfn.startExecution({ stateMachineArn: machine.arn, input: JSON.stringify({ org: 'acme', job_id: 'j2', chunks: [{ n: 1, bad: true }] }) });
    expect(await sfn.waitForExecution(bad.executionArn)).toMatchObject({ status: 'FAILED', error: 'ImportFailed' });
  });
});

describe('the SFN endpoint with @aws-sdk/client-sfn', () => {
  let sfn: LocalStepFunctions;
  let server: RunningServer;
  let client: SFNClient;

  beforeAll(async () => {
    sfn = tinyRunner();
    server = await startSfnEndpoint(sfn);
    client = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });

  afterAll(async () => {
    client.destroy();
    await sfn.close();
    await server.close();
  });

  it('starts, describes and lists executions', async () => {
    const input = JSON.stringify({ values: [{ n: 21 }] });
    const started = await client.send(new StartExecutionCommand({ stateMachineArn: tinyMachine.arn, name: 'sdk-1', input }));
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:Tiny:sdk-1');
    expect(started.startDate).toBeInstanceOf(Date);
    await sfn.waitForExecution(started.executionArn!);
    const described = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', name: 'sdk-1', input, stateMachineArn: tinyMachine.arn });
    expect(JSON.parse(described.output!).doubled).toEqual([42]);
    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: tinyMachine.arn, statusFilter: 'SUCCEEDED' }));
    expect(listed.executions?.map((e) => e.name)).toContain('sdk-1');
  });

  it('answers ExecutionAlreadyExists for a reused name and ExecutionDoesNotExist for an unknown ARN', async () => {
    const input = JSON.stringify({ values: [] });
    await client.send(new StartExecutionCommand({ stateMachineArn: tinyMachine.arn, name: 'dup', input }));
    await sfn.waitForExecution('arn:aws:states:us-east-1:000000000000:execution:Tiny:dup');
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: tinyMachine.arn, name: 'dup', input }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(client.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Tiny:nope' })))
      .rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('stops a running execution', async () => {
    const input = JSON.stringify({ values: [{ n: 1, delayMs: 300 }, { n: 2, delayMs: 300 }] });
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: tinyMachine.arn, name: 'stop-me', input }));
    const stopped = await client.send(new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'test' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    await expect(client.send(new DescribeExecutionCommand({ executionArn }))).resolves.toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'test' });
  });
});
