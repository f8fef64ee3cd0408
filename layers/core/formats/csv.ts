import { stringify } from 'csv-stringify';
import type { Readable, Transform } from 'node:stream';
import { FileFormatError } from '../errors';
import type { ImportRow } from '../resources/validate-rows';
import { decodeText } from './decode-text';
import { cellTooLong, limitBytes, MAX_ROW_CHARS, resolveReadLimits, tooManyColumns, tooManyRows } from './limits';
import type { ReadLimits, ReadOptions } from './types';

/** Longest record accepted, in characters (see `MAX_ROW_CHARS`). */
export const MAX_RECORD_CHARS = MAX_ROW_CHARS;

/** A CSV field delimiter. */
export type CsvDelimiter = NonNullable<ReadOptions['delimiter']>;

/** Delimiters tried by detection, in the order that breaks ties. */
const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t'];

/** Text read ahead at most to find the end of the first record, for delimiter detection. */
const DETECTION_CHARS = 1024 * 1024;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads a CSV stream record by record. The first row yielded is the header (row 1); row numbers
 * count records, not lines, so a quoted cell spanning lines does not shift later rows. Only one
 * chunk of text and one unfinished cell are held at a time, whatever the file size, and the source
 * is destroyed when the consumer stops early.
 *
 * 1. Count the bytes against `limits.maxFileBytes` and decode them (`options.encoding`, UTF-8 by
 *    default; a BOM wins, see `decodeText`).
 * 2. Read ahead to the end of the first record and detect the delimiter there, unless given.
 * 3. Split the text into records (RFC 4180: `"` quotes a cell, `""` is a quote inside one; a line
 *    break is LF, CRLF or CR), checking the row, column and cell limits as each cell is read.
 * @throws FileFormatError when the bytes are not valid in the encoding or the CSV is malformed
 *   (an unclosed quote, text after a closing quote); FileLimitError (a FileFormatError) when the
 *   file is over a limit
 */
export async function* readCsvRows(input: Readable, options: ReadOptions = {}): AsyncIterable<ImportRow> {
  const limits = resolveReadLimits(options.limits);
  const text = decodeText(limitBytes(input, limits.maxFileBytes), options.encoding);
  try {
    const head = await readFirstRecord(text);
    const splitter = new CsvSplitter(options.delimiter ?? head.delimiter, limits);
    const records: ImportRow[] = [];
    splitter.push(head.text, records);
    for (;;) {
      for (const record of records) yield record;
      records.length = 0;
      const next = await text.next();
      if (next.done) break;
      splitter.push(next.value, records);
    }
    splitter.end(records);
    for (const record of records) yield record;
  } finally {
    // Stop reading the source when the consumer leaves early (or a limit stopped the read).
    await text.return(undefined).catch(() => undefined);
    if (!input.destroyed && !input.readableEnded) input.destroy();
  }
}

/**
 * Splits CSV text into records, chunk by chunk. The unfinished cell at the end of a chunk is
 * carried (as text, with how far it was scanned) to the next one, so the scan never goes back.
 */
class CsvSplitter {
  private readonly delimiter: number;
  /** Finished cells of the current record. */
  private cells: string[] = [];
  /** Characters in `cells`. */
  private recordChars = 0;
  /** Empty cells dropped beyond the column limit in the current record. */
  private dropped = 0;
  /** Records finished: the number of the last one. */
  private row = 0;
  /** The text of the unfinished cell from its first character (its opening quote, if quoted), or undefined. */
  private carry: string | undefined;
  /** How much of `carry` is scanned: its continuation starts scanning there. */
  private carryScanned = 0;
  /** Whether the carried quoted cell holds doubled quotes. */
  private carryEscapes = false;
  /** The last record ended with a CR at the end of a chunk: a LF starting the next chunk belongs to it. */
  private skipLf = false;
  /** A delimiter was the last thing read: one more (maybe empty) cell belongs to the record. */
  private open = false;

  constructor(
    delimiter: CsvDelimiter,
    private readonly limits: ReadLimits,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** Splits the next chunk of text, adding the records it finishes to `out`. */
  push(chunk: string, out: ImportRow[]): void {
    let text = chunk;
    let start = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    if (this.carry !== undefined) {
      text = this.carry + text.slice(start);
      start = 0;
    }
    this.split(text, start, out);
  }

  /** Finishes the last record at the end of the text. */
  end(out: ImportRow[]): void {
    // A line break ends whatever is unfinished: the last cell, or an empty one after a delimiter.
    if (this.carry !== undefined || this.open) this.push('\n', out);
    if (this.carry !== undefined) {
      throw new FileFormatError(`invalid CSV: the quoted cell that starts in row ${this.row + 1}, column ${this.column()} is never closed`);
    }
  }

  private split(text: string, from: number, out: ImportRow[]): void {
    const length = text.length;
    const delimiter = this.delimiter;
    let i = from;
    let scanFrom = i;
    let escapes = false;
    if (this.carry !== undefined) {
      scanFrom = this.carryScanned;
      escapes = this.carryEscapes;
      this.carry = undefined;
    }
    while (i < length) {
      // `i` is the first character of a cell; `scanFrom` how far it is known not to end.
      this.open = false;
      let end: number;
      if (text.charCodeAt(i) === QUOTE) {
        let q = text.indexOf('"', Math.max(scanFrom, i + 1));
        for (;;) {
          // A quote as the last character may be the first of a doubled quote: wait for the next chunk.
          if (q === -1 || q === length - 1) return this.hold(text, i, q === -1 ? length : q, escapes);
          if (text.charCodeAt(q + 1) !== QUOTE) break;
          escapes = true;
          q = text.indexOf('"', q + 2);
        }
        let value = text.slice(i + 1, q);
        if (escapes) value = value.replaceAll('""', '"');
        this.cell(value);
        end = q + 1;
        const next = text.charCodeAt(end);
        if (next !== delimiter && next !== LF && next !== CR) {
          throw new FileFormatError(
            `invalid CSV in row ${this.row + 1}, column ${this.column() - 1}: a quoted cell must end at a delimiter or a line break, found '${text[end]}' after its closing quote (a quote inside a quoted cell is written twice: "")`,
          );
        }
      } else {
        end = scanFrom;
        while (end < length) {
          const c = text.charCodeAt(end);
          if (c === delimiter || c === LF || c === CR) break;
          end += 1;
        }
        if (end === length) return this.hold(text, i, end, false);
        this.cell(end === i ? '' : text.slice(i, end));
      }
      escapes = false;
      const c = text.charCodeAt(end);
      if (c === delimiter) {
        i = end + 1;
        this.open = true;
      } else {
        this.finish(out);
        i = end + 1;
        if (c === CR) {
          if (i === length) this.skipLf = true;
          else if (text.charCodeAt(i) === LF) i += 1;
        }
      }
      scanFrom = i;
    }
  }

  /** Keeps the unfinished cell starting at `start`, scanned up to `scanned`, for the next chunk. */
  private hold(text: string, start: number, scanned: number, escapes: boolean): void {
    const carry = text.slice(start);
    const quoted = carry.charCodeAt(0) === QUOTE;
    const maxCell = this.limits.maxCellChars;
    // A quoted cell's text is at least half its raw length (every quote inside is doubled).
    const atLeast = quoted ? (carry.length - 2) / 2 : carry.length;
    if (atLeast > maxCell) {
      throw cellTooLong(maxCell, `row ${this.row + 1}, column ${this.column()}`, undefined, quoted ? ' (or a quote opened there is never closed)' : '');
    }
    if (this.recordChars + atLeast > MAX_ROW_CHARS) throw this.rowTooLong();
    this.carry = carry;
    this.carryScanned = scanned - start;
    this.carryEscapes = escapes;
  }

  /** Adds a finished cell to the record, checking the cell, column and row length limits. */
  private cell(value: string): void {
    const { maxCellChars, maxColumns } = this.limits;
    if (value.length > maxCellChars) throw cellTooLong(maxCellChars, `row ${this.row + 1}, column ${this.column()}`, value.length);
    if (this.cells.length >= maxColumns) {
      // Empty cells past the limit (a row of trailing delimiters) are dropped; a value is refused.
      if (value !== '') throw tooManyColumns(maxColumns, this.row + 1, this.column());
      this.dropped += 1;
      return;
    }
    this.recordChars += value.length;
    if (this.recordChars > MAX_ROW_CHARS) throw this.rowTooLong();
    this.cells.push(value);
  }

  private finish(out: ImportRow[]): void {
    this.row += 1;
    // The header is row 1: data rows are the records after it.
    if (this.row > this.limits.maxRows + 1) throw tooManyRows(this.limits.maxRows);
    out.push({ row: this.row, cells: this.cells });
    this.cells = [];
    this.recordChars = 0;
    this.dropped = 0;
    this.open = false;
  }

  /** The 1-based column of the next cell of the current record. */
  private column(): number {
    return this.cells.length + this.dropped + 1;
  }

  private rowTooLong(): FileFormatError {
    return new FileFormatError(`row ${this.row + 1} is longer than ${MAX_ROW_CHARS} characters, the most a row may hold`);
  }
}

/**
 * The delimiter of a CSV from its first record: the most frequent of `,` `;` and tab outside quotes
 * (ties go in that order), `,` when there is none — a one-column file.
 */
export function detectDelimiter(firstRecord: string): CsvDelimiter {
  const scan = new FirstRecordScan();
  scan.feed(firstRecord);
  return scan.delimiter();
}

/** Counts delimiters outside quotes until the first line break outside quotes, chunk by chunk. */
class FirstRecordScan {
  complete = false;
  private quoted = false;
  private readonly counts = new Map<string, number>();

  feed(text: string): void {
    for (let i = 0; i < text.length && !this.complete; i += 1) {
      const char = text[i]!;
      // A doubled quote inside a quoted field toggles twice, which leaves the state unchanged.
      if (char === '"') this.quoted = !this.quoted;
      else if (this.quoted) continue;
      else if (char === '\n' || char === '\r') this.complete = true;
      else if (char === ',' || char === ';' || char === '\t') this.counts.set(char, (this.counts.get(char) ?? 0) + 1);
    }
  }

  delimiter(): CsvDelimiter {
    let best: CsvDelimiter = ',';
    let bestCount = 0;
    for (const delimiter of DELIMITERS) {
      const count = this.counts.get(delimiter) ?? 0;
      if (count > bestCount) [best, bestCount] = [delimiter, count];
    }
    return best;
  }
}

/** Reads text until the first record is complete (or enough to detect), to detect the delimiter. */
async function readFirstRecord(text: AsyncIterator<string>): Promise<{ text: string; delimiter: CsvDelimiter }> {
  const scan = new FirstRecordScan();
  const chunks: string[] = [];
  let length = 0;
  while (!scan.complete && length <= DETECTION_CHARS) {
    const next = await text.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.length;
    scan.feed(next.value);
  }
  return { text: chunks.join(''), delimiter: scan.delimiter() };
}

/** Options of `createCsvWriter`. */
export interface CsvWriterOptions {
  /** Start the output with a UTF-8 byte order mark, which Excel needs to read UTF-8. @default false */
  readonly bom?: boolean;
}

/**
 * A transform turning rows (arrays of cells, object mode) into CSV text with `\n` line ends,
 * quoting cells only where needed. Prefer `createTableWriter`, which also renders typed cells and
 * neutralizes formulas.
 */
export function createCsvWriter(options: CsvWriterOptions = {}): Transform {
  return stringify({ bom: options.bom ?? false, record_delimiter: '\n' });
}
