import { ConflictError, JobTransitionError, NotFoundError } from '../../layers/core/errors';
import type { DataJob } from '../../layers/core/jobs/data-job';
import { newUlid } from '../../layers/core/jobs/ids';
import { newJob } from '../../layers/core/jobs/start-job';
import type { JobRepository, OpenJobStatus, StaleJob } from '../../layers/core/ports';

function job(org: string, user = 'alice', at = Date.now()): DataJob {
  return newJob(
    { job_id: newUlid(at), job_type: 'EXPORT', organization: org, user, model: 'products', export_format: 'csv', input_params: { filters: { field: 'name', op: 'eq', value: 'x' } }, input_file: null },
    new Date(at),
  );
}

/** Every stale job of `org` in `status` since before `before`, following the cursor to the end. */
async function allStale(repo: JobRepository, org: string, status: OpenJobStatus, before: string, limit = 2): Promise<StaleJob[]> {
  const found: StaleJob[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await repo.findStale(status, before, { limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    found.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    pages += 1;
  } while (cursor && pages < 1000);
  // The index spans every organization (other tests share the table): keep this test's own.
  return found.filter((stale) => stale.organization === org);
}

const iso = (ms: number) => new Date(ms).toISOString();

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

    describe('findStale', () => {
      // Far in the past and unique per test, so the time window holds only this test's jobs.
      let base: number;
      beforeEach(() => {
        base = Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e6) * 60_000;
      });

      it('finds jobs waiting PENDING or QUEUED since before the cutoff, counted from creation', async () => {
        const old = job(org, 'alice', base);
        const recent = job(org, 'alice', base + 60 * 60_000);
        await repo.create(old);
        await repo.create(recent);
        await repo.transition(org, old.job_id, ['PENDING'], 'QUEUED', { execution_id: 'arn:old' });

        const queued = await allStale(repo, org, 'QUEUED', iso(base + 30 * 60_000));
        const pending = await allStale(repo, org, 'PENDING', iso(base + 2 * 60 * 60_000));

        expect(queued).toEqual([
          { organization: org, job_id: old.job_id, job_type: 'EXPORT', model: 'products', status: 'QUEUED', since: old.created_at, execution_id: 'arn:old' },
        ]);
        expect(pending.map((s) => s.job_id)).toEqual([recent.job_id]);
        expect(await allStale(repo, org, 'QUEUED', iso(base))).toEqual([]);
      });

      it('counts a RUNNING job from its start, and forgets a job once it ends', async () => {
        const created = job(org, 'alice', base);
        await repo.create(created);
        await repo.transition(org, created.job_id, ['PENDING'], 'QUEUED', { execution_id: 'arn:1' });
        await repo.transition(org, created.job_id, ['QUEUED'], 'RUNNING', { started_at: iso(base + 10 * 60_000) });

        expect(await allStale(repo, org, 'QUEUED', iso(base + 60 * 60_000))).toEqual([]);
        expect(await allStale(repo, org, 'RUNNING', iso(base + 10 * 60_000))).toEqual([]);
        expect(await allStale(repo, org, 'RUNNING', iso(base + 11 * 60_000))).toEqual([
          expect.objectContaining({ job_id: created.job_id, status: 'RUNNING', since: iso(base + 10 * 60_000), execution_id: 'arn:1' }),
        ]);

        await repo.transition(org, created.job_id, ['RUNNING'], 'COMPLETED', { finished_at: iso(base + 20 * 60_000) });

        expect(await allStale(repo, org, 'RUNNING', iso(base + 60 * 60_000))).toEqual([]);
        // The index's bookkeeping never shows on the job itself.
        expect(Object.keys((await repo.get(org, created.job_id))!).sort()).toEqual(Object.keys(created).sort());
      });

      it('lists oldest first across organizations, page by page', async () => {
        const other = `${org}b`;
        const jobs = [job(org, 'alice', base + 3 * 60_000), job(other, 'bob', base + 1 * 60_000), job(org, 'carol', base + 2 * 60_000), job(org, 'dave', base)];
        for (const j of jobs) await repo.create(j);

        const found = [...(await allStale(repo, org, 'PENDING', iso(base + 60 * 60_000), 1)), ...(await allStale(repo, other, 'PENDING', iso(base + 60 * 60_000), 1))];
        const mine = await allStale(repo, org, 'PENDING', iso(base + 60 * 60_000), 2);

        expect(found.map((s) => s.job_id).sort()).toEqual(jobs.map((j) => j.job_id).sort());
        expect(mine.map((s) => s.job_id)).toEqual([jobs[3]!.job_id, jobs[2]!.job_id, jobs[0]!.job_id]);
      });
    });
  });
}
