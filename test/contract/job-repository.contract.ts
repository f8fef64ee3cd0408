import { ConflictError, JobTransitionError, NotFoundError } from '../../layers/core/errors';
import type { DataJob } from '../../layers/core/jobs/data-job';
import { newUlid } from '../../layers/core/jobs/ids';
import { newJob } from '../../layers/core/jobs/start-job';
import type { JobRepository } from '../../layers/core/ports';

function job(org: string, user = 'alice', at = Date.now()): DataJob {
  return newJob(
    { job_id: newUlid(at), job_type: 'EXPORT', organization: org, user, model: 'products', export_format: 'csv', input_params: { filters: { field: 'name', op: 'eq', value: 'x' } }, input_file: null },
    new Date(at),
  );
}

/** The behaviour every JobRepository adapter must have. */
export function jobRepositoryContract(name: string, create: () => Promise<JobRepository>): void {
  describe(`JobRepository contract: ${name}`, () => {
    let repo: JobRepository;
    let org: string;
    beforeEach(async () => {
      repo = await create();
      org = `org${Math.random().toString(36).slice(2, 10)}`;
    });

    it('stores and returns a job, only in its organization', async () => {
      const created = job(org);
      await repo.create(created);

      expect(await repo.get(org, created.job_id)).toEqual(created);
      expect(await repo.get(`${org}x`, created.job_id)).toBeUndefined();
    });

    it('refuses a second job with the same id', async () => {
      const created = job(org);
      await repo.create(created);

      await expect(repo.create(created)).rejects.toBeInstanceOf(ConflictError);
    });

    it('moves a job only from an allowed status', async () => {
      const created = job(org);
      await repo.create(created);

      const queued = await repo.transition(org, created.job_id, ['PENDING'], 'QUEUED', { execution_id: 'arn:1' });

      expect(queued).toMatchObject({ status: 'QUEUED', execution_id: 'arn:1' });
      await expect(repo.transition(org, created.job_id, ['PENDING'], 'RUNNING')).rejects.toBeInstanceOf(JobTransitionError);
      await expect(repo.transition(org, 'nope', ['PENDING'], 'RUNNING')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('adds progress from parallel chunks without losing any', async () => {
      const created = job(org);
      await repo.create(created);
      await repo.update(org, created.job_id, { progress: { rows_processed: 0, rows_total: 100, chunks_done: 0, chunks_total: 10 } }, ['PENDING']);

      await Promise.all(Array.from({ length: 10 }, () => repo.addProgress(org, created.job_id, { rows_processed: 10, chunks_done: 1 })));

      expect((await repo.get(org, created.job_id))?.progress).toEqual({ rows_processed: 100, rows_total: 100, chunks_done: 10, chunks_total: 10 });
    });

    it('lists newest first, page by page, optionally for one user', async () => {
      const base = Date.now();
      const jobs = [job(org, 'alice', base), job(org, 'bob', base + 1), job(org, 'alice', base + 2)];
      for (const j of jobs) await repo.create(j);

      const first = await repo.list(org, { limit: 2 });
      const second = await repo.list(org, { limit: 2, cursor: first.nextCursor! });
      const alices = await repo.list(org, { limit: 10, user: 'alice' });

      expect(first.items.map((j) => j.job_id)).toEqual([jobs[2]!.job_id, jobs[1]!.job_id]);
      expect(second.items.map((j) => j.job_id)).toEqual([jobs[0]!.job_id]);
      expect(second.nextCursor).toBeNull();
      expect(alices.items.map((j) => j.job_id)).toEqual([jobs[2]!.job_id, jobs[0]!.job_id]);
    });
  });
}
