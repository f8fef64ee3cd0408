import type { JobDeps } from '../../layers/core/jobs/deps';
import { assembleExport, exportSegment, planExport } from '../../layers/core/jobs/export-workflow';
import { failJob } from '../../layers/core/jobs/fail-job';
import { scopeToJob } from '../../layers/core/jobs/job-scope';
import { commitImportChunk, decideImport, finalizeImport, prepareImport, validateImportChunk } from '../../layers/core/jobs/import-workflow';
import type { WorkflowEngine, WorkflowInput, WorkflowKind } from '../../layers/core/ports';

/**
 * Runs the use cases in the order of the state machines, in process, so use-case tests cover a
 * whole job without Step Functions. Errors go to `failJob` like the machines' Catch.
 */
export class InProcessWorkflowEngine implements WorkflowEngine {
  readonly started: Array<{ kind: WorkflowKind; input: WorkflowInput }> = [];
  private readonly runs: Promise<void>[] = [];
  private deps?: JobDeps;

  /** `eager`: run the whole execution before `start` returns, as a very fast machine might. */
  constructor(private readonly options: { eager?: boolean } = {}) {}

  bind(deps: JobDeps): this {
    this.deps = deps;
    return this;
  }

  async start(kind: WorkflowKind, input: WorkflowInput): Promise<string> {
    this.started.push({ kind, input });
    if (this.options.eager) {
      await this.run(kind, input);
      return `arn:in-process:execution:${kind}:${input.job_id}`;
    }
    // Like Step Functions, the execution runs after StartExecution has answered.
    this.runs.push(new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run(kind, input)));
    return `arn:in-process:execution:${kind}:${input.job_id}`;
  }

  async stop(): Promise<void> {}

  /** Waits for every started execution to end. */
  async settle(): Promise<void> {
    await Promise.all(this.runs);
  }

  private async run(kind: WorkflowKind, input: WorkflowInput): Promise<void> {
    if (!this.deps) throw new Error('InProcessWorkflowEngine.bind(deps) was not called');
    // As in the Lambda tasks, the steps see only the job's own organization, job and files.
    const deps = scopeToJob(this.deps, input);
    try {
      if (kind === 'import') {
        const prepared = await prepareImport(deps, input);
        await Promise.all(prepared.chunks.map((chunk) => validateImportChunk(deps, { ...input, chunk })));
        const decided = await decideImport(deps, prepared);
        if (decided.commit) await Promise.all(prepared.chunks.map((chunk) => commitImportChunk(deps, { ...input, chunk })));
        await finalizeImport(deps, decided);
      } else {
        const planned = await planExport(deps, input);
        await Promise.all(planned.segments.map((segment) => exportSegment(deps, { ...input, segment })));
        await assembleExport(deps, planned);
      }
    } catch (error) {
      await failJob(deps, { ...input, error: { Error: (error as Error).name, Cause: JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }) } });
    }
  }
}
