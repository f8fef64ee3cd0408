import { ForbiddenError } from '../../../layers/core/errors';
import type { DataJob, JobFile } from '../../../layers/core/jobs/data-job';
import { assembleExport, exportSegment, planExport } from '../../../layers/core/jobs/export-workflow';
import { failJob } from '../../../layers/core/jobs/fail-job';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { newUlid } from '../../../layers/core/jobs/ids';
import { commitImportChunk, decideImport, finalizeImport, prepareImport, validateImportChunk } from '../../../layers/core/jobs/import-workflow';
import { jobMayTouchKey, scopeToJob } from '../../../layers/core/jobs/job-scope';
import { newJob } from '../../../layers/core/jobs/start-job';
import type { FileStore, JobRepository, WorkflowInput } from '../../../layers/core/ports';
import { erpRegistry } from '../../../layers/erp';
import { createJobHarness } from '../../support/job-harness';

type Harness = ReturnType<typeof createJobHarness>;

const GLOBEX_SECRET_CSV = 'name\nglobex-only-tag\n';

/** A QUEUED import job of `org` whose input is `inputKey` (stored with `body` when given). */
async function importJob(harness: Harness, org: string, options: { inputKey?: (jobId: string) => string; body?: string } = {}): Promise<DataJob> {
  const jobId = harness.deps.newId();
  const key = options.inputKey?.(jobId) ?? fileKeys.importInput(org, jobId, 'tags.csv');
  if (options.body !== undefined) await harness.files.put(key, options.body);
  const input: JobFile = { key, filename: 'tags.csv', size: options.body?.length ?? 1, content_type: 'text/csv' };
  const job = newJob({ job_id: jobId, job_type: 'IMPORT', organization: org, user: 'alice', model: 'tags', export_format: null, input_params: {}, input_file: input }, new Date());
  await harness.jobs.create(job);
  await harness.jobs.transition(org, jobId, ['PENDING'], 'QUEUED');
  return job;
}

/** Records every key the store is asked to read. */
function readsOf(files: FileStore): string[] {
  const reads: string[] = [];
  const get = files.get.bind(files);
  files.get = async (key) => {
    reads.push(key);
    return get(key);
  };
  return reads;
}

async function tagNames(harness: Harness, org: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of harness.records.scan(org, erpRegistry.require('tags'), { segment: 0, totalSegments: 1 })) names.push(...page.map((r) => String(r.values.name)));
  return names;
}

/** Runs an import's tasks the way the state machine does, each with dependencies scoped to `input`. */
async function runImport(harness: Harness, input: WorkflowInput): Promise<void> {
  const deps = () => scopeToJob(harness.deps, input);
  try {
    const prepared = await prepareImport(deps(), input);
    for (const chunk of prepared.chunks) await validateImportChunk(deps(), { ...input, chunk });
    const decided = await decideImport(deps(), prepared);
    if (decided.commit) for (const chunk of prepared.chunks) await commitImportChunk(deps(), { ...input, chunk });
    await finalizeImport(deps(), decided);
  } catch (error) {
    await failJob(deps(), { ...input, error: { Error: (error as Error).name, Cause: JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }) } });
  }
}

describe('workflow tasks confined to the job of their input', () => {
  it('run a normal import and export unchanged', async () => {
    const harness = createJobHarness();
    const job = await importJob(harness, 'acme', { body: 'name\nred\nblue\n' });

    await runImport(harness, { org: 'acme', job_id: job.job_id });

    expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('COMPLETED');
    expect((await tagNames(harness, 'acme')).sort()).toEqual(['blue', 'red']);
  });

  it("cannot reach another organization's job by naming it with its own organization", async () => {
    const harness = createJobHarness();
    const globexJob = await importJob(harness, 'globex', { body: GLOBEX_SECRET_CSV });
    const reads = readsOf(harness.files);
    const forged = { org: 'acme', job_id: globexJob.job_id };

    await expect(prepareImport(scopeToJob(harness.deps, forged), forged)).rejects.toThrow();
    await validateImportChunk(scopeToJob(harness.deps, forged), { ...forged, chunk: 0 });

    expect(reads).toEqual([]);
    expect((await harness.jobs.get('globex', globexJob.job_id))?.status).toBe('QUEUED');
  });

  it('refuses a stored job item that claims another organization than its key, before changing it', async () => {
    const harness = createJobHarness();
    const job = await importJob(harness, 'acme', { body: 'name\nred\n' });
    const reads = readsOf(harness.files);
    // A forged item: found under acme's key, but recording globex as its organization.
    const jobs: JobRepository = Object.create(harness.jobs, {
      get: { value: async (org: string, id: string) => ({ ...(await harness.jobs.get(org, id))!, organization: 'globex' }) },
    });
    const input = { org: 'acme', job_id: job.job_id };

    await expect(prepareImport(scopeToJob({ ...harness.deps, jobs }, input), input)).rejects.toThrow(ForbiddenError);
    await expect(prepareImport(scopeToJob({ ...harness.deps, jobs }, input), input)).rejects.toThrow('the stored job is globex/');

    expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('QUEUED');
    expect(reads).toEqual([]);
  });

  it.each([
    ['another organization’s import input', (globexJob: string) => fileKeys.importInput('globex', globexJob, 'tags.csv')],
    ['another organization’s upload', () => fileKeys.upload('globex', newUlid(), 'tags.csv')],
    ['a path that climbs out of its own folder', (globexJob: string) => `imports/acme/x/../../globex/${globexJob}/input/tags.csv`],
    ['another job’s work files of its own organization', () => fileKeys.chunkRows('acme', newUlid(), 0)],
    ['an upload’s meta file', () => fileKeys.uploadMeta('acme', newUlid())],
  ])('fails an import whose stored input key names %s, without reading it', async (_case, key) => {
    const harness = createJobHarness();
    const globexJob = await importJob(harness, 'globex', { body: GLOBEX_SECRET_CSV });
    const forgedKey = key(globexJob.job_id);
    await harness.files.put(forgedKey, GLOBEX_SECRET_CSV);
    const job = await importJob(harness, 'acme', { inputKey: () => forgedKey });
    const reads = readsOf(harness.files);

    await runImport(harness, { org: 'acme', job_id: job.job_id });

    const failed = await harness.jobs.get('acme', job.job_id);
    expect(failed?.status).toBe('FAILED');
    expect(failed?.result_log?.error?.message).toContain('ForbiddenError');
    expect(reads).not.toContain(forgedKey);
    expect(await tagNames(harness, 'acme')).toEqual([]);
  });

  it('reads the upload an import was made from, and only that one', async () => {
    const harness = createJobHarness();
    const uploadKey = fileKeys.upload('acme', newUlid(), 'tags.csv');
    const job = await importJob(harness, 'acme', { inputKey: () => uploadKey, body: 'name\nfrom-upload\n' });
    const scoped = scopeToJob(harness.deps, { org: 'acme', job_id: job.job_id });

    await expect(scoped.files.get(uploadKey)).rejects.toThrow(ForbiddenError); // the job is not read yet
    await scoped.jobs.get('acme', job.job_id);
    await expect(scoped.files.get(uploadKey)).resolves.toBeDefined();
    await expect(scoped.files.get(fileKeys.upload('acme', newUlid(), 'tags.csv'))).rejects.toThrow(ForbiddenError);
    await runImport(harness, { org: 'acme', job_id: job.job_id });
    expect(await tagNames(harness, 'acme')).toEqual(['from-upload']);
  });

  it('never lets a task touch other jobs, other organizations’ records, or prefixes wider than its own', async () => {
    const harness = createJobHarness();
    const job = await importJob(harness, 'acme', { body: 'name\nred\n' });
    const input = { org: 'acme', job_id: job.job_id };
    const scoped = scopeToJob(harness.deps, input);
    const tags = erpRegistry.require('tags');

    await expect(scoped.jobs.get('acme', newUlid())).rejects.toThrow(ForbiddenError);
    await expect(scoped.jobs.get('globex', job.job_id)).rejects.toThrow(ForbiddenError);
    await expect(scoped.jobs.list('acme', { limit: 10 })).rejects.toThrow(ForbiddenError);
    await expect(scoped.jobs.transition('globex', job.job_id, ['QUEUED'], 'CANCELLED')).rejects.toThrow(ForbiddenError);
    await expect(scoped.jobs.addProgress('acme', newUlid(), { chunks_done: 1 })).rejects.toThrow(ForbiddenError);
    await expect(scoped.records.write('globex', tags, [])).rejects.toThrow(ForbiddenError);
    await expect(scoped.records.getByIds('globex', tags, ['t-1'])).rejects.toThrow(ForbiddenError);
    expect(() => scoped.records.scan('globex', tags, { segment: 0, totalSegments: 1 })).toThrow(ForbiddenError);
    await expect(scoped.files.deletePrefix('work/acme/')).rejects.toThrow(ForbiddenError);
    await expect(scoped.files.deletePrefix(`work/acme/${job.job_id}/../`)).rejects.toThrow(ForbiddenError);
    await expect(scoped.files.put(fileKeys.exportOutput('globex', job.job_id, 'x.csv'), 'x')).rejects.toThrow(ForbiddenError);
    await expect(scoped.files.put(fileKeys.manifest('acme', job.job_id), '{}')).resolves.toMatchObject({ size: 2 });
    await expect(scoped.records.scan('acme', tags, { segment: 0, totalSegments: 1 })[Symbol.asyncIterator]().next()).resolves.toBeDefined();
  });

  it('confine export tasks too: a forged input org finds nothing to export', async () => {
    const harness = createJobHarness();
    await harness.seed('globex', 'tags', [{ id: 't-1', name: 'globex-only-tag' }]);
    const globexJob = newJob({ job_id: harness.deps.newId(), job_type: 'EXPORT', organization: 'globex', user: 'bob', model: 'tags', export_format: 'csv', input_params: {}, input_file: null }, new Date());
    await harness.jobs.create(globexJob);
    const forged = { org: 'acme', job_id: globexJob.job_id };

    await expect(planExport(scopeToJob(harness.deps, forged), forged)).rejects.toThrow();
    await exportSegment(scopeToJob(harness.deps, forged), { ...forged, segment: 0 });
    await assembleExport(scopeToJob(harness.deps, forged), { ...forged, segments: [0] });

    expect([...harness.files.files.keys()].filter((key) => key.includes(globexJob.job_id))).toEqual([]);
    expect((await harness.jobs.get('globex', globexJob.job_id))?.status).toBe('PENDING');
  });

  describe('jobMayTouchKey', () => {
    const job = { organization: 'acme', job_id: '01j00000000000000000000000', input_file: null };

    it.each([
      ['imports/acme/01j00000000000000000000000/input/a.csv', true],
      ['work/acme/01j00000000000000000000000/rows/0.ndjson', true],
      ['exports/acme/01j00000000000000000000000/a.csv', true],
      ['exports/acme/01j00000000000000000000001/a.csv', false],
      ['exports/globex/01j00000000000000000000000/a.csv', false],
      ['work/acme/01j00000000000000000000000/../01j00000000000000000000001/x', false],
      ['work/acme/01j00000000000000000000000/./x', false],
      ['work/acme/01j00000000000000000000000//x', false],
      ['/work/acme/01j00000000000000000000000/x', false],
      ['work\\acme\\01j00000000000000000000000\\x', false],
      ['uploads/acme/01j00000000000000000000000/a.csv', false],
    ])('%s → %s', (key, expected) => {
      expect(jobMayTouchKey(job, key)).toBe(expected);
    });
  });
});
