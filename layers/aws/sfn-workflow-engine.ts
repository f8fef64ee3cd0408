import { ExecutionDoesNotExist, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowEngine, WorkflowInput, WorkflowKind } from '../core/ports';

/** Workflows as Step Functions state machines; an execution is named after its job. */
export class StepFunctionsWorkflowEngine implements WorkflowEngine {
  constructor(private readonly options: { client: SFNClient; stateMachineArns: Partial<Record<WorkflowKind, string>> }) {}

  async start(kind: WorkflowKind, input: WorkflowInput): Promise<string> {
    const stateMachineArn = this.options.stateMachineArns[kind];
    if (!stateMachineArn) throw new Error(`no state machine is configured for ${kind} workflows`);
    const result = await this.options.client.send(new StartExecutionCommand({ stateMachineArn, name: input.job_id, input: JSON.stringify(input) }));
    return result.executionArn!;
  }

  async stop(executionId: string, cause: string): Promise<void> {
    try {
      await this.options.client.send(new StopExecutionCommand({ executionArn: executionId, cause }));
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
    }
  }
}
