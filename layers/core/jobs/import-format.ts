import type { Readable } from 'node:stream';
import { FileFormatError, ValidationError } from '../errors';
import { readRows } from '../formats/read-rows';
import type { ReadOptions, TabularFormat } from '../formats/types';
import type { ImportRow } from '../resources/validate-rows';
import type { DataJob, JobInputParams } from './data-job';
import type { JobDeps } from './deps';

const FORMATS_BY_EXTENSION: Readonly<Record<string, TabularFormat>> = {
  '.csv': 'csv',
  '.txt': 'csv',
  '.tsv': 'csv',
  '.xlsx': 'xlsx',
};

/** Content types of stored import inputs. */
export const IMPORT_CONTENT_TYPES: Readonly<Record<TabularFormat, string>> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * The format of an import file, from its name.
 * @throws ValidationError for other extensions (with a hint for legacy `.xls`)
 */
export function importFormatOf(filename: string): TabularFormat {
  const dot = filename.lastIndexOf('.');
  const extension = dot === -1 ? '' : filename.slice(dot).toLowerCase();
  const format = FORMATS_BY_EXTENSION[extension];
  if (format) return format;
  if (extension === '.xls') throw new ValidationError("legacy Excel '.xls' files are not supported: save the workbook as .xlsx", { path: 'file' });
  throw new ValidationError(`unsupported file type '${extension || filename}': expected .csv or .xlsx`, { path: 'file' });
}

/** The format a job's input was stored in. */
export function jobInputFormat(job: DataJob): TabularFormat {
  return importFormatOf(job.input_file?.filename ?? '');
}

/** Reader options from a job's parameters. */
export function readOptionsOf(params: JobInputParams): ReadOptions {
  return {
    ...(params.encoding ? { encoding: params.encoding } : {}),
    ...(params.delimiter ? { delimiter: params.delimiter } : {}),
    ...(params.sheet ? { sheet: params.sheet } : {}),
  };
}

/**
 * The rows of the job's input file (header first), in its format, with its read options and within
 * the import limits of the settings.
 * @throws FileLimitError (e.g. `too_many_rows`) when the file is over a limit
 */
export async function* readInput(deps: Pick<JobDeps, 'files' | 'settings'>, job: DataJob): AsyncIterable<ImportRow> {
  if (!job.input_file) throw new FileFormatError(`job ${job.job_id} has no input file`);
  const stream: Readable = await deps.files.get(job.input_file.key);
  // The upload limit was checked when the job was created; the object may have been replaced since.
  const limits = { ...deps.settings.importLimits, maxFileBytes: deps.settings.maxUploadBytes };
  try {
    yield* readRows(jobInputFormat(job), stream, { ...readOptionsOf(job.input_params), limits });
  } finally {
    stream.destroy();
  }
}

