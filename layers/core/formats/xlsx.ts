import type ExcelJS from 'exceljs';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { FileFormatError } from '../errors';
import type { ImportRow } from '../resources/validate-rows';
import { spreadsheetNumberToText } from './cell-text';
import { limitBytes, MAX_ROW_CHARS, resolveReadLimits, tooManyColumns, tooManyRows } from './limits';
import type { ReadLimits, ReadOptions } from './types';
import { XmlScanner, decodeOoxmlEscapes, nameIs, type XmlHandler } from './xml-scan';
import { isDateFormat, MAX_XLSX_CELL_CHARS, textReadLimit, WorkbookParts, xlsxCellLimit, xlsxCellTooLong } from './xlsx-parts';
import { inflate, InflateBudget, isSourceError, NOT_A_WORKBOOK, Spool, ZipStreamReader } from './zip-stream';

export { MAX_XLSX_CELL_CHARS };

/** Rows in an Excel sheet; a row number beyond it means a crafted or corrupt file. */
export const MAX_XLSX_ROWS = 1_048_576;

/** Columns in an Excel sheet (A…XFD). */
export const MAX_XLSX_COLUMNS = 16_384;

const MS_PER_DAY = 86_400_000;
/** Days from Excel's 1900 epoch (serial 0 = 1899-12-30, after its leap-year bug) to 1970-01-01. */
const EXCEL_EPOCH_OFFSET_DAYS = 25_569;
/** Days between the 1900 and 1904 date systems. */
const DATE1904_OFFSET_DAYS = 1_462;

/**
 * Reads the rows of one sheet of an XLSX workbook, streaming: the header is the sheet's row 1 and
 * rows keep the sheet's numbers, so rows missing from the sheet (never filled in) are skipped,
 * not yielded empty. Cells become the text a user saw (see `xlsxCellText`), padded with '' so that
 * `cells[i]` is column i+1, up to the row's last non-empty cell.
 *
 * 1. Read the zip as it streams, entry by entry (`ZipStreamReader`): the workbook, its
 *    relationships, the styles (which cells show dates) and the shared strings as they come.
 * 2. Read the sheet (`options.sheet`, else the first in tab order) as it streams when every part its
 *    cells refer to came before it; otherwise (Excel's own layout) copy its compressed bytes to a
 *    temp file and read it once the zip's end, and its central directory, have been checked.
 * 3. Stop at the end of the sheet's data, or when the consumer stops; remove the temp file.
 *
 * Limits (`options.limits`) hold while reading: the file's bytes, zip entries, bytes inflated (a
 * zip bomb stops just past the limit), rows, columns, and cell length (a huge text stops after a
 * few tens of kilobytes).
 * @throws FileFormatError when the file is not a workbook, lacks the sheet, or exceeds Excel's
 *   limits; FileLimitError (a FileFormatError) when it is over a read limit
 */
export async function* readXlsxRows(input: Readable, options: Pick<ReadOptions, 'sheet' | 'limits'> = {}): AsyncIterable<ImportRow> {
  const limits = resolveReadLimits(options.limits);
  const budget = new InflateBudget(limits.maxXlsxInflatedBytes);
  const zip = new ZipStreamReader(limitBytes(input, limits.maxFileBytes), { maxEntries: limits.maxXlsxEntries }, budget);
  const parts = new WorkbookParts(limits);
  const spool = new Spool();
  const spooled = new Map<string, { start: number; length: number; method: number }>();
  try {
    for (let entry = await zip.next(); entry !== undefined; entry = await zip.next()) {
      const key = entry.name.toLowerCase();
      const kind = parts.kindOf(key);
      if (kind === 'other') continue;
      if (kind !== 'sheet') {
        await parts.read(kind, inflate(zip.data(), entry.method, budget));
        continue;
      }
      const wanted = parts.isWanted(key, options.sheet);
      if (wanted === false) continue;
      if (wanted && parts.ready()) {
        yield* readSheet(inflate(zip.data(), entry.method, budget), parts, limits);
        return;
      }
      spooled.set(key, { ...(await spool.write(zip.data())), method: entry.method });
    }
    const sheet = parts.pick(options.sheet);
    const stored = spooled.get(sheet.key);
    if (!stored) throw new FileFormatError(`${NOT_A_WORKBOOK}: the data of its sheet '${sheet.name}' is missing`);
    yield* readSheet(inflate(spool.read(stored), stored.method, budget), parts, limits);
  } catch (error) {
    if (error instanceof FileFormatError || isSourceError(error)) throw error;
    throw new FileFormatError(NOT_A_WORKBOOK, { cause: error });
  } finally {
    await zip.close();
    await spool.dispose();
    if (!input.destroyed) input.destroy();
  }
}

/** Rows of a sheet's XML, yielded a decoded chunk at a time; stops inflating at `</sheetData>`. */
async function* readSheet(xml: AsyncIterable<Buffer>, parts: WorkbookParts, limits: ReadLimits): AsyncGenerator<ImportRow> {
  const rows = new SheetRows(parts, limits);
  const scanner = new XmlScanner(rows);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of xml) {
    scanner.write(decoder.decode(chunk, { stream: true }));
    for (const row of rows.out) yield row;
    rows.out.length = 0;
    if (rows.done) return;
  }
  scanner.write(decoder.decode());
  for (const row of rows.out) yield row;
}

const NUMBER = 0;
const SHARED = 1;
const STRING = 2;
const INLINE = 3;
const BOOLEAN = 4;
const ERROR = 5;
const DATE = 6;

/** What a cell's character data goes to. */
const NOWHERE = 0;
const VALUE = 1;
const INLINE_TEXT = 2;

/**
 * Turns a sheet's XML into rows. The hot path: tag names are compared by length and character
 * codes, attributes of `<c>` and `<row>` read in one pass, and only `<v>` and inline `<t>` text is
 * sliced out.
 */
class SheetRows implements XmlHandler {
  capturing = false;
  /** Rows finished since the caller last took them. */
  readonly out: ImportRow[] = [];
  /** Whether `</sheetData>` was read: nothing after it matters. */
  done = false;

  private readonly sharedStrings: string[];
  private readonly dateStyles: boolean[];
  private readonly date1904: boolean;
  private readonly cellLimit: number;
  private readonly textLimit: number;
  private readonly dates = new Map<number, string>();

  private inRow = false;
  private rowNumber = 0;
  private rowsRead = 0;
  private cells: string[] = [];
  private rowChars = 0;

  private inCell = false;
  private column = 0;
  private type = NUMBER;
  private style = 0;
  private target = NOWHERE;
  private value = '';
  private inline = '';
  private hasInline = false;
  private inInline = false;
  private phonetic = 0;

  constructor(
    parts: WorkbookParts,
    private readonly limits: ReadLimits,
  ) {
    this.sharedStrings = parts.sharedStrings;
    this.dateStyles = parts.dateStyles;
    this.date1904 = parts.date1904;
    this.cellLimit = xlsxCellLimit(limits.maxCellChars);
    this.textLimit = textReadLimit(this.cellLimit);
  }

  open(text: string, name: number, nameEnd: number, tagEnd: number, selfClosing: boolean): void {
    const length = nameEnd - name;
    if (length === 1) {
      const c = text.charCodeAt(name);
      if (c === 0x63 /* c */) {
        if (this.inRow) this.startCell(text, nameEnd, tagEnd, selfClosing);
      } else if (c === 0x76 /* v */) {
        if (this.inCell && !selfClosing) {
          this.target = VALUE;
          this.capturing = true;
        }
      } else if (c === 0x74 /* t */) {
        if (this.inInline && this.phonetic === 0 && !selfClosing) {
          this.target = INLINE_TEXT;
          this.hasInline = true;
          this.capturing = true;
        }
      }
    } else if (length === 3) {
      if (nameIs(text, name, nameEnd, 'row')) this.startRow(text, nameEnd, tagEnd, selfClosing);
      else if (!selfClosing && nameIs(text, name, nameEnd, 'rPh')) this.phonetic += 1;
    } else if (length === 2) {
      if (this.inCell && !selfClosing && nameIs(text, name, nameEnd, 'is')) this.inInline = true;
    }
  }

  close(text: string, name: number, nameEnd: number): void {
    const length = nameEnd - name;
    if (length === 1) {
      const c = text.charCodeAt(name);
      if (c === 0x63 /* c */) {
        if (this.inCell) this.endCell();
      } else if (c === 0x76 /* v */ || c === 0x74 /* t */) {
        this.target = NOWHERE;
        this.capturing = false;
      }
    } else if (length === 3) {
      if (nameIs(text, name, nameEnd, 'row')) {
        if (this.inRow) this.endRow();
      } else if (nameIs(text, name, nameEnd, 'rPh')) this.phonetic -= 1;
    } else if (length === 2) {
      if (nameIs(text, name, nameEnd, 'is')) this.inInline = false;
    } else if (nameIs(text, name, nameEnd, 'sheetData')) {
      this.done = true;
    }
  }

  text(value: string): void {
    if (this.target === VALUE) {
      this.value += value;
      if (this.value.length > this.textLimit) throw xlsxCellTooLong(this.cellLimit, `cell ${this.ref()}`);
    } else if (this.target === INLINE_TEXT) {
      this.inline += value;
      if (this.inline.length > this.textLimit) throw xlsxCellTooLong(this.cellLimit, `cell ${this.ref()}`);
    }
  }

  private startRow(text: string, from: number, tagEnd: number, selfClosing: boolean): void {
    let number = -1;
    for (let i = from; i < tagEnd; ) {
      const at = nextOneLetterAttribute(text, i, tagEnd);
      if (at === -1) break;
      const close = attributeEnd;
      if (text.charCodeAt(at) === 0x72 /* r */) number = digitsOf(text, attributeStart, close);
      i = close + 1;
    }
    this.rowNumber = number > 0 ? number : this.rowNumber + 1;
    if (this.rowNumber > MAX_XLSX_ROWS) throw new FileFormatError(`the sheet has a row ${this.rowNumber}, beyond Excel's ${MAX_XLSX_ROWS} rows`);
    this.inRow = true;
    this.cells = [];
    this.rowChars = 0;
    this.column = 0;
    if (selfClosing) this.endRow();
  }

  private endRow(): void {
    this.inRow = false;
    this.rowsRead += 1;
    // The first row is the header: data rows are the ones after it.
    if (this.rowsRead > this.limits.maxRows + 1) throw tooManyRows(this.limits.maxRows);
    this.out.push({ row: this.rowNumber, cells: this.cells });
  }

  private startCell(text: string, from: number, tagEnd: number, selfClosing: boolean): void {
    let column = 0;
    let type = NUMBER;
    let style = 0;
    for (let i = from; i < tagEnd; ) {
      const at = nextOneLetterAttribute(text, i, tagEnd);
      if (at === -1) break;
      const letter = text.charCodeAt(at);
      if (letter === 0x72 /* r */) column = columnOf(text, attributeStart, attributeEnd);
      else if (letter === 0x74 /* t */) type = typeOf(text, attributeStart, attributeEnd);
      else if (letter === 0x73 /* s */) style = digitsOf(text, attributeStart, attributeEnd);
      i = attributeEnd + 1;
    }
    // Cells without a reference follow the previous one.
    this.column = column > 0 ? column : this.column + 1;
    if (this.column > MAX_XLSX_COLUMNS) throw new FileFormatError(`row ${this.rowNumber} has a cell in column ${this.column}, beyond Excel's ${MAX_XLSX_COLUMNS} columns`);
    this.type = type;
    this.style = style;
    this.value = '';
    this.inline = '';
    this.hasInline = false;
    this.inCell = true;
    if (selfClosing) this.endCell();
  }

  private endCell(): void {
    this.inCell = false;
    this.inInline = false;
    this.target = NOWHERE;
    this.capturing = false;
    const text = this.cellText();
    if (text === '') return;
    if (text.length > this.cellLimit) throw xlsxCellTooLong(this.cellLimit, `cell ${this.ref()}`, text.length);
    const column = this.column;
    if (column > this.limits.maxColumns) throw tooManyColumns(this.limits.maxColumns, this.rowNumber, column);
    this.rowChars += text.length;
    if (this.rowChars > MAX_ROW_CHARS) throw new FileFormatError(`row ${this.rowNumber} is longer than ${MAX_ROW_CHARS} characters, the most a row may hold`);
    const cells = this.cells;
    if (column > cells.length) {
      while (cells.length < column - 1) cells.push('');
      cells.push(text);
    } else {
      cells[column - 1] = text;
    }
  }

  /** The text a user saw in the current cell (see `xlsxCellText` for the rules). */
  private cellText(): string {
    const value = this.value;
    switch (this.type) {
      case SHARED:
        return value === '' ? '' : (this.sharedStrings[parseInt(value, 10)] ?? '');
      case STRING:
        return decodeOoxmlEscapes(value);
      case INLINE:
        return decodeOoxmlEscapes(this.hasInline ? this.inline : value);
      case BOOLEAN:
        return value === '' ? '' : parseInt(value, 10) !== 0 ? 'true' : 'false';
      case ERROR:
        return value;
      case DATE:
        // An ISO 8601 date-time without a zone is the sheet's wall clock: read it as UTC, as serials are.
        return value === '' ? '' : dateText(new Date(/T[\d:.]+$/.test(value) ? `${value}Z` : value));
      default: {
        if (value === '') return '';
        if (this.dateStyles[this.style] === true) return this.serialDate(parseFloat(value));
        return plainNumberText(value) ?? spreadsheetNumberToText(parseFloat(value));
      }
    }
  }

  /** A date serial as date text, cached: a sheet's dates repeat (one per day at most). */
  private serialDate(serial: number): string {
    let text = this.dates.get(serial);
    if (text === undefined) {
      text = dateText(excelSerialToDate(serial, this.date1904));
      if (this.dates.size >= 10_000) this.dates.clear();
      this.dates.set(serial, text);
    }
    return text;
  }

  private ref(): string {
    return `${columnName(this.column)}${this.rowNumber}`;
  }
}

/** Where the value found by the last `nextOneLetterAttribute` starts and ends (its closing quote). */
let attributeStart = 0;
let attributeEnd = 0;

/**
 * The next one-letter attribute of a start tag from `from` (`r`, `s`, `t`: the only ones read from
 * `<row>` and `<c>`): the index of its letter, its value's range in `attributeStart`/`attributeEnd`
 * (not decoded: these values never need it); -1 when there is none. Longer names are passed over.
 */
function nextOneLetterAttribute(text: string, from: number, tagEnd: number): number {
  let i = from;
  for (;;) {
    const equals = text.indexOf('=', i);
    if (equals === -1 || equals >= tagEnd) return -1;
    let quote = equals + 1;
    while (quote < tagEnd && text.charCodeAt(quote) !== 0x22 && text.charCodeAt(quote) !== 0x27) quote += 1;
    const close = text.indexOf(text.charCodeAt(quote) === 0x27 ? "'" : '"', quote + 1);
    if (close === -1 || close > tagEnd) return -1;
    let nameEnd = equals;
    while (nameEnd > i && isSpace(text.charCodeAt(nameEnd - 1))) nameEnd -= 1;
    let nameStart = i;
    while (nameStart < nameEnd && isSpace(text.charCodeAt(nameStart))) nameStart += 1;
    if (nameEnd - nameStart === 1) {
      attributeStart = quote + 1;
      attributeEnd = close;
      return nameStart;
    }
    i = close + 1;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The column number of a cell reference (`AB12` → 28). */
function columnOf(text: string, start: number, end: number): number {
  let column = 0;
  for (let i = start; i < end; i += 1) {
    const c = text.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    column = column * 26 + (c - 0x60);
  }
  return column;
}

/** The letters of a column number (28 → `AB`). */
function columnName(column: number): string {
  let name = '';
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

function digitsOf(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i += 1) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return value;
    value = value * 10 + d;
  }
  return value;
}

function typeOf(text: string, start: number, end: number): number {
  const length = end - start;
  const c = text.charCodeAt(start);
  if (length === 1) {
    if (c === 0x73 /* s */) return SHARED;
    if (c === 0x62 /* b */) return BOOLEAN;
    if (c === 0x65 /* e */) return ERROR;
    if (c === 0x64 /* d */) return DATE;
    return NUMBER;
  }
  if (length === 3 && text.startsWith('str', start)) return STRING;
  if (length === 9 && text.startsWith('inlineStr', start)) return INLINE;
  return NUMBER;
}

/**
 * The text of a number as written in the sheet, when it is already what `spreadsheetNumberToText`
 * would give: plain decimal notation, no leading or trailing zeros, at most 15 significant digits
 * (every double holds those exactly). Undefined otherwise, for the general rule to decide.
 */
export function plainNumberText(raw: string): string | undefined {
  const length = raw.length;
  let i = raw.charCodeAt(0) === 0x2d /* - */ ? 1 : 0;
  if (i === length) return undefined;
  let digits = 0;
  let significant = false;
  const first = raw.charCodeAt(i);
  // No leading zero, except a lone `0` before the point.
  if (first === 0x30 && i + 1 < length && raw.charCodeAt(i + 1) !== 0x2e) return undefined;
  let point = -1;
  for (; i < length; i += 1) {
    const c = raw.charCodeAt(i);
    if (c === 0x2e) {
      if (point !== -1) return undefined;
      point = i;
      continue;
    }
    const d = c - 0x30;
    if (d < 0 || d > 9) return undefined;
    if (d !== 0) significant = true;
    if (significant) digits += 1;
  }
  if (digits > 15) return undefined;
  if (point !== -1 && (point === length - 1 || raw.charCodeAt(length - 1) === 0x30 || point === (raw.charCodeAt(0) === 0x2d ? 1 : 0))) return undefined;
  // `-0` and `-0.0…` are 0.
  if (!significant) return raw === '0' ? raw : undefined;
  return raw;
}

/**
 * A cell value as the text a user saw in the spreadsheet:
 * - a date at midnight UTC → `YYYY-MM-DD`, another date-time → ISO 8601 (`toISOString`);
 * - a number → plain decimal text without float noise or exponent (`spreadsheetNumberToText`);
 * - a boolean → `true`/`false`; rich text → its runs joined; a hyperlink → its text;
 * - a formula → its cached result ('' when the file has none: nothing here recalculates);
 * - an error value → its text (`#N/A`); nothing → ''.
 *
 * `numFmt` turns a formula's numeric result into a date when the cell is formatted as one. The
 * XLSX reader applies the same rules to the XML directly; this form takes exceljs cell values.
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
