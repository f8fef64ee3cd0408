import type { DataJob, JobStatus } from '../../layers/core/jobs/data-job';
import type { JobPage, JobPatch, JobRepository, OpenJobStatus, StaleJobPage } from '../../layers/core/ports';
import { appendLogKeys, currentLogKeys } from './log';
import { annotateTrace } from './observability';

/**
 * A JobRepository that completes the log keys of the invocation with the job it works on. A task's
 * input names only the organization and the job, and a create request has no job id yet: the first
 * job created adds `job_id` and `model`, the invocation's own job read adds `model`, so every
 * later line carries them. Any other job (the sweeper fails many) changes nothing.
 */
export class LogTaggingJobRepository implements JobRepository {
  constructor(private readonly inner: JobRepository) {}

  async create(job: DataJob): Promise<void> {
    await this.inner.create(job);
    this.tag(job, true);
  }

  async get(org: string, jobId: string): Promise<DataJob | undefined> {
    return this.tagged(await this.inner.get(org, jobId));
  }

  list(org: string, options: { limit: number; cursor?: string; user?: string }): Promise<JobPage> {
    return this.inner.list(org, options);
  }

  async transition(org: string, jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch): Promise<DataJob> {
    return this.tagged(await this.inner.transition(org, jobId, from, to, patch));
  }

  async update(org: string, jobId: string, patch: JobPatch, whileIn: readonly JobStatus[]): Promise<DataJob> {
    return this.tagged(await this.inner.update(org, jobId, patch, whileIn));
  }

  addProgress(org: string, jobId: string, delta: { rows_processed?: number; chunks_done?: number }): Promise<void> {
    return this.inner.addProgress(org, jobId, delta);
  }

  findStale(status: OpenJobStatus, before: string, options: { limit: number; cursor?: string }): Promise<StaleJobPage> {
    return this.inner.findStale(status, before, options);
  }

  private tagged<T extends DataJob | undefined>(job: T): T {
    if (job) this.tag(job);
    return job;
  }

  /** Only a create may name the invocation's job; a read only completes the job it already names. */
  private tag(job: DataJob, created = false): void {
    const current = currentLogKeys();
    const own = current.job_id === job.job_id || (created && current.job_id === undefined);
    if (!own || (current.job_id === job.job_id && current.model === job.model)) return;
    const keys = { job_id: job.job_id, organization: job.organization, model: job.model };
    appendLogKeys(keys);
    annotateTrace(keys);
  }
}
