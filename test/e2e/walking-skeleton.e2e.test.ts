import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { verifyToken } from '../../lambdas/shared/jwt';
import { localJwtSecret } from '../../lib/local/jwt-secret';
import { ApiClient } from '../support/api-client';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';

jest.setTimeout(180_000);

const CONTACTS_CSV = readFileSync(join(__dirname, '../fixtures/contacts-import.csv'));

/** Parses an exported CSV (records, not lines: notes may hold newlines). */
function csvRows(csv: string): string[][] {
  return parse(csv, { bom: true }) as string[][];
}

function formOf(csv: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
  return form;
}

describe('walking skeleton, end to end over HTTP on the local stack', () => {
  let stack: LocalStackProcess;
  let api: ApiClient;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
    api = new ApiClient(stack.apiUrl, stack.token({ org: 'acme', user: 'alice', perms: ['*'] }));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('exports categories to CSV and serves the file through the presigned download_url', async () => {
    const { job, csv } = await api.exportCsv('categories');

    const rows = csvRows(csv);
    expect(rows[0]).toEqual(['id', 'code', 'name', 'parent_id', 'description']);
    expect(rows.length - 1).toBe(job.result_log.totals.rows);
    expect(rows.length - 1).toBeGreaterThan(5);
    expect(job).toMatchObject({ job_type: 'EXPORT', model: 'categories', export_format: 'csv', organization: 'acme', user: 'alice' });
    expect(job.output_file).toMatchObject({ content_type: expect.stringContaining('text/csv'), size: Buffer.byteLength(csv) });
    expect(job.execution_id).toEqual(expect.stringContaining(job.job_id));
    expect(job.output_file.key).toBeUndefined();
  });

  it('imports the generic contacts case with skip_errors=true: valid rows in, each bad row reported', async () => {
    const before = csvRows((await api.exportCsv('contacts')).csv).length;

    const started = await api.importCsv('contacts', 'contacts.csv', CONTACTS_CSV, { skip_errors: true });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ job_id: expect.any(String), status: 'QUEUED' });
    const job = await api.waitForJob(started.body.job_id);

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log.totals).toEqual({ rows: 6, new: 2, updated: 0, skipped: 0, errors: 4 });
    expect(job.result_log.row_errors).toEqual([
      expect.objectContaining({ row: 3, column: 'customer_id', field: 'customer', value: 'cust-9999', code: 'not_found' }),
      expect.objectContaining({ row: 4, column: 'supplier_id', field: 'supplier', value: 'sup-9999', code: 'not_found' }),
      expect.objectContaining({ row: 5, column: 'first_name', field: 'first_name', code: 'required' }),
      expect.objectContaining({ row: 6, field: 'email', code: 'clean' }),
    ]);
    expect(job.result_log.summary).toMatchObject({
      warnings: [expect.objectContaining({ code: 'unmapped_columns', columns: ['customer_name'], message: expect.any(String) })],
      dry_run: false,
      skip_errors: true,
      committed: true,
    });
    const after = csvRows((await api.exportCsv('contacts')).csv);
    expect(after.length).toBe(before + 2);
    const names = after.map((row) => `${row[1]} ${row[2]}`);
    expect(names).toEqual(expect.arrayContaining(['Ada Lovelace', 'Margaret Hamilton']));
    expect(names).not.toContain('Alan Turing');
  });

  it('with skip_errors=false writes nothing and ends FAILED', async () => {
    const before = csvRows((await api.exportCsv('contacts')).csv).length;

    const started = await api.importCsv('contacts', 'contacts.csv', CONTACTS_CSV, { skip_errors: false });
    const job = await api.waitForJob(started.body.job_id);

    expect(job.status).toBe('FAILED');
    expect(job.result_log.totals.errors).toBe(4);
    expect(job.result_log.summary.committed).toBe(false);
    expect(job.result_log.error).toEqual({ code: 'row_errors', message: expect.any(String) });
    expect(csvRows((await api.exportCsv('contacts')).csv).length).toBe(before);
  });

  it('re-imports an export of what was imported with zero errors, every row unchanged', async () => {
    const { csv } = await api.exportCsv('contacts');

    const started = await api.importCsv('contacts', 'contacts-export.csv', csv);
    const job = await api.waitForJob(started.body.job_id);
    const forced = await api.waitForJob((await api.request('POST', '/api/v1/contacts/import/?skip_unchanged=false', formOf(csv))).body.job_id);

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log.totals).toEqual({ rows: csvRows(csv).length - 1, new: 0, updated: 0, skipped: csvRows(csv).length - 1, errors: 0 });
    expect(job.result_log.row_errors).toEqual([]);
    expect(forced.result_log.totals).toMatchObject({ updated: csvRows(csv).length - 1, skipped: 0, errors: 0 });
  });

  it('reports what would happen on a dry run and writes nothing', async () => {
    const started = await api.importCsv('tags', 'tags.csv', 'name\nbrand-new-tag\n', { dry_run: true });
    const job = await api.waitForJob(started.body.job_id);
    const { csv } = await api.exportCsv('tags');

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log.totals).toMatchObject({ rows: 1, new: 1, errors: 0 });
    expect(job.result_log.summary).toMatchObject({ dry_run: true, committed: false });
    expect(csv).not.toContain('brand-new-tag');
  });

  it('ends FAILED with the reason when the file itself cannot be imported', async () => {
    const started = await api.importCsv('tags', 'tags.csv', 'colour,shade\nred,dark\n');
    const job = await api.waitForJob(started.body.job_id);

    expect(job.status).toBe('FAILED');
    expect(job.result_log.error).toEqual({ code: 'file_format', message: expect.stringContaining('no column') });
    expect(job.finished_at).toEqual(expect.any(String));
  });

  it('rejects an unsupported file type and a request without a file with 400', async () => {
    const wrongType = await api.importCsv('tags', 'tags.pdf', 'name\nx\n');
    const noFile = await api.request('POST', '/api/v1/tags/import/', new FormData());

    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe('validation_error');
    expect(noFile.status).toBe(400);
  });

  it('exports with a flat filter', async () => {
    const { csv } = await api.exportCsv('products', { filters: { and: [{ field: 'status', op: 'eq', value: 'active' }, { field: 'price', op: 'gte', value: '100' }] } });

    const [header, ...rows] = csvRows(csv);
    const status = header!.indexOf('status');
    const price = header!.indexOf('price');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row[status] === 'active' && Number(row[price]) >= 100)).toBe(true);
    expect(header).not.toContain('cost_price');
  });

  it('rejects an invalid filter with 400 naming the path, and creates no job', async () => {
    const before = await api.request('GET', '/api/v1/data-jobs/?limit=100');

    const response = await api.request('POST', '/api/v1/products/export/', { format: 'csv', filters: { and: [{ field: 'price', op: 'gte', value: '1' }, { field: 'nope', op: 'eq', value: 1 }] } });
    const after = await api.request('GET', '/api/v1/data-jobs/?limit=100');

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'validation_error', message: expect.stringContaining('and[1]') });
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('lists jobs newest first with a cursor', async () => {
    const first = await api.request('GET', '/api/v1/data-jobs?limit=2');
    const second = await api.request('GET', `/api/v1/data-jobs/?limit=2&cursor=${first.body.next_cursor}`);

    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0].created_at >= first.body.items[1].created_at).toBe(true);
    expect(second.body.items[0].job_id < first.body.items[1].job_id).toBe(true);
  });

  it('answers 401 without a valid token, 403 without the permission, 404 for another organization', async () => {
    const exported = await api.request('POST', '/api/v1/tags/export/', { format: 'csv' });
    const jobId = exported.body.job_id;
    const expired = stack.token({ org: 'acme', user: 'alice', perms: ['*'], ttlSeconds: -10 });
    const globex = api.withToken(stack.token({ org: 'globex', user: 'bob', perms: ['*'] }));
    const reader = api.withToken(stack.token({ org: 'acme', user: 'carol', perms: ['data-jobs:read', 'contacts:export'] }));

    const noToken = await api.withToken(undefined).request('GET', `/api/v1/data-jobs/${jobId}/`);
    const badToken = await api.withToken('not.a.token').request('GET', `/api/v1/data-jobs/${jobId}/`);
    const expiredToken = await api.withToken(expired).request('GET', `/api/v1/data-jobs/${jobId}/`);
    const forbidden = await reader.importCsv('contacts', 'c.csv', CONTACTS_CSV);
    const otherOrg = await globex.request('GET', `/api/v1/data-jobs/${jobId}/`);
    const unknownModel = await api.request('POST', '/api/v1/widgets/export/', { format: 'csv' });

    expect(noToken.status).toBe(401);
    expect(noToken.body.error.code).toBe('unauthorized');
    expect(badToken.status).toBe(401);
    expect(expiredToken.status).toBe(401);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('contacts:import') });
    expect(otherOrg.status).toBe(404);
    expect(otherOrg.body.error.code).toBe('not_found');
    expect(unknownModel.status).toBe(404);
  });

  it('npx dataio token prints only a token the stack accepts', () => {
    const out = execFileSync('npx', ['dataio', 'token', '--org', 'acme', '--user', 'alice', '--perms', '*'], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, DATAIO_DATA_DIR: stack.dataDir },
      encoding: 'utf8',
    });

    expect(out.trim().split('\n')).toHaveLength(1);
    expect(verifyToken(out.trim(), localJwtSecret(stack.dataDir))).toEqual({ user: 'alice', org: 'acme', perms: ['*'] });
  });
});
