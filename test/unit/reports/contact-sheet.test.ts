import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createExportJob } from '../../../layers/core/jobs/create-export-job';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { listReports } from '../../../layers/core/jobs/list-reports';
import { getJob } from '../../../layers/core/jobs/read-jobs';
import type { RecordValues } from '../../../layers/core/model/types';
import type { RecordStore } from '../../../layers/core/ports/record-store';
import { createJobHarness } from '../../support/job-harness';
import { PdfFile } from '../../support/pdf-text';

const admin = { org: 'acme', user: 'alice', perms: ['*'] };
type Harness = ReturnType<typeof createJobHarness>;
/** Set UPDATE_PDF_IMAGES=1 to rewrite the picture in docs/images. */
const IMAGES = join(__dirname, '..', '..', '..', 'docs', 'images');

const CUSTOMERS: Array<{ id: string } & RecordValues> = [
  { id: 'c1', name: 'Zeta Łódź Sp. z o.o.', email: 'info@zeta.example', country: 'PL', credit_limit: '1000.00', active: true, tax_id: 'TX-SECRET-111' },
  { id: 'c2', name: 'Alpha Müller GmbH', email: 'info@alpha.example', country: 'DE', credit_limit: '250.50', active: true, tax_id: 'TX-SECRET-222' },
  { id: 'c3', name: 'Mid Empty Ltd', email: null, country: 'GB', credit_limit: null, active: false, tax_id: 'TX-SECRET-333' },
  { id: 'c4', name: '東京 Trading', email: 'hello@tokyo.example', country: 'JP', credit_limit: '10.00', active: true, tax_id: null },
];
const CONTACTS: Array<{ id: string } & RecordValues> = [
  { id: 'k1', first_name: 'Anna', last_name: 'Dąbrowski', email: 'anna@zeta.example', phone: '+48 501 222 333', customer: 'c1', is_primary: true, birthday: '1980-02-29', api_key: 'key_SECRET_1' },
  { id: 'k2', first_name: 'Jörg', last_name: 'Müller', email: 'jorg@alpha.example', phone: null, customer: 'c2', is_primary: true, birthday: null, api_key: 'key_SECRET_2' },
  { id: 'k3', first_name: 'Björn', last_name: 'Andersson', email: null, phone: '+46 70 123 45', customer: 'c2', is_primary: false, birthday: '1975-12-01', api_key: null },
  { id: 'k4', first_name: 'Yuki', last_name: 'Tanaka', email: 'yuki@tokyo.example', phone: null, customer: 'c4', is_primary: true, birthday: null, api_key: 'key_SECRET_4' },
];

async function harnessWithCustomers(customers = CUSTOMERS, contacts = CONTACTS): Promise<Harness> {
  const harness = createJobHarness({ exportSegments: 2 });
  await harness.seed('acme', 'customers', customers);
  await harness.seed('acme', 'contacts', contacts);
  return harness;
}

async function exportSheet(harness: Harness, body: { filters?: unknown; ordering?: unknown } = {}) {
  const created = await createExportJob(harness.deps, { ...admin, model: 'customers', format: 'pdf', report: 'contact-sheet', ...body });
  await harness.workflow.settle();
  const job = await getJob(harness.deps, admin, created.job_id);
  expect(job.status).toBe('COMPLETED');
  const file = harness.files.files.get(fileKeys.exportOutput('acme', job.job_id, job.output_file!.filename))!;
  return { job, pdf: new PdfFile(file.body) };
}

/** Counts the contacts scans the report makes while it runs. */
function countContactScans(store: RecordStore): { scans: () => number } {
  let scans = 0;
  const original = store.scan.bind(store);
  store.scan = (org, model, options) => {
    if (model.plural === 'contacts') scans += 1;
    return original(org, model, options);
  };
  return { scans: () => scans };
}

describe('contact-sheet report', () => {
  it('is listed for customers', () => {
    const { deps } = createJobHarness();
    expect(listReports(deps, { perms: ['customers:export'], model: 'customers' }).items).toEqual([
      { name: 'contact-sheet', title: 'Contact sheet', description: expect.any(String), model: 'customers' },
    ]);
  });

  it('prints customers by name with their contacts underneath and no sensitive values', async () => {
    const harness = await harnessWithCustomers();
    const { job, pdf } = await exportSheet(harness);
    expect(job.output_file).toMatchObject({ content_type: 'application/pdf', filename: expect.stringMatching(/^customers-contact-sheet-\d{8}-\d{6}\.pdf$/) });
    const text = pdf.text();
    const alpha = text.indexOf('Alpha Müller GmbH');
    const mid = text.indexOf('Mid Empty Ltd');
    const zeta = text.indexOf('Zeta Łódź Sp. z o.o.');
    const tokyo = text.indexOf('東京 Trading');
    // Default ordering: by name (code point order, so the CJK name comes last).
    expect(alpha).toBeGreaterThan(-1);
    expect(mid).toBeGreaterThan(alpha);
    expect(zeta).toBeGreaterThan(mid);
    expect(tokyo).toBeGreaterThan(zeta);
    // Contacts under their customer, the primary one first.
    const alphaPart = text.slice(alpha, mid);
    expect(alphaPart).toMatch(/Jörg Müller\s+jorg@alpha\.example\s+primary/);
    expect(alphaPart).toMatch(/Björn Andersson\s+\+46 70 123 45\s+1975-12-01/);
    expect(alphaPart.indexOf('Jörg Müller')).toBeLessThan(alphaPart.indexOf('Björn Andersson'));
    expect(text.slice(mid, zeta)).toContain('No contacts');
    expect(text.slice(mid, zeta)).toContain('inactive');
    expect(text.slice(zeta, tokyo)).toMatch(/Anna Dąbrowski\s+anna@zeta\.example\s+\+48 501 222 333\s+primary\s+1980-02-29/);
    expect(text.slice(tokyo)).toContain('Yuki Tanaka');
    expect(text).toContain('4 customers, 4 contacts');
    expect(text).toContain('Filter: all records');
    expect(text).not.toMatch(/SECRET/);
    expect(text).not.toMatch(/tax_id|api_key/);
    expect(pdf.pageCount()).toBe(1);
    const png = pdf.firstPagePng();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    if (process.env.UPDATE_PDF_IMAGES) writeFileSync(join(IMAGES, 'report-contact-sheet.png'), png);
    pdf.dispose();
  });

  it('applies the filter and the requested ordering', async () => {
    const harness = await harnessWithCustomers();
    const { pdf } = await exportSheet(harness, { filters: { field: 'country', op: 'in', value: ['PL', 'DE'] }, ordering: ['-name'] });
    const text = pdf.text();
    expect(text).toContain('Filter: country is one of "PL", "DE"');
    expect(text.indexOf('Zeta Łódź')).toBeLessThan(text.indexOf('Alpha Müller'));
    expect(text).not.toContain('Mid Empty');
    expect(text).not.toContain('Yuki');
    expect(text).toContain('2 customers, 3 contacts');
    pdf.dispose();
  });

  it('looks contacts up in batches per page of customers and flows over pages', async () => {
    const customers = Array.from({ length: 250 }, (_, i) => ({ id: `cust-${String(i).padStart(3, '0')}`, name: `Customer ${String(i).padStart(3, '0')}`, email: null, country: 'PL', credit_limit: null, active: true, tax_id: `TX-SECRET-${i}` }));
    const contacts = customers.flatMap((c, i) =>
      i % 5 === 0 ? [] : [{ id: `k-${i}-a`, first_name: 'Ewa', last_name: `Nowak ${i}`, email: `ewa${i}@x.example`, phone: null, customer: c.id, is_primary: true, birthday: null, api_key: `key_SECRET_${i}` }],
    );
    const harness = await harnessWithCustomers(customers, contacts);
    const counter = countContactScans(harness.records);
    const { pdf } = await exportSheet(harness);
    // 250 customers → 3 pages of customers → 3 lookups, each over every segment (2).
    expect(counter.scans()).toBe(3 * 2);
    const text = pdf.text();
    expect(text).toContain('250 customers, 200 contacts');
    expect(text.indexOf('Customer 000')).toBeLessThan(text.indexOf('Customer 249'));
    expect(text).toMatch(/Customer 005\s+PL\s+No contacts/);
    expect(text).not.toMatch(/SECRET/);
    expect(pdf.pageCount()).toBeGreaterThan(3);
    pdf.dispose();
  });
});
