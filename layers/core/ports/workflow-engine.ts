/** The two workflows a DataJob can run. */
export type WorkflowKind = 'import' | 'export';

/** The input every workflow execution starts with: tasks re-read the job from this. */
export interface WorkflowInput {
  readonly org: string;
  readonly job_id: string;
}

/** Starts and stops workflow executions (Step Functions in AWS and locally). */
export interface WorkflowEngine {
  /** Starts an execution named after the job; returns the execution id (ARN). */
  start(kind: WorkflowKind, input: WorkflowInput): Promise<string>;
  /** Stops an execution; stopping one that already ended is not an error. */
  stop(executionId: string, cause: string): Promise<void>;
}
