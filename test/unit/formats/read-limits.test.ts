import ExcelJS from 'exceljs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { CellTooLongError, FileFormatError, FileTooLargeError, TooManyColumnsError, TooManyRowsError, XlsxTooLargeError } from '../../../layers/core/errors';
import { DEFAULT_READ_LIMITS } from '../../../layers/core/formats/limits';
import { readRows } from '../../../layers/core/formats/read-rows';
import type { ReadLimits, TabularFormat } from '../../../layers/core/formats/types';
import { collect } from './support';
import { buildZip, repeatedDeflate, workbookEntries } from '../../support/zip-builder';

/** A source of `total` bytes made on demand (never held whole), counting what was pulled. */
function lazySource(parts: Array<string | { repeat: string; bytes: number }>): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const chunk = 64 * 1024;
  const stream = Readable.from(
    (function* () {
      for (const part of parts) {
        if (typeof part === 'string') {
          pulled += Buffer.byteLength(part);
          yield Buffer.from(part);
          continue;
        }
        const block = Buffer.from(part.repeat.repeat(Math.ceil(chunk / part.repeat.length)).slice(0, chunk));
        for (let sent = 0; sent < part.bytes; sent += block.length) {
          pulled += block.length;
          yield block;
        }
      }
    })(),
    { objectMode: false },
  );
  return { stream, pulled: () => pulled };
}

const MB = 1024 * 1024;

async function failure(format: TabularFormat, input: Readable | Buffer, limits: Partial<ReadLimits> = {}): Promise<unknown> {
  const stream = Buffer.isBuffer(input) ? Readable.from([input]) : input;
  try {
    await collect(readRows(format, stream, { limits }));
  } catch (error) {
    return error;
  }
  throw new Error('expected the read to fail');
}

describe('read limits: defaults', () => {
  it('are documented values: 1,000,000 rows, 500 columns, Excel cells, 1 GiB and 10,000 entries for XLSX', () => {
    expect(DEFAULT_READ_LIMITS).toEqual({
      maxFileBytes: 5 * 1024 ** 3,
      maxRows: 1_000_000,
      maxColumns: 500,
      maxCellChars: 32_767,
      maxXlsxInflatedBytes: 1024 ** 3,
      maxXlsxEntries: 10_000,
    });
  });
});

describe('read limits: CSV', () => {
  it('refuses a 10 MB cell after reading a fraction of it (cell_too_long)', async () => {
    // Arrange
    const { stream, pulled } = lazySource(['sku,description\nA-1,', { repeat: 'x', bytes: 10 * MB }, '\n']);

    // Act
    const error = await failure('csv', stream);

    // Assert
    expect(error).toBeInstanceOf(CellTooLongError);
    expect(error).toMatchObject({ code: 'cell_too_long', message: 'row 2, column 2 holds more than 32767 characters; a cell may hold at most 32767' });
    expect(pulled()).toBeLessThan(MB);
    expect(stream.destroyed).toBe(true);
  });

  it('says a quote may be unclosed when a quoted cell runs past the limit', async () => {
    const { stream } = lazySource(['sku,description\nA-1,"', { repeat: 'y', bytes: 10 * MB }]);

    const error = await failure('csv', stream);

    expect(error).toMatchObject({
      code: 'cell_too_long',
      message: 'row 2, column 2 holds more than 32767 characters; a cell may hold at most 32767 (or a quote opened there is never closed)',
    });
  });

  it('accepts a cell at the limit and names the length of one just over it', async () => {
    const at = await collect(readRows('csv', Readable.from([`h\n${'a'.repeat(100)}\n`]), { limits: { maxCellChars: 100 } }));
    const over = await failure('csv', Buffer.from(`h\n"${'a'.repeat(101)}"\n`), { maxCellChars: 100 });

    expect(at[1]?.cells[0]).toHaveLength(100);
    expect(over).toMatchObject({ code: 'cell_too_long', message: 'row 2, column 1 holds 101 characters; a cell may hold at most 100' });
  });

  it('refuses the row after the last one allowed (too_many_rows), blank lines counting as rows', async () => {
    const ok = await collect(readRows('csv', Readable.from(['sku\n1\n\n3\n']), { limits: { maxRows: 3 } }));
    const error = await failure('csv', Buffer.from('sku\n1\n\n3\n4\n'), { maxRows: 3 });

    expect(ok).toHaveLength(4);
    expect(error).toBeInstanceOf(TooManyRowsError);
    expect(error).toMatchObject({ code: 'too_many_rows', message: 'the file has more than 3 data rows, the most one import takes: split it into smaller files' });
  });

  it('refuses a value beyond the last column, but drops empty cells there (too_many_columns)', async () => {
    const trailing = await collect(readRows('csv', Readable.from(['a,b,c,,,,\n1,2,3,,,\n']), { limits: { maxColumns: 3 } }));
    const error = await failure('csv', Buffer.from('a,b,c\n1,2,3,,5\n'), { maxColumns: 3 });

    expect(trailing.map((r) => r.cells)).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
    expect(error).toBeInstanceOf(TooManyColumnsError);
    expect(error).toMatchObject({ code: 'too_many_columns', message: 'row 2 has a value in column 5, beyond the 3 columns an import reads' });
  });

  it('refuses a file over the byte limit as soon as it is passed (file_too_large)', async () => {
    const { stream, pulled } = lazySource(['sku\n', { repeat: 'A-1\n', bytes: 8 * MB }]);

    const error = await failure('csv', stream, { maxFileBytes: MB });

    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error).toMatchObject({ code: 'file_too_large', message: `the file is larger than ${MB} bytes, the most an import reads` });
    expect(pulled()).toBeLessThan(2 * MB);
  });

  it('keeps limit errors recognisable as file errors', async () => {
    const error = await failure('csv', Buffer.from('a\n1\n2\n'), { maxRows: 1 });

    expect(error).toBeInstanceOf(FileFormatError);
  });
});

const row = (n: number, cells: string) => `<row r="${n}">${cells}</row>`;
const inline = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

describe('read limits: XLSX', () => {
  it('stops inflating a zip bomb just past the limit, whatever sizes it declares (xlsx_too_large)', async () => {
    // Arrange: 23 MB of rows deflated to ~75 KB; headers and directory claim 1 KB.
    const bomb = repeatedDeflate(Buffer.from(row(2, '<c r="A2"><v>1</v></c>').repeat(40_000)), 16);
    const parts = workbookEntries({ sheets: [{ name: 'S', rows: '' }] }).slice(0, 3);
    const file = buildZip([...parts, { name: 'xl/worksheets/sheet1.xml', deflated: bomb, size: 1000, descriptor: true }]);

    // Act
    const error = await failure('xlsx', file, { maxXlsxInflatedBytes: 8 * MB });

    // Assert
    expect(file.length).toBeLessThan(100_000);
    expect(error).toBeInstanceOf(XlsxTooLargeError);
    expect(error).toMatchObject({ code: 'xlsx_too_large', message: `the workbook unpacks to more than ${8 * MB} bytes, the most an import inflates` });
  });

  it('refuses a workbook whose zip directory declares more than 1 GiB, before inflating the spooled sheet', async () => {
    // Excel's layout: the sheet comes first, so it is spooled and read only after the directory.
    const bomb = repeatedDeflate(Buffer.from('<row/>'.repeat(100_000)), 8);
    const entries = workbookEntries({ sheets: [{ name: 'S', rows: '' }], sheetsFirst: true });
    const file = buildZip([{ ...entries[0]!, deflated: bomb, size: 1.5 * 1024 ** 3, descriptor: true }, ...entries.slice(1)]);

    const error = await failure('xlsx', file);

    expect(error).toMatchObject({
      code: 'xlsx_too_large',
      message: `the workbook unpacks to more than ${1024 ** 3} bytes (its zip directory declares ${1.5 * 1024 ** 3}), the most an import inflates`,
    });
  });

  it('refuses an entry whose local header declares more than the limit, before inflating it', async () => {
    const entries = workbookEntries({ sheets: [{ name: 'S', rows: row(1, inline('A1', 'h')) }] });
    const last = entries.at(-1)!;
    const file = buildZip([...entries.slice(0, -1), { ...last, size: 2 * 1024 ** 3 }]);

    const error = await failure('xlsx', file);

    expect(error).toMatchObject({ code: 'xlsx_too_large', message: expect.stringContaining(`the workbook unpacks to more than ${1024 ** 3} bytes`) });
  });

  it('refuses more zip entries than the limit (xlsx_too_large)', async () => {
    const entries = workbookEntries({ sheets: [{ name: 'S', rows: row(1, inline('A1', 'h')) }] });
    const padding = Array.from({ length: 10_001 }, (_, i) => ({ name: `docProps/custom${i}.xml`, content: '' }));

    const error = await failure('xlsx', buildZip([...padding, ...entries]));

    expect(error).toMatchObject({ code: 'xlsx_too_large', message: 'the workbook has more than 10000 zip entries, the most an import opens' });
  });

  it('refuses a 10 MB inline string, and a 10 MB shared string, without reading them whole (cell_too_long)', async () => {
    const huge = 'x'.repeat(10 * MB);
    const inlineBook = buildZip(workbookEntries({ sheets: [{ name: 'S', rows: row(1, inline('A1', 'sku')) + row(2, inline('B2', huge)) }] }));
    const sharedBook = buildZip(workbookEntries({ sheets: [{ name: 'S', rows: row(1, '<c r="C1" t="s"><v>0</v></c>') }], sharedStrings: [`<t>${huge}</t>`] }));

    const inlineError = await failure('xlsx', inlineBook);
    const sharedError = await failure('xlsx', sharedBook);

    expect(inlineError).toBeInstanceOf(CellTooLongError);
    expect(inlineError).toMatchObject({ code: 'cell_too_long', message: "cell B2 holds more than 32767 characters, beyond Excel's 32767" });
    expect(sharedError).toMatchObject({ code: 'cell_too_long', message: "shared string 0 holds more than 32767 characters, beyond Excel's 32767" });
  });

  it('applies a lower cell limit from the settings, naming the cell', async () => {
    const book = buildZip(workbookEntries({ sheets: [{ name: 'S', rows: row(1, inline('A1', 'h')) + row(7, inline('D7', 'y'.repeat(11))) }] }));

    const error = await failure('xlsx', book, { maxCellChars: 10 });

    expect(error).toMatchObject({ code: 'cell_too_long', message: 'cell D7 holds 11 characters; a cell may hold at most 10' });
  });

  it('refuses the row after the last one allowed, and a value beyond the last column', async () => {
    const rows = [1, 2, 3, 4].map((n) => row(n, inline(`A${n}`, String(n)))).join('');
    const wide = row(1, inline('A1', 'h')) + row(2, `${inline('A2', 'a')}<c r="B2" s="0"/>${inline('E2', 'e')}`);

    const tooMany = await failure('xlsx', buildZip(workbookEntries({ sheets: [{ name: 'S', rows }] })), { maxRows: 2 });
    const tooWide = await failure('xlsx', buildZip(workbookEntries({ sheets: [{ name: 'S', rows: wide }] })), { maxColumns: 4 });

    expect(tooMany).toMatchObject({ code: 'too_many_rows', message: 'the file has more than 2 data rows, the most one import takes: split it into smaller files' });
    expect(tooWide).toMatchObject({ code: 'too_many_columns', message: 'row 2 has a value in column 5, beyond the 4 columns an import reads' });
  });

  it('refuses a workbook over the byte limit (file_too_large)', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('S').addRows(Array.from({ length: 2000 }, (_, i) => [`row ${i}`, i]));
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());

    const error = await failure('xlsx', bytes, { maxFileBytes: 1000 });

    expect(error).toMatchObject({ code: 'file_too_large', message: 'the file is larger than 1000 bytes, the most an import reads' });
  });

  it('removes its temp file whether it fails or finishes', async () => {
    const spools = () => readdirSync(tmpdir()).filter((name) => name.startsWith('dataio-xlsx-'));
    const before = spools();
    const entries = workbookEntries({ sheets: [{ name: 'S', rows: [1, 2, 3].map((n) => row(n, inline(`A${n}`, String(n)))).join('') }], sheetsFirst: true });

    await expect(collect(readRows('xlsx', Readable.from([buildZip(entries)]), { limits: { maxRows: 1 } }))).rejects.toThrow(TooManyRowsError);
    expect(await collect(readRows('xlsx', Readable.from([buildZip(entries)])))).toHaveLength(3);

    expect(spools().filter((name) => !before.includes(name))).toEqual([]);
  });
});
