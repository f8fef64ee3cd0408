import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ApiClient } from '../support/api-client';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';

jest.setTimeout(180_000);

const CONTACTS_CSV = readFileSync(join(__dirname, '../fixtures/contacts-import.csv'));
const MANY_TAGS_CSV = ['name', ...Array.from({ length: 20_000 }, (_, i) => `tag-e2e-${String(i + 1).padStart(5, '0')}`)].join('\n') + '\n';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('presigned uploads and cancelling jobs, end to end over HTTP on the local stack', () => {
  let stack: LocalStackProcess;
  let api: ApiClient;
  let globex: ApiClient;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
    api = new ApiClient(stack.apiUrl, stack.token({ org: 'acme', user: 'alice', perms: ['*'] }));
    globex = api.withToken(stack.token({ org: 'globex', user: 'bob', perms: ['*'] }));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Asks for an upload URL and PUTs the file to it as a browser would. */
  async function upload(client: ApiClient, model: string, filename: string, body: string | Buffer): Promise<string> {
    const ticket = await client.request('POST', `/api/v1/${model}/import/uploads/`, { filename, content_type: 'text/csv' });
    expect(ticket.status).toBe(201);
    const put = await fetch(ticket.body.url, { method: ticket.body.method, headers: ticket.body.headers, body });
    expect(put.status).toBe(200);
    return ticket.body.upload_id;
  }

  /** How many tags of the big file are stored now. */
  async function e2eTagCount(): Promise<number> {
    const { csv } = await api.exportCsv('tags', { filters: { field: 'name', op: 'contains', value: 'tag-e2e-' } });
    return (parse(csv) as string[][]).length - 1;
  }

  it('answers an upload request with a presigned PUT, its headers and an expiry', async () => {
    const before = Date.now();

    const ticket = await api.request('POST', '/api/v1/contacts/import/uploads', { filename: 'contacts.csv', content_type: 'text/csv' });

    expect(ticket.status).toBe(201);
    expect(ticket.body).toEqual({
      upload_id: expect.stringMatching(/^[0-9a-z]{26}$/),
      url: expect.stringContaining(`/uploads/acme/${ticket.body.upload_id}/contacts.csv?`),
      method: 'PUT',
      headers: { 'Content-Type': 'text/csv' },
      expires_at: expect.any(String),
    });
    const lifetime = Date.parse(ticket.body.expires_at) - before;
    expect(lifetime).toBeGreaterThan(800_000);
    expect(lifetime).toBeLessThanOrEqual(901_000);
  });

  it('imports a file PUT to the upload URL, named by upload_id in a JSON body', async () => {
    const uploadId = await upload(api, 'contacts', 'contacts.csv', CONTACTS_CSV);

    const started = await api.request('POST', '/api/v1/contacts/import/', { upload_id: uploadId, skip_errors: true });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ job_id: expect.any(String), status: 'QUEUED' });
    const job = await api.waitForJob(started.body.job_id);

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log.totals).toEqual({ rows: 6, new: 2, updated: 0, skipped: 0, errors: 4 });
    expect(job.input_params).toEqual({ dry_run: false, skip_errors: true });
    expect(job.input_file).toEqual({ filename: 'contacts.csv', size: CONTACTS_CSV.length, content_type: 'text/csv' });
  });

  it('refuses a file type it cannot import before signing anything, and callers without <model>:import', async () => {
    const reader = api.withToken(stack.token({ org: 'acme', user: 'carol', perms: ['data-jobs:read', 'contacts:export'] }));

    const pdf = await api.request('POST', '/api/v1/contacts/import/uploads/', { filename: 'contacts.pdf', content_type: 'application/pdf' });
    const forbidden = await reader.request('POST', '/api/v1/contacts/import/uploads/', { filename: 'contacts.csv', content_type: 'text/csv' });

    expect(pdf.status).toBe(400);
    expect(pdf.body.error).toMatchObject({ code: 'validation_error', message: expect.stringContaining('.pdf') });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.message).toContain('contacts:import');
  });

  it("answers 404 for another organization's upload, 400 for an id that is not one and for an upload never PUT", async () => {
    const acmeUpload = await upload(api, 'contacts', 'contacts.csv', CONTACTS_CSV);
    const neverPut = (await api.request('POST', '/api/v1/contacts/import/uploads/', { filename: 'contacts.csv', content_type: 'text/csv' })).body.upload_id;

    const otherOrg = await globex.request('POST', '/api/v1/contacts/import/', { upload_id: acmeUpload });
    const traversal = await api.request('POST', '/api/v1/contacts/import/', { upload_id: '../../globex/x' });
    const missing = await api.request('POST', '/api/v1/contacts/import/', { upload_id: neverPut });
    const otherModel = await api.request('POST', '/api/v1/tags/import/', { upload_id: acmeUpload });

    expect(otherOrg.status).toBe(404);
    expect(otherOrg.body.error).toMatchObject({ code: 'not_found', message: 'upload not found' });
    expect(traversal.status).toBe(400);
    expect(traversal.body.error).toMatchObject({ code: 'validation_error', message: expect.stringContaining('upload_id') });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain(`nothing was uploaded for upload_id ${neverPut}`);
    expect(otherModel.status).toBe(400);
    expect(otherModel.body.error.message).toContain('was made for contacts');
  });

  it('still imports small files sent as multipart on the same route', async () => {
    const started = await api.importCsv('tags', 'tags.csv', 'name\nmultipart-still-works\n');
    const job = await api.waitForJob(started.body.job_id);

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log.totals).toMatchObject({ rows: 1, new: 1 });
  });

  it('cancels a large import right away: it ends CANCELLED, stays CANCELLED, and writes nothing more', async () => {
    const uploadId = await upload(api, 'tags', 'many-tags.csv', MANY_TAGS_CSV);
    const started = await api.request('POST', '/api/v1/tags/import/', { upload_id: uploadId });
    expect(started.status).toBe(202);

    const cancelled = await api.request('POST', `/api/v1/data-jobs/${started.body.job_id}/cancel/`);

    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ job_id: started.body.job_id, status: 'CANCELLED', finished_at: expect.any(String), model: 'tags' });
    expect(cancelled.body.input_file).toEqual({ filename: 'many-tags.csv', size: Buffer.byteLength(MANY_TAGS_CSV), content_type: 'text/csv' });
    const first = await e2eTagCount();
    await sleep(3000);
    const second = await e2eTagCount();
    const job = await api.waitForJob(started.body.job_id);

    expect(second).toBe(first);
    expect(first).toBeLessThan(20_000);
    expect(job.status).toBe('CANCELLED');
    expect(job.finished_at).toBe(cancelled.body.finished_at);
  });

  it('cancels a RUNNING import: no tag is written after the cancel answered', async () => {
    const uploadId = await upload(api, 'tags', 'more-tags.csv', MANY_TAGS_CSV.replaceAll('tag-e2e-', 'tag-e2e-run-'));
    const started = await api.request('POST', '/api/v1/tags/import/', { upload_id: uploadId, skip_unchanged: false });
    let status = started.body.status;
    while (status === 'QUEUED' || status === 'PENDING') {
      await sleep(50);
      status = (await api.request('GET', `/api/v1/data-jobs/${started.body.job_id}/`)).body.status;
    }
    expect(status).toBe('RUNNING');

    const cancelled = await api.request('POST', `/api/v1/data-jobs/${started.body.job_id}/cancel/`);
    const first = await e2eTagCount();
    await sleep(3000);
    const second = await e2eTagCount();

    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(second).toBe(first);
    expect((await api.waitForJob(started.body.job_id)).status).toBe('CANCELLED');
  });

  it('answers 409 when cancelling a job twice or one that ended, and 404 for another organization', async () => {
    const started = await api.importCsv('tags', 'tags.csv', 'name\ncancel-twice\n');
    const first = await api.request('POST', `/api/v1/data-jobs/${started.body.job_id}/cancel`);
    const exported = await api.exportCsv('categories');

    const twice = await api.request('POST', `/api/v1/data-jobs/${started.body.job_id}/cancel/`);
    const ended = await api.request('POST', `/api/v1/data-jobs/${exported.job.job_id}/cancel/`);
    const otherOrg = await globex.request('POST', `/api/v1/data-jobs/${started.body.job_id}/cancel/`);

    expect(first.status).toBe(200);
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'job_transition', message: expect.stringContaining('already CANCELLED') });
    expect(ended.status).toBe(409);
    expect(ended.body.error.message).toContain('already COMPLETED');
    expect(otherOrg.status).toBe(404);
    expect(otherOrg.body.error.code).toBe('not_found');
  });

  it("lets a reader cancel only their own jobs", async () => {
    const started = await api.importCsv('tags', 'tags.csv', 'name\nnot-carols\n');
    const carol = api.withToken(stack.token({ org: 'acme', user: 'carol', perms: ['data-jobs:read'] }));

    const response = await carol.request('POST', `/api/v1/data-jobs/${started.body.job_id}/cancel/`);
    await api.waitForJob(started.body.job_id);

    expect(response.status).toBe(404);
  });
});
