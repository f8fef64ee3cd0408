import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
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
import { mergeSorted } from './sorted-streams';

/** A segment task's input. */
export interface SegmentInput extends WorkflowInput {
  readonly segment: number;
}

/** What a segment wrote: its row count and the widest cell of each column (for XLSX widths). */
interface PartSummary {
  readonly rows: number;
  readonly widths: number[];
}

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
 *    collect the segment's `[sortKey, cells]` lines, sort them and write them sorted, for Assemble
 *    to merge: the segment holds its share of the result (about 1/`exportSegments` of it) in
 *    memory, as rendered cells plus the ordering's values.
 * 4. Record the row count and the widest cell of each column.
 *
 * A registered PDF report draws from records, not cells: its parts hold the records themselves
 * (sensitive fields removed), sorted the same way.
 */
export async function exportSegment(deps: WorkflowDeps, input: SegmentInput): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const model = deps.models.require(job.model);
  const query = parseExportQuery(model, deps.models, job.input_params);
  const ctx = { org: job.organization, store: deps.records, registry: deps.models };
  const filter = query.filter === undefined ? undefined : await compileFilter(query.filter, ctx);
  const asRecords = job.export_format === 'pdf' && job.input_params.report !== undefined;
  const sorted: Array<{ record: StoredRecord; line: unknown }> = [];
  const part = new PassThrough();
  const upload = deps.files.put(fileKeys.exportPart(job.organization, job.job_id, input.segment), part, { contentType: 'application/x-ndjson' });
  const write = async (line: unknown) => {
    if (!part.write(`${JSON.stringify(line)}\n`)) await new Promise((resolve) => part.once('drain', resolve));
  };
  const widths = query.columns.map((column) => column.name.length);
  let rows = 0;
  try {
    for await (const page of deps.records.scan(job.organization, model, scanOptions(input.segment, deps.settings.exportSegments, filter))) {
      const selected = filter ? page.filter((record) => filter.matches(record)) : page;
      if (selected.length === 0) continue;
      if (asRecords) {
        for (const record of selected.map((r) => withoutSensitive(r, model))) {
          if (query.ordering.length === 0) await write(record);
          else sorted.push({ record, line: record });
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
          sorted.push({ record: recordOfSortKey(key, query.ordering), line: [key, cells] });
        }
      }
      rows += rendered.length;
    }
    sorted.sort((a, b) => query.compare(a.record, b.record));
    for (const entry of sorted) await write(entry.line);
    part.end();
  } catch (error) {
    part.destroy(error as Error);
    await upload.catch(() => undefined);
    throw error;
  }
  await upload;
  await writeJson(deps.files, fileKeys.exportPartSummary(job.organization, job.job_id, input.segment), { rows, widths } satisfies PartSummary);
  await deps.jobs.addProgress(job.organization, job.job_id, { rows_processed: rows, chunks_done: 1 });
}

/**
 * Last export task: writes the parts into one CSV or XLSX file and completes the job.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING.
 * 2. Stream every part's rows through the format's writer into one object (multipart upload):
 *    without an ordering part after part, in segment order; with one, a k-way merge of the sorted
 *    parts by the same comparator, holding one line per part. XLSX column widths come from the
 *    widest cell any segment saw.
 *    PDF: the merged rows feed the generic report, or the merged records the job's report; the
 *    document is built in memory (bounded by `pdfMaxPages`) and stored in one piece.
 * 3. Move RUNNING → COMPLETED with the output file and the totals; remove the parts.
 */
export async function assembleExport(deps: WorkflowDeps, input: WorkflowInput & { segments: number[] }): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const model = deps.models.require(job.model);
  const query = parseExportQuery(model, deps.models, job.input_params);
  const columns = query.columns;
  const summaries = await Promise.all(input.segments.map((s) => readJson<PartSummary>(deps.files, fileKeys.exportPartSummary(job.organization, job.job_id, s))));
  const widths = columns.map((_, i) => Math.max(...summaries.map((s) => s.widths[i] ?? 0), columns[i]!.name.length));
  const output = job.export_format === 'pdf' ? await pdfOutput(deps, job, model, query, input.segments, widths) : tableOutput(deps, job, query, input.segments, widths);
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
  await deps.files.deletePrefix(fileKeys.work(job.organization, job.job_id));
}

/** An export file being written: `body` is read by the upload while `write` runs. */
interface ExportOutput {
  readonly body: Readable;
  readonly contentType: string;
  readonly extension: string;
  write(): Promise<void>;
}

function tableOutput(deps: WorkflowDeps, job: DataJob, query: ExportQuery, segments: readonly number[], widths: number[]): ExportOutput {
  const writer = createTableWriter(job.export_format === 'xlsx' ? 'xlsx' : 'csv', query.columns, { widths, sheetName: job.model });
  return {
    body: writer.output,
    contentType: writer.contentType,
    extension: writer.extension,
    write: async () => {
      for await (const cells of exportedRows(deps.files, job, segments, query)) await writer.writeRow(cells);
      await writer.end();
    },
  };
}

/**
 * Builds the whole PDF first: pdf-lib needs every page before it can write the file. A report
 * past the page limit fails here, before anything is uploaded.
 */
async function pdfOutput(deps: WorkflowDeps, job: DataJob, model: ModelDefinition, query: ExportQuery, segments: readonly number[], widths: number[]): Promise<ExportOutput> {
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
        records: exportedRecords(deps.files, job, segments, query),
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
        rows: exportedRows(deps.files, job, segments, query),
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

/** The records of a report's parts in export order. */
async function* exportedRecords(files: FileStore, job: DataJob, segments: readonly number[], query: ExportQuery): AsyncGenerator<StoredRecord> {
  const parts = segments.map((segment) => partLines(files, fileKeys.exportPart(job.organization, job.job_id, segment)) as AsyncGenerator<StoredRecord>);
  if (query.ordering.length === 0) {
    for (const part of parts) yield* part;
    return;
  }
  yield* mergeSorted(parts, query.compare);
}

/** The rows of the parts in export order. */
async function* exportedRows(files: FileStore, job: DataJob, segments: readonly number[], query: ExportQuery): AsyncGenerator<Cell[]> {
  const parts = segments.map((segment) => partLines(files, fileKeys.exportPart(job.organization, job.job_id, segment)));
  if (query.ordering.length === 0) {
    for (const part of parts) for await (const line of part) yield line as Cell[];
    return;
  }
  const sortedParts = parts.map((part) => withSortRecords(part as AsyncIterable<[SortKey, Cell[]]>, query));
  for await (const row of mergeSorted(sortedParts, (a, b) => query.compare(a.record, b.record))) yield row.cells;
}

async function* withSortRecords(lines: AsyncIterable<[SortKey, Cell[]]>, query: ExportQuery): AsyncGenerator<{ record: StoredRecord; cells: Cell[] }> {
  for await (const [key, cells] of lines) yield { record: recordOfSortKey(key, query.ordering), cells };
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
