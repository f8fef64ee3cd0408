import { parse } from 'csv-parse/sync';
import { ForbiddenError, ValidationError } from '../../../layers/core/errors';
import { createExportJob } from '../../../layers/core/jobs/create-export-job';
import { assembleExport, exportSegment, planExport } from '../../../layers/core/jobs/export-workflow';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { previewExport } from '../../../layers/core/jobs/preview-export';
import { getJob } from '../../../layers/core/jobs/read-jobs';
import { FirstItems, mergeSorted } from '../../../layers/core/jobs/sorted-streams';
import { newJob } from '../../../layers/core/jobs/start-job';
import type { RecordValues } from '../../../layers/core/model/types';
import { createJobHarness } from '../../support/job-harness';

const admin = { org: 'acme', user: 'alice', perms: ['*'] };
type Harness = ReturnType<typeof createJobHarness>;

/**
 * 40 customers over few credit limits (ties), some without one (nulls), and pairs that differ only
 * by id, so every tie-break of the ordering is exercised.
 */
const CUSTOMERS: Array<{ id: string } & RecordValues> = Array.from({ length: 40 }, (_, i) => ({
  id: `cust-${String((i * 17) % 40).padStart(4, '0')}`,
  name: `Customer ${String.fromCharCode(65 + (i % 5))}`,
  credit_limit: i % 7 === 0 ? null : ['100.00', '2500.50', '99.99', '2500.50', '1000.00'][i % 5]!,
  country: i % 2 === 0 ? 'DE' : 'PL',
  active: i % 3 !== 0,
}));

function csvRows(text: string): string[][] {
  return parse(text, { bom: true }) as string[][];
}

async function seededHarness(exportSegments = 3): Promise<Harness> {
  const harness = createJobHarness({ exportSegments });
  await harness.seed('acme', 'customers', CUSTOMERS);
  return harness;
}

async function exportCsv(harness: Harness, body: { filters?: unknown; ordering?: unknown; fields?: string[] } = {}): Promise<string[][]> {
  const created = await createExportJob(harness.deps, { ...admin, model: 'customers', format: 'csv', ...body });
  await harness.workflow.settle();
  const job = await getJob(harness.deps, admin, created.job_id);
  expect(job.status).toBe('COMPLETED');
  return csvRows(harness.files.text(fileKeys.exportOutput('acme', job.job_id, job.output_file!.filename)));
}

/** Expected order of `-credit_limit, name`: no limit first (empty sorts as the largest), limits high to low, then name, then id. */
function byLimitDescThenName(a: (typeof CUSTOMERS)[number], b: (typeof CUSTOMERS)[number]): number {
  const limit = (c: (typeof CUSTOMERS)[number]) => (c.credit_limit === null ? Number.POSITIVE_INFINITY : Number(c.credit_limit));
  return limit(b) - limit(a) || byText(String(a.name), String(b.name)) || byText(a.id, b.id);
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function* fromArray<T>(items: readonly T[], pulled: { count: number }): AsyncGenerator<T> {
  for (const item of items) {
    pulled.count += 1;
    yield item;
  }
}

describe('export ordering', () => {
  it('writes every row in the ordering across segments: descending with empty values first, ties by the next term then by id', async () => {
    const harness = await seededHarness(3);

    const [header, ...rows] = await exportCsv(harness, { ordering: ['-credit_limit', 'name'], fields: ['id', 'name', 'credit_limit'] });

    expect(header).toEqual(['id', 'name', 'credit_limit']);
    expect(rows).toEqual([...CUSTOMERS].sort(byLimitDescThenName).map((c) => [c.id, c.name, c.credit_limit ?? '']));
  });

  it('puts records without a value last in ascending order', async () => {
    const harness = await seededHarness(4);

    const rows = (await exportCsv(harness, { ordering: ['credit_limit'], fields: ['credit_limit', 'id'] })).slice(1);

    const limits = rows.map((row) => row[0]!);
    const firstEmpty = limits.indexOf('');
    expect(firstEmpty).toBeGreaterThan(0);
    expect(limits.slice(firstEmpty).every((limit) => limit === '')).toBe(true);
    expect(limits.slice(0, firstEmpty)).toEqual([...limits.slice(0, firstEmpty)].sort((a, b) => Number(a) - Number(b)));
    // Equal limits (and the empty ones) come by id.
    const ids = rows.filter((row) => row[0] === '2500.50').map((row) => row[1]!);
    expect(ids).toEqual([...ids].sort());
  });

  it('applies the filter before ordering and stores the ordering canonically on the job', async () => {
    const harness = await seededHarness(2);

    const created = await createExportJob(harness.deps, {
      ...admin,
      model: 'customers',
      format: 'csv',
      filters: { field: 'country', op: 'eq', value: 'PL' },
      ordering: ['-id'],
      fields: ['id', 'country'],
    });
    await harness.workflow.settle();
    const job = await getJob(harness.deps, admin, created.job_id);
    const rows = csvRows(harness.files.text(fileKeys.exportOutput('acme', job.job_id, job.output_file!.filename))).slice(1);

    expect(job.input_params).toEqual({ filters: { field: 'country', op: 'eq', value: 'PL' }, ordering: ['-id'], fields: ['id', 'country'] });
    expect(rows).toEqual(CUSTOMERS.filter((c) => c.country === 'PL').map((c) => [c.id, 'PL']).sort((a, b) => byText(b[0]!, a[0]!)));
    expect(job.result_log?.totals.rows).toBe(20);
  });

  it('keeps segment order without an ordering, as before', async () => {
    const harness = await seededHarness(3);
    const segments = await Promise.all([0, 1, 2].map(async (segment) => {
      const ids: string[] = [];
      for await (const page of harness.records.scan('acme', harness.deps.models.require('customers'), { segment, totalSegments: 3 })) ids.push(...page.map((r) => r.id));
      return ids;
    }));

    const rows = (await exportCsv(harness, { fields: ['id'] })).slice(1);

    expect(rows.map((row) => row[0])).toEqual(segments.flat());
  });

  it('has each segment write its part sorted, as [sortKey, cells] lines, for Assemble to merge without reloading records', async () => {
    const harness = await seededHarness(3);
    const job = newJob(
      { job_id: harness.deps.newId(), job_type: 'EXPORT', organization: 'acme', user: 'alice', model: 'customers', export_format: 'csv', input_params: { ordering: ['-credit_limit', 'name'], fields: ['name'] }, input_file: null },
      new Date(),
    );
    await harness.jobs.create(job);
    const planned = await planExport(harness.deps, { org: 'acme', job_id: job.job_id });
    await Promise.all(planned.segments.map((segment) => exportSegment(harness.deps, { org: 'acme', job_id: job.job_id, segment })));
    const parts = planned.segments.map((segment) =>
      harness.files
        .text(fileKeys.exportPart('acme', job.job_id, segment))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as [[string, unknown[]], unknown[]]),
    );
    harness.records.resetCalls();

    await assembleExport(harness.deps, planned);

    for (const part of parts) {
      const ids = part.map(([[id]]) => id);
      const expected = CUSTOMERS.filter((c) => ids.includes(c.id)).sort(byLimitDescThenName);
      expect(part).toEqual(expected.map((c) => [[c.id, [c.credit_limit, c.name]], [c.name]]));
    }
    expect(parts.flat()).toHaveLength(CUSTOMERS.length);
    expect(harness.records.calls).toEqual({ getByIds: 0, findByUnique: 0, write: 0, scan: 0 });
    const done = await getJob(harness.deps, admin, job.job_id);
    const names = csvRows(harness.files.text(fileKeys.exportOutput('acme', job.job_id, done.output_file!.filename))).slice(1).map((row) => row[0]);
    expect(names).toEqual([...CUSTOMERS].sort(byLimitDescThenName).map((c) => c.name));
  });

  it('writes the ordered rows to XLSX as well', async () => {
    const harness = await seededHarness(3);

    const created = await createExportJob(harness.deps, { ...admin, model: 'customers', format: 'xlsx', ordering: ['-credit_limit', 'name'], fields: ['id'] });
    await harness.workflow.settle();
    const job = await getJob(harness.deps, admin, created.job_id);

    expect(job.status).toBe('COMPLETED');
    expect(job.output_file?.filename).toMatch(/\.xlsx$/);
    expect(job.result_log?.totals.rows).toBe(CUSTOMERS.length);
  });
});

describe('mergeSorted', () => {
  const numeric = (a: number, b: number) => a - b;

  it('merges sorted sources, empty ones included, into one sorted stream', async () => {
    const sources = [[1, 4, 9], [], [2, 3, 10, 11], [5], [0, 6, 7, 8]];
    const pulled = { count: 0 };

    const merged: number[] = [];
    for await (const n of mergeSorted(sources.map((s) => fromArray(s, pulled)), numeric)) merged.push(n);

    expect(merged).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('gives equal items in source order', async () => {
    const pulled = { count: 0 };
    const sources = [[{ k: 1, s: 'a' }, { k: 2, s: 'a' }], [{ k: 1, s: 'b' }, { k: 2, s: 'b' }], [{ k: 1, s: 'c' }]];

    const merged: string[] = [];
    for await (const item of mergeSorted(sources.map((s) => fromArray(s, pulled)), (a, b) => a.k - b.k)) merged.push(`${item.k}${item.s}`);

    expect(merged).toEqual(['1a', '1b', '1c', '2a', '2b']);
  });

  it('holds one item per source: it reads a source only when its head was taken', async () => {
    const pulled = { count: 0 };
    const sources = Array.from({ length: 4 }, (_, s) => Array.from({ length: 1000 }, (_, i) => i * 4 + s));

    const taken: number[] = [];
    for await (const n of mergeSorted(sources.map((s) => fromArray(s, pulled)), numeric)) {
      taken.push(n);
      expect(pulled.count).toBeLessThanOrEqual(taken.length + sources.length);
      if (taken.length === 10) break;
    }

    expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('FirstItems', () => {
  it('keeps the first n by the comparator whatever the offer order', () => {
    const first = new FirstItems<number>(3, (a, b) => a - b);

    for (const n of [9, 4, 7, 1, 8, 3, 3, 10]) first.offer(n);

    expect(first.values()).toEqual([1, 3, 3]);
  });

  it('keeps offer order when every item compares equal', () => {
    const first = new FirstItems<string>(2, () => 0);

    for (const s of ['a', 'b', 'c']) first.offer(s);

    expect(first.values()).toEqual(['a', 'b']);
  });
});

describe('previewExport', () => {
  it('counts the matches and renders the first rows exactly as the export writes them', async () => {
    const harness = await seededHarness(3);
    const body = { filters: { field: 'active', op: 'eq', value: true }, ordering: ['-credit_limit', 'name'], fields: ['id', 'name', 'credit_limit', 'active'] };

    const preview = await previewExport(harness.deps, { ...admin, model: 'customers', ...body, limit: 5 });
    const exported = await exportCsv(harness, body);

    expect(preview.count).toBe(CUSTOMERS.filter((c) => c.active).length);
    expect(preview.columns).toEqual(['id', 'name', 'credit_limit', 'active']);
    expect(preview.ordering).toEqual(['-credit_limit', 'name']);
    expect(preview.rows).toHaveLength(5);
    expect(preview.rows.map((row) => row.map((cell) => (cell === null ? '' : String(cell))))).toEqual(exported.slice(1, 6));
    expect(typeof preview.rows[0]![3]).toBe('boolean');
  });

  it('shows 20 rows by default, fewer when fewer match, and the export order without an ordering', async () => {
    const harness = await seededHarness(3);

    const all = await previewExport(harness.deps, { ...admin, model: 'customers', fields: ['id'] });
    const few = await previewExport(harness.deps, { ...admin, model: 'customers', filters: { field: 'name', op: 'eq', value: 'Customer A' }, limit: 100 });
    const exported = await exportCsv(harness, { fields: ['id'] });

    expect(all.count).toBe(40);
    expect(all.rows).toEqual(exported.slice(1, 21));
    expect(all.ordering).toEqual([]);
    expect(few.count).toBe(8);
    expect(few.rows).toHaveLength(8);
  });

  it.each([0, 101, 2.5])('rejects limit %p', async (limit) => {
    const harness = await seededHarness();

    await expect(previewExport(harness.deps, { ...admin, model: 'customers', limit })).rejects.toMatchObject({ name: 'ValidationError', details: { path: 'limit' } });
  });

  it('needs <model>:export', async () => {
    const harness = await seededHarness();

    await expect(previewExport(harness.deps, { ...admin, perms: ['customers:import'], model: 'customers' })).rejects.toThrow(ForbiddenError);
  });
});

describe('export request validation', () => {
  it.each([
    ['a filter', { filters: { and: [{ field: 'name', op: 'eq', value: 'x' }, { field: 'nope', op: 'eq', value: 1 }] } }, 'filters.and[1].field'],
    ['an ordering that is not a list', { ordering: '-name' }, 'ordering'],
    ['an unknown ordering field', { ordering: ['name', '-nope'] }, 'ordering[1]'],
    ['a sensitive ordering field', { ordering: ['tax_id'] }, 'ordering[0]'],
    ['an empty ordering term', { ordering: ['-'] }, 'ordering[0]'],
    ['a repeated ordering field', { ordering: ['name', '-name'] }, 'ordering[1]'],
    ['a field list', { fields: ['id', 'tax_id'] }, 'fields[1]'],
    ['a format', { format: 'docx' }, 'format'],
    ['a report on a CSV export', { report: 'price-list' }, 'report'],
  ])('rejects %s naming its path, and creates no job (export) or answers nothing (preview)', async (_, body, path) => {
    const harness = await seededHarness();

    const exporting = createExportJob(harness.deps, { ...admin, model: 'customers', format: 'csv', ...body });
    const previewing = previewExport(harness.deps, { ...admin, model: 'customers', ...body });

    await expect(exporting).rejects.toThrow(ValidationError);
    await expect(exporting).rejects.toMatchObject({ message: expect.stringMatching(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: `)), details: expect.objectContaining({ path }) });
    await expect(previewing).rejects.toMatchObject({ details: expect.objectContaining({ path }) });
    expect((await harness.jobs.list('acme', { limit: 100 })).items).toEqual([]);
    expect(harness.workflow.started).toEqual([]);
  });
});
