import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { matchesFilter, parseFilter } from '../filters/simple-filter';
import { measureWidth } from '../formats/neutralize';
import { createTableWriter } from '../formats/table-writer';
import type { Cell } from '../formats/types';
import { getResourceForModel } from '../resources/registry';
import type { WorkflowInput } from '../ports';
import type { DataJob } from './data-job';
import type { JobDeps } from './deps';
import { fileKeys } from './file-keys';
import { readJson, writeJson } from './json-files';

/** A segment task's input. */
export interface SegmentInput extends WorkflowInput {
  readonly segment: number;
}

/** What a segment wrote: its row count and the widest cell of each column (for XLSX widths). */
interface PartSummary {
  readonly rows: number;
  readonly widths: number[];
}

type WorkflowDeps = Pick<JobDeps, 'jobs' | 'files' | 'records' | 'models' | 'settings' | 'now'>;

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
 * 2. Scan the segment, keep the records the filter selects, render each page with the model's
 *    resource (one batch of lookups per page).
 * 3. Stream the cells as JSON lines into the part; record the row count and column widths.
 */
export async function exportSegment(deps: WorkflowDeps, input: SegmentInput): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const model = deps.models.require(job.model);
  const resource = getResourceForModel(model);
  const columns = resource.exportColumns({ fields: job.input_params.fields });
  const filter = job.input_params.filters === undefined ? undefined : parseFilter(job.input_params.filters, model);
  const part = new PassThrough();
  const upload = deps.files.put(fileKeys.exportPart(job.organization, job.job_id, input.segment), part, { contentType: 'application/x-ndjson' });
  const widths = columns.map((column) => column.name.length);
  let rows = 0;
  try {
    for await (const page of deps.records.scan(job.organization, model, { segment: input.segment, totalSegments: deps.settings.exportSegments })) {
      const selected = filter ? page.filter((record) => matchesFilter(filter, record)) : page;
      if (selected.length === 0) continue;
      const rendered = await resource.exportRows(selected, columns, { org: job.organization, store: deps.records, registry: deps.models });
      for (const cells of rendered) {
        cells.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, measureWidth(cell))));
        if (!part.write(`${JSON.stringify(cells)}\n`)) await new Promise((resolve) => part.once('drain', resolve));
      }
      rows += rendered.length;
    }
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
 * Last export task: writes the parts, in segment order, into one CSV or XLSX file and completes
 * the job.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING.
 * 2. Stream every part's rows through the format's writer into one object (multipart upload);
 *    XLSX column widths come from the widest cell any segment saw.
 * 3. Move RUNNING → COMPLETED with the output file and the totals; remove the parts.
 */
export async function assembleExport(deps: WorkflowDeps, input: WorkflowInput & { segments: number[] }): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const model = deps.models.require(job.model);
  const columns = getResourceForModel(model).exportColumns({ fields: job.input_params.fields });
  const summaries = await Promise.all(input.segments.map((s) => readJson<PartSummary>(deps.files, fileKeys.exportPartSummary(job.organization, job.job_id, s))));
  const widths = columns.map((_, i) => Math.max(...summaries.map((s) => s.widths[i] ?? 0), columns[i]!.name.length));
  const writer = createTableWriter(job.export_format ?? 'csv', columns, { widths, sheetName: model.plural });
  const filename = exportFilename(job, deps.now(), writer.extension);
  const key = fileKeys.exportOutput(job.organization, job.job_id, filename);
  const upload = deps.files.put(key, writer.output, { contentType: writer.contentType });
  try {
    for (const segment of input.segments) {
      const lines = createInterface({ input: await deps.files.get(fileKeys.exportPart(job.organization, job.job_id, segment)), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line) await writer.writeRow(JSON.parse(line) as Cell[]);
      }
    }
    await writer.end();
  } catch (error) {
    writer.output.destroy(error as Error);
    await upload.catch(() => undefined);
    throw error;
  }
  const stored = await upload;
  const rows = summaries.reduce((n, s) => n + s.rows, 0);
  await deps.jobs.transition(job.organization, job.job_id, ['RUNNING'], 'COMPLETED', {
    output_file: { key, filename, size: stored.size, content_type: writer.contentType },
    result_log: { totals: { rows, new: 0, updated: 0, skipped: 0, errors: 0 }, row_errors: [], summary: { warnings: [] } },
    progress: { rows_processed: rows, rows_total: rows, chunks_done: input.segments.length, chunks_total: input.segments.length },
    finished_at: deps.now().toISOString(),
  });
  await deps.files.deletePrefix(fileKeys.work(job.organization, job.job_id));
}

function exportFilename(job: DataJob, now: Date, extension: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${job.model}-${stamp}.${extension}`;
}
