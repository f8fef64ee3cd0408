import { ForbiddenError } from '../errors';
import type { ModelDefinition } from '../model/types';
import type { FileStore, JobPatch, JobRepository, RecordStore, ScanOptions, WorkflowInput } from '../ports';
import type { RecordWrite } from '../ports/record-store';
import type { DataJob, JobStatus } from './data-job';
import type { JobDeps } from './deps';
import { UPLOAD_ID_PATTERN } from './create-upload';

/**
 * The key prefixes one job may touch: its own import, work and export folders. An import of a
 * presigned upload also reads that one upload, in place (see `jobMayTouchKey`).
 */
export function jobKeyPrefixes(org: string, jobId: string): string[] {
  return [`imports/${org}/${jobId}/`, `work/${org}/${jobId}/`, `exports/${org}/${jobId}/`];
}

/**
 * Whether `key` belongs to `job`: under one of its prefixes, or the job's own input when that is
 * an upload of the job's organization. Keys that could be read differently by a store (`..`,
 * `.`, empty or backslash segments, a leading slash) belong to no job.
 */
export function jobMayTouchKey(job: Pick<DataJob, 'organization' | 'job_id' | 'input_file'>, key: string): boolean {
  if (!isPlainKey(key)) return false;
  if (jobKeyPrefixes(job.organization, job.job_id).some((prefix) => key.startsWith(prefix))) return true;
  return key === job.input_file?.key && isUploadKeyOf(job.organization, key);
}

/**
 * Checks that a stored job is the one a task was started for: the organization and id recorded on
 * the job equal the task input's. (The files it names are checked when they are touched, by the
 * scoped file store, so such a job can still be marked FAILED.)
 * @throws ForbiddenError otherwise: the task must not touch anything
 */
export function requireJobInScope(job: DataJob, input: WorkflowInput): void {
  if (job.organization !== input.org || job.job_id !== input.job_id) {
    throw new ForbiddenError(`task input names job ${input.org}/${input.job_id}, but the stored job is ${job.organization}/${job.job_id}`);
  }
}

/**
 * The dependencies of one workflow task, confined to the job its input names. The task reads
 * and writes through them as usual; whatever its input or stored data say, it cannot reach
 * another organization or another job:
 * - `jobs` serves only that job, and checks each copy it reads with `requireJobInScope` (a write
 *   re-reads the job first, so a forged item is refused before it changes);
 * - `files` serves only the keys of that job (`jobMayTouchKey`), judged against the stored job, so
 *   an input key pointing elsewhere is never read;
 * - `records` serves only the job's organization.
 * Anything else is a `ForbiddenError`, which fails the task (and the job) without the read or write.
 */
export function scopeToJob<D extends Partial<Pick<JobDeps, 'jobs' | 'files' | 'records'>>>(deps: D, input: WorkflowInput): D {
  let verified: DataJob | undefined;
  const remember = (job: DataJob): DataJob => {
    requireJobInScope(job, input);
    verified = job;
    return job;
  };
  const lazily = <T>(build: () => T) => {
    let value: T | undefined;
    return { get: () => (value ??= build()), enumerable: true };
  };
  // Every other dependency is kept as it is defined (the composition root's getters stay lazy).
  return Object.defineProperties({}, {
    ...Object.getOwnPropertyDescriptors(deps),
    jobs: lazily(() => deps.jobs && new ScopedJobRepository(deps.jobs, input, remember)),
    files: lazily(() => deps.files && new ScopedFileStore(deps.files, input, () => verified)),
    records: lazily(() => deps.records && new ScopedRecordStore(deps.records, input.org)),
  }) as D;
}

function isPlainKey(key: string): boolean {
  return key.length > 0 && !key.startsWith('/') && !key.includes('\\') && key.split('/').every((segment, i, all) => (segment !== '' || i === all.length - 1) && segment !== '.' && segment !== '..');
}

function isUploadKeyOf(org: string, key: string): boolean {
  const [purpose, keyOrg, uploadId, name, ...rest] = key.split('/');
  return purpose === 'uploads' && keyOrg === org && UPLOAD_ID_PATTERN.test(uploadId ?? '') && Boolean(name) && name !== 'meta.json' && rest.length === 0;
}

function outOfScope(what: string, input: WorkflowInput): ForbiddenError {
  return new ForbiddenError(`a task of job ${input.org}/${input.job_id} may not touch ${what}`);
}

class ScopedJobRepository implements JobRepository {
  constructor(
    private readonly inner: JobRepository,
    private readonly input: WorkflowInput,
    private readonly remember: (job: DataJob) => DataJob,
  ) {}

  async create(job: DataJob): Promise<void> {
    throw outOfScope(`a new job (${job.organization}/${job.job_id})`, this.input);
  }

  async get(org: string, jobId: string): Promise<DataJob | undefined> {
    this.check(org, jobId);
    const job = await this.inner.get(org, jobId);
    return job && this.remember(job);
  }

  async list(org: string): Promise<never> {
    throw outOfScope(`the job list of ${org}`, this.input);
  }

  async findStale(): Promise<never> {
    throw outOfScope('the open jobs of every organization', this.input);
  }

  async transition(org: string, jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch): Promise<DataJob> {
    this.check(org, jobId);
    await this.requireStoredInScope();
    return this.remember(await this.inner.transition(org, jobId, from, to, patch));
  }

  async update(org: string, jobId: string, patch: JobPatch, whileIn: readonly JobStatus[]): Promise<DataJob> {
    this.check(org, jobId);
    await this.requireStoredInScope();
    return this.remember(await this.inner.update(org, jobId, patch, whileIn));
  }

  async addProgress(org: string, jobId: string, delta: { rows_processed?: number; chunks_done?: number }): Promise<void> {
    this.check(org, jobId);
    return this.inner.addProgress(org, jobId, delta);
  }

  private check(org: string, jobId: string): void {
    if (org !== this.input.org || jobId !== this.input.job_id) throw outOfScope(`job ${org}/${jobId}`, this.input);
  }

  /** A write re-reads the job first (once per task): a forged item is refused before it changes. */
  private checked = false;
  private async requireStoredInScope(): Promise<void> {
    if (this.checked) return;
    const job = await this.inner.get(this.input.org, this.input.job_id);
    if (job) this.remember(job);
    this.checked = true;
  }
}

class ScopedFileStore implements FileStore {
  constructor(
    private readonly inner: FileStore,
    private readonly input: WorkflowInput,
    private readonly job: () => DataJob | undefined,
  ) {}

  async put(key: string, body: Parameters<FileStore['put']>[1], options?: Parameters<FileStore['put']>[2]) {
    return this.inner.put(this.check(key), body, options);
  }

  async get(key: string) {
    return this.inner.get(this.check(key));
  }

  async head(key: string) {
    return this.inner.head(this.check(key));
  }

  async presignDownload(key: string, options: Parameters<FileStore['presignDownload']>[1]) {
    return this.inner.presignDownload(this.check(key), options);
  }

  async presignUpload(key: string, options: Parameters<FileStore['presignUpload']>[1]) {
    return this.inner.presignUpload(this.check(key), options);
  }

  async deletePrefix(prefix: string) {
    const own = jobKeyPrefixes(this.input.org, this.input.job_id);
    if (!isPlainKey(prefix) || !own.some((p) => prefix.startsWith(p))) throw outOfScope(`the files under ${prefix}`, this.input);
    return this.inner.deletePrefix(prefix);
  }

  private check(key: string): string {
    // Before the job is read only its own prefixes are open; its upload needs the stored job.
    const job = this.job() ?? { organization: this.input.org, job_id: this.input.job_id, input_file: null };
    if (!jobMayTouchKey(job, key)) throw outOfScope(`the file ${key}`, this.input);
    return key;
  }
}

class ScopedRecordStore implements RecordStore {
  constructor(
    private readonly inner: RecordStore,
    private readonly org: string,
  ) {}

  async getByIds(org: string, model: ModelDefinition, ids: readonly string[]) {
    return this.inner.getByIds(this.check(org), model, ids);
  }

  async findByUnique(org: string, model: ModelDefinition, field: string, values: readonly string[]) {
    return this.inner.findByUnique(this.check(org), model, field, values);
  }

  async write(org: string, model: ModelDefinition, writes: readonly RecordWrite[]) {
    return this.inner.write(this.check(org), model, writes);
  }

  scan(org: string, model: ModelDefinition, options: ScanOptions) {
    return this.inner.scan(this.check(org), model, options);
  }

  private check(org: string): string {
    if (org !== this.org) throw new ForbiddenError(`a task of organization ${this.org} may not touch the records of ${org}`);
    return org;
  }
}
