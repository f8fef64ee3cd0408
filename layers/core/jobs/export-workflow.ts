import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { measureWidth } from '../formats/neutralize';
import { renderGenericReport } from '../formats/pdf/generic-report';
import { createTableWriter } from '../formats/table-writer';
import type { ModelDefinition } from '../model/types';
import { describeFilter } from '../reports/describe-filter';
import { getReport } from '../reports/registry';
import { renderReport } from '../reports/render-report';
import { PDF_CONTENT_TYPE } from '../formats/pdf';
import type { Cell } from '../formats/types';
import type { StoredRecord } from '../model/types';
import type { FileStore, WorkflowInput } from '../ports';
import type { DataJob } from './data-job';
import type { JobDeps } from './deps';
import { parseExportQuery, recordOfSortKey, sortKeyOf, type ExportQuery, type SortKey } from './export-query';
import { fileKeys } from './file-keys';
import { compileFilter, scanOptions } from './filter-language';
import { readJson, writeJson } from './json-files';
import { JsonLinesWriter } from './json-lines';
import { mergeSorted } from './sorted-streams';

/** A segment task's input. */
export interface SegmentInput extends WorkflowInput {
  readonly segment: number;
}

/**
 * What a segment wrote: its row count, the widest cell of each column (for XLSX widths) and, for
 * an ordered export, how many sorted runs it spilled before its part.
 */
interface PartSummary {
  readonly rows: number;
  readonly widths: number[];
  readonly runs?: number;
}

/**
 * Memory bounds of ordered exports. A segment sorts at most `runRows` rows in memory and spills
 * each full run to S3; Assemble merges at most `mergeFanIn` files at once (each an open
 * download), merging runs in groups beforehand when there are more.
 */
export interface SortLimits {
  readonly runRows: number;
  readonly mergeFanIn: number;
}

/**
 * 25,000 rendered rows are ~20 MB of heap; 32 downloads stay below the AWS SDK's 50 sockets a
 * host, which a merge waiting on more streams than sockets would deadlock on.
 */
export const DEFAULT_SORT_LIMITS: SortLimits = { runRows: 25_000, mergeFanIn: 32 };

type WorkflowDeps = Pick<JobDeps, 'jobs' | 'files' | 'records' | 'models' | 'settings' | 'now' | 'fonts'>;

/**
 * First export task: decides how the records are read in parallel.
 *
 * 1. Move the job (QUEUED, or still PENDING) → RUNNING.
 * 2. Split the scan into `exportSegments` segments and set the progress totals.
 */
export async function planExport(deps: WorkflowDeps, input: WorkflowInput): Promise<WorkflowInput & { segments: number[] }> {
  // PENDING too: the execution may start before the API has recorded QUEUED.
  const job = await deps.jobs.transition(input.org, input.job_id, ['PENDING', 'QUEUED'], 'RUNNING', {
    started_at: deps.now().toISOString(),
    progress: { rows_processed: 0, rows_total: null, chunks_done: 0, chunks_total: deps.settings.exportSegments },
  });
  return { org: job.organization, job_id: job.job_id, segments: Array.from({ length: deps.settings.exportSegments }, (_, i) => i) };
}

/**
 * Renders the rows of one segment into a part file of typed cells, streaming page by page.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING.
 * 2. Compile the filter once; scan the segment with its store-side part, keep the records the
 *    whole filter selects, render each page with the model's resource (one batch of lookups per
 *    page).
 * 3. Without an ordering, stream the cells as JSON lines into the part as they come. With one,
 *    collect `[sortKey, cells]` lines, and each time `runRows` are collected sort them and spill
 *    them as a sorted run; the last run is the part. Assemble merges the runs, so memory holds
 *    one run whatever the row count.
 * 4. Record the row count and the widest cell of each column.
 *
 * A registered PDF report draws from records, not cells: its parts hold the records themselves
 * (sensitive fields removed), sorted the same way.
 */
export async function exportSegment(deps: WorkflowDeps, input: SegmentInput, limits: SortLimits = DEFAULT_SORT_LIMITS): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const model = deps.models.require(job.model);
  const query = parseExportQuery(model, deps.models, job.input_params);
  const ctx = { org: job.organization, store: deps.records, registry: deps.models };
  const filter = query.filter === undefined ? undefined : await compileFilter(query.filter, ctx);
  const asRecords = job.export_format === 'pdf' && job.input_params.report !== undefined;
  const sorted: Array<{ record: StoredRecord; line: unknown }> = [];
  // JsonLinesWriter stops waiting for the upload to drain when the upload fails, which a bare
  // wait for 'drain' would do forever.
  const part = new JsonLinesWriter(deps.files, fileKeys.exportPart(job.organization, job.job_id, input.segment));
  const write = (line: unknown) => part.write(line);
  const widths = query.columns.map((column) => column.name.length);
  let rows = 0;
  let runs = 0;
  const byOrdering = (a: { record: StoredRecord }, b: { record: StoredRecord }) => query.compare(a.record, b.record);
  const collect = async (entry: { record: StoredRecord; line: unknown }) => {
    sorted.push(entry);
    if (sorted.length < limits.runRows) return;
    // A full run goes to its own file; the rows that come after it start the next one.
    sorted.sort(byOrdering);
    await writeLines(deps.files, fileKeys.exportRun(job.organization, job.job_id, input.segment, runs), sorted.map((e) => e.line));
    runs += 1;
    sorted.length = 0;
  };
  try {
    for await (const page of deps.records.scan(job.organization, model, scanOptions(input.segment, deps.settings.exportSegments, filter))) {
      const selected = filter ? page.filter((record) => filter.matches(record)) : page;
      if (selected.length === 0) continue;
      if (asRecords) {
        for (const record of selected.map((r) => withoutSensitive(r, model))) {
          if (query.ordering.length === 0) await write(record);
          else await collect({ record, line: record });
        }
        rows += selected.length;
        continue;
      }
      const rendered = await query.resource.exportRows(selected, query.columns, ctx);
      for (const [i, cells] of rendered.entries()) {
        cells.forEach((cell, c) => (widths[c] = Math.max(widths[c] ?? 0, measureWidth(cell))));
        if (query.ordering.length === 0) await write(cells);
        else {
          const key = sortKeyOf(selected[i]!, query.ordering);
          await collect({ record: recordOfSortKey(key, query.ordering), line: [key, cells] });
        }
      }
      rows += rendered.length;
    }
    sorted.sort(byOrdering);
    for (const entry of sorted) await write(entry.line);
  } catch (error) {
    await part.abort(error);
    throw error;
  }
  await part.close();
  await writeJson(deps.files, fileKeys.exportPartSummary(job.organization, job.job_id, input.segment), { rows, widths, ...(runs > 0 ? { runs } : {}) } satisfies PartSummary);
  await deps.jobs.addProgress(job.organization, job.job_id, { rows_processed: rows, chunks_done: 1 });
}

/**
 * Last export task: writes the parts into one CSV or XLSX file and completes the job.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING.
 * 2. Stream every part's rows through the format's writer into one object (multipart upload):
 *    without an ordering part after part, in segment order; with one, a k-way merge of every
 *    segment's sorted runs by the same comparator, holding one line per run (runs beyond
 *    `mergeFanIn` are first merged in groups into larger runs). XLSX column widths come from the
 *    widest cell any segment saw.
 *    PDF: the merged rows feed the generic report, or the merged records the job's report; the
 *    document is built in memory (bounded by `pdfMaxPages`) and stored in one piece.
 * 3. Move RUNNING → COMPLETED with the output file and the totals; remove the parts.
 */
export async function assembleExport(deps: WorkflowDeps, input: WorkflowInput & { segments: number[] }, limits: SortLimits = DEFAULT_SORT_LIMITS): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const model = deps.models.require(job.model);
  const query = parseExportQuery(model, deps.models, job.input_params);
  const columns = query.columns;
  const summaries = await Promise.all(input.segments.map((s) => readJson<PartSummary>(deps.files, fileKeys.exportPartSummary(job.organization, job.job_id, s))));
  const widths = columns.map((_, i) => Math.max(...summaries.map((s) => s.widths[i] ?? 0), columns[i]!.name.length));
  const parts: Parts = { files: deps.files, job, query, limits, segments: input.segments.map((segment, i) => ({ segment, runs: summaries[i]!.runs ?? 0 })) };
  const output = job.export_format === 'pdf' ? await pdfOutput(deps, job, model, query, parts, widths) : tableOutput(job, query, parts, widths);
  const filename = exportFilename(job, deps.now(), output.extension);
  const key = fileKeys.exportOutput(job.organization, job.job_id, filename);
  const upload = deps.files.put(key, output.body, { contentType: output.contentType });
  try {
    await output.write();
  } catch (error) {
    output.body.destroy(error as Error);
    await upload.catch(() => undefined);
    throw error;
  }
  const stored = await upload;
  const rows = summaries.reduce((n, s) => n + s.rows, 0);
  await deps.jobs.transition(job.organization, job.job_id, ['RUNNING'], 'COMPLETED', {
    output_file: { key, filename, size: stored.size, content_type: output.contentType },
    result_log: { totals: { rows, new: 0, updated: 0, skipped: 0, errors: 0 }, row_errors: [], summary: { warnings: [] } },
    progress: { rows_processed: rows, rows_total: rows, chunks_done: input.segments.length, chunks_total: input.segments.length },
    finished_at: deps.now().toISOString(),
  });
  await removeWorkFiles(deps, job);
}

/** An export file being written: `body` is read by the upload while `write` runs. */
interface ExportOutput {
  readonly body: Readable;
  readonly contentType: string;
  readonly extension: string;
  write(): Promise<void>;
}

function tableOutput(job: DataJob, query: ExportQuery, parts: Parts, widths: number[]): ExportOutput {
  const writer = createTableWriter(job.export_format === 'xlsx' ? 'xlsx' : 'csv', query.columns, { widths, sheetName: job.model });
  return {
    body: writer.output,
    contentType: writer.contentType,
    extension: writer.extension,
    write: async () => {
      for await (const cells of exportedRows(parts)) await writer.writeRow(cells);
      await writer.end();
    },
  };
}

/**
 * Builds the whole PDF first: pdf-lib needs every page before it can write the file. A report
 * past the page limit fails here, before anything is uploaded.
 */
async function pdfOutput(deps: WorkflowDeps, job: DataJob, model: ModelDefinition, query: ExportQuery, parts: Parts, widths: number[]): Promise<ExportOutput> {
  const fonts = await deps.fonts();
  const generatedAt = deps.now();
  const filterText = describeFilter(job.input_params.filters);
  const common = { fonts, maxPages: deps.settings.pdfMaxPages, generatedAt };
  const bytes = job.input_params.report
    ? await renderReport({
        ...common,
        report: getReport(model.plural, job.input_params.report),
        org: job.organization,
        user: job.user,
        filterText,
        store: deps.records,
        registry: deps.models,
        segments: deps.settings.exportSegments,
        records: exportedRecords(parts),
      })
    : await renderGenericReport({
        ...common,
        createdAt: generatedAt,
        title: `${model.plural} — ${job.organization}`,
        subtitle: [
          `Filter: ${filterText}${query.ordering.length ? `; ordered by ${formatOrderingWords(query)}` : ''}`,
          `Generated ${generatedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC by ${job.user}`,
        ],
        columns: query.columns,
        widths,
        rows: exportedRows(parts),
      });
  return { body: Readable.from([Buffer.from(bytes)]), contentType: PDF_CONTENT_TYPE, extension: 'pdf', write: async () => undefined };
}

function formatOrderingWords(query: ExportQuery): string {
  return query.ordering.map((term) => `${term.field}${term.descending ? ' (descending)' : ''}`).join(', ');
}

/** A record without the values of sensitive fields, which no report may show. */
function withoutSensitive(record: StoredRecord, model: ModelDefinition): StoredRecord {
  const values = Object.fromEntries(Object.entries(record.values).filter(([name]) => !model.fields[name]?.sensitive));
  return { ...record, values };
}

/** Where an export's segments left their rows, for Assemble. */
interface Parts {
  readonly files: FileStore;
  readonly job: DataJob;
  readonly query: ExportQuery;
  readonly limits: SortLimits;
  /** Each segment with the number of sorted runs it spilled before its part. */
  readonly segments: ReadonlyArray<{ readonly segment: number; readonly runs: number }>;
}

/** The records of a report's parts in export order. */
async function* exportedRecords(parts: Parts): AsyncGenerator<StoredRecord> {
  const { files, job, query } = parts;
  if (query.ordering.length === 0) {
    for (const { segment } of parts.segments) yield* partLines(files, fileKeys.exportPart(job.organization, job.job_id, segment)) as AsyncGenerator<StoredRecord>;
    return;
  }
  yield* (await mergeRuns(parts, (line) => line as StoredRecord)) as AsyncGenerator<StoredRecord>;
}

/** The rows of the parts in export order. */
async function* exportedRows(parts: Parts): AsyncGenerator<Cell[]> {
  const { files, job, query } = parts;
  if (query.ordering.length === 0) {
    for (const { segment } of parts.segments) for await (const line of partLines(files, fileKeys.exportPart(job.organization, job.job_id, segment))) yield line as Cell[];
    return;
  }
  for await (const line of await mergeRuns(parts, (line) => recordOfSortKey((line as [SortKey, Cell[]])[0], query.ordering))) yield (line as [SortKey, Cell[]])[1];
}

/**
 * The lines of every sorted run of an ordered export, merged by the ordering. Sources go in
 * segment order, each segment's spilled runs before its part: equal rows keep that order, as a
 * stable sort of all rows in scan order would. With more sources than `mergeFanIn`, consecutive
 * groups are merged into files first (as many passes as needed), which keeps that order too.
 */
async function mergeRuns(parts: Parts, recordOf: (line: unknown) => StoredRecord): Promise<AsyncGenerator<unknown>> {
  const { files, job, query, limits } = parts;
  const merge = (keys: readonly string[]) => {
    const sources = keys.map((key) => withRecords(partLines(files, key), recordOf));
    return (async function* () {
      for await (const entry of mergeSorted(sources, (a, b) => query.compare(a.record, b.record))) yield entry.line;
    })();
  };
  let keys = parts.segments.flatMap(({ segment, runs }) => [
    ...Array.from({ length: runs }, (_, run) => fileKeys.exportRun(job.organization, job.job_id, segment, run)),
    fileKeys.exportPart(job.organization, job.job_id, segment),
  ]);
  const fanIn = Math.max(2, limits.mergeFanIn);
  for (let pass = 0; keys.length > fanIn; pass += 1) {
    const merged: string[] = [];
    for (let group = 0; group * fanIn < keys.length; group += 1) {
      const members = keys.slice(group * fanIn, (group + 1) * fanIn);
      if (members.length === 1) {
        merged.push(members[0]!);
        continue;
      }
      const key = fileKeys.exportMerge(job.organization, job.job_id, pass, group);
      await writeLines(files, key, merge(members));
      merged.push(key);
    }
    keys = merged;
  }
  return merge(keys);
}

async function* withRecords(lines: AsyncIterable<unknown>, recordOf: (line: unknown) => StoredRecord): AsyncGenerator<{ record: StoredRecord; line: unknown }> {
  for await (const line of lines) yield { record: recordOf(line), line };
}

/** Writes lines to a file as they come. */
async function writeLines(files: FileStore, key: string, lines: Iterable<unknown> | AsyncIterable<unknown>): Promise<void> {
  const writer = new JsonLinesWriter(files, key);
  try {
    for await (const line of lines) await writer.write(line);
    await writer.close();
  } catch (error) {
    await writer.abort(error);
    throw error;
  }
}

/** The JSON lines of a part, opened on first read and closed however reading ends. */
async function* partLines(files: FileStore, key: string): AsyncGenerator<unknown> {
  const stream = await files.get(key);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line) yield JSON.parse(line);
  } finally {
    lines.close();
    stream.destroy();
  }
}

function exportFilename(job: DataJob, now: Date, extension: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  if (extension === 'pdf') return `${job.model}-${job.input_params.report ?? 'report'}-${stamp}.pdf`;
  return `${job.model}-${stamp}.${extension}`;
}

/**
 * Removes a finished job's intermediate files, best effort: the job's status is final already,
 * and failing the task now would only report a failed execution for a job that succeeded. What
 * a failed delete leaves behind expires with the bucket's lifecycle rule for `work/`.
 */
async function removeWorkFiles(deps: Pick<JobDeps, 'files'>, job: DataJob): Promise<void> {
  await deps.files.deletePrefix(fileKeys.work(job.organization, job.job_id)).catch(() => undefined);
}
