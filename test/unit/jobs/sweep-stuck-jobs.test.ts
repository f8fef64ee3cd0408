import type { DataJob, JobStatus } from '../../../layers/core/jobs/data-job';
import { newJob } from '../../../layers/core/jobs/start-job';
import { formatDuration, sweepStuckJobs } from '../../../layers/core/jobs/sweep-stuck-jobs';
import type { JobRepository, WorkflowEngine } from '../../../layers/core/ports';
import { createJobHarness } from '../../support/job-harness';

const HOUR = 60 * 60_000;
const NOW = new Date('2025-03-01T12:00:00.000Z');
const LIMITS = { runningMs: 6 * HOUR, queuedMs: 1 * HOUR };
const ago = (ms: number) => new Date(NOW.getTime() - ms);

type Harness = ReturnType<typeof createJobHarness>;

function stopRecorder(fail?: Error) {
  const stopped: Array<{ executionId: string; cause: string }> = [];
  const engine: WorkflowEngine = {
    start: async () => 'arn:unused',
    stop: async (executionId, cause) => {
      stopped.push({ executionId, cause });
      if (fail) throw fail;
    },
  };
  return { engine, stopped };
}

let counter = 0;
/** A job created `createdAgo` before NOW, moved to `status` (RUNNING `startedAgo` before NOW). */
async function jobIn(harness: Harness, status: JobStatus, times: { createdAgo: number; startedAgo?: number }, model = 'products'): Promise<DataJob> {
  const id = `01JOB${String(++counter).padStart(21, '0')}`;
  const job = newJob({ job_id: id, job_type: 'IMPORT', organization: 'acme', user: 'alice', model, export_format: null, input_params: {}, input_file: null }, ago(times.createdAgo));
  await harness.jobs.create(job);
  if (status === 'PENDING') return job;
  await harness.jobs.transition('acme', id, ['PENDING'], 'QUEUED', { execution_id: `arn:execution:${id}` });
  if (status === 'QUEUED') return (await harness.jobs.get('acme', id))!;
  return harness.jobs.transition('acme', id, ['QUEUED'], 'RUNNING', { started_at: ago(times.startedAgo ?? times.createdAgo).toISOString() });
}

function depsOf(harness: Harness, engine: WorkflowEngine, jobs: JobRepository = harness.deps.jobs) {
  return { ...harness.deps, jobs, workflow: engine, now: () => NOW };
}

describe('sweepStuckJobs', () => {
  it('fails a job RUNNING past the limit with stuck_timeout, stops its execution and removes its work files', async () => {
    const harness = createJobHarness();
    const { engine, stopped } = stopRecorder();
    const stuck = await jobIn(harness, 'RUNNING', { createdAgo: 7 * HOUR + 5 * 60_000, startedAgo: 7 * HOUR });
    await harness.files.put(`work/acme/${stuck.job_id}/manifest.json`, Buffer.from('{}'));

    const result = await sweepStuckJobs(depsOf(harness, engine), LIMITS);

    const job = (await harness.jobs.get('acme', stuck.job_id))!;
    expect(job.status).toBe('FAILED');
    expect(job.finished_at).toBe(NOW.toISOString());
    expect(job.result_log?.error).toEqual({
      code: 'stuck_timeout',
      message: 'the job was RUNNING for 7 h without finishing (the limit is 6 h); it was marked FAILED and its execution stopped',
    });
    expect(stopped).toEqual([{ executionId: `arn:execution:${stuck.job_id}`, cause: 'dataio sweeper: stuck_timeout' }]);
    expect([...harness.files.files.keys()].filter((key) => key.startsWith(`work/acme/${stuck.job_id}/`))).toEqual([]);
    expect(result).toEqual({ swept: [expect.objectContaining({ job_id: stuck.job_id, organization: 'acme', model: 'products', status: 'RUNNING' })], skipped: 0 });
    expect(harness.metrics.total('StuckJobsSwept')).toBe(1);
    expect(harness.metrics.total('JobsFailed', { job_type: 'IMPORT', model: 'products' })).toBe(1);
  });

  it('counts RUNNING from the start and QUEUED or PENDING from creation, each with its own limit', async () => {
    const harness = createJobHarness();
    const { engine } = stopRecorder();
    const longQueued = await jobIn(harness, 'QUEUED', { createdAgo: 2 * HOUR });
    const longPending = await jobIn(harness, 'PENDING', { createdAgo: 90 * 60_000 });
    const freshQueued = await jobIn(harness, 'QUEUED', { createdAgo: 30 * 60_000 });
    // Created long ago but started recently: within the RUNNING limit.
    const running = await jobIn(harness, 'RUNNING', { createdAgo: 20 * HOUR, startedAgo: 5 * HOUR });

    const result = await sweepStuckJobs(depsOf(harness, engine), LIMITS);

    expect(result.swept.map((s) => s.job_id).sort()).toEqual([longQueued.job_id, longPending.job_id].sort());
    expect((await harness.jobs.get('acme', freshQueued.job_id))?.status).toBe('QUEUED');
    expect((await harness.jobs.get('acme', running.job_id))?.status).toBe('RUNNING');
    expect((await harness.jobs.get('acme', longPending.job_id))?.result_log?.error?.message).toBe(
      'the job was PENDING for 1 h 30 min without finishing (the limit is 1 h); it was marked FAILED',
    );
  });

  it('leaves alone a job that ended between the index read and the write', async () => {
    const harness = createJobHarness();
    const { engine, stopped } = stopRecorder();
    const job = await jobIn(harness, 'RUNNING', { createdAgo: 8 * HOUR });
    const real = harness.deps.jobs;
    // The index still lists the job, as a read made just before it completed would.
    const lateIndex: JobRepository = {
      create: (j) => real.create(j),
      get: (org, id) => real.get(org, id),
      list: (org, options) => real.list(org, options),
      transition: (org, id, from, to, patch) => real.transition(org, id, from, to, patch),
      update: (org, id, patch, whileIn) => real.update(org, id, patch, whileIn),
      addProgress: (org, id, delta) => real.addProgress(org, id, delta),
      findStale: async (status, before, options) => {
        const page = await real.findStale(status, before, options);
        for (const stale of page.items) await real.transition(stale.organization, stale.job_id, ['RUNNING'], 'COMPLETED', { finished_at: NOW.toISOString() });
        return page;
      },
    };

    const result = await sweepStuckJobs(depsOf(harness, engine, lateIndex), LIMITS);

    expect(result).toEqual({ swept: [], skipped: 1 });
    expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('COMPLETED');
    expect(stopped).toEqual([]);
    expect(harness.metrics.total('StuckJobsSwept')).toBe(0);
  });

  it('keeps the job FAILED and reports the error when its execution cannot be stopped', async () => {
    const harness = createJobHarness();
    const { engine } = stopRecorder(new Error('AccessDenied'));
    const job = await jobIn(harness, 'RUNNING', { createdAgo: 7 * HOUR });

    const result = await sweepStuckJobs(depsOf(harness, engine), LIMITS);

    expect(result.swept).toEqual([expect.objectContaining({ job_id: job.job_id, stopError: 'AccessDenied' })]);
    expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('FAILED');
  });

  it('records zero swept jobs when nothing is stuck, so the alarm metric has a data point', async () => {
    const harness = createJobHarness();
    const { engine } = stopRecorder();
    await jobIn(harness, 'RUNNING', { createdAgo: HOUR });

    const result = await sweepStuckJobs(depsOf(harness, engine), LIMITS);

    expect(result).toEqual({ swept: [], skipped: 0 });
    expect(harness.metrics.recorded).toContainEqual({ values: { StuckJobsSwept: 0 }, dimensions: {} });
  });

  it('fails at most maxJobs jobs per run, oldest first', async () => {
    const harness = createJobHarness();
    const { engine } = stopRecorder();
    const jobs = [];
    for (let i = 0; i < 5; i += 1) jobs.push(await jobIn(harness, 'RUNNING', { createdAgo: (10 + i) * HOUR }));

    const result = await sweepStuckJobs(depsOf(harness, engine), { ...LIMITS, maxJobs: 3 });

    expect(result.swept.map((s) => s.job_id)).toEqual([jobs[4]!.job_id, jobs[3]!.job_id, jobs[2]!.job_id]);
    expect((await harness.jobs.get('acme', jobs[0]!.job_id))?.status).toBe('RUNNING');
  });
});

describe('formatDuration', () => {
  it.each([
    [45_000, '45 s'],
    [12 * 60_000, '12 min'],
    [2 * HOUR + 5 * 60_000, '2 h 5 min'],
    [6 * HOUR, '6 h'],
    [76 * HOUR, '3 d 4 h'],
    [48 * HOUR, '2 d'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
