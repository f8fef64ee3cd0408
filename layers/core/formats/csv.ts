import { parse, type Parser } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { finished, Readable, type Transform } from 'node:stream';
import { FileFormatError } from '../errors';
import type { ImportRow } from '../resources/validate-rows';
import { decodeText } from './decode-text';
import type { ReadOptions } from './types';

/** Longest record accepted, in characters. */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

/** A CSV field delimiter. */
export type CsvDelimiter = NonNullable<ReadOptions['delimiter']>;

/** Delimiters tried by detection, in the order that breaks ties. */
const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t'];

/**
 * Reads a CSV stream record by record. The first row yielded is the header (row 1); row numbers
 * count records, not lines, so a quoted cell spanning lines does not shift later rows. Only one
 * chunk of text and one parser buffer are held at a time, whatever the file size, and the source
 * is destroyed when the consumer stops early.
 *
 * 1. Decode the bytes (`options.encoding`, UTF-8 by default; a BOM wins, see `decodeText`).
 * 2. Read ahead to the end of the first record and detect the delimiter there, unless given.
 * 3. Parse the whole text, header first.
 * @throws FileFormatError when the bytes are not valid in the encoding or the CSV is malformed
 *   (e.g. an unclosed quote)
 */
export async function* readCsvRows(input: Readable, options: ReadOptions = {}): AsyncIterable<ImportRow> {
  const text = decodeText(input, options.encoding);
  let parser: Parser | undefined;
  let source: Readable | undefined;
  let stopWatching: (() => void) | undefined;
  let row = 0;
  try {
    const head = await readFirstRecord(text);
    parser = parse({
      delimiter: options.delimiter ?? head.delimiter,
      bom: true,
      relax_column_count: true,
      // Blank lines are kept so row numbers match what a spreadsheet shows; validation skips them.
      skip_empty_lines: false,
      // An unclosed quote would otherwise swallow the rest of the file into one cell in memory.
      max_record_size: MAX_RECORD_CHARS,
    });
    const target = parser;
    source = Readable.from(prepend(head.text, text));
    source.on('error', (error) => target.destroy(error));
    source.pipe(parser);
    // Records are taken with `read()` and yielded from here: `for await` over the parser would put
    // one more async generator, so one more promise, between the parser and the caller per record.
    let wake = (): void => {};
    /** Undefined while parsing, null once every record was read, or the error that stopped it. */
    let outcome: Error | null | undefined;
    parser.on('readable', () => wake());
    stopWatching = finished(parser, { writable: false }, (error) => {
      outcome = error ?? null;
      wake();
    });
    for (;;) {
      const record = parser.destroyed ? null : (parser.read() as string[] | null);
      if (record !== null) {
        row += 1;
        yield { row, cells: record };
      } else if (outcome !== undefined) {
        if (outcome) throw outcome;
        break;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
  } catch (error) {
    if (isCsvParseError(error)) {
      throw new FileFormatError(`invalid CSV after row ${row}: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  } finally {
    stopWatching?.();
    // Stop reading the source when the consumer leaves early.
    if (source && parser) source.unpipe(parser);
    source?.destroy();
    parser?.destroy();
    if (!input.destroyed && !input.readableEnded) input.destroy();
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

/** Reads text until the first record is complete (or the record cap), to detect the delimiter. */
async function readFirstRecord(text: AsyncIterator<string>): Promise<{ text: string; delimiter: CsvDelimiter }> {
  const scan = new FirstRecordScan();
  const chunks: string[] = [];
  let length = 0;
  while (!scan.complete && length <= MAX_RECORD_CHARS) {
    const next = await text.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.length;
    scan.feed(next.value);
  }
  return { text: chunks.join(''), delimiter: scan.delimiter() };
}

async function* prepend(head: string, rest: AsyncGenerator<string>): AsyncGenerator<string> {
  if (head) yield head;
  yield* rest;
}

function isCsvParseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('CSV_');
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
