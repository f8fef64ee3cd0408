import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import type { Readable, Transform } from 'node:stream';
import { FileFormatError } from '../errors';
import type { ImportRow } from '../resources/validate-rows';

/** Longest record accepted, in characters. */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

/**
 * Reads a CSV stream record by record. The first row yielded is the header (row 1); row numbers
 * count records, not lines, so a quoted cell spanning lines does not shift later rows. Only one
 * parser buffer is held at a time, whatever the file size.
 * @throws FileFormatError when the CSV is malformed (e.g. an unclosed quote)
 */
export async function* readCsvRows(input: Readable): AsyncIterable<ImportRow> {
  const parser = parse({
    bom: true,
    relax_column_count: true,
    // Blank lines are kept so row numbers match what a spreadsheet shows; validation skips them.
    skip_empty_lines: false,
    // An unclosed quote would otherwise swallow the rest of the file into one cell in memory.
    max_record_size: MAX_RECORD_CHARS,
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row += 1;
      yield { row, cells: record };
    }
  } catch (error) {
    if (isCsvParseError(error)) {
      throw new FileFormatError(`invalid CSV after row ${row}: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  } finally {
    // Stop reading the source when the consumer leaves early.
    input.unpipe(parser);
    if (!input.destroyed && !input.readableEnded) input.destroy();
  }
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
 * quoting cells only where needed.
 */
export function createCsvWriter(options: CsvWriterOptions = {}): Transform {
  return stringify({ bom: options.bom ?? false, record_delimiter: '\n' });
}
