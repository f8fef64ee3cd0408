import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createExportJob } from '../../../layers/core/jobs/create-export-job';
import { createImportJob } from '../../../layers/core/jobs/create-import-job';
import { commitImportChunk, decideImport, finalizeImport, prepareImport, validateImportChunk } from '../../../layers/core/jobs/import-workflow';
import type { WorkflowEngine } from '../../../layers/core/ports';
import { getJob } from '../../../layers/core/jobs/read-jobs';
import { erpRegistry } from '../../../layers/erp';
import { createJobHarness } from '../../support/job-harness';

const CONTACTS_CSV = readFileSync(join(__dirname, '../../fixtures/contacts-import.csv'));
const admin = { org: 'acme', user: 'alice', perms: ['*'] };

async function seedContactsWorld(harness: ReturnType<typeof createJobHarness>) {
  await harness.seed('acme', 'customers', ['cust-0001', 'cust-0002', 'cust-0003', 'cust-0004', 'cust-0005'].map((id) => ({ id, name: `Customer ${id}`, active: true })));
  await harness.seed('acme', 'suppliers', [{ id: 'sup-0001', name: 'Supplier One' }]);
}

async function importFile(harness: ReturnType<typeof createJobHarness>, body: Buffer, options: { dryRun?: boolean; skipErrors?: boolean; model?: string; filename?: string } = {}) {
  const created = await createImportJob(harness.deps, {
    ...admin,
    model: options.model ?? 'contacts',
    file: { filename: options.filename ?? 'contacts.csv', contentType: 'text/csv', body },
    dryRun: options.dryRun ?? false,
    skipErrors: options.skipErrors ?? false,
  });
  await harness.workflow.settle();
  return getJob(harness.deps, admin, created.job_id);
}

describe('import job (use cases in process)', () => {
  it('imports the valid rows with skip_errors and reports each bad row with its spreadsheet row number', async () => {
    const harness = createJobHarness({ importChunkRows: 2 });
    await seedContactsWorld(harness);

    const job = await importFile(harness, CONTACTS_CSV, { skipErrors: true });

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log?.totals).toEqual({ rows: 6, new: 2, updated: 0, skipped: 0, errors: 4 });
    expect(job.result_log?.row_errors.map((e) => [e.row, e.field, e.code])).toEqual([
      [3, 'customer', 'not_found'],
      [4, 'supplier', 'not_found'],
      [5, 'first_name', 'required'],
      [6, 'email', 'clean'],
    ]);
    expect(job.result_log?.summary).toMatchObject({ dry_run: false, skip_errors: true, committed: true });
    expect(job.result_log?.summary.warnings).toEqual([expect.objectContaining({ code: 'unmapped_columns', columns: ['customer_name'] })]);
    const stored = [];
    for await (const page of harness.records.scan('acme', erpRegistry.require('contacts'), { segment: 0, totalSegments: 1 })) stored.push(...page);
    expect(stored.map((r) => r.values.last_name).sort()).toEqual(['Hamilton', 'Lovelace']);
    expect(stored.find((r) => r.values.last_name === 'Lovelace')?.meta).toMatchObject({ created_by: 'alice', job_id: job.job_id });
    expect(job.progress).toMatchObject({ rows_total: 6, rows_processed: 6, chunks_total: 3, chunks_done: 3 });
  });

  it('writes nothing and fails when a row is bad and skip_errors is off', async () => {
    const harness = createJobHarness({ importChunkRows: 2 });
    await seedContactsWorld(harness);
    harness.records.resetCalls();

    const job = await importFile(harness, CONTACTS_CSV);

    expect(job.status).toBe('FAILED');
    expect(job.result_log?.totals.errors).toBe(4);
    expect(job.result_log?.summary.committed).toBe(false);
    expect(job.result_log?.error?.code).toBe('row_errors');
    expect(harness.records.calls.write).toBe(0);
  });

  it('writes nothing on a dry run and says what would happen', async () => {
    const harness = createJobHarness();
    await seedContactsWorld(harness);

    const job = await importFile(harness, CONTACTS_CSV, { dryRun: true, skipErrors: true });

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log?.totals).toMatchObject({ new: 2, errors: 4 });
    expect(job.result_log?.summary).toMatchObject({ dry_run: true, committed: false });
    expect(harness.records.calls.write).toBe(2);
  });

  it('catches a unique value repeated in two chunks of one file', async () => {
    const harness = createJobHarness({ importChunkRows: 1 });

    const job = await importFile(harness, Buffer.from('name\nred\nblue\nred\n'), { model: 'tags', filename: 'tags.csv', skipErrors: true });

    expect(job.result_log?.totals).toMatchObject({ rows: 3, new: 2, errors: 1 });
    expect(job.result_log?.row_errors).toEqual([expect.objectContaining({ row: 4, field: 'name', code: 'unique', column: 'name' })]);
  });

  it('writes only the first row of a value repeated across chunks and reports every later one', async () => {
    const harness = createJobHarness({ importChunkRows: 2 });

    const job = await importFile(harness, Buffer.from('name\nred\nblue\nred\nblue\ngreen\nred\n'), { model: 'tags', filename: 'tags.csv', skipErrors: true });
    const stored = [];
    for await (const page of harness.records.scan('acme', erpRegistry.require('tags'), { segment: 0, totalSegments: 1 })) stored.push(...page);
    const key = [...harness.files.files.keys()].find((k) => k.endsWith('/errors/tags-errors.csv'))!;

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log?.totals).toEqual({ rows: 6, new: 3, updated: 0, skipped: 0, errors: 3 });
    expect(job.result_log?.row_errors.map((e) => [e.row, e.code, e.message])).toEqual([
      [4, 'unique', '"red" is already used by row 2 of this file'],
      [5, 'unique', '"blue" is already used by row 3 of this file'],
      [7, 'unique', '"red" is already used by row 2 of this file'],
    ]);
    expect(stored.map((r) => r.values.name).sort()).toEqual(['blue', 'green', 'red']);
    expect(harness.files.text(key).trim().split('\n')).toEqual([
      'name,errors',
      'red,"name: ""red"" is already used by row 2 of this file"',
      'blue,"name: ""blue"" is already used by row 3 of this file"',
      'red,"name: ""red"" is already used by row 2 of this file"',
    ]);
  });

  it('writes nothing when a value repeats across chunks and skip_errors is off', async () => {
    const harness = createJobHarness({ importChunkRows: 1 });
    harness.records.resetCalls();

    const job = await importFile(harness, Buffer.from('name\nred\nblue\nred\n'), { model: 'tags', filename: 'tags.csv' });

    expect(job.status).toBe('FAILED');
    expect(job.result_log?.totals).toMatchObject({ rows: 3, errors: 1 });
    expect(harness.records.calls.write).toBe(0);
  });

  it('ends its finalize task normally when removing the work files fails afterwards (they expire by lifecycle rule)', async () => {
    const harness = createJobHarness({ importChunkRows: 1 });
    const idle: WorkflowEngine = { start: async (kind, input) => `arn:test:execution:${kind}:${input.job_id}`, stop: async () => undefined };
    const deps = { ...harness.deps, workflow: idle };
    const created = await createImportJob(deps, { ...admin, model: 'tags', file: { filename: 'tags.csv', contentType: 'text/csv', body: Buffer.from('name\nred\nblue\n') }, dryRun: false, skipErrors: false });
    const input = { org: 'acme', job_id: created.job_id };
    const prepared = await prepareImport(deps, input);
    for (const chunk of prepared.chunks) await validateImportChunk(deps, { ...input, chunk });
    const decided = await decideImport(deps, prepared);
    for (const chunk of prepared.chunks) await commitImportChunk(deps, { ...input, chunk });
    harness.files.deletePrefix = async () => {
      throw new Error('InternalError');
    };

    await expect(finalizeImport(deps, decided)).resolves.toBeUndefined();
    expect((await harness.jobs.get('acme', created.job_id))?.status).toBe('COMPLETED');
  });

  it('fails the job with a file-level reason for an empty file', async () => {
    const harness = createJobHarness();

    const job = await importFile(harness, Buffer.from('\n'), { model: 'tags', filename: 'tags.csv' });

    expect(job.status).toBe('FAILED');
    expect(job.result_log?.error?.code).toBe('file_format');
  });

  it('re-imports its own export with zero errors and every row skipped as unchanged', async () => {
    const harness = createJobHarness({ importChunkRows: 2, exportSegments: 3 });
    await seedContactsWorld(harness);
    await importFile(harness, CONTACTS_CSV, { skipErrors: true });

    const exported = await createExportJob(harness.deps, { ...admin, model: 'contacts', format: 'csv' });
    await harness.workflow.settle();
    const exportJob = await getJob(harness.deps, admin, exported.job_id);
    const csv = harness.files.text(`exports/acme/${exportJob.job_id}/${exportJob.output_file!.filename}`);
    const again = await importFile(harness, Buffer.from(csv));

    expect(exportJob.status).toBe('COMPLETED');
    expect(csv.split('\n')[0]).toBe('id,first_name,last_name,email,phone,customer_id,supplier_id,is_primary,birthday,notes');
    expect(again.status).toBe('COMPLETED');
    expect(again.result_log?.totals).toEqual({ rows: 2, new: 0, updated: 0, skipped: 2, errors: 0 });
    expect(again.result_log?.summary.committed).toBe(false);
  });

  it('survives a workflow that finishes before the API has recorded QUEUED', async () => {
    const harness = createJobHarness({}, { eagerWorkflows: true });

    const created = await createExportJob(harness.deps, { ...admin, model: 'tags', format: 'csv' });
    const job = await getJob(harness.deps, admin, created.job_id);

    expect(job.status).toBe('COMPLETED');
    expect(job.execution_id).toBe(`arn:in-process:execution:export:${created.job_id}`);
  });

  it('keeps the first 1,000 row errors inline and counts the rest', async () => {
    const harness = createJobHarness({ importChunkRows: 400 });
    const rows = Array.from({ length: 1500 }, (_, i) => `,Last${i},,,cust-x`).join('\n');

    const job = await importFile(harness, Buffer.from(`first_name,last_name,email,phone,customer_id\n${rows}\n`), { skipErrors: true });

    expect(job.result_log?.totals.errors).toBe(1500);
    expect(job.result_log?.row_errors).toHaveLength(1000);
    expect(job.result_log?.row_errors_truncated).toBe(2000);
    expect(job.result_log?.row_errors[0]).toMatchObject({ row: 2 });
    expect(Buffer.byteLength(JSON.stringify(job.result_log))).toBeLessThan(350_000);
  });

  it('writes an error report of exactly the failed rows, as sent, with an errors column', async () => {
    const harness = createJobHarness({ importChunkRows: 2 });
    await seedContactsWorld(harness);

    const job = await importFile(harness, CONTACTS_CSV, { skipErrors: true });
    const report = job.result_log!.error_report!;
    const key = [...harness.files.files.keys()].find((k) => k.endsWith(`/errors/${report.filename}`))!;
    const lines = harness.files.text(key).trim().split('\n');
    const input = CONTACTS_CSV.toString('utf8').trim().split('\n');

    expect(report).toMatchObject({ filename: 'contacts-errors.csv', rows: 4, download_url: expect.any(String) });
    expect(key).toBe(`imports/acme/${job.job_id}/errors/contacts-errors.csv`);
    expect(lines[0]).toBe(`${input[0]},errors`);
    expect(lines.slice(1).map((line) => line.slice(0, line.lastIndexOf(',')))).toEqual([input[2], input[3], input[4], input[5]]);
    expect(lines[1]).toMatch(/customer_id: customers 'cust-9999' not found/);
  });
});
