import { FileFormatError } from '../errors';
import type { ModelDefinition, StoredRecord } from '../model/types';
import { getResourceForModel } from '../resources/registry';
import type { HeaderMapping, Resource } from '../resources/types';
import { validateRows, type ImportRow, type RelatedRecord } from '../resources/validate-rows';
import type { WorkflowInput } from '../ports';
import type { DataJob, JobTotals, JobWarning, ResultLog, RowError } from './data-job';
import type { JobDeps } from './deps';
import { writeErrorReport } from './error-report';
import { fileKeys } from './file-keys';
import { ChunkRowsWriter, readChunkRows } from './chunk-rows';
import { jobInputFormat, readInput } from './import-format';
import { findDuplicatesAcrossChunks, loadInOrder, type StoredClaim } from './import-workflow-duplicates';
import { JsonLinesWriter, readJsonLines } from './json-lines';
import { readJson, writeJson } from './json-files';
import { FirstItems } from './sorted-streams';

/** The most row errors kept inline on the job item; the rest are only counted. */
export const INLINE_ROW_ERRORS_CAP = 1000;

/** Rows a commit writes between two checks that the job is still running. */
const COMMIT_BATCH_ROWS = 250;

/** A chunk of an import: an inclusive range of spreadsheet rows (the header is row 1). */
export interface ImportChunk {
  readonly index: number;
  readonly firstRow: number;
  readonly lastRow: number;
  /** Data records in the range (blank ones included; validation skips them). */
  readonly rows: number;
}

/** How an import file is split, written once by `prepareImport`. */
export interface ImportManifest {
  readonly header: string[];
  readonly mapping: HeaderMapping;
  /** Data records in the file. */
  readonly rowsTotal: number;
  readonly chunks: ImportChunk[];
}

/**
 * What validating one chunk found. Its size follows the chunk's, not the file's: the Decide and
 * Finalize steps read one chunk's summary at a time. The chunk's unique-value claims are in a
 * file of their own (`fileKeys.chunkClaims`, `StoredClaim`s in row order).
 */
export interface ChunkSummary {
  /** Non-blank data rows. */
  readonly rows: number;
  readonly newRows: number[];
  readonly updatedRows: number[];
  readonly skippedRows: number[];
  readonly errorRows: number[];
  readonly errorCount: number;
  /** The chunk's first errors (at most the inline cap); every error is in the chunk's errors file. */
  readonly errors: RowError[];
}

/**
 * One row a chunk's commit writes, a line of the chunk's writes file (`fileKeys.chunkWrites`).
 * Related records to create first are in a file of their own (`fileKeys.chunkRelated`).
 */
export interface ChunkWrite {
  readonly row: number;
  readonly record: StoredRecord;
  /** The stored record an update replaces (its unique values may need releasing). */
  readonly previous?: StoredRecord;
}

/**
 * The decision taken once every chunk is validated. The duplicate errors themselves are in one
 * file per chunk that has any (`fileKeys.chunkDuplicates`): a row that passed its chunk's
 * validation but has a duplicate error is rejected, never written.
 */
export interface ImportDecision {
  readonly commit: boolean;
  /** Chunks with in-file duplicate errors. */
  readonly duplicateChunks: number[];
  /** In-file duplicate errors found across all chunks. */
  readonly duplicates: number;
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
 * 2. Read the header and map it to fields (a file-level problem fails the job before any write).
 * 3. Read the file once, whatever its format and encoding, and write its data rows as one small
 *    JSON-lines file per chunk of `importChunkRows` rows: every later step reads only its own
 *    chunk, so no step parses the file from the top again.
 * 4. Run the resource's `beforeImport` hook, write the manifest, set the progress totals.
 */
export async function prepareImport(deps: WorkflowDeps, input: WorkflowInput): Promise<WorkflowInput & { chunks: number[] }> {
  // PENDING too: the execution may start before the API has recorded QUEUED.
  const job = await deps.jobs.transition(input.org, input.job_id, ['PENDING', 'QUEUED'], 'RUNNING', { started_at: deps.now().toISOString() });
  const model = deps.models.require(job.model);
  const resource = getResourceForModel(model);
  const size = deps.settings.importChunkRows;
  let header: string[] | undefined;
  let mapping: HeaderMapping | undefined;
  const chunks: Array<{ index: number; firstRow: number; lastRow: number; rows: number }> = [];
  const rowsFile = new ChunkRowsWriter(deps.files, job);
  try {
    for await (const row of readInput(deps, job)) {
      if (!header) {
        header = row.cells;
        mapping = mapHeader(resource, model, header);
        continue;
      }
      let current = chunks.at(-1);
      if (!current || current.rows === size) {
        current = { index: chunks.length, firstRow: row.row, lastRow: row.row, rows: 0 };
        chunks.push(current);
        await rowsFile.startChunk(current.index);
      }
      current.lastRow = row.row;
      current.rows += 1;
      await rowsFile.write(row);
    }
    await rowsFile.close();
  } catch (error) {
    await rowsFile.abort(error);
    throw error;
  }
  if (!header || !mapping) throw new FileFormatError('the file is empty: it has no header row');
  await resource.hooks.beforeImport?.(hookContext(deps, job));
  const rowsTotal = chunks.reduce((n, c) => n + c.rows, 0);
  const manifest: ImportManifest = { header, mapping, rowsTotal, chunks };
  await writeJson(deps.files, fileKeys.manifest(job.organization, job.job_id), manifest);
  await deps.jobs.update(job.organization, job.job_id, { progress: { rows_processed: 0, rows_total: rowsTotal, chunks_done: 0, chunks_total: chunks.length } }, ['RUNNING']);
  return { org: job.organization, job_id: job.job_id, chunks: chunks.map((c) => c.index) };
}

/** Maps the header, failing the job on a header no row could be imported with. */
function mapHeader(resource: Resource, model: ModelDefinition, header: string[]): HeaderMapping {
  if (header.every((cell) => cell.trim() === '')) throw new FileFormatError('the file has no header row: its first row is empty');
  const mapping = resource.mapHeader(header);
  if (mapping.columns.every((column) => column.field === null)) {
    throw new FileFormatError(`no column of the header matches a field of ${model.plural}: ${header.filter(Boolean).join(', ')}`);
  }
  return mapping;
}

/**
 * Validates one chunk without writing records.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING (a cancelled job stops here).
 * 2. Read the chunk's rows and validate them in batches (one set of lookups per batch).
 * 3. Write the records to commit, every error of the chunk (for the error report) and a summary
 *    (for the decision).
 * 4. Add the chunk to the progress.
 */
export async function validateImportChunk(deps: WorkflowDeps, input: ChunkInput): Promise<void> {
  const job = await runningJob(deps, input);
  if (!job) return;
  const model = deps.models.require(job.model);
  const resource = getResourceForModel(model);
  const manifest = await readJson<ImportManifest>(deps.files, fileKeys.manifest(job.organization, job.job_id));
  const range = manifest.chunks[input.chunk];
  if (!range) throw new Error(`chunk ${input.chunk} is not in the manifest of job ${job.job_id}`);
  const context = {
    org: job.organization,
    model,
    resource,
    mapping: manifest.mapping,
    store: deps.records,
    registry: deps.models,
    user: job.user,
    jobId: job.job_id,
    now: deps.now().toISOString(),
    newId: deps.newId,
    skipUnchanged: skipUnchangedOf(job, resource),
    sourceFormat: jobInputFormat(job),
    dryRun: job.input_params.dry_run ?? false,
  };
  // New and changed rows stream out as they are validated: memory holds one batch of them.
  const writes = new JsonLinesWriter(deps.files, fileKeys.chunkWrites(job.organization, job.job_id, input.chunk));
  const related: RelatedRecord[] = [];
  const relatedSeen = new Set<string>();
  const errors: RowError[] = [];
  const summary = { rows: 0, newRows: [] as number[], updatedRows: [] as number[], skippedRows: [] as number[], errorRows: [] as number[], errorCount: 0, errors: [] as RowError[] };
  const claims: StoredClaim[] = [];
  const flush = async (batch: ImportRow[]) => {
    const validated = await validateRows(context, batch);
    summary.rows += batch.filter((row) => row.cells.some((cell) => cell.trim() !== '')).length;
    for (const row of validated.valid) {
      if (row.action !== 'skip') await writes.write({ row: row.row, record: row.record, ...(row.previous ? { previous: row.previous } : {}) } satisfies ChunkWrite);
      const rows = row.action === 'new' ? summary.newRows : row.action === 'update' ? summary.updatedRows : summary.skippedRows;
      rows.push(row.row);
    }
    for (const created of validated.related) {
      const key = `${created.model}/${created.record.id}`;
      if (relatedSeen.has(key)) continue;
      relatedSeen.add(key);
      related.push(created);
    }
    errors.push(...validated.errors);
    summary.errorRows.push(...new Set(validated.errors.map((e) => e.row)));
    summary.errorCount += validated.errors.length;
    summary.errors.push(...validated.errors.slice(0, INLINE_ROW_ERRORS_CAP - summary.errors.length));
    for (const claim of validated.claims) claims.push([claim.field, claim.value, claim.row]);
  };
  try {
    let batch: ImportRow[] = [];
    for await (const row of readChunkRows(deps.files, job, range.index)) {
      batch.push(row);
      if (batch.length >= deps.settings.validateBatchRows) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await flush(batch);
    await writes.close();
  } catch (error) {
    await writes.abort(error);
    throw error;
  }
  await writeJson(deps.files, fileKeys.chunkRelated(job.organization, job.job_id, input.chunk), related);
  await writeJson(deps.files, fileKeys.chunkErrors(job.organization, job.job_id, input.chunk), errors);
  // Row order is what the Decide step's single pass relies on (stable: a row's claims keep theirs).
  claims.sort((a, b) => a[2] - b[2]);
  await writeJson(deps.files, fileKeys.chunkClaims(job.organization, job.job_id, input.chunk), claims);
  await writeJson(deps.files, fileKeys.chunkSummary(job.organization, job.job_id, input.chunk), summary satisfies ChunkSummary);
  await deps.jobs.addProgress(job.organization, job.job_id, { rows_processed: range.rows, chunks_done: 1 });
}

/**
 * Decides, once every chunk is validated, whether anything is written. Memory stays bounded at
 * any file size: claims are checked by hash in a compact table, and chunk files are read one
 * chunk at a time (a few ahead).
 *
 * 1. Find values of unique fields (and import ids) used by more than one row of the file, across
 *    chunks (`findDuplicatesAcrossChunks`): the first row keeps its value, every later row gets an
 *    error, written to its chunk's duplicates file.
 * 2. Count, chunk by chunk, the rows that failed and the new or changed rows that are left.
 * 3. Commit only when it is no dry run, some row is new or changed, and either no row failed or
 *    `skip_errors` is set.
 */
export async function decideImport(deps: WorkflowDeps, input: WorkflowInput & { chunks: number[] }): Promise<WorkflowInput & { chunks: number[]; commit: boolean }> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return { ...input, commit: false };
  const manifest = await readJson<ImportManifest>(deps.files, fileKeys.manifest(job.organization, job.job_id));
  const chunks = inFileOrder(input.chunks);
  const duplicateChunks: number[] = [];
  const scan = await findDuplicatesAcrossChunks(
    {
      chunks,
      claimsOf: (chunk) => readJson<StoredClaim[]>(deps.files, fileKeys.chunkClaims(job.organization, job.job_id, chunk)),
      chunkOfRow: (row) => chunkOfRow(manifest, row),
    },
    (field) => columnOf(manifest.mapping, field),
    async (chunk, errors) => {
      await writeJson(deps.files, fileKeys.chunkDuplicates(job.organization, job.job_id, chunk), errors);
      duplicateChunks.push(chunk);
    },
  );
  const withDuplicates = new Set(duplicateChunks);
  let errorRows = 0;
  let changedRows = 0;
  for await (const [, outcome] of loadInOrder(chunks, (chunk) => readChunkOutcome(deps, job, chunk, withDuplicates.has(chunk)))) {
    errorRows += outcome.failedRows.size;
    changedRows += countKept(outcome.summary.newRows, outcome.rejected) + countKept(outcome.summary.updatedRows, outcome.rejected);
  }
  const { dry_run: dryRun = false, skip_errors: skipErrors = false } = job.input_params;
  const commit = !dryRun && changedRows > 0 && (errorRows === 0 || skipErrors);
  const decision: ImportDecision = { commit, duplicateChunks, duplicates: scan.duplicates };
  await writeJson(deps.files, fileKeys.decision(job.organization, job.job_id), decision);
  return { ...input, commit };
}

/**
 * Writes one chunk. Idempotent: ids (of rows and of related records created by a lookup's
 * `create` policy) were fixed at validation, so a retried chunk writes the same items again.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING.
 * 2. Write the related records the chunk creates, then its new and changed rows, minus the rows
 *    the decision rejected as duplicates. Skipped (unchanged) rows are not written.
 */
export async function commitImportChunk(deps: WorkflowDeps, input: ChunkInput): Promise<void> {
  const job = await runningJob(deps, input);
  if (!job) return;
  const model = deps.models.require(job.model);
  const decision = await readJson<ImportDecision>(deps.files, fileKeys.decision(job.organization, job.job_id));
  if (!decision.commit) return;
  const rejected = decision.duplicateChunks.includes(input.chunk)
    ? new Set((await readJson<RowError[]>(deps.files, fileKeys.chunkDuplicates(job.organization, job.job_id, input.chunk))).map((e) => e.row))
    : new Set<number>();
  const related = await readJson<RelatedRecord[]>(deps.files, fileKeys.chunkRelated(job.organization, job.job_id, input.chunk));
  const byModel = new Map<string, StoredRecord[]>();
  for (const { model: plural, record } of related) byModel.set(plural, [...(byModel.get(plural) ?? []), record]);
  for (const [plural, records] of byModel) {
    await writeInBatches(deps, job, deps.models.require(plural), records.map((record) => ({ record })));
  }
  // The rows come off the writes file one batch at a time: memory holds its bytes and one batch.
  let batch: Array<{ record: StoredRecord; previous?: StoredRecord }> = [];
  let batches = 0;
  const writeBatch = async (): Promise<boolean> => {
    // A cancel takes effect between batches: nothing more is written once it has answered.
    if (batches > 0 && !(await runningJob(deps, input))) return false;
    await writeInBatches(deps, job, model, batch);
    batches += 1;
    batch = [];
    return true;
  };
  for await (const write of readJsonLines<ChunkWrite>(deps.files, fileKeys.chunkWrites(job.organization, job.job_id, input.chunk))) {
    if (rejected.has(write.row)) continue;
    batch.push({ record: write.record, previous: write.previous });
    if (batch.length === COMMIT_BATCH_ROWS && !(await writeBatch())) return;
  }
  if (batch.length > 0) await writeBatch();
}

/**
 * Last import task: totals, inline errors, the error report and the final status. Like Decide,
 * it holds one chunk's outcome at a time (a few ahead), whatever the file's size.
 *
 * 1. Add up, chunk by chunk, the summaries and the duplicate errors.
 * 2. Keep the first errors inline (capped, in row and column order) and count the rest.
 * 3. When rows failed, stream the error report next to the input: the failed rows as the user
 *    sent them, in the same format, with an `errors` column (`writeErrorReport`).
 * 4. FAILED when rows failed without `skip_errors` or a dry run (nothing was written), else
 *    COMPLETED; then the resource's `afterImport` hook; remove the intermediate files.
 */
export async function finalizeImport(deps: WorkflowDeps, input: WorkflowInput & { chunks?: number[] }): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const manifest = await readJson<ImportManifest>(deps.files, fileKeys.manifest(job.organization, job.job_id));
  const chunks = inFileOrder(input.chunks ?? manifest.chunks.map((c) => c.index));
  const decision: ImportDecision = chunks.length > 0
    ? await readJson<ImportDecision>(deps.files, fileKeys.decision(job.organization, job.job_id))
    : { commit: false, duplicateChunks: [], duplicates: 0 };
  const withDuplicates = new Set(decision.duplicateChunks);
  const byPosition = (a: RowError, b: RowError) => a.row - b.row || columnIndex(manifest, a) - columnIndex(manifest, b);
  const firstErrors = new FirstItems<RowError>(INLINE_ROW_ERRORS_CAP, byPosition);
  const totals = { rows: 0, new: 0, updated: 0, skipped: 0, errors: 0 } satisfies JobTotals;
  let errorCount = 0;
  const failingChunks: number[] = [];
  for await (const [chunk, outcome] of loadInOrder(chunks, (c) => readChunkOutcome(deps, job, c, withDuplicates.has(c)))) {
    const { summary, duplicates, rejected, failedRows } = outcome;
    totals.rows += summary.rows;
    totals.new += countKept(summary.newRows, rejected);
    totals.updated += countKept(summary.updatedRows, rejected);
    totals.skipped += countKept(summary.skippedRows, rejected);
    totals.errors += failedRows.size;
    errorCount += summary.errorCount + duplicates.length;
    // A chunk's own errors before its duplicate errors: the order ties keep inline.
    for (const error of summary.errors) firstErrors.offer(error);
    for (const error of duplicates) firstErrors.offer(error);
    if (failedRows.size > 0) failingChunks.push(chunk);
  }
  const rowErrors = firstErrors.values();
  const { dry_run: dryRun = false, skip_errors: skipErrors = false } = job.input_params;
  const failed = totals.errors > 0 && !skipErrors && !dryRun;
  const errorReport = totals.errors > 0
    ? await writeErrorReport(deps, job, manifest, {
        chunks: failingChunks,
        failuresOf: async (chunk) => {
          const { failedRows, duplicates } = await readChunkOutcome(deps, job, chunk, withDuplicates.has(chunk));
          return { failedRows, duplicateErrors: duplicates };
        },
        columnIndex: (e) => columnIndex(manifest, e),
      })
    : undefined;
  const resultLog: ResultLog = {
    totals,
    row_errors: rowErrors,
    ...(errorCount > rowErrors.length ? { row_errors_truncated: errorCount - rowErrors.length } : {}),
    summary: { warnings: warningsOf(manifest), dry_run: dryRun, skip_errors: skipErrors, committed: decision.commit },
    ...(failed ? { error: { code: 'row_errors', message: `${totals.errors} row(s) have errors; nothing was written (fix them using the error report, or use skip_errors to import the valid rows)` } } : {}),
    ...(errorReport ? { error_report: errorReport } : {}),
  };
  await deps.jobs.transition(job.organization, job.job_id, ['RUNNING'], failed ? 'FAILED' : 'COMPLETED', {
    result_log: resultLog,
    finished_at: deps.now().toISOString(),
  });
  await getResourceForModel(deps.models.require(job.model)).hooks.afterImport?.(hookContext(deps, job), totals);
  await removeWorkFiles(deps, job);
}

/** One chunk's validation outcome with the Decide step's duplicate errors folded in. */
interface ChunkOutcome {
  readonly summary: ChunkSummary;
  readonly duplicates: RowError[];
  /** Rows that passed validation but have a duplicate error: never written. */
  readonly rejected: ReadonlySet<number>;
  /** Rows with any error. */
  readonly failedRows: ReadonlySet<number>;
}

async function readChunkOutcome(deps: Pick<JobDeps, 'files'>, job: DataJob, chunk: number, hasDuplicates: boolean): Promise<ChunkOutcome> {
  const [summary, duplicates] = await Promise.all([
    readJson<ChunkSummary>(deps.files, fileKeys.chunkSummary(job.organization, job.job_id, chunk)),
    hasDuplicates ? readJson<RowError[]>(deps.files, fileKeys.chunkDuplicates(job.organization, job.job_id, chunk)) : Promise.resolve([]),
  ]);
  const failedRows = new Set(summary.errorRows);
  const rejected = new Set(duplicates.map((e) => e.row).filter((row) => !failedRows.has(row)));
  for (const row of rejected) failedRows.add(row);
  return { summary, duplicates, rejected, failedRows };
}

function countKept(rows: readonly number[], rejected: ReadonlySet<number>): number {
  return rejected.size === 0 ? rows.length : rows.filter((row) => !rejected.has(row)).length;
}

/** Chunk indexes in file order: chunk n holds rows before chunk n + 1's. */
function inFileOrder(chunks: readonly number[]): number[] {
  return [...chunks].sort((a, b) => a - b);
}

/** The chunk a row of the file is in (binary search over the manifest's row ranges). */
function chunkOfRow(manifest: ImportManifest, row: number): number {
  let low = 0;
  let high = manifest.chunks.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (manifest.chunks[mid]!.firstRow <= row) low = mid;
    else high = mid - 1;
  }
  return manifest.chunks[low]?.index ?? 0;
}

function skipUnchangedOf(job: DataJob, resource: Resource): boolean {
  return job.input_params.skip_unchanged ?? resource.skipUnchanged;
}

function hookContext(deps: WorkflowDeps, job: DataJob) {
  return { org: job.organization, user: job.user, jobId: job.job_id, dryRun: job.input_params.dry_run ?? false, store: deps.records, registry: deps.models };
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

async function writeInBatches(deps: Pick<JobDeps, 'records'>, job: DataJob, model: ModelDefinition, writes: Array<{ record: StoredRecord; previous?: StoredRecord }>): Promise<void> {
  const size = 100;
  for (let i = 0; i < writes.length; i += size) {
    await deps.records.write(job.organization, model, writes.slice(i, i + size));
  }
}

function columnOf(mapping: HeaderMapping, field: string): string | null {
  return mapping.columns.find((column) => column.field === field)?.column ?? null;
}

function columnIndex(manifest: ImportManifest, error: RowError): number {
  const index = manifest.mapping.columns.findIndex((column) => column.column === error.column);
  return index === -1 ? Number.MAX_SAFE_INTEGER : index;
}

/**
 * Removes a finished job's intermediate files, best effort: the job's status is final already,
 * and failing the task now would only report a failed execution for a job that succeeded. What
 * a failed delete leaves behind expires with the bucket's lifecycle rule for `work/`.
 */
async function removeWorkFiles(deps: Pick<JobDeps, 'files'>, job: DataJob): Promise<void> {
  await deps.files.deletePrefix(fileKeys.work(job.organization, job.job_id)).catch(() => undefined);
}
