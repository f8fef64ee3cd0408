import type { WorkflowKind } from '../ports';
import type { DataJob } from './data-job';
import type { JobDeps } from './deps';

/**
 * Stores a new PENDING job, starts its workflow and marks it QUEUED with the execution id.
 *
 * 1. Store the job as PENDING (so a crash before the start leaves a visible, failed-looking job).
 * 2. Start the state machine execution named after the job.
 * 3. Move PENDING → QUEUED with the execution id; if the start failed, PENDING → FAILED.
 */
export async function startJob(deps: Pick<JobDeps, 'jobs' | 'workflow' | 'now'>, job: DataJob, kind: WorkflowKind): Promise<DataJob> {
  await deps.jobs.create(job);
  let executionId: string;
  try {
    executionId = await deps.workflow.start(kind, { org: job.organization, job_id: job.job_id });
  } catch (error) {
    await deps.jobs.transition(job.organization, job.job_id, ['PENDING'], 'FAILED', {
      finished_at: deps.now().toISOString(),
      result_log: failedLog('workflow_start_failed', 'the job could not be started'),
    });
    throw error;
  }
  try {
    return await deps.jobs.transition(job.organization, job.job_id, ['PENDING'], 'QUEUED', { execution_id: executionId });
  } catch {
    // A fast workflow may already have moved the job on; what it says now is the truth.
    const current = await deps.jobs.get(job.organization, job.job_id);
    if (!current) throw new Error(`job ${job.job_id} vanished after start`);
    if (current.execution_id) return current;
    return deps.jobs.update(job.organization, job.job_id, { execution_id: executionId }, ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED']);
  }
}

/** A result log that only carries a failure reason. */
export function failedLog(code: string, message: string): NonNullable<DataJob['result_log']> {
  return {
    totals: { rows: 0, new: 0, updated: 0, skipped: 0, errors: 0 },
    row_errors: [],
    summary: { warnings: [] },
    error: { code, message },
  };
}

/** A new job with every optional part empty. */
export function newJob(fields: Pick<DataJob, 'job_id' | 'job_type' | 'organization' | 'user' | 'model' | 'export_format' | 'input_params' | 'input_file'>, now: Date): DataJob {
  const at = now.toISOString();
  return {
    ...fields,
    status: 'PENDING',
    output_file: null,
    result_log: null,
    progress: null,
    execution_id: null,
    created_at: at,
    updated_at: at,
    started_at: null,
    finished_at: null,
  };
}
