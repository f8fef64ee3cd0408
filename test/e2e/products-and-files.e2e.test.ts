import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { ApiClient, downloadFile } from '../support/api-client';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';

jest.setTimeout(180_000);

function csvRows(csv: string | Buffer): string[][] {
  return parse(csv, { bom: true, relax_column_count: true }) as string[][];
}

async function xlsxBuffer(rows: unknown[][], sheetName = 'Products'): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(sheetName);
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function readXlsx(buffer: Buffer): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  return workbook.worksheets[0]!;
}

describe('custom resources and real-world files, end to end', () => {
  let stack: LocalStackProcess;
  let api: ApiClient;
  let supplierName: string;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
    api = new ApiClient(stack.apiUrl, stack.token({ org: 'acme', user: 'alice', perms: ['*'] }));
    const suppliers = csvRows((await api.exportCsv('suppliers')).csv);
    supplierName = suppliers[1]![suppliers[0]!.indexOf('name')]!;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function runImport(model: string, filename: string, content: string | Buffer, options: Record<string, string | boolean> = {}) {
    const form = new FormData();
    form.append('file', new Blob([content]), filename);
    for (const [key, value] of Object.entries(options)) form.append(key, String(value));
    const started = await api.request('POST', `/api/v1/${model}/import/`, form);
    expect(started.status).toBe(202);
    return api.waitForJob(started.body.job_id);
  }

  async function exportProducts(format: 'csv' | 'xlsx', filters?: unknown) {
    const started = await api.request('POST', '/api/v1/products/export/', { format, ...(filters ? { filters } : {}) });
    expect(started.status).toBe(202);
    const job = await api.waitForJob(started.body.job_id);
    expect(job.status).toBe('COMPLETED');
    return { job, body: await downloadFile(job.output_file.download_url) };
  }

  it('imports products by natural keys: category by code, supplier by name, tags by name (created when missing), updates by sku', async () => {
    const csv = [
      'sku,name,category,supplier,tags,price,quantity,status,released_on',
      `e2e-0001,Claw hammer,TOOLS-HAND,${supplierName},bestseller|e2e-new-tag,12.50,3,active,2025-03-01`,
      'E2E-0002,Torque wrench,TOOLS-HAND,,pro,99.00,1,active,',
      'E2E-0003,Mystery box,NO-SUCH-CAT,,,1.00,0,draft,',
      'ACME-000001,Renamed by import,TOOLS-POWER,,,10.00,5,active,',
    ].join('\n');

    const job = await runImport('products', 'products.csv', csv, { skip_errors: true });

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log.totals).toEqual({ rows: 4, new: 2, updated: 1, skipped: 0, errors: 1 });
    expect(job.result_log.row_errors).toEqual([
      expect.objectContaining({ row: 4, column: 'category', field: 'category', value: 'NO-SUCH-CAT', code: 'not_found', message: expect.stringContaining('NO-SUCH-CAT') }),
    ]);
    const { body } = await exportProducts('csv', { field: 'sku', op: 'in', value: ['E2E-0001', 'E2E-0002', 'ACME-000001'] });
    const [header, ...rows] = csvRows(body);
    const bySku = new Map(rows.map((row) => [row[header!.indexOf('sku')], Object.fromEntries(header!.map((h, i) => [h, row[i]]))]));
    expect(bySku.get('E2E-0001')).toMatchObject({ name: 'Claw hammer', category: 'TOOLS-HAND', supplier: supplierName, price: '12.50', stock_value: '37.50' });
    expect(bySku.get('E2E-0001')!.tags!.split('|').sort()).toEqual(['bestseller', 'e2e-new-tag']);
    expect(bySku.get('ACME-000001')).toMatchObject({ name: 'Renamed by import', category: 'TOOLS-POWER' });
    const tags = csvRows((await api.exportCsv('tags')).csv).map((row) => row[1]);
    expect(tags.filter((name) => name === 'e2e-new-tag')).toHaveLength(1);
  });

  it('imports an XLSX with Excel dates and serial numbers in date columns', async () => {
    const file = await xlsxBuffer([
      ['SKU', 'Name', 'Category', 'Price', 'Quantity', 'Released_On', 'Weight_kg'],
      ['XL-0001', 'Spirit level', 'TOOLS-HAND', 24.9, 7, new Date(Date.UTC(2024, 4, 17)), 0.45],
      ['XL-0002', 'Chisel set', 'TOOLS-HAND', 31, 2, 45292, 1.2],
    ]);

    const job = await runImport('products', 'products.xlsx', file);
    const { body } = await exportProducts('csv', { field: 'sku', op: 'in', value: ['XL-0001', 'XL-0002'] });
    const [header, ...rows] = csvRows(body);
    const released = new Map(rows.map((row) => [row[header!.indexOf('sku')], row[header!.indexOf('released_on')]]));

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log.totals).toMatchObject({ rows: 2, new: 2, errors: 0 });
    expect(released.get('XL-0001')).toBe('2024-05-17');
    expect(released.get('XL-0002')).toBe('2024-01-01');
  });

  it('exports XLSX with native cell types, a frozen styled header, and re-imports it with every row skipped', async () => {
    const { job, body } = await exportProducts('xlsx', { field: 'category_id', op: 'eq', value: 'cat-0002' });
    const sheet = await readXlsx(body);
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    const price = sheet.getRow(2).getCell(header.indexOf('price') + 1);
    const quantity = sheet.getRow(2).getCell(header.indexOf('quantity') + 1);

    expect(job.output_file.content_type).toContain('spreadsheetml');
    expect(header).toEqual(expect.arrayContaining(['sku', 'category', 'tags', 'stock_value']));
    expect(typeof price.value).toBe('number');
    expect(typeof quantity.value).toBe('number');
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });

    const again = await runImport('products', 'products-export.xlsx', body);
    expect(again.status).toBe('COMPLETED');
    expect(again.result_log.totals).toMatchObject({ rows: job.result_log.totals.rows, new: 0, updated: 0, skipped: job.result_log.totals.rows, errors: 0 });
    expect(again.result_log.summary.committed).toBe(false);
  });

  it('round-trips a CSV export with every row skipped and nothing written', async () => {
    const { job, body } = await exportProducts('csv', { field: 'category_id', op: 'eq', value: 'cat-0003' });

    const again = await runImport('products', 'products-export.csv', body);

    expect(again.result_log.totals).toEqual({ rows: job.result_log.totals.rows, new: 0, updated: 0, skipped: job.result_log.totals.rows, errors: 0 });
    expect(again.result_log.summary.committed).toBe(false);
  });

  it('reads an Excel-saved CSV: BOM, ";" delimiter, CRLF, embedded newlines', async () => {
    const semicolonCsv = '\uFEFFname;email;country;credit_limit\r\n"Café Müller";cafe@example.com;DE;1500.00\r\n';
    const multiline = 'name,email,country\n"Line\nBreak Ltd",lb@example.com,GB\nAfter Break,ab@example.com,GB\n';

    const semicolon = await runImport('customers', 'excel.csv', semicolonCsv);
    const broken = await runImport('customers', 'multiline.csv', multiline.replace('ab@example.com', 'not-an-email'), { skip_errors: true });

    expect(semicolon.status).toBe('COMPLETED');
    expect(semicolon.result_log.totals).toMatchObject({ rows: 1, new: 1, errors: 0 });
    expect(broken.result_log.totals).toMatchObject({ rows: 2, new: 1, errors: 1 });
    expect(broken.result_log.row_errors[0]).toMatchObject({ row: 3, field: 'email', value: 'not-an-email' });
  });

  it('reads windows-1252 names with the declared encoding, and fails clearly without it', async () => {
    const bytes = Buffer.from('name,email,country\nMüller Café,mc@example.com,DE\n', 'latin1');

    const declared = await runImport('customers', 'legacy.csv', bytes, { encoding: 'windows-1252' });
    const undeclared = await runImport('customers', 'legacy.csv', bytes);
    const { csv } = await api.exportCsv('customers', { filters: { field: 'email', op: 'eq', value: 'mc@example.com' } });

    expect(declared.status).toBe('COMPLETED');
    expect(csv).toContain('Müller Café');
    expect(undeclared.status).toBe('FAILED');
    expect(undeclared.result_log.error).toMatchObject({ code: 'file_format', message: expect.stringContaining('windows-1252') });
  });

  it('neutralises formula-looking values in CSV and XLSX exports', async () => {
    const imported = await runImport('tags', 'tags.csv', 'name\n"=HYPERLINK(""http://evil.example"")"\n@SUM(A1)\n-42\n');
    expect(imported.result_log.totals).toMatchObject({ new: 3, errors: 0 });
    const { csv } = await api.exportCsv('tags', { filters: { field: 'name', op: 'contains', value: '(' } });
    const started = await api.request('POST', '/api/v1/tags/export/', { format: 'xlsx', filters: { field: 'name', op: 'contains', value: '(' } });
    const job = await api.waitForJob(started.body.job_id);
    const sheet = await readXlsx(await downloadFile(job.output_file.download_url));

    const names = csvRows(csv).slice(1).map((row) => row[1]);
    expect(names.sort()).toEqual(["'=HYPERLINK(\"http://evil.example\")", "'@SUM(A1)"]);
    expect([sheet.getRow(2).getCell(2).value, sheet.getRow(3).getCell(2).value].sort()).toEqual(["'=HYPERLINK(\"http://evil.example\")", "'@SUM(A1)"]);
  });

  it.each(['csv', 'xlsx'] as const)('writes a %s error report with exactly the failed rows and an errors column, which re-imports once fixed', async (format) => {
    const rows = [
      ['sku', 'name', 'category', 'price', 'quantity'],
      [`RPT-${format}-1`, 'Good one', 'TOOLS-HAND', '5.00', '1'],
      [`RPT-${format}-2`, 'Bad category', 'WRONG', '5.00', '1'],
      [`RPT-${format}-3`, 'Bad price', 'TOOLS-HAND', 'abc', '1'],
    ];
    const file = format === 'csv' ? rows.map((r) => r.join(',')).join('\n') : await xlsxBuffer(rows);

    const job = await runImport('products', `report.${format}`, file);
    const report = job.result_log.error_report;
    const reportBody = await downloadFile(report.download_url);
    const reportRows = format === 'csv' ? csvRows(reportBody) : ((await readXlsx(reportBody)).getSheetValues().slice(1) as unknown[][]).map((r) => r.slice(1).map((c) => String(c ?? '')));

    expect(job.status).toBe('FAILED');
    expect(report).toMatchObject({ rows: 2, filename: `report-errors.${format}` });
    expect(reportRows[0]).toEqual([...rows[0]!, 'errors']);
    expect(reportRows.slice(1).map((r) => r[0])).toEqual([`RPT-${format}-2`, `RPT-${format}-3`]);
    expect(reportRows[1]![5]).toContain('WRONG');
    expect(reportRows[2]![5]).toContain('price');

    const fixed = [reportRows[0]!.slice(0, 5), ...reportRows.slice(1).map((r) => r.slice(0, 5).map((cell) => (cell === 'WRONG' ? 'TOOLS-HAND' : cell === 'abc' ? '7.25' : cell)))];
    const fixedFile = format === 'csv' ? fixed.map((r) => r.join(',')).join('\n') : await xlsxBuffer(fixed);
    const again = await runImport('products', `fixed.${format}`, fixedFile);
    expect(again.status).toBe('COMPLETED');
    expect(again.result_log.totals).toMatchObject({ rows: 2, new: 2, errors: 0 });
  });

  it('fails before writing anything on file-level problems', async () => {
    const missingSku = await runImport('products', 'no-sku.csv', 'name,price\nThing,1.00\n');
    const notXlsx = await runImport('products', 'broken.xlsx', 'this is not a zip');
    const duplicateHeader = await runImport('tags', 'dup.csv', 'name,Name\na,b\n');

    expect(missingSku).toMatchObject({ status: 'FAILED', result_log: { error: { code: 'file_format', message: expect.stringContaining('sku') } } });
    expect(notXlsx).toMatchObject({ status: 'FAILED', result_log: { error: { code: 'file_format' } } });
    expect(duplicateHeader).toMatchObject({ status: 'FAILED', result_log: { error: { code: 'file_format', message: expect.stringMatching(/duplicate column 'name'/i) } } });
  });
});
