import type { DataJob, JobStatus, JobType } from '../jobs/data-job';

/** A page of jobs, newest first. */
export interface JobPage {
  readonly items: DataJob[];
  /** Opaque cursor of the next page, or null on the last page. */
  readonly nextCursor: string | null;
}

/** The fields of a job that may change after creation. */
export type JobPatch = Partial<
  Pick<DataJob, 'result_log' | 'output_file' | 'input_file' | 'execution_id' | 'started_at' | 'finished_at' | 'progress'>
>;

/** Statuses a job can be stuck in: it has not ended. */
export type OpenJobStatus = Extract<JobStatus, 'PENDING' | 'QUEUED' | 'RUNNING'>;

/** An open job as `findStale` lists it: enough to fail it and stop its execution. */
export interface StaleJob {
  readonly organization: string;
  readonly job_id: string;
  readonly job_type: JobType;
  readonly model: string;
  readonly status: OpenJobStatus;
  /** When the job entered its status: `started_at` for RUNNING, `created_at` for PENDING and QUEUED. */
  readonly since: string;
  readonly execution_id: string | null;
}

/** A page of stale jobs, oldest first. */
export interface StaleJobPage {
  readonly items: StaleJob[];
  /** Opaque cursor of the next page, or null on the last page. */
  readonly nextCursor: string | null;
}

/** Persistence of DataJobs, scoped to one organization. Status changes are guarded. */
export interface JobRepository {
  /** Stores a new job; throws `ConflictError` when the id is taken. */
  create(job: DataJob): Promise<void>;
  /** The job, or undefined when it does not exist in that organization. */
  get(org: string, jobId: string): Promise<DataJob | undefined>;
  /** Jobs of the organization (optionally of one user), newest first. */
  list(org: string, options: { limit: number; cursor?: string; user?: string }): Promise<JobPage>;
  /**
   * Moves a job from one of `from` to `to` and applies `patch`, atomically.
   * Throws `JobTransitionError` when the job is not in one of `from`.
   */
  transition(org: string, jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch): Promise<DataJob>;
  /** Applies `patch` while the job is in one of `whileIn`; throws `JobTransitionError` otherwise. */
  update(org: string, jobId: string, patch: JobPatch, whileIn: readonly JobStatus[]): Promise<DataJob>;
  /** Adds to the job's progress counters atomically (parallel chunks report at once). */
  addProgress(org: string, jobId: string, delta: { rows_processed?: number; chunks_done?: number }): Promise<void>;
  /**
   * Jobs of every organization that are in `status` and have been since before `before` (an ISO
   * time), oldest first: what the stuck-job sweeper looks for. Reads an index of open jobs only,
   * never the finished ones.
   */
  findStale(status: OpenJobStatus, before: string, options: { limit: number; cursor?: string }): Promise<StaleJobPage>;
}
