import { parse } from 'csv-parse/sync';
import { assembleExport, exportSegment, planExport, type SortLimits } from '../../../layers/core/jobs/export-workflow';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { getJob } from '../../../layers/core/jobs/read-jobs';
import { newJob } from '../../../layers/core/jobs/start-job';
import type { RecordValues } from '../../../layers/core/model/types';
import { createJobHarness } from '../../support/job-harness';

const admin = { org: 'acme', user: 'alice', perms: ['*'] };

/** 97 customers over few credit limits and names, so the ordering has many ties to keep stable. */
const CUSTOMERS: Array<{ id: string } & RecordValues> = Array.from({ length: 97 }, (_, i) => ({
  id: `cust-${String((i * 31) % 97).padStart(4, '0')}`,
  name: `Customer ${String.fromCharCode(65 + (i % 4))}`,
  credit_limit: i % 9 === 0 ? null : ['100.00', '2500.50', '99.99', '1000.00'][i % 4]!,
  active: i % 3 !== 0,
}));

/**
 * Runs an ordered export task by task with the given sort limits; returns the output's rows, the
 * runs each segment spilled and the keys of every file the export stored.
 */
async function orderedExport(format: 'csv' | 'xlsx', limits?: SortLimits) {
  const harness = createJobHarness({ exportSegments: 3 });
  await harness.seed('acme', 'customers', CUSTOMERS);
  const job = newJob(
    { job_id: harness.deps.newId(), job_type: 'EXPORT', organization: 'acme', user: 'alice', model: 'customers', export_format: format, input_params: { ordering: ['-credit_limit', 'name'], fields: ['id', 'name', 'credit_limit'] }, input_file: null },
    new Date(),
  );
  await harness.jobs.create(job);
  const stored: string[] = [];
  const put = harness.files.put.bind(harness.files);
  harness.files.put = async (key, body, options) => {
    stored.push(key);
    return put(key, body, options);
  };
  const planned = await planExport(harness.deps, { org: 'acme', job_id: job.job_id });
  for (const segment of planned.segments) await exportSegment(harness.deps, { org: 'acme', job_id: job.job_id, segment }, limits);
  const runs = planned.segments.map((segment) => (JSON.parse(harness.files.text(fileKeys.exportPartSummary('acme', job.job_id, segment))) as { runs?: number }).runs ?? 0);
  await assembleExport(harness.deps, planned, limits);
  const done = await getJob(harness.deps, admin, job.job_id);
  const output = harness.files.files.get(fileKeys.exportOutput('acme', job.job_id, done.output_file!.filename))!.body;
  return { done, output, runs, stored, leftovers: [...harness.files.files.keys()].filter((key) => key.startsWith('work/')) };
}

function csvRows(output: Buffer): string[][] {
  return (parse(output.toString('utf8'), { bom: true }) as string[][]).slice(1);
}

describe('ordered exports in bounded memory', () => {
  it('spills sorted runs, merges them in several passes and writes the same file as one sort in memory', async () => {
    const inMemory = await orderedExport('csv');
    const spilled = await orderedExport('csv', { runRows: 4, mergeFanIn: 3 });

    expect(inMemory.runs).toEqual([0, 0, 0]);
    expect(spilled.runs.every((runs) => runs >= 5)).toBe(true);
    expect(spilled.stored.some((key) => /\/parts\/merge-0-\d+\.ndjson$/.test(key))).toBe(true);
    expect(spilled.stored.some((key) => /\/parts\/merge-1-\d+\.ndjson$/.test(key))).toBe(true);
    expect(csvRows(spilled.output)).toEqual(csvRows(inMemory.output));
    expect(csvRows(spilled.output)).toHaveLength(CUSTOMERS.length);
    expect(spilled.done.result_log?.totals.rows).toBe(CUSTOMERS.length);
    expect(spilled.leftovers).toEqual([]);
  });

  it('keeps ties in scan order across runs, as a stable sort of all rows would', async () => {
    const one = await orderedExport('csv', { runRows: 1000, mergeFanIn: 32 });
    const many = await orderedExport('csv', { runRows: 1, mergeFanIn: 2 });

    expect(csvRows(many.output).map((row) => row[0])).toEqual(csvRows(one.output).map((row) => row[0]));
  });

  it('orders an XLSX export the same way from spilled runs', async () => {
    const spilled = await orderedExport('xlsx', { runRows: 5, mergeFanIn: 4 });

    expect(spilled.done.status).toBe('COMPLETED');
    expect(spilled.done.result_log?.totals.rows).toBe(CUSTOMERS.length);
    expect(spilled.runs.some((runs) => runs > 0)).toBe(true);
  });
});
