import { FileFormatError } from '../errors';
import type { ImportRow } from '../resources/validate-rows';
import { dateText, excelSerialToDate, spreadsheetNumberToText } from './cell-text';
import { MAX_ROW_CHARS, tooManyColumns, tooManyRows } from './limits';
import type { ReadLimits } from './types';
import { checkCarry, cutEntity, declarationEnd, decodeOoxmlEscapes, decodeXmlText, isCdata, isSpace, localNameStart, nameIs, tagEnd, XmlDecoder } from './xml-scan';
import { textReadLimit, xlsxCellLimit, xlsxCellTooLong, type WorkbookParts } from './xlsx-parts';

/** Rows in an Excel sheet; a row number beyond it means a crafted or corrupt file. */
export const MAX_XLSX_ROWS = 1_048_576;

/** Columns in an Excel sheet (A…XFD). */
export const MAX_XLSX_COLUMNS = 16_384;

const LESS = 0x3c;
const GREATER = 0x3e;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const COLON = 0x3a;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const LETTER_C = 0x63;
const LETTER_V = 0x76;

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
 * Turns a sheet's XML, a decoded chunk at a time, into rows: the cells' text as a user saw it (the
 * rules of `xlsxCellText`), padded with '' so that `cells[i]` is column i+1.
 *
 * A sheet is nearly all of a workbook's bytes, so this is a tokenizer of its own rather than an
 * `XmlHandler` of the generic `XmlScanner`: it reads the attributes of `<row>` and `<c>` while it
 * looks for the end of their tag, and takes a cell written as Excel and most tools write it,
 * `<c …><v>…</v></c>`, in one step. Anything else (prefixes, white space, comments, CDATA, rich
 * text) goes through the general path, which follows the same rules as `XmlScanner`: character
 * references and predefined entities decoded, a DOCTYPE refused, markup cut by the end of a chunk
 * kept (bounded) for the next one. Nothing after `</sheetData>` is read.
 */
export class SheetReader {
  /** Rows finished since the caller last took them. */
  readonly out: ImportRow[] = [];
  /** Whether `</sheetData>` was read: nothing after it matters. */
  done = false;

  private readonly sharedStrings: string[];
  private readonly dateStyles: boolean[];
  private readonly date1904: boolean;
  private readonly cellLimit: number;
  private readonly textLimit: number;
  private readonly maxRows: number;
  private readonly maxColumns: number;
  private readonly dates = new Map<string, string>();
  private readonly decoder = new XmlDecoder();
  /** Markup or an entity cut by the end of the previous piece of text. */
  private carry = '';

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

  /** The `r`, `s` and `t` values of the last start tag read by `attributes` (-1: absent), and whether it was self-closing. */
  private refStart = -1;
  private refEnd = -1;
  private styleStart = -1;
  private styleEnd = -1;
  private typeStart = -1;
  private typeEnd = -1;
  private selfClosing = false;

  constructor(parts: WorkbookParts, limits: ReadLimits) {
    this.sharedStrings = parts.sharedStrings;
    this.dateStyles = parts.dateStyles;
    this.date1904 = parts.date1904;
    this.cellLimit = xlsxCellLimit(limits.maxCellChars);
    this.textLimit = textReadLimit(this.cellLimit);
    this.maxRows = limits.maxRows;
    this.maxColumns = limits.maxColumns;
  }

  /** Reads the next chunk of the sheet's XML; finished rows are added to `out`. */
  write(bytes: Buffer): void {
    for (const text of this.decoder.pieces(bytes)) {
      this.scan(text);
      if (this.done) return;
    }
  }

  /** Reads what is left at the end of the sheet's XML. */
  end(): void {
    this.scan(this.decoder.end());
  }

  /** Scans the next piece of decoded text. */
  private scan(chunk: string): void {
    if (this.done) return;
    const text = this.carry.length > 0 ? this.carry + chunk : chunk;
    this.carry = '';
    const length = text.length;
    let i = 0;
    while (i < length) {
      const lt = text.charCodeAt(i) === LESS ? i : text.indexOf('<', i);
      if (lt !== i) {
        const end = lt === -1 ? length : lt;
        if (this.target !== NOWHERE) {
          // An entity cut by the end of the chunk waits for its end.
          const cut = lt === -1 ? cutEntity(text, i, end) : end;
          if (cut > i) this.text(decodeXmlText(text.slice(i, cut)));
          if (cut < end) {
            this.carry = checkCarry(text.slice(cut));
            return;
          }
        }
        if (lt === -1) return;
      }
      const next = text.charCodeAt(lt + 1);
      let end: number;
      if (next === SLASH) end = this.endTag(text, lt);
      else if (next === QUESTION || next === BANG) {
        end = declarationEnd(text, lt);
        if (end !== -1 && this.target !== NOWHERE && isCdata(text, lt)) this.text(text.slice(lt + 9, end - 2));
      } else end = this.startTag(text, lt);
      if (this.done) return;
      if (end === -1) {
        this.carry = checkCarry(text.slice(lt));
        return;
      }
      i = end + 1;
    }
  }

  /** `</name>` at `lt`: the index of its `>`, -1 when it is not all in `text`. */
  private endTag(text: string, lt: number): number {
    const end = text.indexOf('>', lt + 2);
    if (end === -1) return -1;
    let nameEnd = end;
    while (nameEnd > lt + 2 && isSpace(text.charCodeAt(nameEnd - 1))) nameEnd -= 1;
    const name = localNameStart(text, lt + 2, nameEnd);
    const length = nameEnd - name;
    if (length === 1) {
      const c = text.charCodeAt(name);
      if (c === LETTER_C) {
        if (this.inCell) this.endCell();
      } else if (c === LETTER_V || c === 0x74 /* t */) {
        this.target = NOWHERE;
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
    return end;
  }

  /** `<name …>` at `lt`: the index of the last character read (the tag's `>`, or a whole cell's), -1 when the tag is not all in `text`. */
  private startTag(text: string, lt: number): number {
    const length = text.length;
    let name = lt + 1;
    let nameEnd = name;
    for (; nameEnd < length; nameEnd += 1) {
      const c = text.charCodeAt(nameEnd);
      if (c === GREATER || c === SLASH || isSpace(c)) break;
      if (c === COLON) name = nameEnd + 1;
    }
    if (nameEnd === length) return -1;
    const nameLength = nameEnd - name;
    if (nameLength === 1 && text.charCodeAt(name) === LETTER_C && this.inRow) {
      const end = this.attributes(text, nameEnd);
      if (end !== -1) return this.startCell(text, end);
      return -1;
    }
    if (nameLength === 3 && nameIs(text, name, nameEnd, 'row')) {
      const end = this.attributes(text, nameEnd);
      if (end !== -1) this.startRow(text);
      return end;
    }
    const end = tagEnd(text, nameEnd);
    if (end === -1) return -1;
    const selfClosing = text.charCodeAt(end - 1) === SLASH;
    if (nameLength === 1) {
      const c = text.charCodeAt(name);
      if (c === LETTER_V) {
        if (this.inCell && !selfClosing) this.target = VALUE;
      } else if (c === 0x74 /* t */) {
        if (this.inInline && this.phonetic === 0 && !selfClosing) {
          this.target = INLINE_TEXT;
          this.hasInline = true;
        }
      }
    } else if (nameLength === 3) {
      if (!selfClosing && nameIs(text, name, nameEnd, 'rPh')) this.phonetic += 1;
    } else if (nameLength === 2) {
      if (this.inCell && !selfClosing && nameIs(text, name, nameEnd, 'is')) this.inInline = true;
    }
    return end;
  }

  /**
   * Reads the attributes of a start tag from `from` (after its name) up to its `>`, keeping where
   * the values of `r`, `s` and `t` are (any prefixed or longer name is passed over); the index of
   * the `>`, -1 when the tag is not all in `text`. A tag that is not well-formed ends at its first
   * `>` outside quotes, its attributes read as far as they could be.
   */
  private attributes(text: string, from: number): number {
    const length = text.length;
    this.refStart = -1;
    this.styleStart = -1;
    this.typeStart = -1;
    let i = from;
    for (;;) {
      let c = text.charCodeAt(i);
      while (isSpace(c)) c = text.charCodeAt(++i);
      if (c === GREATER) {
        this.selfClosing = false;
        return i;
      }
      if (c === SLASH) {
        if (text.charCodeAt(i + 1) === GREATER) {
          this.selfClosing = true;
          return i + 1;
        }
        if (i + 1 >= length) return -1;
        break;
      }
      if (i >= length) return -1;
      const nameStart = i;
      while (c !== EQUALS && c !== GREATER && c !== SLASH && !isSpace(c) && i < length) c = text.charCodeAt(++i);
      const nameEnd = i;
      while (isSpace(c)) c = text.charCodeAt(++i);
      if (c !== EQUALS) {
        if (i >= length) return -1;
        break;
      }
      c = text.charCodeAt(++i);
      while (isSpace(c)) c = text.charCodeAt(++i);
      if (i >= length) return -1;
      if (c !== DQUOTE && c !== SQUOTE) break;
      const close = text.indexOf(c === DQUOTE ? '"' : "'", i + 1);
      if (close === -1) return -1;
      if (nameEnd - nameStart === 1) {
        const letter = text.charCodeAt(nameStart);
        if (letter === 0x72 /* r */) {
          this.refStart = i + 1;
          this.refEnd = close;
        } else if (letter === 0x73 /* s */) {
          this.styleStart = i + 1;
          this.styleEnd = close;
        } else if (letter === 0x74 /* t */) {
          this.typeStart = i + 1;
          this.typeEnd = close;
        }
      }
      i = close + 1;
    }
    const end = tagEnd(text, from);
    if (end !== -1) this.selfClosing = text.charCodeAt(end - 1) === SLASH;
    return end;
  }

  private startRow(text: string): void {
    const number = this.refStart === -1 ? -1 : digitsOf(text, this.refStart, this.refEnd);
    this.rowNumber = number > 0 ? number : this.rowNumber + 1;
    if (this.rowNumber > MAX_XLSX_ROWS) throw new FileFormatError(`the sheet has a row ${this.rowNumber}, beyond Excel's ${MAX_XLSX_ROWS} rows`);
    this.inRow = true;
    this.cells = [];
    this.rowChars = 0;
    this.column = 0;
    if (this.selfClosing) this.endRow();
  }

  private endRow(): void {
    this.inRow = false;
    this.rowsRead += 1;
    // The first row is the header: data rows are the ones after it.
    if (this.rowsRead > this.maxRows + 1) throw tooManyRows(this.maxRows);
    this.out.push({ row: this.rowNumber, cells: this.cells });
  }

  /**
   * A cell whose start tag ends at `end`. When its whole `<v>…</v></c>` follows in `text`, it is read
   * here, and the index of its last `>` returned; otherwise `end`, the rest coming as it comes.
   */
  private startCell(text: string, end: number): number {
    // Cells without a reference follow the previous one.
    const column = this.refStart === -1 ? 0 : columnOf(text, this.refStart, this.refEnd);
    this.column = column > 0 ? column : this.column + 1;
    if (this.column > MAX_XLSX_COLUMNS) throw new FileFormatError(`row ${this.rowNumber} has a cell in column ${this.column}, beyond Excel's ${MAX_XLSX_COLUMNS} columns`);
    this.type = this.typeStart === -1 ? NUMBER : typeOf(text, this.typeStart, this.typeEnd);
    this.style = this.styleStart === -1 ? 0 : digitsOf(text, this.styleStart, this.styleEnd);
    this.value = '';
    this.inline = '';
    this.hasInline = false;
    this.inCell = true;
    if (this.selfClosing) {
      this.endCell();
      return end;
    }
    if (text.charCodeAt(end + 1) !== LESS || text.charCodeAt(end + 2) !== LETTER_V || text.charCodeAt(end + 3) !== GREATER) return end;
    const start = end + 4;
    const close = text.indexOf('<', start);
    if (close === -1) return end;
    if (
      text.charCodeAt(close + 1) !== SLASH ||
      text.charCodeAt(close + 2) !== LETTER_V ||
      text.charCodeAt(close + 3) !== GREATER ||
      text.charCodeAt(close + 4) !== LESS ||
      text.charCodeAt(close + 5) !== SLASH ||
      text.charCodeAt(close + 6) !== LETTER_C ||
      text.charCodeAt(close + 7) !== GREATER
    ) {
      return end;
    }
    this.value = decodeXmlText(text.slice(start, close));
    if (this.value.length > this.textLimit) throw xlsxCellTooLong(this.cellLimit, `cell ${this.ref()}`);
    this.endCell();
    return close + 7;
  }

  private text(value: string): void {
    if (this.target === VALUE) {
      this.value += value;
      if (this.value.length > this.textLimit) throw xlsxCellTooLong(this.cellLimit, `cell ${this.ref()}`);
    } else if (this.target === INLINE_TEXT) {
      this.inline += value;
      if (this.inline.length > this.textLimit) throw xlsxCellTooLong(this.cellLimit, `cell ${this.ref()}`);
    }
  }

  private endCell(): void {
    this.inCell = false;
    this.inInline = false;
    this.target = NOWHERE;
    const text = this.cellText();
    if (text === '') return;
    if (text.length > this.cellLimit) throw xlsxCellTooLong(this.cellLimit, `cell ${this.ref()}`, text.length);
    const column = this.column;
    if (column > this.maxColumns) throw tooManyColumns(this.maxColumns, this.rowNumber, column);
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
        if (this.dateStyles[this.style] === true) return this.serialDate(value);
        return plainNumberText(value) ?? spreadsheetNumberToText(parseFloat(value));
      }
    }
  }

  /** A date serial as date text, cached by its text: a sheet's dates repeat (one per day at most). */
  private serialDate(serial: string): string {
    let text = this.dates.get(serial);
    if (text === undefined) {
      text = dateText(excelSerialToDate(parseFloat(serial), this.date1904));
      if (this.dates.size >= 10_000) this.dates.clear();
      this.dates.set(serial, text);
    }
    return text;
  }

  private ref(): string {
    return `${columnName(this.column)}${this.rowNumber}`;
  }
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
  if (length === 3 && c === 0x73 && text.charCodeAt(start + 1) === 0x74 && text.charCodeAt(start + 2) === 0x72) return STRING;
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
