import { createTableWriter } from '../formats/table-writer';
import type { ExportColumn } from '../formats/types';
import type { DataJob, JobFile, RowError } from './data-job';
import type { JobDeps } from './deps';
import { fileKeys } from './file-keys';
import { readChunkRows } from './chunk-rows';
import { IMPORT_CONTENT_TYPES, jobInputFormat } from './import-format';
import type { ImportManifest } from './import-workflow';
import { readJson } from './json-files';

/** The name of the column the error report adds. */
export const ERRORS_COLUMN = 'errors';

/**
 * Writes the failed rows of an import as the user sent them, in the input's format, with an
 * `errors` column describing every problem of the row — fix the values, delete the column or not,
 * and import the file again.
 *
 * 1. For each chunk with failed rows, in file order: load its failed rows and duplicate errors
 *    (`failuresOf`) and its validation errors. Memory holds one chunk's errors at a time,
 *    whatever the file's size.
 * 2. Stream the chunk's rows (as the prepare step normalized them); keep only the failed rows.
 * 3. Stream the report next to the input.
 */
export async function writeErrorReport(
  deps: Pick<JobDeps, 'files'>,
  job: DataJob,
  manifest: ImportManifest,
  options: {
    /** The chunks with failed rows, in file order. */
    chunks: readonly number[];
    /** A chunk's failed rows and the duplicate errors the Decide step gave its rows. */
    failuresOf: (chunk: number) => Promise<{ failedRows: ReadonlySet<number>; duplicateErrors: readonly RowError[] }>;
    columnIndex: (error: RowError) => number;
  },
): Promise<JobFile & { rows: number }> {
  const format = jobInputFormat(job);
  const columns: ExportColumn[] = [...manifest.header, ERRORS_COLUMN].map((name) => ({ name, type: 'string' }));
  const writer = createTableWriter(format, columns, { sheetName: 'Errors', neutralize: false });
  const filename = reportFilename(job.input_file?.filename ?? 'import', writer.extension);
  const key = fileKeys.errorReport(job.organization, job.job_id, filename);
  const upload = deps.files.put(key, writer.output, { contentType: writer.contentType });
  let rows = 0;
  try {
    for (const chunk of options.chunks) {
      const [failures, errors] = await Promise.all([
        options.failuresOf(chunk),
        readJson<RowError[]>(deps.files, fileKeys.chunkErrors(job.organization, job.job_id, chunk)),
      ]);
      const chunkErrors = groupByRow(errors);
      const duplicates = groupByRow(failures.duplicateErrors);
      for await (const row of readChunkRows(deps.files, job, chunk)) {
        if (!failures.failedRows.has(row.row)) continue;
        const errors = [...(chunkErrors.get(row.row) ?? []), ...(duplicates.get(row.row) ?? [])].sort((a, b) => options.columnIndex(a) - options.columnIndex(b));
        const cells = manifest.header.map((_, i) => row.cells[i] ?? '');
        await writer.writeRow([...cells, describeErrors(errors)]);
        rows += 1;
      }
    }
    await writer.end();
  } catch (error) {
    writer.output.destroy(error as Error);
    await upload.catch(() => undefined);
    throw error;
  }
  const stored = await upload;
  return { key, filename, size: stored.size, content_type: format === 'csv' ? IMPORT_CONTENT_TYPES.csv : IMPORT_CONTENT_TYPES.xlsx, rows };
}

/** One cell describing a row's problems: `column: message; column: message`. */
export function describeErrors(errors: readonly RowError[]): string {
  return errors.map((e) => `${e.column ?? e.field ?? 'row'}: ${e.message}`).join('; ');
}

function groupByRow(errors: readonly RowError[]): Map<number, RowError[]> {
  const byRow = new Map<number, RowError[]>();
  for (const error of errors) {
    const row = byRow.get(error.row);
    if (row) row.push(error);
    else byRow.set(error.row, [error]);
  }
  return byRow;
}

function reportFilename(inputName: string, extension: string): string {
  const base = inputName.replace(/\.[^.]*$/, '') || 'import';
  return `${base}-errors.${extension}`;
}
