import { ForbiddenError, JobTransitionError, NotFoundError, ValidationError } from '../../../layers/core/errors';
import { cancelJob } from '../../../layers/core/jobs/cancel-job';
import { createImportJob, createImportJobFromUpload } from '../../../layers/core/jobs/create-import-job';
import { createUpload, UPLOAD_ID_PATTERN, type UploadTicket } from '../../../layers/core/jobs/create-upload';
import type { DataJob, JobStatus } from '../../../layers/core/jobs/data-job';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { commitImportChunk, decideImport, finalizeImport, prepareImport, validateImportChunk } from '../../../layers/core/jobs/import-workflow';
import { getJob } from '../../../layers/core/jobs/read-jobs';
import { newJob } from '../../../layers/core/jobs/start-job';
import type { StoredRecord } from '../../../layers/core/model/types';
import type { JobRepository, WorkflowEngine } from '../../../layers/core/ports';
import { erpRegistry } from '../../../layers/erp';
import { createJobHarness } from '../../support/job-harness';

const alice = { org: 'acme', user: 'alice', perms: ['*'] };
const TAGS_CSV = 'name\nupload-red\nupload-green\nupload-blue\n';

type Harness = ReturnType<typeof createJobHarness>;

/** What a client does with the ticket: PUT the body to the presigned key. */
async function putUpload(harness: Harness, ticket: UploadTicket, body: string | Buffer, org = 'acme') {
  const meta = JSON.parse(harness.files.text(fileKeys.uploadMeta(org, ticket.upload_id))) as { filename: string; content_type: string };
  await harness.files.put(fileKeys.upload(org, ticket.upload_id, meta.filename), body, { contentType: ticket.headers['Content-Type'] });
}

async function uploaded(harness: Harness, body: string | Buffer = TAGS_CSV, options: { model?: string; filename?: string } = {}) {
  const ticket = await createUpload(harness.deps, { ...alice, model: options.model ?? 'tags', filename: options.filename ?? 'tags.csv', contentType: 'text/csv' });
  await putUpload(harness, ticket, body);
  return ticket;
}

function importUpload(harness: Harness, uploadId: string, overrides: Partial<Parameters<typeof createImportJobFromUpload>[1]> = {}) {
  return createImportJobFromUpload(harness.deps, { ...alice, model: 'tags', uploadId, dryRun: false, skipErrors: false, ...overrides });
}

async function allRecords(harness: Harness, plural: string): Promise<StoredRecord[]> {
  const stored: StoredRecord[] = [];
  for await (const page of harness.records.scan('acme', erpRegistry.require(plural), { segment: 0, totalSegments: 1 })) stored.push(...page);
  return stored;
}

describe('createUpload', () => {
  it('stores what was asked under the organization and presigns a PUT with the type to send', async () => {
    const harness = createJobHarness({ uploadUrlTtlSeconds: 300 });
    const before = Date.now();

    const ticket = await createUpload(harness.deps, { ...alice, model: 'products', filename: 'Products 2026.csv', contentType: 'text/csv' });

    expect(ticket).toEqual({ upload_id: expect.stringMatching(UPLOAD_ID_PATTERN), url: expect.any(String), method: 'PUT', headers: { 'Content-Type': 'text/csv' }, expires_at: expect.any(String) });
    expect(Date.parse(ticket.expires_at) - before).toBeGreaterThanOrEqual(300_000);
    expect(Date.parse(ticket.expires_at) - before).toBeLessThan(301_000);
    expect(ticket.url).toContain(`uploads/acme/${ticket.upload_id}/Products_2026.csv`);
    expect(JSON.parse(harness.files.text(`uploads/acme/${ticket.upload_id}/meta.json`))).toEqual({
      filename: 'Products 2026.csv',
      content_type: 'text/csv',
      model: 'products',
      user: 'alice',
      created_at: expect.any(String),
    });
  });

  it('gives every upload a new id', async () => {
    const harness = createJobHarness();

    const ids = await Promise.all([1, 2, 3].map(() => createUpload(harness.deps, { ...alice, model: 'tags', filename: 'tags.csv' }).then((t) => t.upload_id)));

    expect(new Set(ids).size).toBe(3);
  });

  it("uses the format's own content type when the client gives none", async () => {
    const harness = createJobHarness();

    const csv = await createUpload(harness.deps, { ...alice, model: 'tags', filename: 'tags.csv' });
    const xlsx = await createUpload(harness.deps, { ...alice, model: 'tags', filename: 'tags.XLSX' });

    expect(csv.headers).toEqual({ 'Content-Type': 'text/csv' });
    expect(xlsx.headers).toEqual({ 'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
  });

  it('keeps a file name with path parts to one segment under the upload', async () => {
    const harness = createJobHarness();

    const ticket = await createUpload(harness.deps, { ...alice, model: 'tags', filename: '../../globex/evil.csv' });

    expect(ticket.url).toContain(`uploads/acme/${ticket.upload_id}/evil.csv`);
  });

  it.each([
    ['tags.pdf', /unsupported file type '.pdf'/],
    ['tags.xls', /legacy Excel/],
    ['tags', /unsupported file type/],
  ])('refuses %s before presigning anything', async (filename, message) => {
    const harness = createJobHarness();

    const result = createUpload(harness.deps, { ...alice, model: 'tags', filename });

    await expect(result).rejects.toThrow(ValidationError);
    await expect(result).rejects.toThrow(message);
    expect(harness.files.files.size).toBe(0);
  });

  it('refuses a content type that is not one', async () => {
    const harness = createJobHarness();

    const result = createUpload(harness.deps, { ...alice, model: 'tags', filename: 'tags.csv', contentType: 'text/csv\r\nx-evil: 1' });

    await expect(result).rejects.toMatchObject({ name: 'ValidationError', details: { path: 'content_type' } });
  });

  it('needs <model>:import, and knows only registered models', async () => {
    const harness = createJobHarness();
    const exporter = { ...alice, perms: ['tags:export', 'products:import'] };

    await expect(createUpload(harness.deps, { ...exporter, model: 'tags', filename: 'tags.csv' })).rejects.toThrow(ForbiddenError);
    await expect(createUpload(harness.deps, { ...exporter, model: 'tags', filename: 'tags.csv' })).rejects.toThrow("missing permission 'tags:import'");
    await expect(createUpload(harness.deps, { ...exporter, model: 'products', filename: 'p.csv' })).resolves.toMatchObject({ method: 'PUT' });
    await expect(createUpload(harness.deps, { ...alice, model: 'widgets', filename: 'w.csv' })).rejects.toThrow(NotFoundError);
  });
});

describe('createImportJobFromUpload', () => {
  it('imports the uploaded file in place, without copying it', async () => {
    const harness = createJobHarness();
    const ticket = await uploaded(harness);

    const created = await importUpload(harness, ticket.upload_id, { skipErrors: true });
    await harness.workflow.settle();
    const job = await getJob(harness.deps, alice, created.job_id);

    expect(created.status).toBe('QUEUED');
    expect(job.status).toBe('COMPLETED');
    expect(job.result_log?.totals).toEqual({ rows: 3, new: 3, updated: 0, skipped: 0, errors: 0 });
    expect(job.input_params).toEqual({ dry_run: false, skip_errors: true });
    expect(job.input_file).toEqual({ filename: 'tags.csv', size: Buffer.byteLength(TAGS_CSV), content_type: 'text/csv' });
    const stored = await harness.jobs.get('acme', created.job_id);
    expect(stored?.input_file?.key).toBe(`uploads/acme/${ticket.upload_id}/tags.csv`);
    expect([...harness.files.files.keys()].filter((key) => key.startsWith('imports/'))).toEqual([]);
    expect((await allRecords(harness, 'tags')).map((r) => r.values.name).sort()).toEqual(['upload-blue', 'upload-green', 'upload-red']);
  });

  it('keeps the reading options with the job and honours a dry run', async () => {
    const harness = createJobHarness();
    const ticket = await uploaded(harness, 'name;other\nsemi-a;1\n');

    const created = await importUpload(harness, ticket.upload_id, { dryRun: true, options: { delimiter: ';', encoding: 'utf-8', skip_unchanged: false } });
    await harness.workflow.settle();
    const job = await getJob(harness.deps, alice, created.job_id);

    expect(job.input_params).toEqual({ dry_run: true, skip_errors: false, delimiter: ';', encoding: 'utf-8', skip_unchanged: false });
    expect(job.result_log?.totals).toMatchObject({ rows: 1, new: 1 });
    expect(await allRecords(harness, 'tags')).toEqual([]);
  });

  it('accepts an upload id in capitals (ULIDs are case-insensitive)', async () => {
    const harness = createJobHarness();
    const ticket = await uploaded(harness);

    const created = await importUpload(harness, ticket.upload_id.toUpperCase());

    expect(created.input_file?.key).toBe(`uploads/acme/${ticket.upload_id}/tags.csv`);
  });

  it("does not find another organization's upload", async () => {
    const harness = createJobHarness();
    const globex = await createUpload(harness.deps, { org: 'globex', user: 'bob', perms: ['*'], model: 'tags', filename: 'tags.csv' });
    await putUpload(harness, globex, TAGS_CSV, 'globex');

    const result = importUpload(harness, globex.upload_id);

    await expect(result).rejects.toThrow(NotFoundError);
    await expect(result).rejects.toThrow('upload not found');
    expect(await harness.jobs.list('acme', { limit: 10 })).toMatchObject({ items: [] });
  });

  it.each(['../../globex/x', `../globex/${'0'.repeat(16)}`, '01ARZ3NDEKTSV4RRFFQ69G5FA', '01ARZ3NDEKTSV4RRFFQ69G5FAVX', '01ARZ3NDEKTSV4RRFFQ69G5FAU', '81ARZ3NDEKTSV4RRFFQ69G5FAV', ''])(
    'refuses the upload id %j without reading anything',
    async (uploadId) => {
      const harness = createJobHarness();
      const get = jest.spyOn(harness.files, 'get');

      const result = importUpload(harness, uploadId);

      await expect(result).rejects.toMatchObject({ name: 'ValidationError', details: { path: 'upload_id' } });
      expect(get).not.toHaveBeenCalled();
    },
  );

  it('says nothing was uploaded when the client never PUT the file', async () => {
    const harness = createJobHarness();
    const ticket = await createUpload(harness.deps, { ...alice, model: 'tags', filename: 'tags.csv' });

    const result = importUpload(harness, ticket.upload_id);

    await expect(result).rejects.toThrow(ValidationError);
    await expect(result).rejects.toThrow(`nothing was uploaded for upload_id ${ticket.upload_id}`);
  });

  it('refuses an empty upload and one over the upload size limit, naming the limit', async () => {
    const harness = createJobHarness({ maxUploadBytes: 20 });
    const empty = await uploaded(harness, '');
    const big = await uploaded(harness, 'name\n' + 'x'.repeat(20) + '\n');
    const fits = await uploaded(harness, 'name\nsmall\n');

    await expect(importUpload(harness, empty.upload_id)).rejects.toThrow('the file is empty');
    await expect(importUpload(harness, big.upload_id)).rejects.toThrow('the file is 26 bytes; the limit for uploads is 20 bytes');
    await expect(importUpload(harness, fits.upload_id)).resolves.toMatchObject({ status: 'QUEUED' });
  });

  it('does not apply the direct-upload limit to uploads', async () => {
    const harness = createJobHarness({ maxDirectUploadBytes: 10 });
    const ticket = await uploaded(harness);

    await expect(importUpload(harness, ticket.upload_id)).resolves.toMatchObject({ status: 'QUEUED' });
  });

  it('refuses an upload made for another model', async () => {
    const harness = createJobHarness();
    const ticket = await uploaded(harness, TAGS_CSV, { model: 'categories' });

    const result = importUpload(harness, ticket.upload_id);

    await expect(result).rejects.toThrow(ValidationError);
    await expect(result).rejects.toThrow(`upload ${ticket.upload_id} was made for categories, not tags`);
  });

  it('needs <model>:import and a known encoding', async () => {
    const harness = createJobHarness();
    const ticket = await uploaded(harness);

    await expect(importUpload(harness, ticket.upload_id, { perms: ['tags:export'] })).rejects.toThrow(ForbiddenError);
    await expect(importUpload(harness, ticket.upload_id, { options: { encoding: 'klingon' } })).rejects.toThrow("unknown encoding 'klingon'");
  });
});

/** A workflow engine that records stops, and fails them when asked. */
function recordingEngine(options: { stopFails?: boolean } = {}) {
  const stops: Array<{ executionId: string; cause: string }> = [];
  const engine: WorkflowEngine = {
    start: async (kind, input) => `arn:test:execution:${kind}:${input.job_id}`,
    stop: async (executionId, cause) => {
      stops.push({ executionId, cause });
      if (options.stopFails) throw new Error('ThrottlingException');
    },
  };
  return { engine, stops };
}

/** Stores a job of `user` in `status`, the way the use cases would have moved it there. */
async function jobIn(harness: Harness, status: JobStatus, options: { user?: string; org?: string; executionId?: string | null } = {}): Promise<DataJob> {
  const org = options.org ?? 'acme';
  const job = newJob(
    { job_id: harness.deps.newId(), job_type: 'IMPORT', organization: org, user: options.user ?? 'alice', model: 'tags', export_format: null, input_params: {}, input_file: null },
    new Date(),
  );
  await harness.jobs.create(job);
  const executionId = options.executionId === undefined ? `arn:test:execution:import:${job.job_id}` : options.executionId;
  const path: Record<JobStatus, JobStatus[]> = {
    PENDING: [],
    QUEUED: ['QUEUED'],
    RUNNING: ['QUEUED', 'RUNNING'],
    COMPLETED: ['QUEUED', 'RUNNING', 'COMPLETED'],
    FAILED: ['QUEUED', 'RUNNING', 'FAILED'],
    CANCELLED: ['QUEUED', 'CANCELLED'],
  };
  let current: DataJob = job;
  for (const next of path[status]) {
    current = await harness.jobs.transition(org, job.job_id, [current.status], next, next === 'QUEUED' && executionId ? { execution_id: executionId } : {});
  }
  return current;
}

describe('cancelJob', () => {
  it.each(['QUEUED', 'RUNNING'] as const)('cancels a %s job and stops its execution', async (status) => {
    const harness = createJobHarness();
    const { engine, stops } = recordingEngine();
    const job = await jobIn(harness, status);

    const { job: view, stopError } = await cancelJob({ ...harness.deps, workflow: engine }, alice, job.job_id);

    expect(view).toMatchObject({ job_id: job.job_id, status: 'CANCELLED', finished_at: expect.any(String), execution_id: job.execution_id });
    expect(stopError).toBeUndefined();
    expect(stops).toEqual([{ executionId: job.execution_id, cause: 'cancelled by alice' }]);
    expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('CANCELLED');
  });

  it('only marks a job whose execution id is not recorded yet', async () => {
    const harness = createJobHarness();
    const { engine, stops } = recordingEngine();
    const job = await jobIn(harness, 'PENDING', { executionId: null });

    const { job: view } = await cancelJob({ ...harness.deps, workflow: engine }, alice, job.job_id);

    expect(view.status).toBe('CANCELLED');
    expect(stops).toEqual([]);
  });

  it('keeps the job CANCELLED when the execution cannot be stopped, and says why', async () => {
    const harness = createJobHarness();
    const { engine } = recordingEngine({ stopFails: true });
    const job = await jobIn(harness, 'RUNNING');

    const { job: view, stopError } = await cancelJob({ ...harness.deps, workflow: engine }, alice, job.job_id);

    expect(view.status).toBe('CANCELLED');
    expect(stopError).toEqual(new Error('ThrottlingException'));
    expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('CANCELLED');
  });

  it.each(['COMPLETED', 'FAILED', 'CANCELLED'] as const)('refuses a %s job with a job_transition error and leaves it as it was', async (status) => {
    const harness = createJobHarness();
    const { engine, stops } = recordingEngine();
    const job = await jobIn(harness, status);

    const result = cancelJob({ ...harness.deps, workflow: engine }, alice, job.job_id);

    await expect(result).rejects.toThrow(JobTransitionError);
    await expect(result).rejects.toMatchObject({ code: 'job_transition', message: `data job '${job.job_id}' is already ${status} and can no longer be cancelled; only PENDING, QUEUED or RUNNING jobs can` });
    expect(await harness.jobs.get('acme', job.job_id)).toEqual(job);
    expect(stops).toEqual([]);
  });

  it('refuses a job that finished between reading and cancelling, with its new status', async () => {
    const harness = createJobHarness();
    const { engine } = recordingEngine();
    const job = await jobIn(harness, 'RUNNING');
    await harness.jobs.transition('acme', job.job_id, ['RUNNING'], 'COMPLETED');
    const real = harness.jobs;
    let reads = 0;
    // The first read still sees RUNNING, as a read made just before the job finished would.
    const staleFirstRead: JobRepository = {
      create: (j) => real.create(j),
      list: (org, options) => real.list(org, options),
      transition: (org, id, from, to, patch) => real.transition(org, id, from, to, patch),
      update: (org, id, patch, whileIn) => real.update(org, id, patch, whileIn),
      addProgress: (org, id, delta) => real.addProgress(org, id, delta),
      findStale: (status, before, options) => real.findStale(status, before, options),
      get: async (org, id) => (reads++ === 0 ? job : real.get(org, id)),
    };

    const result = cancelJob({ ...harness.deps, jobs: staleFirstRead, workflow: engine }, alice, job.job_id);

    await expect(result).rejects.toThrow(`data job '${job.job_id}' is already COMPLETED`);
    expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('COMPLETED');
  });

  it("does not find another organization's job, nor an unknown one", async () => {
    const harness = createJobHarness();
    const { engine, stops } = recordingEngine();
    const globex = await jobIn(harness, 'RUNNING', { org: 'globex', user: 'alice' });

    await expect(cancelJob({ ...harness.deps, workflow: engine }, alice, globex.job_id)).rejects.toThrow(NotFoundError);
    await expect(cancelJob({ ...harness.deps, workflow: engine }, alice, 'nope')).rejects.toThrow(NotFoundError);
    expect((await harness.jobs.get('globex', globex.job_id))?.status).toBe('RUNNING');
    expect(stops).toEqual([]);
  });

  it("lets a reader cancel only their own jobs, and a jobs admin anyone's", async () => {
    const harness = createJobHarness();
    const { engine } = recordingEngine();
    const bobs = await jobIn(harness, 'RUNNING', { user: 'bob' });
    const carols = await jobIn(harness, 'RUNNING', { user: 'carol' });
    const deps = { ...harness.deps, workflow: engine };

    await expect(cancelJob(deps, { org: 'acme', user: 'alice', perms: ['data-jobs:read'] }, bobs.job_id)).rejects.toThrow(NotFoundError);
    await expect(cancelJob(deps, { org: 'acme', user: 'bob', perms: ['data-jobs:read'] }, bobs.job_id)).resolves.toMatchObject({ job: { status: 'CANCELLED' } });
    await expect(cancelJob(deps, { org: 'acme', user: 'alice', perms: ['data-jobs:admin'] }, carols.job_id)).resolves.toMatchObject({ job: { status: 'CANCELLED', user: 'carol' } });
  });

  it('needs data-jobs:read or data-jobs:admin', async () => {
    const harness = createJobHarness();
    const job = await jobIn(harness, 'RUNNING');

    const result = cancelJob(harness.deps, { org: 'acme', user: 'alice', perms: ['tags:import'] }, job.job_id);

    await expect(result).rejects.toThrow(ForbiddenError);
    expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('RUNNING');
  });

  it('stops an import cancelled before its execution ran: nothing is written and the job stays CANCELLED', async () => {
    const harness = createJobHarness();

    const created = await createImportJob(harness.deps, { ...alice, model: 'tags', file: { filename: 'tags.csv', contentType: 'text/csv', body: Buffer.from(TAGS_CSV) }, dryRun: false, skipErrors: false });
    await cancelJob(harness.deps, alice, created.job_id);
    await harness.workflow.settle();

    expect((await getJob(harness.deps, alice, created.job_id)).status).toBe('CANCELLED');
    expect(await allRecords(harness, 'tags')).toEqual([]);
  });

  it('commits no chunk once the job is cancelled between validation and commit', async () => {
    const harness = createJobHarness({ importChunkRows: 1 });
    const { engine } = recordingEngine();
    const deps = { ...harness.deps, workflow: engine };
    const created = await createImportJob(deps, { ...alice, model: 'tags', file: { filename: 'tags.csv', contentType: 'text/csv', body: Buffer.from(TAGS_CSV) }, dryRun: false, skipErrors: false });
    const input = { org: 'acme', job_id: created.job_id };
    const prepared = await prepareImport(deps, input);
    for (const chunk of prepared.chunks) await validateImportChunk(deps, { ...input, chunk });

    await cancelJob(deps, alice, created.job_id);
    const decided = await decideImport(deps, prepared);
    for (const chunk of prepared.chunks) await commitImportChunk(deps, { ...input, chunk });
    await finalizeImport(deps, decided);

    expect(prepared.chunks).toHaveLength(3);
    expect(await allRecords(harness, 'tags')).toEqual([]);
    expect((await harness.jobs.get('acme', created.job_id))?.status).toBe('CANCELLED');
  });
});
