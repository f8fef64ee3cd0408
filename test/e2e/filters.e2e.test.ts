import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { ApiClient, downloadFile } from '../support/api-client';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';

jest.setTimeout(180_000);

type Row = Record<string, string>;

/** Products in hand or power tools, or from a supplier whose name starts with "m", not discontinued, 10 ≤ price ≤ 200. */
const FILTER = {
  and: [
    {
      or: [
        { field: 'category.code', op: 'in', value: ['TOOLS-HAND', 'TOOLS-POWER'] },
        { field: 'supplier.name', op: 'istartswith', value: 'm' },
      ],
    },
    { not: { field: 'status', op: 'eq', value: 'discontinued' } },
    { field: 'price', op: 'between', value: ['10', '200'] },
  ],
};
const ORDERING = ['-price', 'sku'];

function csvRecords(csv: string | Buffer): { header: string[]; rows: string[][] } {
  const [header, ...rows] = parse(csv, { bom: true }) as string[][];
  return { header: header!, rows };
}

function keyedRecords(csv: string): Row[] {
  const { header, rows } = csvRecords(csv);
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));
}

/** A decimal string with at most two places as integer cents, so prices compare exactly. */
function cents(price: string): bigint {
  const [whole, fraction = ''] = price.split('.');
  return BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

describe('filtered, ordered exports and the export preview, end to end', () => {
  let stack: LocalStackProcess;
  let api: ApiClient;
  let header: string[];
  let expected: string[][];

  beforeAll(async () => {
    stack = await startLocalStackProcess();
    api = new ApiClient(stack.apiUrl, stack.token({ org: 'acme', user: 'alice', perms: ['*'] }));
    // The expected rows come from full, unfiltered exports, joined and filtered here.
    const products = csvRecords((await api.exportCsv('products')).csv);
    const categories = keyedRecords((await api.exportCsv('categories')).csv);
    const suppliers = keyedRecords((await api.exportCsv('suppliers')).csv);
    const categoryByCode = new Map(categories.map((c) => [c.code, c]));
    const supplierByName = new Map(suppliers.map((s) => [s.name, s]));
    header = products.header;
    const column = (name: string) => header.indexOf(name);
    expected = products.rows
      .filter((row) => {
        const category = categoryByCode.get(row[column('category')]!);
        const supplier = supplierByName.get(row[column('supplier')]!);
        const price = cents(row[column('price')]!);
        return (
          (['TOOLS-HAND', 'TOOLS-POWER'].includes(category?.code ?? '') || (supplier?.name ?? '').toLowerCase().startsWith('m')) &&
          row[column('status')] !== 'discontinued' &&
          price >= 1000n &&
          price <= 20000n
        );
      })
      .sort((a, b) => {
        const byPrice = cents(b[column('price')]!) - cents(a[column('price')]!);
        return byPrice !== 0n ? (byPrice > 0n ? 1 : -1) : byText(a[column('sku')]!, b[column('sku')]!);
      });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function exportProducts(format: 'csv' | 'xlsx', body: Record<string, unknown>) {
    const started = await api.request('POST', '/api/v1/products/export/', { format, ...body });
    expect(started.status).toBe(202);
    const job = await api.waitForJob(started.body.job_id);
    expect(job.status).toBe('COMPLETED');
    return { job, body: await downloadFile(job.output_file.download_url) };
  }

  async function jobCount(): Promise<number> {
    const listed = await api.request('GET', '/api/v1/data-jobs/?limit=100');
    expect(listed.status).toBe(200);
    return listed.body.items.length;
  }

  it('has a meaningful expectation: some products match, most do not', () => {
    expect(expected.length).toBeGreaterThan(20);
    expect(expected.length).toBeLessThan(1500);
  });

  it('exports exactly the matching products in the ordering, as CSV', async () => {
    const { job, body } = await exportProducts('csv', { filters: FILTER, ordering: ORDERING });
    const exported = csvRecords(body);

    expect(exported.header).toEqual(header);
    expect(exported.rows).toEqual(expected);
    expect(job.result_log.totals.rows).toBe(expected.length);
    expect(job.input_params).toEqual({ filters: FILTER, ordering: ORDERING });
  });

  it('exports exactly the matching products in the ordering, as XLSX', async () => {
    const { body } = await exportProducts('xlsx', { filters: FILTER, ordering: ORDERING });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(body as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    const rows = sheet.getSheetValues().slice(1).map((row) => (row as unknown[]).slice(1));
    const [sheetHeader, ...data] = rows;
    const sku = header.indexOf('sku');
    const price = header.indexOf('price');

    expect(sheetHeader).toEqual(header);
    expect(data.map((row) => row[sku])).toEqual(expected.map((row) => row[sku]));
    expect(data.map((row) => row[price])).toEqual(expected.map((row) => Number(row[price])));
  });

  it('previews the same count and first rows without creating a job', async () => {
    const before = await jobCount();

    const preview = await api.request('POST', '/api/v1/products/export/preview', { format: 'csv', filters: FILTER, ordering: ORDERING });
    const limited = await api.request('POST', '/api/v1/products/export/preview/', { filters: FILTER, ordering: ORDERING, limit: 3 });

    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ count: expected.length, columns: header, rows: expect.any(Array), ordering: ORDERING });
    expect((preview.body.rows as unknown[][]).map((row) => row.map((cell) => (cell === null ? '' : String(cell))))).toEqual(expected.slice(0, 20));
    expect(limited.status).toBe(200);
    expect(limited.body.rows).toEqual((preview.body.rows as unknown[][]).slice(0, 3));
    expect(await jobCount()).toBe(before);
  });

  it('answers 400 naming the path of a bad filter, and creates no job', async () => {
    const before = await jobCount();
    const bad = { and: [FILTER.and[2], { or: [{ field: 'category.code', op: 'in', value: 'TOOLS-HAND' }] }] };

    const exported = await api.request('POST', '/api/v1/products/export/', { format: 'csv', filters: bad, ordering: ORDERING });
    const previewed = await api.request('POST', '/api/v1/products/export/preview/', { filters: bad });

    for (const answer of [exported, previewed]) {
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'validation_error', details: { path: 'filters.and[1].or[0].value' } });
      expect(answer.body.error.message).toMatch(/^filters\.and\[1\]\.or\[0\]\.value: /);
    }
    expect(await jobCount()).toBe(before);
  });

  it('answers 400 naming a bad ordering term or limit, and creates no job', async () => {
    const before = await jobCount();

    const exported = await api.request('POST', '/api/v1/products/export/', { format: 'xlsx', ordering: ['-price', 'cost_price'] });
    const previewed = await api.request('POST', '/api/v1/products/export/preview/', { ordering: ['nope'] });
    const tooMany = await api.request('POST', '/api/v1/products/export/preview/', { limit: 101 });

    expect(exported.status).toBe(400);
    expect(exported.body.error.details).toMatchObject({ path: 'ordering[1]' });
    expect(previewed.status).toBe(400);
    expect(previewed.body.error.details).toMatchObject({ path: 'ordering[0]' });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/^limit: /);
    expect(await jobCount()).toBe(before);
  });

  it('previews only with <model>:export', async () => {
    const reader = api.withToken(stack.token({ org: 'acme', user: 'bob', perms: ['products:import', 'data-jobs:read'] }));

    const answer = await reader.request('POST', '/api/v1/products/export/preview/', {});

    expect(answer.status).toBe(403);
    expect(answer.body.error.message).toContain('products:export');
  });
});
