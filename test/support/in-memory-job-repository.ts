import { ConflictError, JobTransitionError, NotFoundError } from '../../layers/core/errors';
import type { DataJob, JobStatus } from '../../layers/core/jobs/data-job';
import type { JobPage, JobPatch, JobRepository } from '../../layers/core/ports';

/** A JobRepository held in memory, with the same guards as the DynamoDB one. */
export class InMemoryJobRepository implements JobRepository {
  private readonly jobs = new Map<string, DataJob>();

  async create(job: DataJob): Promise<void> {
    const key = `${job.organization}/${job.job_id}`;
    if (this.jobs.has(key)) throw new ConflictError(`job ${job.job_id} already exists`);
    this.jobs.set(key, structuredClone(job));
  }

  async get(org: string, jobId: string): Promise<DataJob | undefined> {
    const job = this.jobs.get(`${org}/${jobId}`);
    return job && structuredClone(job);
  }

  async list(org: string, options: { limit: number; cursor?: string; user?: string }): Promise<JobPage> {
    const all = [...this.jobs.values()]
      .filter((job) => job.organization === org)
      .sort((a, b) => (a.job_id < b.job_id ? 1 : -1));
    const start = options.cursor ? all.findIndex((job) => job.job_id < options.cursor!) : 0;
    const page = all.slice(start === -1 ? all.length : start, (start === -1 ? all.length : start) + options.limit);
    const last = page.at(-1);
    const more = last !== undefined && all.indexOf(last) < all.length - 1;
    return { items: page.filter((job) => !options.user || job.user === options.user).map((job) => structuredClone(job)), nextCursor: more ? last.job_id : null };
  }

  async transition(org: string, jobId: string, from: readonly JobStatus[], to: JobStatus, patch: JobPatch = {}): Promise<DataJob> {
    return this.change(org, jobId, from, { ...patch, status: to });
  }

  async update(org: string, jobId: string, patch: JobPatch, whileIn: readonly JobStatus[]): Promise<DataJob> {
    return this.change(org, jobId, whileIn, patch);
  }

  async addProgress(org: string, jobId: string, delta: { rows_processed?: number; chunks_done?: number }): Promise<void> {
    const job = this.jobs.get(`${org}/${jobId}`);
    if (!job?.progress) return;
    this.jobs.set(`${org}/${jobId}`, {
      ...job,
      progress: { ...job.progress, rows_processed: job.progress.rows_processed + (delta.rows_processed ?? 0), chunks_done: job.progress.chunks_done + (delta.chunks_done ?? 0) },
    });
  }

  private change(org: string, jobId: string, whileIn: readonly JobStatus[], patch: Partial<DataJob>): DataJob {
    const key = `${org}/${jobId}`;
    const job = this.jobs.get(key);
    if (!job) throw new NotFoundError(`data job '${jobId}' not found`);
    if (!whileIn.includes(job.status)) throw new JobTransitionError(`job ${jobId} is ${job.status}, expected ${whileIn.join(' or ')}`);
    const next = { ...job, ...patch, updated_at: new Date().toISOString() } as DataJob;
    this.jobs.set(key, next);
    return structuredClone(next);
  }
}
