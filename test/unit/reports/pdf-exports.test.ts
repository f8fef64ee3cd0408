import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../../layers/core/errors';
import { createExportJob } from '../../../layers/core/jobs/create-export-job';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { listReports } from '../../../layers/core/jobs/list-reports';
import { getJob } from '../../../layers/core/jobs/read-jobs';
import type { RecordValues } from '../../../layers/core/model/types';
import { defineReport, describeFilter, getReport, getReportsForModel } from '../../../layers/core/reports';
import { addDecimals } from '../../../layers/erp/reports/price-list';
import { createJobHarness } from '../../support/job-harness';
import { PdfFile } from '../../support/pdf-text';

const admin = { org: 'acme', user: 'alice', perms: ['*'] };
type Harness = ReturnType<typeof createJobHarness>;
/** Set UPDATE_PDF_IMAGES=1 to rewrite the pictures in docs/images. */
const IMAGES = join(__dirname, '..', '..', '..', 'docs', 'images');

const CATEGORIES = [
  { id: 'cat-hand', code: 'TOOLS-HAND', name: 'Hand tools' },
  { id: 'cat-power', code: 'TOOLS-POWER', name: 'Power tools' },
];
const PRODUCTS: Array<{ id: string } & RecordValues> = [
  { id: 'p1', sku: 'ACME-001', name: 'Hammer Müller', price: '9.90', quantity: 5, category: 'cat-hand', status: 'active', active: true },
  { id: 'p2', sku: 'ACME-002', name: 'Saw from Łódź', price: '19.99', quantity: 3, category: 'cat-hand', status: 'active', active: true },
  { id: 'p3', sku: 'ACME-003', name: 'Drill 東京', price: '199.90', quantity: 12, category: 'cat-power', status: 'active', active: true },
  { id: 'p4', sku: 'ACME-004', name: 'Sander', price: '0.10', quantity: 7, category: 'cat-power', status: 'discontinued', active: false },
];

async function harnessWithProducts(settings: { pdfMaxPages?: number } = {}): Promise<Harness> {
  const harness = createJobHarness({ exportSegments: 2, ...settings });
  await harness.seed('acme', 'categories', CATEGORIES);
  await harness.seed('acme', 'products', PRODUCTS);
  return harness;
}

async function exportPdf(harness: Harness, body: { report?: string; filters?: unknown; ordering?: unknown; model?: string }) {
  const created = await createExportJob(harness.deps, { ...admin, model: body.model ?? 'products', format: 'pdf', ...body });
  await harness.workflow.settle();
  const job = await getJob(harness.deps, admin, created.job_id);
  if (job.status !== 'COMPLETED') return { job, pdf: undefined };
  const file = harness.files.files.get(fileKeys.exportOutput('acme', job.job_id, job.output_file!.filename))!;
  return { job, pdf: new PdfFile(file.body) };
}

function savePicture(pdf: PdfFile, name: string): void {
  const png = pdf.firstPagePng();
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  if (process.env.UPDATE_PDF_IMAGES) writeFileSync(join(IMAGES, name), png);
}

describe('report registry', () => {
  it('lists the sample reports of a model and needs <model>:export', () => {
    const { deps } = createJobHarness();
    expect(listReports(deps, { perms: ['products:export'], model: 'products' }).items).toEqual([
      expect.objectContaining({ name: 'price-list', title: 'Price list', model: 'products' }),
    ]);
    expect(() => listReports(deps, { perms: ['data-jobs:read'], model: 'products' })).toThrow('products:export');
    expect(getReportsForModel('tags')).toEqual([]);
  });

  it('rejects an unknown report and a report on a non-PDF export before any job exists', async () => {
    const harness = await harnessWithProducts();
    await expect(createExportJob(harness.deps, { ...admin, model: 'products', format: 'pdf', report: 'nope' })).rejects.toThrow(/report: unknown report 'nope' for products; available: price-list/);
    await expect(createExportJob(harness.deps, { ...admin, model: 'products', format: 'csv', report: 'price-list' })).rejects.toThrow(ValidationError);
    expect(harness.workflow.started).toHaveLength(0);
    expect(() => getReport('products', 'nope')).toThrow(ValidationError);
  });

  it('refuses report names that are not identifiers', () => {
    expect(() => defineReport({ name: 'Price List', title: '', description: '', model: getReport('products', 'price-list').model, render: async () => undefined })).toThrow('lower-case');
  });

  it('describes filters in words', () => {
    expect(describeFilter(undefined)).toBe('all records');
    expect(describeFilter({ and: [{ field: 'category.code', op: 'in', value: ['A', 'B'] }, { or: [{ field: 'price', op: 'between', value: ['10', '200'] }, { not: { field: 'status', op: 'eq', value: 'draft' } }] }] })).toBe(
      'category.code is one of "A", "B" and (price is between "10" and "200" or not (status is "draft"))',
    );
  });
});

describe('price-list report', () => {
  it('groups products by category with exact stock value subtotals and a total', async () => {
    const harness = await harnessWithProducts();
    const { job, pdf } = await exportPdf(harness, { report: 'price-list' });
    expect(job.output_file).toMatchObject({ content_type: 'application/pdf', filename: expect.stringMatching(/^products-price-list-\d{8}-\d{6}\.pdf$/) });
    const text = pdf!.text();
    const hand = text.indexOf('TOOLS-HAND — Hand tools');
    const power = text.indexOf('TOOLS-POWER — Power tools');
    expect(hand).toBeGreaterThan(-1);
    expect(power).toBeGreaterThan(hand);
    // 9.90 × 5 + 19.99 × 3 = 49.50 + 59.97 = 109.47; 199.90 × 12 + 0.10 × 7 = 2398.80 + 0.70 = 2399.50
    expect(text.slice(hand, power)).toMatch(/Subtotal TOOLS-HAND — Hand tools \(2 products\)\s+109\.47/);
    expect(text.slice(power)).toMatch(/Subtotal TOOLS-POWER — Power tools \(2 products\)\s+2399\.50/);
    expect(text).toContain('Total stock value: 2508.97 (4 products in 2 categories)');
    expect(text).toContain('Hammer Müller');
    expect(text).toContain('Saw from Łódź');
    expect(text).toContain('Drill 東京');
    expect(pdf!.pageCount()).toBe(1);
    savePicture(pdf!, 'report-price-list.png');
    pdf!.dispose();
  });

  it('applies the filter and says so', async () => {
    const harness = await harnessWithProducts();
    const { pdf } = await exportPdf(harness, { report: 'price-list', filters: { field: 'status', op: 'eq', value: 'active' } });
    const text = pdf!.text();
    expect(text).toContain('Filter: status is "active"');
    expect(text).not.toContain('Sander');
    expect(text).toContain('Total stock value: 2508.27 (3 products in 2 categories)');
    pdf!.dispose();
  });

  it('adds decimals exactly', () => {
    expect(addDecimals('0.10', '0.20')).toBe('0.30');
    expect(addDecimals('99999999999.99', '0.01')).toBe('100000000000.00');
    expect(addDecimals('-1.05', '1.00')).toBe('-0.05');
  });
});

describe('generic PDF report', () => {
  it('renders any model from the same resource and filter as CSV', async () => {
    const harness = await harnessWithProducts();
    const { job, pdf } = await exportPdf(harness, { filters: { field: 'price', op: 'gte', value: '1' }, ordering: ['-price'] });
    expect(job.output_file!.filename).toMatch(/^products-report-\d{8}-\d{6}\.pdf$/);
    const text = pdf!.text();
    expect(text).toContain('products — acme');
    expect(text).toContain('Filter: price is at least "1"; ordered by price (descending)');
    expect(text).toContain('by alice');
    expect(text.indexOf('ACME-003')).toBeLessThan(text.indexOf('ACME-002'));
    expect(text.indexOf('ACME-002')).toBeLessThan(text.indexOf('ACME-001'));
    expect(text).not.toContain('ACME-004');
    expect(text).toContain('TOOLS-POWER');
    expect(text).toContain('3 rows');
    savePicture(pdf!, 'report-generic.png');
    pdf!.dispose();
  });

  it('fails the job with report_too_large past the page limit', async () => {
    const harness = createJobHarness({ exportSegments: 2, pdfMaxPages: 2 });
    await harness.seed('acme', 'tags', Array.from({ length: 300 }, (_, i) => ({ id: `tag-${i}`, name: `tag ${i}` })));
    const { job } = await exportPdf(harness, { model: 'tags' });
    expect(job.status).toBe('FAILED');
    expect(job.result_log?.error).toEqual({ code: 'report_too_large', message: expect.stringContaining('longer than 2 pages') });
  });
});
