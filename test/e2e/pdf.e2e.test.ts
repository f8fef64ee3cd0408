import { parse } from 'csv-parse/sync';
import { ApiClient } from '../support/api-client';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';
import { PdfFile } from '../support/pdf-text';

jest.setTimeout(180_000);

type Row = Record<string, string>;

const CATEGORY_FILTER = { field: 'category.code', op: 'in', value: ['TOOLS-HAND', 'TOOLS-POWER'] };

function keyedRecords(csv: string): Row[] {
  const [header, ...rows] = parse(csv, { bom: true }) as string[][];
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i] ?? ''])));
}

describe('PDF exports, end to end', () => {
  let stack: LocalStackProcess;
  let api: ApiClient;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
    api = new ApiClient(stack.apiUrl, stack.token({ org: 'acme', user: 'alice', perms: ['*'] }));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Starts a PDF export, waits for it and downloads the file through its presigned URL. */
  async function exportPdf(model: string, body: Record<string, unknown>): Promise<{ job: Awaited<ReturnType<ApiClient['waitForJob']>>; pdf: PdfFile }> {
    const started = await api.request('POST', `/api/v1/${model}/export/`, { format: 'pdf', ...body });
    expect(started.status).toBe(202);
    const job = await api.waitForJob(started.body.job_id, 120_000);
    expect(job.status).toBe('COMPLETED');
    expect(job.output_file.download_url).toMatch(/^https?:\/\//);
    const response = await fetch(job.output_file.download_url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/pdf/);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    return { job, pdf: new PdfFile(bytes) };
  }

  it('lists the reports of a model', async () => {
    const products = await api.request('GET', '/api/v1/products/export/reports/');
    expect(products.status).toBe(200);
    expect(products.body.items).toEqual(expect.arrayContaining([{ name: 'price-list', title: 'Price list', description: expect.any(String), model: 'products' }]));
    const customers = await api.request('GET', '/api/v1/customers/export/reports/');
    expect(customers.status).toBe(200);
    expect(customers.body.items).toEqual(expect.arrayContaining([{ name: 'contact-sheet', title: 'Contact sheet', description: expect.any(String), model: 'customers' }]));
    const tags = await api.request('GET', '/api/v1/tags/export/reports/');
    expect(tags.body).toEqual({ items: [] });
    const forbidden = api.withToken(stack.token({ org: 'acme', user: 'bob', perms: ['products:read'] }));
    expect((await forbidden.request('GET', '/api/v1/products/export/reports/')).status).toBe(403);
  });

  it('exports a filtered price list with only the filtered categories', async () => {
    const categories = keyedRecords((await api.exportCsv('categories')).csv);
    const codeOf = new Map(categories.map((c) => [c.code!, c]));
    const products = keyedRecords((await api.exportCsv('products')).csv);
    const inside = products.find((p) => p.category === 'TOOLS-HAND' || p.category === 'TOOLS-POWER');
    const outside = products.find((p) => p.category !== 'TOOLS-HAND' && p.category !== 'TOOLS-POWER' && codeOf.has(p.category!));
    expect(inside).toBeDefined();
    expect(outside).toBeDefined();

    const { job, pdf } = await exportPdf('products', { report: 'price-list', filters: CATEGORY_FILTER });
    expect(job.output_file.filename).toMatch(/^products-price-list-\d{8}-\d{6}\.pdf$/);
    const text = pdf.text();
    expect(text).toContain('Filter: category.code is one of "TOOLS-HAND", "TOOLS-POWER"');
    // Group headers are "<code> — <name>" lines.
    const headers = [...new Set([...text.matchAll(/^\s*([A-Z][A-Z0-9-]+) — /gm)].map((m) => m[1]))].filter((code) => codeOf.has(code!));
    expect(headers.sort()).toEqual(['TOOLS-HAND', 'TOOLS-POWER']);
    expect(text).toContain(inside!.sku);
    expect(text).not.toContain(outside!.sku);
    expect(text).toMatch(/Total stock value: [\d.]+ \(\d+ products in 2 categories\)/);
    expect(pdf.pageCount()).toBeGreaterThanOrEqual(1);
    pdf.dispose();
  });

  it('exports any model as the generic PDF report', async () => {
    const { job, pdf } = await exportPdf('tags', {});
    expect(job.output_file.filename).toMatch(/^tags-report-\d{8}-\d{6}\.pdf$/);
    const text = pdf.text();
    expect(text).toContain('tags — acme');
    expect(text).toMatch(/\d+ rows?/);
    expect(pdf.pageCount()).toBeGreaterThanOrEqual(1);
    pdf.dispose();
  });

  it('rejects an unknown report with 400 before any job exists', async () => {
    const before = await api.request('GET', '/api/v1/data-jobs/?limit=100');
    const rejected = await api.request('POST', '/api/v1/products/export/', { format: 'pdf', report: 'nope' });
    expect(rejected.status).toBe(400);
    expect(JSON.stringify(rejected.body)).toContain("unknown report 'nope'");
    const after = await api.request('GET', '/api/v1/data-jobs/?limit=100');
    expect(after.body.items.map((j: { job_id: string }) => j.job_id)).toEqual(before.body.items.map((j: { job_id: string }) => j.job_id));
  });

  it('renders the contact sheet of a filtered set of customers', async () => {
    const filters = { field: 'country', op: 'eq', value: 'PL' };
    const expected = keyedRecords((await api.exportCsv('customers', { filters, ordering: ['name'] })).csv);
    const others = keyedRecords((await api.exportCsv('customers', { filters: { field: 'country', op: 'ne', value: 'PL' } })).csv);
    expect(expected.length).toBeGreaterThan(0);
    const { pdf } = await exportPdf('customers', { report: 'contact-sheet', filters });
    const text = pdf.text();
    expect(text).toContain('Filter: country is "PL"');
    expect(text).toContain(`${expected.length} ${expected.length === 1 ? 'customer' : 'customers'}, `);
    // In name order (several customers may share a name: compare first appearances).
    let at = -1;
    for (const customer of expected) {
      const found = text.indexOf(customer.name!, at + 1);
      expect(found).toBeGreaterThan(at);
      at = found;
    }
    const otherOnly = others.find((o) => !expected.some((e) => e.name!.includes(o.name!) || o.name!.includes(e.name!)));
    if (otherOnly) expect(text).not.toContain(otherOnly.name);
    expect(text).toContain('primary');
    expect(text).not.toMatch(/TX-\d{9}/);
    expect(text).not.toMatch(/key_\d{18}/);
    expect(pdf.pageCount()).toBeGreaterThanOrEqual(1);
    pdf.dispose();
  });
});
