import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { cellToText } from './cell-text';
import { measureWidth, neutralizeFormula } from './neutralize';
import type { Cell, ColumnType, ExportColumn, TableWriter, TableWriterOptions, TabularFormat } from './types';
import { MAX_XLSX_CELL_CHARS } from './xlsx';

/** Content type of CSV exports: always UTF-8. */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** Content type of XLSX exports. */
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** XLSX column widths, in characters: narrower hides short headers, wider wastes the screen. */
export const MIN_COLUMN_WIDTH = 8;
/** See `MIN_COLUMN_WIDTH`. */
export const MAX_COLUMN_WIDTH = 60;
/** Characters added to a measured width for the cell margins and the bold header. */
const COLUMN_PADDING = 2;

const DEFAULT_SHEET_NAME = 'Export';
/** Excel refuses longer sheet names. */
const MAX_SHEET_NAME_CHARS = 31;

/**
 * A streaming writer of an export in `format`, the header row already written. Read `output`
 * while writing: `writeRow` waits whenever the reader falls behind, so memory stays flat.
 *
 * - CSV: UTF-8 (optional BOM), `\n` line ends; null → '', numbers in plain decimal, booleans
 *   `true`/`false`, everything else as given.
 * - XLSX: one sheet with a frozen, bold header row and column widths from `options.widths`;
 *   native cells: numbers for integer/decimal columns, booleans, dates with a date format.
 *
 * Text columns are formula-neutralized in both formats unless `options.neutralize` is false.
 */
export function createTableWriter(format: TabularFormat, columns: readonly ExportColumn[], options: TableWriterOptions = {}): TableWriter {
  switch (format) {
    case 'csv':
      return new CsvTableWriter(columns, options);
    case 'xlsx':
      return new XlsxTableWriter(columns, options);
  }
}

class CsvTableWriter implements TableWriter {
  readonly contentType = CSV_CONTENT_TYPE;
  readonly extension = 'csv';
  readonly output: Readable;
  private readonly stringifier;
  private readonly neutralize: boolean;

  constructor(private readonly columns: readonly ExportColumn[], options: TableWriterOptions) {
    this.stringifier = stringify({ bom: options.bom ?? false, record_delimiter: '\n' });
    this.output = this.stringifier;
    this.neutralize = options.neutralize ?? true;
    this.stringifier.write(columns.map((column) => column.name));
  }

  async writeRow(cells: readonly Cell[]): Promise<void> {
    assertOpen(this.stringifier);
    const texts = this.columns.map((column, i) => {
      const text = cellToText(cells[i] ?? null);
      return column.type === 'string' && this.neutralize ? neutralizeFormula(text) : text;
    });
    if (!this.stringifier.write(texts)) await drained(this.stringifier, this.stringifier);
  }

  async end(): Promise<void> {
    await ended(this.stringifier, () => this.stringifier.end());
  }
}

/** The internals of exceljs's streaming writer used for backpressure, missing from its types. */
interface WorksheetWriterInternals {
  /** The sheet's XML buffer; its first pipe is the stream the zip archiver reads the sheet from. */
  readonly stream?: { readonly pipes?: readonly Writable[] };
}

/**
 * Whether a writable asked its writer to wait. The archiver inside exceljs uses readable-stream 2,
 * whose streams predate `writableNeedDrain`, so their state is read directly.
 */
function needsDrain(stream: Writable): boolean {
  return stream.writableNeedDrain ?? (stream as unknown as { _writableState?: { needDrain?: boolean } })._writableState?.needDrain === true;
}

/** Each column's cell format and how its cells become native values. */
interface XlsxColumn {
  readonly type: ColumnType;
  readonly numFmt?: string;
}

class XlsxTableWriter implements TableWriter {
  readonly contentType = XLSX_CONTENT_TYPE;
  readonly extension = 'xlsx';
  readonly output: PassThrough;
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly sheet: ExcelJS.Worksheet;
  private readonly layout: readonly XlsxColumn[];
  private readonly neutralize: boolean;

  constructor(columns: readonly ExportColumn[], options: TableWriterOptions) {
    this.output = new PassThrough();
    this.neutralize = options.neutralize ?? true;
    // Shared strings would keep every distinct text in memory until the end; inline text keeps
    // memory flat. Styles are needed for the header and the number formats.
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: this.output, useStyles: true, useSharedStrings: false });
    (this.workbook as unknown as { zip?: Writable }).zip?.on('error', (error: Error) => this.output.destroy(error));
    this.sheet = this.workbook.addWorksheet(sheetNameOf(options.sheetName), {
      views: [{ state: 'frozen', xSplit: 0, ySplit: 1, topLeftCell: 'A2', activeCell: 'A2' }],
    });
    this.sheet.columns = columns.map((column, i) => ({ width: columnWidth(options.widths?.[i] ?? measureWidth(column.name)) }));
    this.layout = columns.map((column) => ({ type: column.type, numFmt: numFmtOf(column) }));
    const header = this.sheet.addRow(columns.map((column) => column.name));
    header.eachCell((cell) => {
      cell.font = { bold: true };
      cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE7E6E6' } };
      cell.border = { bottom: { style: 'thin' } };
    });
    header.commit();
  }

  async writeRow(cells: readonly Cell[]): Promise<void> {
    // A destroyed output (a failed upload) would otherwise swallow every later row.
    assertOpen(this.output);
    const row = this.sheet.addRow(this.layout.map((column, i) => this.nativeValue(column.type, cells[i] ?? null)));
    this.layout.forEach((column, i) => {
      if (column.numFmt && typeof cells[i] !== 'undefined' && cells[i] !== null) row.getCell(i + 1).numFmt = column.numFmt;
    });
    row.commit();
    // exceljs writes committed rows into an in-memory buffer the zip archiver drains as the reader
    // of `output` keeps up; waiting on that buffer is what keeps memory flat.
    const sheetStream = (this.sheet as unknown as WorksheetWriterInternals).stream?.pipes?.[0];
    const pressured = sheetStream && needsDrain(sheetStream) ? sheetStream : needsDrain(this.output) ? this.output : undefined;
    if (pressured) await drained(pressured, this.output);
  }

  async end(): Promise<void> {
    await this.workbook.commit();
  }

  private nativeValue(type: ColumnType, cell: Cell): ExcelJS.CellValue {
    if (cell === null) return null;
    switch (type) {
      case 'integer':
        return typeof cell === 'number' ? cell : integerOf(cell);
      case 'decimal':
        return typeof cell === 'number' ? cell : decimalOf(cell);
      case 'boolean':
        return typeof cell === 'boolean' ? cell : cell === 'true' ? true : cell === 'false' ? false : text(cell);
      case 'date':
      case 'datetime':
        return dateOf(cell);
      case 'string': {
        const value = text(cell);
        return this.neutralize ? neutralizeFormula(value) : value;
      }
    }
  }
}

function numFmtOf(column: ExportColumn): string | undefined {
  switch (column.type) {
    // Excel's General format turns long integers (ids, phone numbers) into 1.23457E+11.
    case 'integer':
      return '0';
    case 'decimal':
      if (column.scale === undefined) return undefined;
      return column.scale > 0 ? `0.${'0'.repeat(column.scale)}` : '0';
    case 'date':
      return 'yyyy-mm-dd';
    case 'datetime':
      return 'yyyy-mm-dd hh:mm:ss';
    default:
      return undefined;
  }
}

/** Text for a cell, cut to what Excel holds: a longer cell makes Excel call the file corrupt. */
function text(cell: Cell): string {
  const value = cellToText(cell);
  return value.length > MAX_XLSX_CELL_CHARS ? value.slice(0, MAX_XLSX_CELL_CHARS) : value;
}

function integerOf(cell: string | boolean): ExcelJS.CellValue {
  if (typeof cell === 'string' && /^-?\d+$/.test(cell)) {
    const value = Number(cell);
    if (Number.isSafeInteger(value)) return value;
  }
  return text(cell);
}

/** Doubles hold 15 significant decimal digits exactly; a longer decimal stays text so no digit is lost. */
const MAX_EXACT_DIGITS = 15;

function decimalOf(cell: string | boolean): ExcelJS.CellValue {
  const match = typeof cell === 'string' ? /^-?(\d+)(?:\.(\d+))?$/.exec(cell) : null;
  if (!match) return text(cell);
  const significant = `${match[1]}${match[2] ?? ''}`.replace(/^0+/, '').replace(/0+$/, '');
  return significant.length <= MAX_EXACT_DIGITS ? Number(cell) : text(cell);
}

/** Excel's first real day: its serials before 1900-03-01 are off by its fictitious 1900-02-29. */
const FIRST_EXACT_EXCEL_DATE = Date.UTC(1900, 2, 1);

function dateOf(cell: string | number | boolean): ExcelJS.CellValue {
  if (typeof cell !== 'string') return text(cell);
  // A bare date is UTC midnight; a date-time without a zone is UTC too (the codecs' convention).
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(cell) ? `${cell}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(cell) ? cell : `${cell}Z`;
  const time = Date.parse(iso);
  return Number.isNaN(time) || time < FIRST_EXACT_EXCEL_DATE ? text(cell) : new Date(time);
}

function columnWidth(measured: number): number {
  return Math.min(MAX_COLUMN_WIDTH, Math.max(MIN_COLUMN_WIDTH, Math.ceil(measured) + COLUMN_PADDING));
}

/** A sheet name Excel accepts: no `[]:*?/\`, no quote at either end, at most 31 characters. */
function sheetNameOf(name: string | undefined): string {
  const cleaned = (name ?? '').replace(/[[\]:*?/\\]/g, '_').replace(/^'+|'+$/g, '').slice(0, MAX_SHEET_NAME_CHARS).trim();
  // "History" is reserved by Excel for change tracking.
  if (!cleaned) return DEFAULT_SHEET_NAME;
  return cleaned.toLowerCase() === 'history' ? `${cleaned}_` : cleaned;
}

const CLOSED_OUTPUT = 'the export output was closed before the file was complete';

function assertOpen(output: Readable): void {
  if (output.destroyed) throw output.errored ?? new Error(CLOSED_OUTPUT);
}

/**
 * Resolves when `stream` drains; rejects if `watched` (the output the caller reads) fails or is
 * destroyed first, since nothing would drain then.
 */
function drained(stream: Writable, watched: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain);
      watched.off('error', onError);
      watched.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(CLOSED_OUTPUT));
    };
    if (watched.destroyed) return reject(watched.errored ?? new Error(CLOSED_OUTPUT));
    stream.once('drain', onDrain);
    watched.once('error', onError);
    watched.once('close', onClose);
  });
}

/** Calls `end` and resolves once the stream has taken every byte (its writable side finished). */
function ended(stream: Writable, end: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
    end();
  });
}
