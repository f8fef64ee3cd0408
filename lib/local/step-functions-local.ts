/**
 * Runs the synthesized state machine definitions with aws-local-stepfunctions, Task states mapped
 * to the same handlers Lambda runs, and keeps the executions so the SFN endpoint
 * (`sfn-endpoint.ts`) can answer `DescribeExecution` like the service does.
 */
import './promise-with-resolvers';
import { randomUUID } from 'node:crypto';
// The CJS build: ts-jest and tsx both load the package through `require`.
import { StateMachine } from 'aws-local-stepfunctions';
import type { LambdaInvoker } from './lambda-invoker';
import { LambdaFunctionError } from './lambda-invoker';
import type { LocalFunction, LocalStateMachine, StateMachineJson } from './local-model';
import { functionNameFromArn, LOCAL_ACCOUNT, LOCAL_PARTITION, LOCAL_REGION } from './template-resolver';

export const LAMBDA_INVOKE_RESOURCE = `arn:${LOCAL_PARTITION}:states:::lambda:invoke`;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: ExecutionStatus;
  /** The input as the JSON text it was started with. */
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
  readonly startDate: Date;
  stopDate?: Date;
}

/** A StepFunctions service error; `type` is the `__type` the SDK turns into its exception class. */
export class StepFunctionsServiceError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
    this.name = 'StepFunctionsServiceError';
  }
}

/** Thrown at startup when a definition uses something the local runner cannot execute. */
export class UnsupportedDefinitionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsupportedDefinitionError';
  }
}

/** One Task state of a definition (nested Map and Parallel states included) and how it runs. */
export interface TaskBinding {
  readonly stateName: string;
  readonly resource: string;
  /** `lambda:invoke` wraps the payload (`{FunctionName, Payload}` → `{Payload}`); a bare function ARN does not. */
  readonly integration: 'lambda:invoke' | 'function-arn';
  /** Set for `function-arn` tasks; `lambda:invoke` tasks name the function in their resolved Parameters. */
  readonly functionName?: string;
}

/** Walks every Task state of a definition, descending into Map (ItemProcessor/Iterator) and Parallel. */
export function taskStates(definition: StateMachineJson): Array<{ stateName: string; state: Record<string, unknown> }> {
  const found: Array<{ stateName: string; state: Record<string, unknown> }> = [];
  const walk = (machine: { States?: Record<string, Record<string, unknown>> }): void => {
    for (const [stateName, state] of Object.entries(machine.States ?? {})) {
      if (state.Type === 'Task') found.push({ stateName, state });
      const processor = (state.ItemProcessor ?? state.Iterator) as StateMachineJson | undefined;
      if (state.Type === 'Map' && processor) walk(processor);
      if (state.Type === 'Parallel') for (const branch of (state.Branches as StateMachineJson[]) ?? []) walk(branch);
    }
  };
  walk(definition);
  return found;
}

/**
 * The Task bindings of a definition, checked against the functions of the model: every Task must
 * be a `lambda:invoke` (or a direct Lambda ARN) of a function the local stack can run.
 */
export function bindTasks(definition: StateMachineJson, functions: ReadonlyMap<string, LocalFunction>): TaskBinding[] {
  const byName = new Map([...functions.values()].map((f) => [f.name, f]));
  const seen = new Map<string, string>();
  return taskStates(definition).map(({ stateName, state }) => {
    const resource = String(state.Resource);
    if (seen.has(stateName)) {
      throw new UnsupportedDefinitionError(`Task state name "${stateName}" is used twice; local handlers are keyed by state name`);
    }
    seen.set(stateName, resource);
    let binding: TaskBinding;
    if (resource === LAMBDA_INVOKE_RESOURCE) {
      const target = (state.Parameters as Record<string, unknown> | undefined)?.FunctionName;
      if (typeof target !== 'string') {
        throw new UnsupportedDefinitionError(`Task "${stateName}" must name its function statically in Parameters.FunctionName`);
      }
      binding = { stateName, resource, integration: 'lambda:invoke', functionName: functionNameFromArn(target) ?? target };
    } else if (functionNameFromArn(resource)) {
      binding = { stateName, resource, integration: 'function-arn', functionName: functionNameFromArn(resource) };
    } else {
      throw new UnsupportedDefinitionError(`Task "${stateName}" uses ${resource}; the local runner only runs Lambda tasks`);
    }
    if (!binding.functionName || !byName.has(binding.functionName)) {
      throw new UnsupportedDefinitionError(`Task "${stateName}" invokes ${binding.functionName}, which has no local handler`);
    }
    return binding;
  });
}

export interface LocalStepFunctionsOptions {
  readonly stateMachines: readonly LocalStateMachine[];
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly invoker: LambdaInvoker;
  readonly log?: (message: string) => void;
  /**
   * Milliseconds to wait between retries instead of the definition's IntervalSeconds/BackoffRate
   * (tests use 0). @default the definition's own schedule
   */
  readonly retryIntervalMs?: number;
  /**
   * Delay before an execution's first state runs. The service starts executions asynchronously
   * (StartExecution returns first, the first Lambda runs some 100 ms later); 0 runs it at once.
   * @default 0
   */
  readonly startDelayMs?: number;
}

interface Running {
  readonly record: ExecutionRecord;
  aborted: boolean;
  abort?: () => void;
  readonly done: Promise<void>;
}

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** An in-memory Step Functions: start, describe, stop and list executions of the template's machines. */
export class LocalStepFunctions {
  private readonly machines = new Map<string, { machine: LocalStateMachine; runner: StateMachine; tasks: TaskBinding[] }>();
  private readonly executions = new Map<string, Running>();
  private readonly log: (message: string) => void;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.log = options.log ?? (() => undefined);
    for (const machine of options.stateMachines) {
      let runner: StateMachine;
      try {
        // A copy, as validation writes defaults (QueryLanguage) into the object it is given. JSON, not
        // structuredClone: the runner only treats same-realm plain objects as payload templates.
        runner = new StateMachine(JSON.parse(JSON.stringify(machine.definition)) as never);
      } catch (error) {
        throw new UnsupportedDefinitionError(`state machine ${machine.logicalId} does not validate`, { cause: error });
      }
      this.machines.set(machine.arn, { machine, runner, tasks: bindTasks(machine.definition, options.functions) });
    }
  }

  /** The state machines by ARN. */
  stateMachines(): LocalStateMachine[] {
    return [...this.machines.values()].map((m) => m.machine);
  }

  /** Starts an execution; a RUNNING one with the same name and input is returned again (idempotent, like AWS). */
  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): ExecutionRecord {
    const entry = this.machines.get(request.stateMachineArn);
    if (!entry) throw new StepFunctionsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${request.stateMachineArn}'`);
    const name = request.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name)) throw new StepFunctionsServiceError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = request.input ?? '{}';
    let input: unknown;
    try {
      input = JSON.parse(inputText);
    } catch {
      throw new StepFunctionsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const executionArn = `arn:${LOCAL_PARTITION}:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${entry.machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.record.status === 'RUNNING' && existing.record.input === inputText) return existing.record;
      throw new StepFunctionsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: entry.machine.arn,
      name,
      status: 'RUNNING',
      input: inputText,
      startDate: new Date(),
    };
    const running = { record, aborted: false } as Running;
    const handlers = Object.fromEntries(entry.tasks.map((t) => [t.stateName, this.taskHandler(t, running)]));
    const retryIntervalMs = this.options.retryIntervalMs;
    const begin = (): Promise<void> => {
      if (running.aborted) return Promise.resolve();
      const execution = entry.runner.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: handlers,
          ...(retryIntervalMs === undefined
            ? {}
            : { retryIntervalOverrides: Object.fromEntries(allStateNames(entry.machine.definition).map((s) => [s, retryIntervalMs])) }),
        },
        noThrowOnAbort: true,
        context: {
          Execution: { Id: executionArn, Name: name, RoleArn: `arn:${LOCAL_PARTITION}:iam::${LOCAL_ACCOUNT}:role/local` },
          StateMachine: { Id: entry.machine.arn, Name: entry.machine.name },
        },
      });
      running.abort = execution.abort;
      return this.settle(running, execution.result);
    };
    const delay = this.options.startDelayMs ?? 0;
    Object.assign(running, { done: delay > 0 ? new Promise((resolve) => setTimeout(resolve, delay)).then(begin) : begin() });
    this.executions.set(executionArn, running);
    this.log(`sfn: started ${entry.machine.name}:${name}`);
    return record;
  }

  describeExecution(executionArn: string): ExecutionRecord {
    return this.find(executionArn).record;
  }

  /** Stops a running execution; stopping one that already ended leaves it as it was. */
  stopExecution(executionArn: string, details: { error?: string; cause?: string } = {}): ExecutionRecord {
    const running = this.find(executionArn);
    if (running.record.status === 'RUNNING') {
      running.aborted = true;
      Object.assign(running.record, { status: 'ABORTED', error: details.error, cause: details.cause, stopDate: new Date() });
      running.abort?.();
      this.log(`sfn: aborted ${running.record.name}`);
    }
    return running.record;
  }

  listExecutions(filter: { stateMachineArn?: string; statusFilter?: ExecutionStatus } = {}): ExecutionRecord[] {
    return [...this.executions.values()]
      .map((r) => r.record)
      .filter((r) => !filter.stateMachineArn || r.stateMachineArn === filter.stateMachineArn)
      .filter((r) => !filter.statusFilter || r.status === filter.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  /** Resolves when the execution has ended (tests and shutdown use it). */
  async waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    const running = this.find(executionArn);
    await running.done;
    return running.record;
  }

  /** Aborts every running execution and waits for them to settle. */
  async close(): Promise<void> {
    const running = [...this.executions.values()].filter((r) => r.record.status === 'RUNNING');
    for (const r of running) this.stopExecution(r.record.executionArn, { error: 'States.Aborted', cause: 'local stack stopped' });
    await Promise.all(running.map((r) => r.done));
  }

  private find(executionArn: string): Running {
    const running = this.executions.get(executionArn);
    if (!running) {
      if (!executionArn.startsWith('arn:')) throw new StepFunctionsServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`);
      throw new StepFunctionsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return running;
  }

  private taskHandler(task: TaskBinding, running: Running): (input: unknown) => Promise<never> {
    const byName = new Map([...this.options.functions.values()].map((f) => [f.name, f.logicalId]));
    return (async (input: unknown) => {
      // abort() does not cancel Map items still queued behind MaxConcurrency: refuse to run them.
      if (running.aborted) throw namedError('States.Aborted', 'execution was stopped');
      const payload = task.integration === 'lambda:invoke' ? (input as { Payload?: unknown }).Payload ?? null : input;
      const functionName = task.integration === 'lambda:invoke'
        ? functionNameFromArn(String((input as { FunctionName?: unknown }).FunctionName)) ?? task.functionName
        : task.functionName;
      const logicalId = byName.get(String(functionName));
      if (!logicalId) throw namedError('Lambda.ResourceNotFoundException', `Function not found: ${functionName}`);
      try {
        const result = await this.options.invoker.invoke(logicalId, payload);
        return task.integration === 'lambda:invoke' ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
      } catch (error) {
        // Step Functions reports a function error as Error = errorType, Cause = the error payload JSON.
        if (error instanceof LambdaFunctionError) throw namedError(error.errorType, error.toPayload());
        throw namedError('Lambda.ServiceException', error instanceof Error ? error.message : String(error));
      }
    }) as (input: unknown) => Promise<never>;
  }

  private async settle(running: Running, result: Promise<unknown>): Promise<void> {
    const { record } = running;
    try {
      const output = await result;
      if (record.status !== 'RUNNING') return;
      Object.assign(record, { status: 'SUCCEEDED', output: JSON.stringify(output ?? null), stopDate: new Date() });
      this.log(`sfn: succeeded ${record.name}`);
    } catch (error) {
      if (record.status !== 'RUNNING') return;
      const failure = failureOf(error);
      Object.assign(record, { ...failure, stopDate: new Date() });
      this.log(`sfn: ${failure.status.toLowerCase()} ${record.name}: ${failure.error ?? ''} ${truncate(failure.cause ?? '', 300)}`);
    }
  }
}

function failureOf(error: unknown): { status: ExecutionStatus; error?: string; cause?: string } {
  const err = error as Error & { cause?: unknown };
  if (err?.name === 'ExecutionTimeoutError') {
    return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution timed out' };
  }
  // ExecutionError wraps the runtime error of the state that failed the execution.
  const inner = (err?.name === 'ExecutionError' && err.cause instanceof Error ? err.cause : err) as Error | undefined;
  return { status: 'FAILED', error: inner?.name ?? 'States.Runtime', cause: inner?.message ?? String(error) };
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function allStateNames(definition: StateMachineJson): string[] {
  const names: string[] = [];
  const walk = (machine: { States?: Record<string, Record<string, unknown>> }): void => {
    for (const [name, state] of Object.entries(machine.States ?? {})) {
      names.push(name);
      const processor = (state.ItemProcessor ?? state.Iterator) as StateMachineJson | undefined;
      if (processor) walk(processor);
      for (const branch of (state.Branches as StateMachineJson[] | undefined) ?? []) walk(branch);
    }
  };
  walk(definition);
  return names;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
