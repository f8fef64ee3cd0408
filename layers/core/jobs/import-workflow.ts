import type { Readable } from 'node:stream';
import { FileFormatError } from '../errors';
import { readCsvRows } from '../formats/csv';
import type { ModelDefinition } from '../model/types';
import { getResourceForModel } from '../resources/registry';
import type { HeaderMapping } from '../resources/types';
import { findDuplicateClaims, validateRows, type ImportRow, type UniqueClaim, type ValidatedRow } from '../resources/validate-rows';
import type { WorkflowInput } from '../ports';
import type { DataJob, JobWarning, ResultLog, RowError } from './data-job';
import type { JobDeps } from './deps';
import { fileKeys } from './file-keys';
import { readJson, writeJson } from './json-files';

/** The most row errors kept inline on the job item; the rest are only counted. */
export const INLINE_ROW_ERRORS_CAP = 1000;

/** How an import file is split, written once by `prepareImport`. */
export interface ImportManifest {
  readonly header: string[];
  readonly mapping: HeaderMapping;
  /** Data records in the file (blank lines included; they are skipped at validation). */
  readonly rowsTotal: number;
  /** Inclusive spreadsheet row ranges (the header is row 1). */
  readonly chunks: Array<{ readonly index: number; readonly firstRow: number; readonly lastRow: number }>;
}

/** What validating one chunk found, small enough for `decideImport` to read every chunk's. */
export interface ChunkSummary {
  /** Non-blank data rows. */
  readonly rows: number;
  readonly newRows: number[];
  readonly updatedRows: number[];
  readonly errorRows: number[];
  readonly errorCount: number;
  /** The chunk's first errors (at most the inline cap). */
  readonly errors: RowError[];
  readonly claims: UniqueClaim[];
}

/** The decision taken once every chunk is validated. */
export interface ImportDecision {
  readonly commit: boolean;
  /** In-file duplicates found across chunks. */
  readonly duplicateErrors: RowError[];
  /** Rows that passed their chunk's validation but lost a duplicate check: never written. */
  readonly rejectedRows: number[];
}

/** A chunk task's input. */
export interface ChunkInput extends WorkflowInput {
  readonly chunk: number;
}

type WorkflowDeps = Pick<JobDeps, 'jobs' | 'files' | 'records' | 'models' | 'settings' | 'now' | 'newId'>;

/**
 * First import task: reads the header and splits the file into chunks.
 *
 * 1. Move the job (QUEUED, or still PENDING) → RUNNING.
 * 2. Read the header and map it to fields (a file-level problem fails the job).
 * 3. Count the records and cut them into row ranges of `importChunkRows`.
 * 4. Write the manifest and set the progress totals.
 */
export async function prepareImport(deps: WorkflowDeps, input: WorkflowInput): Promise<WorkflowInput & { chunks: number[] }> {
  // PENDING too: the execution may start before the API has recorded QUEUED.
  const job = await deps.jobs.transition(input.org, input.job_id, ['PENDING', 'QUEUED'], 'RUNNING', { started_at: deps.now().toISOString() });
  const model = deps.models.require(job.model);
  let header: string[] | undefined;
  let rowsTotal = 0;
  for await (const row of readCsvRows(await openInput(deps, job))) {
    if (!header) header = row.cells;
    else rowsTotal++;
  }
  if (!header || header.every((cell) => cell.trim() === '')) throw new FileFormatError('the file is empty: no header row');
  const mapping = getResourceForModel(model).mapHeader(header);
  if (mapping.columns.every((column) => column.field === null)) {
    throw new FileFormatError(`no column of the header matches a field of ${model.plural}: ${header.join(', ')}`);
  }
  const size = deps.settings.importChunkRows;
  const chunks = Array.from({ length: Math.ceil(rowsTotal / size) }, (_, index) => ({
    index,
    firstRow: 2 + index * size,
    lastRow: Math.min(1 + (index + 1) * size, 1 + rowsTotal),
  }));
  const manifest: ImportManifest = { header, mapping, rowsTotal, chunks };
  await writeJson(deps.files, fileKeys.manifest(job.organization, job.job_id), manifest);
  await deps.jobs.update(job.organization, job.job_id, { progress: { rows_processed: 0, rows_total: rowsTotal, chunks_done: 0, chunks_total: chunks.length } }, ['RUNNING']);
  return { org: job.organization, job_id: job.job_id, chunks: chunks.map((c) => c.index) };
}

/**
 * Validates one chunk without writing records.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING (a cancelled job stops here).
 * 2. Read the chunk's rows and validate them in batches (one set of lookups per batch).
 * 3. Write the valid records (for the commit) and a summary (for the decision).
 * 4. Add the chunk to the progress.
 */
export async function validateImportChunk(deps: WorkflowDeps, input: ChunkInput): Promise<void> {
  const job = await runningJob(deps, input);
  if (!job) return;
  const model = deps.models.require(job.model);
  const manifest = await readJson<ImportManifest>(deps.files, fileKeys.manifest(job.organization, job.job_id));
  const range = manifest.chunks[input.chunk];
  if (!range) throw new Error(`chunk ${input.chunk} is not in the manifest of job ${job.job_id}`);
  const context = {
    org: job.organization,
    model,
    resource: getResourceForModel(model),
    mapping: manifest.mapping,
    store: deps.records,
    registry: deps.models,
    user: job.user,
    jobId: job.job_id,
    now: deps.now().toISOString(),
    newId: deps.newId,
  };
  const valid: ValidatedRow[] = [];
  const summary = { rows: 0, newRows: [] as number[], updatedRows: [] as number[], errorRows: [] as number[], errorCount: 0, errors: [] as RowError[], claims: [] as UniqueClaim[] };
  const flush = async (batch: ImportRow[]) => {
    const result = await validateRows(context, batch);
    summary.rows += batch.filter((row) => row.cells.some((cell) => cell.trim() !== '')).length;
    for (const row of result.valid) {
      valid.push(row);
      (row.action === 'new' ? summary.newRows : summary.updatedRows).push(row.row);
    }
    summary.errorRows.push(...new Set(result.errors.map((e) => e.row)));
    summary.errorCount += result.errors.length;
    summary.errors.push(...result.errors.slice(0, INLINE_ROW_ERRORS_CAP - summary.errors.length));
    summary.claims.push(...result.claims);
  };
  let batch: ImportRow[] = [];
  for await (const row of chunkRows(await openInput(deps, job), range.firstRow, range.lastRow)) {
    batch.push(row);
    if (batch.length >= deps.settings.validateBatchRows) {
      await flush(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await flush(batch);
  await writeJson(deps.files, fileKeys.chunkResult(job.organization, job.job_id, input.chunk), valid);
  await writeJson(deps.files, fileKeys.chunkSummary(job.organization, job.job_id, input.chunk), summary satisfies ChunkSummary);
  await deps.jobs.addProgress(job.organization, job.job_id, { rows_processed: range.lastRow - range.firstRow + 1, chunks_done: 1 });
}

/**
 * Decides, once every chunk is validated, whether anything is written.
 *
 * 1. Find values of unique fields (and ids) used by more than one row of the file, across chunks:
 *    the first row keeps its value, every later row gets an error.
 * 2. Commit only when it is no dry run, there are valid rows, and either no row failed or
 *    `skip_errors` is set.
 */
export async function decideImport(deps: WorkflowDeps, input: WorkflowInput & { chunks: number[] }): Promise<WorkflowInput & { chunks: number[]; commit: boolean }> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return { ...input, commit: false };
  const manifest = await readJson<ImportManifest>(deps.files, fileKeys.manifest(job.organization, job.job_id));
  const summaries = await readSummaries(deps, job, input.chunks);
  const duplicateErrors = findDuplicateClaims(
    summaries.flatMap((s) => s.claims),
    (field) => columnOf(manifest.mapping, field),
  );
  const failedRows = new Set(summaries.flatMap((s) => s.errorRows));
  const rejectedRows = [...new Set(duplicateErrors.map((e) => e.row))].filter((row) => !failedRows.has(row));
  const errorRows = failedRows.size + rejectedRows.length;
  const validRows = summaries.reduce((n, s) => n + s.newRows.length + s.updatedRows.length, 0) - rejectedRows.length;
  const { dry_run: dryRun = false, skip_errors: skipErrors = false } = job.input_params;
  const commit = !dryRun && validRows > 0 && (errorRows === 0 || skipErrors);
  const decision: ImportDecision = { commit, duplicateErrors, rejectedRows };
  await writeJson(deps.files, fileKeys.decision(job.organization, job.job_id), decision);
  return { ...input, commit };
}

/**
 * Writes one chunk's valid rows. Idempotent: the ids were fixed at validation, so a retried
 * chunk writes the same items again.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING.
 * 2. Drop the rows the decision rejected, then write the rest in batches.
 */
export async function commitImportChunk(deps: WorkflowDeps, input: ChunkInput): Promise<void> {
  const job = await runningJob(deps, input);
  if (!job) return;
  const model = deps.models.require(job.model);
  const decision = await readJson<ImportDecision>(deps.files, fileKeys.decision(job.organization, job.job_id));
  if (!decision.commit) return;
  const rejected = new Set(decision.rejectedRows);
  const rows = (await readJson<ValidatedRow[]>(deps.files, fileKeys.chunkResult(job.organization, job.job_id, input.chunk))).filter((row) => !rejected.has(row.row));
  await writeInBatches(deps, job, model, rows);
}

/**
 * Last import task: totals, inline errors, warnings and the final status.
 *
 * 1. Add up the chunk summaries and the decision.
 * 2. Keep the first errors inline (capped) and count the rest.
 * 3. FAILED when rows failed without `skip_errors` (nothing was written), else COMPLETED.
 * 4. Remove the intermediate files.
 */
export async function finalizeImport(deps: WorkflowDeps, input: WorkflowInput & { chunks?: number[] }): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const manifest = await readJson<ImportManifest>(deps.files, fileKeys.manifest(job.organization, job.job_id));
  const chunks = input.chunks ?? manifest.chunks.map((c) => c.index);
  const summaries = await readSummaries(deps, job, chunks);
  const decision = chunks.length > 0
    ? await readJson<ImportDecision>(deps.files, fileKeys.decision(job.organization, job.job_id))
    : { commit: false, duplicateErrors: [], rejectedRows: [] };
  const rejected = new Set(decision.rejectedRows);
  const count = (rows: number[]) => rows.filter((row) => !rejected.has(row)).length;
  const errorRows = new Set([...summaries.flatMap((s) => s.errorRows), ...decision.rejectedRows]).size;
  const errorCount = summaries.reduce((n, s) => n + s.errorCount, 0) + decision.duplicateErrors.length;
  const rowErrors = [...summaries.flatMap((s) => s.errors), ...decision.duplicateErrors]
    .sort((a, b) => a.row - b.row || columnIndex(manifest, a) - columnIndex(manifest, b))
    .slice(0, INLINE_ROW_ERRORS_CAP);
  const { dry_run: dryRun = false, skip_errors: skipErrors = false } = job.input_params;
  const failed = errorRows > 0 && !skipErrors && !dryRun;
  const resultLog: ResultLog = {
    totals: {
      rows: summaries.reduce((n, s) => n + s.rows, 0),
      new: summaries.reduce((n, s) => n + count(s.newRows), 0),
      updated: summaries.reduce((n, s) => n + count(s.updatedRows), 0),
      skipped: 0,
      errors: errorRows,
    },
    row_errors: rowErrors,
    ...(errorCount > rowErrors.length ? { row_errors_truncated: errorCount - rowErrors.length } : {}),
    summary: { warnings: warningsOf(manifest), dry_run: dryRun, skip_errors: skipErrors, committed: decision.commit },
    ...(failed ? { error: { code: 'row_errors', message: `${errorRows} row(s) have errors; nothing was written (use skip_errors to import the valid rows)` } } : {}),
  };
  await deps.jobs.transition(job.organization, job.job_id, ['RUNNING'], failed ? 'FAILED' : 'COMPLETED', {
    result_log: resultLog,
    finished_at: deps.now().toISOString(),
  });
  await deps.files.deletePrefix(`${fileKeys.work(job.organization, job.job_id)}chunks/`);
}

/** The warnings of a manifest: columns that map to no field. */
function warningsOf(manifest: ImportManifest): JobWarning[] {
  if (manifest.mapping.unmapped.length === 0) return [];
  return [
    {
      code: 'unmapped_columns',
      columns: manifest.mapping.unmapped,
      message: `ignored column(s) that match no importable field: ${manifest.mapping.unmapped.join(', ')}`,
    },
  ];
}

async function runningJob(deps: Pick<JobDeps, 'jobs'>, input: WorkflowInput): Promise<DataJob | undefined> {
  const job = await deps.jobs.get(input.org, input.job_id);
  return job?.status === 'RUNNING' ? job : undefined;
}

async function openInput(deps: Pick<JobDeps, 'files'>, job: DataJob): Promise<Readable> {
  if (!job.input_file) throw new FileFormatError(`job ${job.job_id} has no input file`);
  return deps.files.get(job.input_file.key);
}

async function* chunkRows(input: Readable, firstRow: number, lastRow: number): AsyncIterable<ImportRow> {
  try {
    for await (const row of readCsvRows(input)) {
      if (row.row < firstRow) continue;
      if (row.row > lastRow) break;
      yield row;
    }
  } finally {
    input.destroy();
  }
}

async function readSummaries(deps: Pick<JobDeps, 'files'>, job: DataJob, chunks: readonly number[]): Promise<ChunkSummary[]> {
  return Promise.all(chunks.map((chunk) => readJson<ChunkSummary>(deps.files, fileKeys.chunkSummary(job.organization, job.job_id, chunk))));
}

async function writeInBatches(deps: Pick<JobDeps, 'records'>, job: DataJob, model: ModelDefinition, rows: ValidatedRow[]): Promise<void> {
  const size = 100;
  for (let i = 0; i < rows.length; i += size) {
    const batch = rows.slice(i, i + size);
    await deps.records.write(job.organization, model, batch.map((row) => ({ record: row.record, previous: row.previous })));
  }
}

function columnOf(mapping: HeaderMapping, field: string): string | null {
  return mapping.columns.find((column) => column.field === field)?.column ?? null;
}

function columnIndex(manifest: ImportManifest, error: RowError): number {
  const index = manifest.mapping.columns.findIndex((column) => column.column === error.column);
  return index === -1 ? Number.MAX_SAFE_INTEGER : index;
}
