import ExcelJS from 'exceljs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { FileFormatError } from '../errors';
import type { ImportRow } from '../resources/validate-rows';
import { spreadsheetNumberToText } from './cell-text';
import type { ReadOptions } from './types';

/** Rows in an Excel sheet; a row number beyond it means a crafted or corrupt file. */
export const MAX_XLSX_ROWS = 1_048_576;

/** Columns in an Excel sheet (A…XFD). */
export const MAX_XLSX_COLUMNS = 16_384;

/** Characters Excel holds in one cell; more means a crafted or corrupt file. */
export const MAX_XLSX_CELL_CHARS = 32_767;

const NOT_A_WORKBOOK = 'the file is not a readable XLSX workbook';

/** Every XLSX file is a zip archive, which starts with a local file header. */
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

const MS_PER_DAY = 86_400_000;
/** Days from Excel's 1900 epoch (serial 0 = 1899-12-30, after its leap-year bug) to 1970-01-01. */
const EXCEL_EPOCH_OFFSET_DAYS = 25_569;
/** Days between the 1900 and 1904 date systems. */
const DATE1904_OFFSET_DAYS = 1_462;

/** The internals of exceljs's streaming reader used here but missing from its type declarations. */
interface WorkbookReaderInternals {
  /** Parsed `<workbookPr>`: whether dates count from 1904 (old Mac workbooks). */
  readonly properties?: { readonly model?: { readonly date1904?: boolean } };
}

interface WorksheetReaderInternals {
  readonly name?: string;
  /** The sheet XML: a temp file stream when exceljs had to spool it, else a zip entry iterator. */
  readonly iterator?: unknown;
  [Symbol.asyncIterator](): AsyncIterator<ExcelJS.Row>;
}

/**
 * Reads the rows of one sheet of an XLSX workbook, streaming: the header is the sheet's row 1 and
 * rows keep the sheet's numbers, so rows missing from the sheet (never filled in) are skipped,
 * not yielded empty. Cells become the text a user saw (see `xlsxCellText`), padded with '' so that
 * `cells[i]` is column i+1, up to the row's last non-empty cell.
 *
 * 1. Check the zip signature, so a CSV renamed `.xlsx` fails fast with a clear message.
 * 2. Hand the bytes to exceljs's streaming reader. It reads the zip in order; when a sheet comes
 *    before the shared strings (as in Excel's own files), it spools the sheet XML to a temp file.
 * 3. Pick the sheet (`options.sheet`, else the first worksheet of the file) and yield its rows.
 * 4. Stop reading the source when the consumer stops, and let exceljs delete its temp files.
 * @throws FileFormatError when the file is not a workbook, lacks the sheet, or exceeds Excel's limits
 */
export async function* readXlsxRows(input: Readable, options: Pick<ReadOptions, 'sheet'> = {}): AsyncIterable<ImportRow> {
  const source = input.pipe(new ZipSignatureCheck());
  input.on('error', (error) => source.destroy(error));
  // exceljs pipes the source into its unzipper without forwarding errors, so a failing source
  // would leave it waiting forever: every step also ends when the source fails.
  const failure = new SourceFailure(source);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Cached styles carry the number formats that tell a date from a number.
    styles: 'cache',
    entries: 'emit',
  });
  const internals = reader as unknown as WorkbookReaderInternals;
  const sheets = new Step(reader[Symbol.asyncIterator]() as AsyncIterator<WorksheetReaderInternals>, failure);
  let rows: Step<ExcelJS.Row> | undefined;
  const seen: string[] = [];
  try {
    for (let sheet = await sheets.next(); sheet !== undefined; sheet = await sheets.next()) {
      const name = sheet.name ?? '';
      seen.push(name);
      // Without a name, the first worksheet in the file: Excel stores them in tab order, and a
      // streaming reader cannot come back to one it has passed.
      if (options.sheet !== undefined && name !== options.sheet) {
        skipSheet(sheet);
        continue;
      }
      const date1904 = internals.properties?.model?.date1904 === true;
      rows = new Step(sheet[Symbol.asyncIterator](), failure);
      for (let row = await rows.next(); row !== undefined; row = await rows.next()) {
        yield { row: row.number, cells: rowCells(row, date1904) };
      }
      return;
    }
  } catch (error) {
    if (error instanceof FileFormatError || input.errored === error) throw error;
    throw new FileFormatError(NOT_A_WORKBOOK, { cause: error });
  } finally {
    await rows?.close();
    // Once the whole zip is read, exceljs has spooled the sheets to temp files and deletes each
    // one only when its iteration moves past it: walk the rest without parsing them.
    if (input.readableEnded && !failure.error) await sheets.drain(skipSheet);
    else await sheets.close();
    if (!input.destroyed) input.destroy();
    source.destroy();
  }
  if (seen.length === 0) throw new FileFormatError(`${NOT_A_WORKBOOK}: it has no worksheet`);
  throw new FileFormatError(`the workbook has no sheet '${options.sheet}'; its sheets are: ${seen.join(', ')}`);
}

/**
 * The first error of the source, and a way to fail the step waiting on it. One listener serves
 * every step: racing each step against one long-pending promise would pile up a reaction per row.
 */
class SourceFailure {
  error: unknown;
  private rejectWaiting: ((error: unknown) => void) | undefined;

  constructor(source: Readable) {
    source.once('error', (error) => {
      this.error = error;
      this.rejectWaiting?.(error);
    });
  }

  /** Settles with `step`, or rejects as soon as the source fails. */
  guard<T>(step: Promise<T>): Promise<T> {
    if (this.error !== undefined) return Promise.reject(this.error);
    return new Promise<T>((resolve, reject) => {
      this.rejectWaiting = reject;
      step.then(resolve, reject);
    });
  }
}

/**
 * One iterator of exceljs's reader, stepped under the source's failure guard. It remembers
 * whether a step is still pending, because a generator stuck on a dead source never answers
 * `return()` and must then be abandoned rather than awaited.
 */
class Step<T> {
  private idle = true;

  constructor(
    private readonly iterator: AsyncIterator<T>,
    private readonly failure: SourceFailure,
  ) {}

  async next(): Promise<T | undefined> {
    this.idle = false;
    const step = await this.failure.guard(this.iterator.next());
    this.idle = true;
    return step.done ? undefined : step.value;
  }

  async close(): Promise<void> {
    if (this.idle) await this.iterator.return?.().catch(() => undefined);
  }

  async drain(each: (value: T) => void): Promise<void> {
    if (!this.idle) return;
    try {
      for (let value = await this.next(); value !== undefined; value = await this.next()) each(value);
    } catch {
      // Cleaning up after an error or a finished read: nothing more to release.
    }
  }
}

/** A sheet that is not read: close its temp file, if exceljs spooled it to one. */
function skipSheet(sheet: WorksheetReaderInternals): void {
  const xml = sheet.iterator as { destroy?: () => void } | undefined;
  if (xml && typeof xml.destroy === 'function') xml.destroy();
}

function rowCells(row: ExcelJS.Row, date1904: boolean): string[] {
  if (row.number > MAX_XLSX_ROWS) throw new FileFormatError(`the sheet has a row ${row.number}, beyond Excel's ${MAX_XLSX_ROWS} rows`);
  if (row.cellCount > MAX_XLSX_COLUMNS) throw new FileFormatError(`row ${row.number} has a cell in column ${row.cellCount}, beyond Excel's ${MAX_XLSX_COLUMNS} columns`);
  const cells: string[] = [];
  row.eachCell((cell, column) => {
    const text = xlsxCellText(cell.value, cell.numFmt, date1904);
    if (text.length > MAX_XLSX_CELL_CHARS) {
      throw new FileFormatError(`cell ${cell.address} holds ${text.length} characters, beyond Excel's ${MAX_XLSX_CELL_CHARS}`);
    }
    if (text === '') return;
    while (cells.length < column - 1) cells.push('');
    cells.push(text);
  });
  return cells;
}

/**
 * A cell value as the text a user saw in the spreadsheet:
 * - a date at midnight UTC → `YYYY-MM-DD`, another date-time → ISO 8601 (`toISOString`);
 * - a number → plain decimal text without float noise or exponent (`spreadsheetNumberToText`);
 * - a boolean → `true`/`false`; rich text → its runs joined; a hyperlink → its text;
 * - a formula → its cached result ('' when the file has none: nothing here recalculates);
 * - an error value → its text (`#N/A`); nothing → ''.
 *
 * `numFmt` turns a formula's numeric result into a date when the cell is formatted as one, as the
 * reader already does for plain values.
 */
export function xlsxCellText(value: ExcelJS.CellValue, numFmt?: string, date1904 = false): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return spreadsheetNumberToText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return dateText(value);
  if ('richText' in value) return value.richText.map((run) => run.text ?? '').join('');
  if ('error' in value) return String(value.error);
  if ('formula' in value || 'sharedFormula' in value) {
    const result = value.result;
    if (typeof result === 'number' && isDateFormat(numFmt)) return dateText(excelSerialToDate(result, date1904));
    return xlsxCellText(result ?? null, numFmt, date1904);
  }
  if ('text' in value) return typeof value.text === 'string' ? value.text : xlsxCellText(value.text as ExcelJS.CellValue, numFmt, date1904);
  return '';
}

function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

function excelSerialToDate(serial: number, date1904: boolean): Date {
  // Rounded to the millisecond: serials carry binary noise well below it.
  return new Date(Math.round((serial - EXCEL_EPOCH_OFFSET_DAYS + (date1904 ? DATE1904_OFFSET_DAYS : 0)) * MS_PER_DAY));
}

/** Whether a number format shows a date or time, by exceljs's rule (`y m d h s` outside quotes and brackets). */
function isDateFormat(numFmt: string | undefined): boolean {
  if (!numFmt) return false;
  return /[ymdhMsb]/.test(numFmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''));
}

/** Passes bytes through once their first four are a zip signature. */
class ZipSignatureCheck extends Transform {
  private head: Buffer | undefined = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.head) return done(null, chunk);
    const head = Buffer.concat([this.head, chunk]);
    if (head.length < ZIP_SIGNATURE.length) {
      this.head = head;
      return done();
    }
    this.head = undefined;
    if (!head.subarray(0, ZIP_SIGNATURE.length).equals(ZIP_SIGNATURE)) return done(new FileFormatError(`${NOT_A_WORKBOOK}: it is not a zip archive`));
    done(null, head);
  }

  override _flush(done: TransformCallback): void {
    done(this.head ? new FileFormatError(`${NOT_A_WORKBOOK}: it is ${this.head.length === 0 ? 'empty' : 'too short'}`) : null);
  }
}
