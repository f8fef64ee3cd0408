import { S3Client } from '@aws-sdk/client-s3';
import { S3FileStore } from '../../../layers/aws/s3-file-store';
import { ForbiddenError, NotFoundError, ValidationError } from '../../../layers/core/errors';
import { cancelJob } from '../../../layers/core/jobs/cancel-job';
import { createExportJob } from '../../../layers/core/jobs/create-export-job';
import { createImportJob, createImportJobFromUpload } from '../../../layers/core/jobs/create-import-job';
import { createUpload } from '../../../layers/core/jobs/create-upload';
import type { DataJob } from '../../../layers/core/jobs/data-job';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { listReports } from '../../../layers/core/jobs/list-reports';
import { hasPermission, requireJobAccess } from '../../../layers/core/jobs/permissions';
import { previewExport } from '../../../layers/core/jobs/preview-export';
import { getJob, listJobs } from '../../../layers/core/jobs/read-jobs';
import { newJob } from '../../../layers/core/jobs/start-job';
import { createJobHarness } from '../../support/job-harness';

type Harness = ReturnType<typeof createJobHarness>;
const caller = (perms: string[], user = 'alice', org = 'acme') => ({ org, user, perms });
const TAGS_CSV = Buffer.from('name\nred\n');

/** Every endpoint's use case, called as `perms` would call it for the tags model. */
const MODEL_ACTIONS: Array<[endpoint: string, needs: string, call: (h: Harness, perms: string[]) => Promise<unknown>]> = [
  ['POST /{model}/export/', 'tags:export', (h, perms) => createExportJob(h.deps, { ...caller(perms), model: 'tags', format: 'csv' })],
  ['POST /{model}/export/preview/', 'tags:export', (h, perms) => previewExport(h.deps, { ...caller(perms), model: 'tags' })],
  ['GET /{model}/export/reports/', 'tags:export', async (h, perms) => listReports(h.deps, { perms, model: 'tags' })],
  ['POST /{model}/import/uploads/', 'tags:import', (h, perms) => createUpload(h.deps, { ...caller(perms), model: 'tags', filename: 'tags.csv' })],
  [
    'POST /{model}/import/ (multipart)',
    'tags:import',
    (h, perms) => createImportJob(h.deps, { ...caller(perms), model: 'tags', file: { filename: 'tags.csv', contentType: 'text/csv', body: TAGS_CSV }, dryRun: true, skipErrors: false }),
  ],
];

describe('the permission matrix', () => {
  describe.each(MODEL_ACTIONS)('%s', (_endpoint, needs, call) => {
    it.each([[[needs]], [['tags:*']], [['*']]])(`is allowed with %j`, async (perms) => {
      await expect(call(createJobHarness(), perms)).resolves.toBeDefined();
    });

    it.each([[[]], [['data-jobs:admin', 'data-jobs:read']], [[needs.endsWith('import') ? 'tags:export' : 'tags:import']], [[needs.replace('tags', 'products')]], [['tags']]])(
      `is forbidden with %j, naming ${needs}`,
      async (perms) => {
        const harness = createJobHarness();
        await expect(call(harness, perms)).rejects.toThrow(ForbiddenError);
        await expect(call(harness, perms)).rejects.toThrow(`missing permission '${needs}'`);
        expect(harness.files.files.size).toBe(0);
        expect((await harness.jobs.list('acme', { limit: 10 })).items).toEqual([]);
      },
    );
  });

  it('needs tags:import to import an upload', async () => {
    const harness = createJobHarness();
    const ticket = await createUpload(harness.deps, { ...caller(['tags:import']), model: 'tags', filename: 'tags.csv' });
    await harness.files.put(fileKeys.upload('acme', ticket.upload_id, 'tags.csv'), TAGS_CSV);

    await expect(createImportJobFromUpload(harness.deps, { ...caller(['tags:export', 'data-jobs:admin']), model: 'tags', uploadId: ticket.upload_id, dryRun: true, skipErrors: false })).rejects.toThrow(
      "missing permission 'tags:import'",
    );
  });

  describe('on jobs', () => {
    async function jobsOf(harness: Harness): Promise<{ alices: DataJob; bobs: DataJob; globex: DataJob }> {
      const make = async (org: string, user: string) => {
        const job = newJob({ job_id: harness.deps.newId(), job_type: 'IMPORT', organization: org, user, model: 'tags', export_format: null, input_params: {}, input_file: null }, new Date());
        await harness.jobs.create(job);
        return job;
      };
      return { alices: await make('acme', 'alice'), bobs: await make('acme', 'bob'), globex: await make('globex', 'alice') };
    }

    it('data-jobs:read gives the caller their own jobs only; others, and other organizations, are not found', async () => {
      const harness = createJobHarness();
      const { alices, bobs, globex } = await jobsOf(harness);
      const reader = caller(['data-jobs:read']);

      await expect(getJob(harness.deps, reader, alices.job_id)).resolves.toMatchObject({ job_id: alices.job_id });
      await expect(getJob(harness.deps, reader, bobs.job_id)).rejects.toThrow(NotFoundError);
      await expect(getJob(harness.deps, reader, globex.job_id)).rejects.toThrow(NotFoundError);
      expect((await listJobs(harness.deps, reader, { limit: 10 })).items.map((j) => j.job_id)).toEqual([alices.job_id]);
      await expect(cancelJob(harness.deps, reader, bobs.job_id)).rejects.toThrow(NotFoundError);
      await expect(cancelJob(harness.deps, reader, globex.job_id)).rejects.toThrow(NotFoundError);
      await expect(cancelJob(harness.deps, reader, alices.job_id)).resolves.toMatchObject({ job: { status: 'CANCELLED' } });
    });

    it('data-jobs:admin alone gives every job of the organization, to read and cancel, and still none of another', async () => {
      const harness = createJobHarness();
      const { alices, bobs, globex } = await jobsOf(harness);
      const admin = caller(['data-jobs:admin'], 'carol');

      await expect(getJob(harness.deps, admin, bobs.job_id)).resolves.toMatchObject({ user: 'bob' });
      expect((await listJobs(harness.deps, admin, { limit: 10 })).items.map((j) => j.job_id).sort()).toEqual([alices.job_id, bobs.job_id].sort());
      await expect(cancelJob(harness.deps, admin, bobs.job_id)).resolves.toMatchObject({ job: { status: 'CANCELLED', user: 'bob' } });
      await expect(getJob(harness.deps, admin, globex.job_id)).rejects.toThrow(NotFoundError);
      await expect(cancelJob(harness.deps, admin, globex.job_id)).rejects.toThrow(NotFoundError);
      expect((await harness.jobs.get('globex', globex.job_id))?.status).toBe('PENDING');
    });

    it.each([[[]], [['tags:*']], [['tags:import', 'tags:export']]])('refuses job reads and cancels with %j', async (perms) => {
      const harness = createJobHarness();
      const { alices } = await jobsOf(harness);

      await expect(getJob(harness.deps, caller(perms), alices.job_id)).rejects.toThrow("missing permission 'data-jobs:read'");
      await expect(listJobs(harness.deps, caller(perms), { limit: 10 })).rejects.toThrow("missing permission 'data-jobs:read'");
      await expect(cancelJob(harness.deps, caller(perms), alices.job_id)).rejects.toThrow("missing permission 'data-jobs:read'");
    });

    it('presigns an export download only for callers who may export the model: an admin without it sees the job, not the data', async () => {
      const harness = createJobHarness();
      const created = await createExportJob(harness.deps, { ...caller(['*']), model: 'tags', format: 'csv' });
      await harness.workflow.settle();

      const own = await getJob(harness.deps, caller(['data-jobs:read', 'tags:export']), created.job_id);
      const adminWithout = await getJob(harness.deps, caller(['data-jobs:admin'], 'carol'), created.job_id);
      const adminWith = await getJob(harness.deps, caller(['data-jobs:admin', 'tags:export'], 'carol'), created.job_id);

      expect(own.output_file).toMatchObject({ download_url: expect.stringContaining(`exports/acme/${created.job_id}/`) });
      expect(adminWithout.status).toBe('COMPLETED');
      expect(adminWithout.output_file).toEqual({ filename: expect.any(String), size: expect.any(Number), content_type: expect.stringContaining('text/csv') });
      expect(adminWith.output_file?.download_url).toEqual(expect.any(String));
    });

    it('presigns an error report only for callers who may import the model', async () => {
      const harness = createJobHarness();
      const created = await createImportJob(harness.deps, { ...caller(['*']), model: 'tags', file: { filename: 'tags.csv', contentType: 'text/csv', body: Buffer.from('name\n\n' + 'x'.repeat(200) + '\n') }, dryRun: false, skipErrors: false });
      await harness.workflow.settle();

      const admin = await getJob(harness.deps, caller(['data-jobs:admin'], 'carol'), created.job_id);
      const importer = await getJob(harness.deps, caller(['data-jobs:read', 'tags:import']), created.job_id);

      expect(admin.result_log?.error_report).toBeDefined();
      expect(admin.result_log?.error_report?.download_url).toBeUndefined();
      expect(importer.result_log?.error_report?.download_url).toEqual(expect.any(String));
    });
  });

  it('reads permissions exactly: no prefix or case games', () => {
    expect(hasPermission(['tags:import'], 'tags:import')).toBe(true);
    expect(hasPermission(['TAGS:IMPORT', 'tags:import ', 'tags', 'tag:*', 'tags*', ':*'], 'tags:import')).toBe(false);
    expect(requireJobAccess(['data-jobs:*'])).toBe('all');
    expect(() => requireJobAccess(['data-jobs'])).toThrow(ForbiddenError);
  });
});

describe('presigned uploads', () => {
  it('sign the announced size into the URL, refuse sizes over the limit before writing anything', async () => {
    const harness = createJobHarness({ maxUploadBytes: 1000 });

    const ticket = await createUpload(harness.deps, { ...caller(['*']), model: 'tags', filename: 'tags.csv', size: 900 });
    const tooBig = createUpload(harness.deps, { ...caller(['*']), model: 'tags', filename: 'tags.csv', size: 1001 });
    const notASize = createUpload(harness.deps, { ...caller(['*']), model: 'tags', filename: 'tags.csv', size: 1.5 });

    expect(ticket.headers).toEqual({ 'Content-Type': 'text/csv', 'Content-Length': '900' });
    await expect(tooBig).rejects.toMatchObject({ name: 'ValidationError', message: 'the file is 1001 bytes; the limit for uploads is 1000 bytes', details: { path: 'size' } });
    await expect(notASize).rejects.toThrow(ValidationError);
    expect([...harness.files.files.keys()]).toEqual([fileKeys.uploadMeta('acme', ticket.upload_id)]);
  });

  it('import a file only of the announced size, and only for the user who asked for the URL', async () => {
    const harness = createJobHarness();
    const ticket = await createUpload(harness.deps, { ...caller(['*']), model: 'tags', filename: 'tags.csv', size: 5 });
    await harness.files.put(fileKeys.upload('acme', ticket.upload_id, 'tags.csv'), TAGS_CSV);
    const request = { model: 'tags', uploadId: ticket.upload_id, dryRun: false, skipErrors: false };

    await expect(createImportJobFromUpload(harness.deps, { ...caller(['*']), ...request })).rejects.toThrow(`the uploaded file is ${TAGS_CSV.length} bytes, but its upload URL was issued for 5 bytes`);
    await expect(createImportJobFromUpload(harness.deps, { ...caller(['*'], 'bob'), ...request })).rejects.toThrow(NotFoundError);
    await expect(createImportJobFromUpload(harness.deps, { ...caller(['*'], 'alice', 'globex'), ...request })).rejects.toThrow(NotFoundError);
    expect((await harness.jobs.list('acme', { limit: 10 })).items).toEqual([]);
    expect(harness.workflow.started).toEqual([]);
  });

  it('on S3, sign Content-Type and Content-Length as headers of a PUT to the one key', async () => {
    const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const store = new S3FileStore({ client, bucket: 'files' });

    const sized = await store.presignUpload('uploads/acme/01j00000000000000000000000/tags.csv', { contentType: 'text/csv', expiresInSeconds: 300, contentLength: 1234 });
    const unsized = await store.presignUpload('uploads/acme/01j00000000000000000000000/tags.csv', { contentType: 'text/csv', expiresInSeconds: 300 });

    const url = new URL(sized.url);
    expect(url.pathname).toBe('/uploads/acme/01j00000000000000000000000/tags.csv');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(sized.headers).toEqual({ 'Content-Type': 'text/csv', 'Content-Length': '1234' });
    expect(new URL(unsized.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');
    expect(unsized.headers).toEqual({ 'Content-Type': 'text/csv' });
  });
});
