import { ConflictError, JobTransitionError, NotFoundError } from '../../layers/core/errors';
import type { DataJob, JobStatus } from '../../layers/core/jobs/data-job';
import type { JobPage, JobPatch, JobRepository, OpenJobStatus, StaleJobPage } from '../../layers/core/ports';

const OPEN: readonly JobStatus[] = ['PENDING', 'QUEUED', 'RUNNING'];

/** A JobRepository held in memory, with the same guards as the DynamoDB one. */
export class InMemoryJobRepository implements JobRepository {
  private readonly jobs = new Map<string, DataJob>();
  /** When each open job entered its status (the DynamoDB adapter's `open_since`). */
  private readonly openSince = new Map<string, string>();

  async create(job: DataJob): Promise<void> {
    const key = `${job.organization}/${job.job_id}`;
    if (this.jobs.has(key)) throw new ConflictError(`job ${job.job_id} already exists`);
    this.jobs.set(key, structuredClone(job));
    if (OPEN.includes(job.status)) this.openSince.set(key, job.started_at ?? job.created_at);
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
    const changed = this.change(org, jobId, from, { ...patch, status: to });
    const key = `${org}/${jobId}`;
    if (!OPEN.includes(to)) this.openSince.delete(key);
    else if (to === 'RUNNING') this.openSince.set(key, patch.started_at ?? new Date().toISOString());
    return changed;
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

  async findStale(status: OpenJobStatus, before: string, options: { limit: number; cursor?: string }): Promise<StaleJobPage> {
    // Ordered like the index: by entry time, then by key; the cursor is the last key handed out.
    const entries = [...this.openSince.entries()]
      .map(([key, since]) => ({ key, since, job: this.jobs.get(key)! }))
      .filter(({ job, since }) => job.status === status && since < before)
      .sort((a, b) => (a.since === b.since ? (a.key < b.key ? -1 : 1) : a.since < b.since ? -1 : 1));
    const after = options.cursor ? (JSON.parse(options.cursor) as { since: string; key: string }) : undefined;
    const rest = after ? entries.filter((e) => e.since > after.since || (e.since === after.since && e.key > after.key)) : entries;
    const page = rest.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map(({ job, since }) => ({
        organization: job.organization,
        job_id: job.job_id,
        job_type: job.job_type,
        model: job.model,
        status,
        since,
        execution_id: job.execution_id,
      })),
      nextCursor: last && rest.length > page.length ? JSON.stringify({ since: last.since, key: last.key }) : null,
    };
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
