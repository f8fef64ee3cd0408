import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cancelJob } from '../../../layers/core/jobs/cancel-job';
import { createExportJob } from '../../../layers/core/jobs/create-export-job';
import { createImportJob } from '../../../layers/core/jobs/create-import-job';
import { jobEndMetrics } from '../../../layers/core/jobs/job-metrics';
import { newJob } from '../../../layers/core/jobs/start-job';
import { createJobHarness } from '../../support/job-harness';

const CONTACTS_CSV = readFileSync(join(__dirname, '../../fixtures/contacts-import.csv'));
const admin = { org: 'acme', user: 'alice', perms: ['*'] };
const contacts = { job_type: 'IMPORT', model: 'contacts' };

async function seedContactsWorld(harness: ReturnType<typeof createJobHarness>) {
  await harness.seed('acme', 'customers', ['cust-0001', 'cust-0002', 'cust-0003', 'cust-0004', 'cust-0005'].map((id) => ({ id, name: `Customer ${id}`, active: true })));
  await harness.seed('acme', 'suppliers', [{ id: 'sup-0001', name: 'Supplier One' }]);
}

async function importContacts(harness: ReturnType<typeof createJobHarness>, options: { skipErrors?: boolean; dryRun?: boolean } = {}) {
  await createImportJob(harness.deps, {
    ...admin,
    model: 'contacts',
    file: { filename: 'contacts.csv', contentType: 'text/csv', body: CONTACTS_CSV },
    dryRun: options.dryRun ?? false,
    skipErrors: options.skipErrors ?? false,
  });
  await harness.workflow.settle();
}

describe('job metrics', () => {
  it('records a started and a completed import with its rows, errors and duration, by type and model', async () => {
    const harness = createJobHarness({ importChunkRows: 2 });
    await seedContactsWorld(harness);

    await importContacts(harness, { skipErrors: true });

    expect(harness.metrics.recorded.map((r) => r.dimensions)).toEqual([contacts, contacts]);
    expect(harness.metrics.total('JobsStarted', contacts)).toBe(1);
    expect(harness.metrics.total('JobsCompleted', contacts)).toBe(1);
    expect(harness.metrics.total('JobsFailed')).toBe(0);
    expect(harness.metrics.total('RowsImported', contacts)).toBe(2);
    expect(harness.metrics.total('RowErrors', contacts)).toBe(4);
    expect(harness.metrics.valuesOf('JobDurationMs')).toEqual([expect.any(Number)]);
    expect(harness.metrics.valuesOf('JobDurationMs')[0]).toBeGreaterThanOrEqual(0);
  });

  it('counts a failed import and its row errors, but no imported rows', async () => {
    const harness = createJobHarness({ importChunkRows: 2 });
    await seedContactsWorld(harness);

    await importContacts(harness);

    expect(harness.metrics.total('JobsFailed', contacts)).toBe(1);
    expect(harness.metrics.total('JobsCompleted')).toBe(0);
    expect(harness.metrics.total('RowErrors', contacts)).toBe(4);
    expect(harness.metrics.valuesOf('RowsImported')).toEqual([]);
  });

  it('imports nothing on a dry run, yet reports its row errors', async () => {
    const harness = createJobHarness({ importChunkRows: 2 });
    await seedContactsWorld(harness);

    await importContacts(harness, { dryRun: true, skipErrors: true });

    expect(harness.metrics.total('JobsCompleted', contacts)).toBe(1);
    expect(harness.metrics.valuesOf('RowsImported')).toEqual([]);
    expect(harness.metrics.total('RowErrors', contacts)).toBe(4);
  });

  it('records the rows an export wrote', async () => {
    const harness = createJobHarness();
    await harness.seed('acme', 'tags', [{ id: 't1', name: 'red' }, { id: 't2', name: 'blue' }, { id: 't3', name: 'green' }]);

    await createExportJob(harness.deps, { ...admin, model: 'tags', format: 'csv' });
    await harness.workflow.settle();

    const tags = { job_type: 'EXPORT', model: 'tags' };
    expect(harness.metrics.total('JobsStarted', tags)).toBe(1);
    expect(harness.metrics.total('JobsCompleted', tags)).toBe(1);
    expect(harness.metrics.total('RowsExported', tags)).toBe(3);
  });

  it('counts a cancelled job once, without a duration', async () => {
    const harness = createJobHarness();
    const created = await createExportJob(harness.deps, { ...admin, model: 'tags', format: 'csv' });

    await cancelJob(harness.deps, admin, created.job_id);
    await harness.workflow.settle();

    expect(harness.metrics.total('JobsCancelled', { job_type: 'EXPORT', model: 'tags' })).toBe(1);
    expect(harness.metrics.total('JobsCompleted') + harness.metrics.total('JobsFailed')).toBe(0);
    expect(harness.metrics.valuesOf('JobDurationMs')).toEqual([]);
  });

  it('adds nothing for a job that has not ended', () => {
    const job = newJob({ job_id: 'j', job_type: 'IMPORT', organization: 'acme', user: 'alice', model: 'tags', export_format: null, input_params: {}, input_file: null }, new Date());

    expect(jobEndMetrics({ ...job, status: 'RUNNING' })).toEqual({});
  });
});
