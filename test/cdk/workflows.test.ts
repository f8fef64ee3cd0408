import { Match } from 'aws-cdk-lib/assertions';
import { AslMachine, AslState, DataioTemplates, allStates, handlersByLogicalId, parseDefinition, synthDataio } from './synth-dataio';

const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
];

/** Task state name → handler it invokes. */
const IMPORT_TASKS: Record<string, string> = {
  Prepare: 'lambdas/workflow/import-prepare.ts',
  ValidateChunk: 'lambdas/workflow/import-validate-chunk.ts',
  Decide: 'lambdas/workflow/import-decide.ts',
  CommitChunk: 'lambdas/workflow/import-commit-chunk.ts',
  Finalize: 'lambdas/workflow/import-finalize.ts',
  ImportFailed: 'lambdas/workflow/job-fail.ts',
};
const EXPORT_TASKS: Record<string, string> = {
  Plan: 'lambdas/workflow/export-plan.ts',
  ExportSegment: 'lambdas/workflow/export-segment.ts',
  Assemble: 'lambdas/workflow/export-assemble.ts',
  ExportFailed: 'lambdas/workflow/job-fail.ts',
};

describe('workflows', () => {
  let templates: DataioTemplates;
  let importMachine: AslMachine;
  let exportMachine: AslMachine;
  let handlers: Record<string, string>;

  beforeAll(() => {
    templates = synthDataio();
    handlers = handlersByLogicalId(templates.service);
    const machines = Object.entries(templates.service.findResources('AWS::StepFunctions::StateMachine'));
    const definitionOf = (prefix: string) => {
      const [, resource] = machines.find(([id]) => id.startsWith(prefix)) ?? [];
      return parseDefinition(resource?.Properties.DefinitionString);
    };
    importMachine = definitionOf('ImportWorkflow');
    exportMachine = definitionOf('ExportWorkflow');
  });

  /** Asserts a task invokes `handler` and outputs the Lambda's return value. */
  function expectInvokes(state: AslState, handler: string): void {
    expect(state.Type).toBe('Task');
    expect(state.Resource).toBe('arn:${AWS::Partition}:states:::lambda:invoke');
    expect(state.OutputPath).toBe('$.Payload');
    const functionName = state.Parameters?.FunctionName as string;
    const logicalId = /^\$\{(\w+)\.Arn\}$/.exec(functionName)?.[1];
    expect(logicalId && handlers[logicalId]).toBe(handler);
  }

  function expectCaughtBy(state: AslState, handler: string): void {
    expect(state.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: handler }]);
  }

  function retriedErrors(state: AslState): string[][] {
    return (state.Retry ?? []).map((r) => r.ErrorEquals);
  }

  it('are Standard, traced and logged', () => {
    templates.service.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    templates.service.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({
        Level: 'ALL',
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ExecutionLogs'), 'Arn'] } } }],
      }),
    });
  });

  describe('import', () => {
    it('has exactly the expected, uniquely named states', () => {
      expect(Object.keys(allStates(importMachine)).sort()).toEqual(
        ['Prepare', 'ValidateChunks', 'ValidateChunk', 'Decide', 'ShouldCommit', 'CommitChunks', 'CommitChunk', 'Finalize', 'Done', 'ImportFailed', 'ImportFailedEnd'].sort(),
      );
    });

    it('runs Prepare → ValidateChunks → Decide → ShouldCommit → (CommitChunks →) Finalize → Done', () => {
      const s = importMachine.States;
      expect(importMachine.StartAt).toBe('Prepare');
      expect(s.Prepare.Next).toBe('ValidateChunks');
      expect(s.ValidateChunks.Next).toBe('Decide');
      expect(s.Decide.Next).toBe('ShouldCommit');
      expect(s.ShouldCommit).toMatchObject({
        Type: 'Choice',
        Choices: [{ Variable: '$.commit', BooleanEquals: true, Next: 'CommitChunks' }],
        Default: 'Finalize',
      });
      expect(s.CommitChunks.Next).toBe('Finalize');
      expect(s.Finalize.Next).toBe('Done');
      expect(s.Done.Type).toBe('Succeed');
    });

    it('invokes the right handler from every task', () => {
      const states = allStates(importMachine);
      for (const [name, handler] of Object.entries(IMPORT_TASKS)) expectInvokes(states[name], handler);
      expect(states.Prepare.Parameters).toMatchObject({ 'Payload.$': '$' });
    });

    it.each([
      ['ValidateChunks', 'ValidateChunk'],
      ['CommitChunks', 'CommitChunk'],
    ])('%s is a Distributed Map over $.chunks (hundreds of chunks at once) that keeps its input', (mapName, taskName) => {
      const map = importMachine.States[mapName];
      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.chunks',
        ItemSelector: { 'org.$': '$.org', 'job_id.$': '$.job_id', 'chunk.$': '$$.Map.Item.Value' },
        MaxConcurrency: 200,
        ResultPath: null,
      });
      expect(map.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: taskName });
      expect(Object.keys(map.ItemProcessor?.States ?? {})).toEqual([taskName]);
    });

    it('retries Lambda service errors everywhere and task failures only on chunk tasks', () => {
      const states = allStates(importMachine);
      for (const name of Object.keys(IMPORT_TASKS)) {
        expect(retriedErrors(states[name])[0]).toEqual(LAMBDA_SERVICE_ERRORS);
        const chunkTask = name === 'ValidateChunk' || name === 'CommitChunk';
        expect(retriedErrors(states[name]).some((errors) => errors.includes('States.TaskFailed'))).toBe(chunkTask);
      }
      expect(states.CommitChunk.Retry?.[1]).toMatchObject({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 2, BackoffRate: 2 });
    });

    it('catches every step into ImportFailed → ImportFailedEnd', () => {
      for (const name of ['Prepare', 'ValidateChunks', 'Decide', 'CommitChunks', 'Finalize']) {
        expectCaughtBy(importMachine.States[name], 'ImportFailed');
      }
      const failed = importMachine.States.ImportFailed;
      expect(failed.Parameters?.Payload).toEqual({ 'org.$': '$.org', 'job_id.$': '$.job_id', 'error.$': '$.error' });
      expect(failed.Catch).toBeUndefined();
      expect(failed.Next).toBe('ImportFailedEnd');
      expect(importMachine.States.ImportFailedEnd.Type).toBe('Fail');
    });
  });

  describe('export', () => {
    it('runs Plan → ExportSegments(ExportSegment) → Assemble → ExportDone', () => {
      const s = exportMachine.States;
      expect(Object.keys(allStates(exportMachine)).sort()).toEqual(
        ['Plan', 'ExportSegments', 'ExportSegment', 'Assemble', 'ExportDone', 'ExportFailed', 'ExportFailedEnd'].sort(),
      );
      expect(exportMachine.StartAt).toBe('Plan');
      expect(s.Plan.Next).toBe('ExportSegments');
      expect(s.ExportSegments.Next).toBe('Assemble');
      expect(s.Assemble.Next).toBe('ExportDone');
      expect(s.ExportDone.Type).toBe('Succeed');
      expect(s.ExportSegments).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.segments',
        ItemSelector: { 'org.$': '$.org', 'job_id.$': '$.job_id', 'segment.$': '$$.Map.Item.Value' },
        ResultPath: null,
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'ExportSegment' },
      });
    });

    it('invokes the right handler from every task and retries segments', () => {
      const states = allStates(exportMachine);
      for (const [name, handler] of Object.entries(EXPORT_TASKS)) expectInvokes(states[name], handler);
      expect(retriedErrors(states.ExportSegment)).toContainEqual(['States.TaskFailed']);
      expect(retriedErrors(states.Plan)).not.toContainEqual(['States.TaskFailed']);
    });

    it('catches every step into ExportFailed → ExportFailedEnd', () => {
      for (const name of ['Plan', 'ExportSegments', 'Assemble']) expectCaughtBy(exportMachine.States[name], 'ExportFailed');
      expect(exportMachine.States.ExportFailed.Parameters?.Payload).toEqual({ 'org.$': '$.org', 'job_id.$': '$.job_id', 'error.$': '$.error' });
      expect(exportMachine.States.ExportFailed.Next).toBe('ExportFailedEnd');
      expect(exportMachine.States.ExportFailedEnd.Type).toBe('Fail');
    });
  });

  it('stick to what aws-local-stepfunctions runs (Distributed Map only with items from the state)', () => {
    for (const machine of [importMachine, exportMachine]) {
      const json = JSON.stringify(machine);
      for (const unsupported of ['QueryLanguage', 'JSONata', 'Assign', 'Arguments', 'ItemReader', 'ItemBatcher', 'ResultWriter', 'waitForTaskToken']) {
        expect(json).not.toContain(unsupported);
      }
    }
  });

  it('give every task the Lambda maximum as its timeout (the local runner would cut at 60 s)', () => {
    for (const machine of [importMachine, exportMachine]) {
      const tasks = Object.values(allStates(machine)).filter((state) => state.Type === 'Task');
      expect(tasks.length).toBeGreaterThan(3);
      for (const task of tasks) expect(task).toMatchObject({ TimeoutSeconds: 900 });
    }
  });

  it('name task states uniquely across both machines (local handler keys)', () => {
    const taskNames = [importMachine, exportMachine].flatMap((m) =>
      Object.entries(allStates(m))
        .filter(([, state]) => state.Type === 'Task')
        .map(([name]) => name),
    );
    expect(new Set(taskNames).size).toBe(taskNames.length);
  });
});
