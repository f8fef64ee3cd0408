import ExcelJS from 'exceljs';
import { Readable } from 'node:stream';
import { readRows } from '../../../layers/core/formats/read-rows';
import { createTableWriter } from '../../../layers/core/formats/table-writer';
import type { Cell, ExportColumn, TableWriterOptions, TabularFormat } from '../../../layers/core/formats/types';
import { bytesOf, collect } from './support';

const COLUMNS: readonly ExportColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'name', type: 'string' },
  { name: 'price', type: 'decimal', scale: 2 },
  { name: 'active', type: 'boolean' },
  { name: 'launch', type: 'date' },
  { name: 'updated_at', type: 'datetime' },
];

const ROWS: readonly Cell[][] = [
  [1, 'Hammer, "big"', '12.50', true, '2024-03-05', '2024-03-05T14:30:15.000Z'],
  [2, 'Łódź\nSaw', '-3.10', false, null, null],
  [9007199254740991, '', '12345678901234567.89', null, '1899-12-31', '2024-01-01T00:00:00.000Z'],
];

async function write(format: TabularFormat, columns: readonly ExportColumn[], rows: readonly Cell[][], options?: TableWriterOptions): Promise<Buffer> {
  const writer = createTableWriter(format, columns, options);
  // Read while writing, as the file store does: the writer waits for its reader.
  const bytes = bytesOf(writer.output);
  for (const row of rows) await writer.writeRow(row);
  await writer.end();
  return bytes;
}

async function readBack(format: TabularFormat, bytes: Buffer): Promise<string[][]> {
  return (await collect(readRows(format, Readable.from([bytes])))).map((row) => row.cells);
}

describe('createTableWriter (csv)', () => {
  it('writes the header at creation and renders typed cells as text', async () => {
    const writer = createTableWriter('csv', COLUMNS);
    const bytes = bytesOf(writer.output);
    await writer.writeRow(ROWS[0]!);
    await writer.end();

    expect(writer.contentType).toBe('text/csv; charset=utf-8');
    expect(writer.extension).toBe('csv');
    expect((await bytes).toString('utf8')).toBe(
      'id,name,price,active,launch,updated_at\n1,"Hammer, ""big""",12.50,true,2024-03-05,2024-03-05T14:30:15.000Z\n',
    );
  });

  it('round-trips through the CSV reader', async () => {
    const back = await readBack('csv', await write('csv', COLUMNS, ROWS));

    expect(back).toEqual([
      COLUMNS.map((c) => c.name),
      ['1', 'Hammer, "big"', '12.50', 'true', '2024-03-05', '2024-03-05T14:30:15.000Z'],
      ['2', 'Łódź\nSaw', '-3.10', 'false', '', ''],
      ['9007199254740991', '', '12345678901234567.89', '', '1899-12-31', '2024-01-01T00:00:00.000Z'],
    ]);
  });

  it('starts with a BOM only when asked', async () => {
    const plain = await write('csv', [{ name: 'a', type: 'string' }], []);
    const bom = await write('csv', [{ name: 'a', type: 'string' }], [], { bom: true });

    expect(plain.toString('utf8')).toBe('a\n');
    expect(bom.toString('utf8')).toBe('\uFEFFa\n');
  });

  it('neutralizes formulas in text columns only', async () => {
    const columns: ExportColumn[] = [{ name: 'note', type: 'string' }, { name: 'amount', type: 'decimal', scale: 2 }, { name: 'qty', type: 'integer' }];
    const rows: Cell[][] = [['=HYPERLINK("http://evil")', '-12.50', -3], ['+1', '0.00', 0], ['-1', null, null], ['@SUM(A1)', null, null], ['\tx', null, null], ['a=b', null, null]];

    const back = await readBack('csv', await write('csv', columns, rows));
    const raw = await readBack('csv', await write('csv', columns, rows.slice(0, 1), { neutralize: false }));

    expect(back.slice(1)).toEqual([
      [`'=HYPERLINK("http://evil")`, '-12.50', '-3'],
      [`'+1`, '0.00', '0'],
      [`'-1`, '', ''],
      [`'@SUM(A1)`, '', ''],
      [`'\tx`, '', ''],
      ['a=b', '', ''],
    ]);
    expect(raw[1]).toEqual(['=HYPERLINK("http://evil")', '-12.50', '-3']);
  });
});

describe('createTableWriter (xlsx)', () => {
  let bytes: Buffer;
  let sheet: ExcelJS.Worksheet;

  beforeAll(async () => {
    bytes = await write('xlsx', COLUMNS, [...ROWS, [4, '=1+2', '-0.50', true, null, null]], { widths: [2, 100, 8, 6, 10, 24], sheetName: 'Products: 2024/Q1' });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(bytes).buffer);
    sheet = workbook.worksheets[0]!;
  });

  it('names the file type', () => {
    const writer = createTableWriter('xlsx', COLUMNS);
    writer.output.resume();

    expect(writer.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(writer.extension).toBe('xlsx');
  });

  it('writes one sheet with a frozen, bold header and clamped widths', () => {
    expect(sheet.name).toBe('Products_ 2024_Q1');
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const header = sheet.getRow(1);
    expect(header.values).toEqual([undefined, ...COLUMNS.map((c) => c.name)]);
    expect(header.getCell(1).font).toMatchObject({ bold: true });
    expect(header.getCell(1).fill).toMatchObject({ type: 'pattern', pattern: 'solid' });
    expect(header.getCell(1).border).toMatchObject({ bottom: { style: 'thin' } });
    expect(COLUMNS.map((_, i) => sheet.getColumn(i + 1).width)).toEqual([8, 60, 10, 8, 12, 26]);
  });

  it('writes native cells with number formats', () => {
    const row = sheet.getRow(2);

    expect(row.getCell(1).value).toBe(1);
    expect(row.getCell(1).numFmt).toBe('0');
    expect(row.getCell(2).value).toBe('Hammer, "big"');
    expect(row.getCell(3).value).toBe(12.5);
    expect(row.getCell(3).numFmt).toBe('0.00');
    expect(row.getCell(4).value).toBe(true);
    expect(row.getCell(5).value).toEqual(new Date(Date.UTC(2024, 2, 5)));
    expect(row.getCell(5).numFmt).toBe('yyyy-mm-dd');
    expect(row.getCell(6).value).toEqual(new Date(Date.UTC(2024, 2, 5, 14, 30, 15)));
    expect(row.getCell(6).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(sheet.getRow(3).getCell(5).value).toBeNull();
  });

  it('keeps what a number or an Excel date cannot hold exactly as text', () => {
    const row = sheet.getRow(4);

    expect(row.getCell(1).value).toBe(9007199254740991);
    expect(row.getCell(3).value).toBe('12345678901234567.89');
    // Excel's serials before 1900-03-01 are off by a day (its fictitious 1900-02-29).
    expect(row.getCell(5).value).toBe('1899-12-31');
  });

  it('neutralizes formulas in text columns but not negative numbers', () => {
    const row = sheet.getRow(5);

    expect(row.getCell(2).value).toBe("'=1+2");
    expect(row.getCell(3).value).toBe(-0.5);
  });

  it('round-trips through the XLSX reader', async () => {
    const back = await readBack('xlsx', bytes);

    expect(back).toEqual([
      COLUMNS.map((c) => c.name),
      ['1', 'Hammer, "big"', '12.5', 'true', '2024-03-05', '2024-03-05T14:30:15.000Z'],
      ['2', 'Łódź\nSaw', '-3.1', 'false'],
      ['9007199254740991', '', '12345678901234567.89', '', '1899-12-31', '2024-01-01'],
      ['4', "'=1+2", '-0.5', 'true'],
    ]);
  });

  it('fails writeRow instead of waiting forever when the output is destroyed', async () => {
    const writer = createTableWriter('xlsx', [{ name: 'text', type: 'string' }]);
    writer.output.destroy(new Error('upload failed'));

    const writing = (async () => {
      for (let i = 0; i < 100_000; i += 1) await writer.writeRow(['x'.repeat(100)]);
    })();

    await expect(writing).rejects.toThrow('upload failed');
  });
});
