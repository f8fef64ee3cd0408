import { Readable, type Transform } from 'node:stream';
import { once } from 'node:events';
import { createCsvWriter } from '../formats/csv';
import { matchesFilter, parseFilter } from '../filters/simple-filter';
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

interface PartSummary {
  readonly rows: number;
}

type WorkflowDeps = Pick<JobDeps, 'jobs' | 'files' | 'records' | 'models' | 'settings' | 'now'>;

const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

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
 * Writes the rows of one segment as a headerless CSV part, streaming page by page.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING.
 * 2. Scan the segment, keep the records the filter selects, render them with the model's resource.
 * 3. Stream the rows into the part file and record how many there were.
 */
export async function exportSegment(deps: WorkflowDeps, input: SegmentInput): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const model = deps.models.require(job.model);
  const resource = getResourceForModel(model);
  const headers = resource.exportHeaders({ fields: job.input_params.fields });
  const filter = job.input_params.filters === undefined ? undefined : parseFilter(job.input_params.filters, model);
  const writer = createCsvWriter();
  const upload = deps.files.put(fileKeys.exportPart(job.organization, job.job_id, input.segment), writer, { contentType: CSV_CONTENT_TYPE });
  let rows = 0;
  try {
    for await (const page of deps.records.scan(job.organization, model, { segment: input.segment, totalSegments: deps.settings.exportSegments })) {
      for (const record of page) {
        if (filter && !matchesFilter(filter, record)) continue;
        await write(writer, resource.exportRow(record, headers));
        rows++;
      }
    }
    writer.end();
  } catch (error) {
    writer.destroy(error as Error);
    await upload.catch(() => undefined);
    throw error;
  }
  await upload;
  await writeJson(deps.files, fileKeys.exportPartSummary(job.organization, job.job_id, input.segment), { rows } satisfies PartSummary);
  await deps.jobs.addProgress(job.organization, job.job_id, { rows_processed: rows, chunks_done: 1 });
}

/**
 * Last export task: joins the header and the parts into the output file and completes the job.
 *
 * 1. Re-read the job; do nothing unless it is RUNNING.
 * 2. Stream header + parts, in segment order, into one object (multipart upload).
 * 3. Move RUNNING → COMPLETED with the output file and the totals; remove the parts.
 */
export async function assembleExport(deps: WorkflowDeps, input: WorkflowInput & { segments: number[] }): Promise<void> {
  const job = await deps.jobs.get(input.org, input.job_id);
  if (!job || job.status !== 'RUNNING') return;
  const model = deps.models.require(job.model);
  const headers = getResourceForModel(model).exportHeaders({ fields: job.input_params.fields });
  const summaries = await Promise.all(input.segments.map((s) => readJson<PartSummary>(deps.files, fileKeys.exportPartSummary(job.organization, job.job_id, s))));
  const filename = exportFilename(job, deps.now());
  const key = fileKeys.exportOutput(job.organization, job.job_id, filename);
  const stored = await deps.files.put(key, Readable.from(concatenate(deps, job, headers, input.segments)), { contentType: CSV_CONTENT_TYPE });
  const rows = summaries.reduce((n, s) => n + s.rows, 0);
  await deps.jobs.transition(job.organization, job.job_id, ['RUNNING'], 'COMPLETED', {
    output_file: { key, filename, size: stored.size, content_type: CSV_CONTENT_TYPE },
    result_log: { totals: { rows, new: 0, updated: 0, skipped: 0, errors: 0 }, row_errors: [], summary: { warnings: [] } },
    progress: { rows_processed: rows, rows_total: rows, chunks_done: input.segments.length, chunks_total: input.segments.length },
    finished_at: deps.now().toISOString(),
  });
  await deps.files.deletePrefix(fileKeys.work(job.organization, job.job_id));
}

async function* concatenate(deps: WorkflowDeps, job: DataJob, headers: string[], segments: number[]): AsyncIterable<Buffer> {
  const writer = createCsvWriter();
  writer.end(headers);
  for await (const chunk of writer) yield Buffer.from(chunk);
  for (const segment of segments) {
    for await (const chunk of await deps.files.get(fileKeys.exportPart(job.organization, job.job_id, segment))) {
      yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    }
  }
}

async function write(writer: Transform, row: string[]): Promise<void> {
  if (!writer.write(row)) await once(writer, 'drain');
}

function exportFilename(job: DataJob, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${job.model}-${stamp}.${job.export_format ?? 'csv'}`;
}
