import ExcelJS from 'exceljs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FileFormatError } from '../../../layers/core/errors';
import { readRows } from '../../../layers/core/formats/read-rows';
import { MAX_XLSX_CELL_CHARS, xlsxCellText } from '../../../layers/core/formats/xlsx';
import { chunked, collect, fixturePath, fixtureStream } from './support';

/** A workbook with what users put in sheets, written by exceljs as Excel lays files out (sheets before shared strings). */
async function writeUserWorkbook(path: string): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Products');
  sheet.addRow(['sku', 'launch', 'updated', 'serial', 'price', 'active', 'label', 'total', 'lookup', 'link']);
  sheet.addRow([
    'A-1',
    new Date(Date.UTC(2024, 2, 5)),
    new Date(Date.UTC(2024, 2, 5, 14, 30, 15)),
    45356,
    12.5,
    true,
    { richText: [{ text: 'Big ', font: { bold: true } }, { text: 'Hammer' }] },
    { formula: 'E2*2', result: 25 },
    { error: '#N/A' },
    { text: 'docs', hyperlink: 'https://example.com/a' },
  ]);
  sheet.getCell('B2').numFmt = 'dd.mm.yyyy';
  sheet.getCell('C2').numFmt = 'yyyy-mm-dd hh:mm:ss';
  // Row 3 is left out entirely: an empty row in the middle.
  sheet.getRow(4).values = ['A-2', 45357, null, null, 0.1 + 0.2, false, 'plain', { formula: 'B4+1', result: 45358 }, { formula: 'X1' }];
  sheet.getCell('B4').numFmt = 'yyyy-mm-dd'; // a typed-in number formatted as a date
  sheet.getCell('H4').numFmt = 'yyyy-mm-dd'; // a formula whose result is shown as a date
  sheet.getRow(5).values = ['A-3', null, null, null, 123456789012345, null, { formula: 'A5&"!"', result: 'A-3!' }, 1e21, -0.000001, 9007199254740991];
  const notes = workbook.addWorksheet('Notes');
  notes.addRow(['note']);
  notes.addRow(['second sheet']);
  await workbook.xlsx.writeFile(path);
}

describe('readRows (xlsx)', () => {
  let dir: string;
  let workbookPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dataio-xlsx-'));
    workbookPath = join(dir, 'products.xlsx');
    await writeUserWorkbook(workbookPath);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the first sheet as the text a user saw, with the sheet row numbers', async () => {
    // Arrange
    const input = Readable.from([readFileSync(workbookPath)]);

    // Act
    const rows = await collect(readRows('xlsx', input));

    // Assert
    expect(rows).toEqual([
      { row: 1, cells: ['sku', 'launch', 'updated', 'serial', 'price', 'active', 'label', 'total', 'lookup', 'link'] },
      { row: 2, cells: ['A-1', '2024-03-05', '2024-03-05T14:30:15.000Z', '45356', '12.5', 'true', 'Big Hammer', '25', '#N/A', 'docs'] },
      { row: 4, cells: ['A-2', '2024-03-06', '', '', '0.3', 'false', 'plain', '2024-03-07'] },
      { row: 5, cells: ['A-3', '', '', '', '123456789012345', '', 'A-3!', '1000000000000000000000', '-0.000001', '9007199254740991'] },
    ]);
  });

  it('reads a named sheet', async () => {
    const rows = await collect(readRows('xlsx', Readable.from([readFileSync(workbookPath)]), { sheet: 'Notes' }));

    expect(rows).toEqual([
      { row: 1, cells: ['note'] },
      { row: 2, cells: ['second sheet'] },
    ]);
  });

  it('names the sheets it saw when the requested one is missing', async () => {
    const read = collect(readRows('xlsx', Readable.from([readFileSync(workbookPath)]), { sheet: 'Prices' }));

    await expect(read).rejects.toMatchObject({ name: 'FileFormatError', message: "the workbook has no sheet 'Prices'; its sheets are: Products, Notes" });
  });

  it('refuses a file that is not a zip (a CSV renamed .xlsx)', async () => {
    await expect(collect(readRows('xlsx', fixtureStream('not-a-workbook.xlsx')))).rejects.toThrow(
      new FileFormatError('the file is not a readable XLSX workbook: it is not a zip archive'),
    );
  });

  it('refuses an empty or truncated file', async () => {
    const bytes = readFileSync(workbookPath);

    await expect(collect(readRows('xlsx', Readable.from([Buffer.alloc(0)])))).rejects.toThrow(FileFormatError);
    await expect(collect(readRows('xlsx', Readable.from([bytes.subarray(0, 2)])))).rejects.toThrow(FileFormatError);
    await expect(collect(readRows('xlsx', Readable.from([bytes.subarray(0, bytes.length / 2)])))).rejects.toThrow('the file is not a readable XLSX workbook');
  });

  it('passes a failure of the source on as is', async () => {
    const failing = new Readable({ read() {} });
    failing.push(readFileSync(workbookPath).subarray(0, 100));
    setImmediate(() => failing.destroy(new Error('connection reset')));

    await expect(collect(readRows('xlsx', failing))).rejects.toThrow('connection reset');
  });

  it('streams a workbook whose shared strings come first, and stops reading when the consumer stops', async () => {
    // Arrange
    const bytes = readFileSync(fixturePath('shared-strings-first.xlsx'));
    const { stream, pulled } = chunked(bytes, 512);

    // Act
    let first: unknown;
    for await (const row of readRows('xlsx', stream)) {
      first = row;
      break;
    }

    // Assert
    expect(first).toEqual({ row: 1, cells: ['sku', 'name', 'qty'] });
    expect(stream.destroyed).toBe(true);
    expect(pulled()).toBeLessThan(Math.ceil(bytes.length / 512) * 0.8);
  });

  it('reads every row of that workbook and its second sheet', async () => {
    const rows = await collect(readRows('xlsx', fixtureStream('shared-strings-first.xlsx')));
    const notes = await collect(readRows('xlsx', fixtureStream('shared-strings-first.xlsx'), { sheet: 'Notes' }));

    expect(rows).toHaveLength(6001);
    expect(rows[6000]).toEqual({ row: 6001, cells: ['6000', 'Item 6000', expect.stringMatching(/^\d+$/)] });
    expect(notes).toEqual([{ row: 1, cells: ['note'] }]);
  });

  it('refuses a cell longer than Excel allows', async () => {
    const path = join(dir, 'long-cell.xlsx');
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('S').addRow(['x'.repeat(MAX_XLSX_CELL_CHARS + 1)]);
    await workbook.xlsx.writeFile(path);

    await expect(collect(readRows('xlsx', Readable.from([readFileSync(path)])))).rejects.toThrow(
      `cell A1 holds ${MAX_XLSX_CELL_CHARS + 1} characters, beyond Excel's ${MAX_XLSX_CELL_CHARS}`,
    );
  });
});

describe('xlsxCellText', () => {
  it.each<[ExcelJS.CellValue, string]>([
    [null, ''],
    [undefined, ''],
    [0.1 + 0.2, '0.3'],
    [1.1 * 3, '3.3'],
    [-0, '0'],
    [1e-7, '0.0000001'],
    [12345678.9, '12345678.9'],
    [new Date(Date.UTC(1999, 11, 31)), '1999-12-31'],
    [new Date(Date.UTC(1999, 11, 31, 0, 0, 1)), '1999-12-31T00:00:01.000Z'],
    [{ formula: 'A1' }, ''],
    [{ sharedFormula: 'A1', result: 'x' }, 'x'],
    [{ richText: [{ text: 'a' }, { text: 'b' }] }, 'ab'],
  ])('%p → %j', (value, expected) => {
    expect(xlsxCellText(value)).toBe(expected);
  });
});

describe('readRows (xlsx) temp files', () => {
  /** Temp files of this process: exceljs (through `tmp`) names them `tmp-<pid>-<random>`. */
  const spooled = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith(`tmp-${process.pid}-`));

  it('leaves no temp file behind when the consumer stops after the header or reads one sheet', async () => {
    // Arrange: exceljs spools sheets that come before the shared strings (Excel's layout) to temp files.
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('A').addRows([['h'], ['1'], ['2']]);
    workbook.addWorksheet('B').addRows([['g']]);
    workbook.addWorksheet('C').addRows([['f']]);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const before = spooled();

    // Act
    for await (const row of readRows('xlsx', Readable.from([bytes]))) {
      expect(row).toEqual({ row: 1, cells: ['h'] });
      break;
    }
    const b = await collect(readRows('xlsx', Readable.from([bytes]), { sheet: 'B' }));

    // Assert
    expect(b).toEqual([{ row: 1, cells: ['g'] }]);
    // `tmp` unlinks asynchronously; files of earlier tests may vanish meanwhile, so only new ones count.
    const leftBehind = () => spooled().filter((name) => !before.includes(name));
    for (let wait = 0; wait < 50 && leftBehind().length > 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(leftBehind()).toEqual([]);
  });
});
