import type { JobPage, JobPatch, JobRepository, MetricDimensions, MetricsRecorder, MetricValues, OpenJobStatus, StaleJobPage } from '../ports';
import { FINAL_STATUSES, type DataJob, type JobStatus } from './data-job';

/** The dimensions of a job's metrics: its type and model (never its organization or id). */
export function jobDimensions(job: Pick<DataJob, 'job_type' | 'model'>): MetricDimensions {
  return { job_type: job.job_type, model: job.model };
}

/**
 * What a job that just ended adds to the metrics: one of JobsCompleted/JobsFailed/JobsCancelled,
 * its duration (COMPLETED and FAILED only: a cancel measures the user, not the system), and its
 * row counts: rows written by a committed import, rows with errors, rows an export wrote.
 */
export function jobEndMetrics(job: DataJob): MetricValues {
  const values: MetricValues = {};
  if (job.status === 'COMPLETED') values.JobsCompleted = 1;
  else if (job.status === 'FAILED') values.JobsFailed = 1;
  else if (job.status === 'CANCELLED') values.JobsCancelled = 1;
  else return values;
  if (job.status !== 'CANCELLED' && job.finished_at) {
    const duration = Date.parse(job.finished_at) - Date.parse(job.created_at);
    if (Number.isFinite(duration) && duration >= 0) values.JobDurationMs = duration;
  }
  const log = job.result_log;
  if (!log) return values;
  if (job.job_type === 'IMPORT') {
    if (log.summary.committed) values.RowsImported = log.totals.new + log.totals.updated;
    if (log.totals.errors > 0) values.RowErrors = log.totals.errors;
  } else if (job.status === 'COMPLETED') {
    values.RowsExported = log.totals.rows;
  }
  return values;
}

/**
 * A JobRepository that records the job metrics where a job's status actually changes: a job
 * stored is started, a job moved to a final status has ended. Status changes are conditional
 * writes, so each job is counted once however many tasks race to end it, and no use case can
 * forget to count the jobs it ends.
 */
export class MeteredJobRepository implements JobRepository {
  constructor(
    private readonly inner: JobRepository,
    private readonly metrics: MetricsRecorder,
  ) {}

  async create(job: DataJob): Promise<void> {
    await this.inner.create(job);
    this.metrics.record({ JobsStarted: 1 }, jobDimensions(job));
  }

  get(org: string, jobId: string): Promise<DataJob | undefined> {
    return this.inner.get(org, jobId);
  }

  list(org: string, options: { limit: number; cursor?: string; user?: string }): Promise<JobPage> {
    return this.inner.list(org, options);
  }

  async transition(org: string, jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch): Promise<DataJob> {
    const job = await this.inner.transition(org, jobId, from, to, patch);
    if (FINAL_STATUSES.includes(to)) this.metrics.record(jobEndMetrics(job), jobDimensions(job));
    return job;
  }

  update(org: string, jobId: string, patch: JobPatch, whileIn: readonly JobStatus[]): Promise<DataJob> {
    return this.inner.update(org, jobId, patch, whileIn);
  }

  addProgress(org: string, jobId: string, delta: { rows_processed?: number; chunks_done?: number }): Promise<void> {
    return this.inner.addProgress(org, jobId, delta);
  }

  findStale(status: OpenJobStatus, before: string, options: { limit: number; cursor?: string }): Promise<StaleJobPage> {
    return this.inner.findStale(status, before, options);
  }
}
