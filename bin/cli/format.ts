import type { Job, JobRowError } from './api-client';
import { EXIT } from './errors';

/** Statuses a job never leaves. */
export const FINAL_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** `1234567` → `1,234,567`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Bytes in binary units, as the API's limits are stated (4 MB = 4 × 1024 × 1024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** `850 ms`, `3.2 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * What share of the job is done, or null when it cannot be told yet (an import before its file
 * is split; an export, which learns its row count only at the end, before any segment is done).
 */
export function progressFraction(job: Job): number | null {
  if (job.status === 'COMPLETED') return 1;
  const p = job.progress;
  if (!p) return null;
  if (p.rows_total !== null && p.rows_total > 0) return Math.min(1, p.rows_processed / p.rows_total);
  if (p.chunks_total > 0 && p.chunks_done > 0) return Math.min(1, p.chunks_done / p.chunks_total);
  return null;
}

/** What a running job is doing, in words, when its counters alone do not say it. */
function phaseOf(job: Job): string | undefined {
  if (job.status !== 'RUNNING') return undefined;
  const p = job.progress;
  if (!p) return job.job_type === 'IMPORT' ? 'reading the file' : 'starting';
  // An import counts rows as they are validated; writing and the report come after.
  if (p.chunks_total > 0 && p.chunks_done >= p.chunks_total) return 'finishing';
  return undefined;
}

/** `rows 1,200/2,300  chunks 3/6`, or the part of it that is known. */
export function formatCounters(job: Job): string {
  const p = job.progress;
  if (!p) return '';
  const rows = p.rows_total !== null ? `rows ${formatCount(p.rows_processed)}/${formatCount(p.rows_total)}` : `rows ${formatCount(p.rows_processed)}`;
  return p.chunks_total > 0 ? `${rows}  chunks ${p.chunks_done}/${p.chunks_total}` : rows;
}

/** `[██████░░░░]`; an unknown share shows a block sliding with time. */
export function renderBar(fraction: number | null, width: number, tick = 0): string {
  const inner = Math.max(1, width);
  if (fraction === null) {
    const block = Math.min(3, inner);
    const span = inner - block + 1;
    const at = span <= 1 ? 0 : span - 1 - Math.abs((tick % (2 * (span - 1))) - (span - 1));
    return `[${' '.repeat(at)}${'▒'.repeat(block)}${' '.repeat(inner - at - block)}]`;
  }
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * inner);
  return `[${'█'.repeat(filled)}${'░'.repeat(inner - filled)}]`;
}

const percent = (fraction: number | null) => (fraction === null ? '' : `${String(Math.floor(fraction * 100)).padStart(3)}%`);

/** One plain progress line, for logs and pipes: status, share and counters, no control characters. */
export function formatProgressLine(job: Job, elapsedMs: number): string {
  const fraction = progressFraction(job);
  const phase = phaseOf(job);
  return [
    `[${formatDuration(elapsedMs)}]`,
    job.status + (phase ? ` (${phase})` : ''),
    percent(fraction).trim(),
    formatCounters(job),
  ]
    .filter(Boolean)
    .join('  ');
}

/** The live bar line for a terminal of `columns` width: the bar takes what the text leaves. */
export function formatProgressBar(job: Job, elapsedMs: number, columns: number, tick = 0): string {
  const fraction = progressFraction(job);
  const phase = phaseOf(job);
  const left = `${job.job_type.toLowerCase()} ${job.model}`;
  const right = [percent(fraction), formatCounters(job), job.status + (phase ? ` (${phase})` : ''), formatDuration(elapsedMs)].filter(Boolean).join('  ');
  const room = columns - 1 - left.length - right.length - 4;
  const bar = room >= 10 ? ` ${renderBar(fraction, Math.min(40, room - 2), tick)} ` : ' ';
  const line = `${left}${bar} ${right}`;
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 1)) : line;
}

/** The exit code a finished job gives the command that waited for it. */
export function exitCodeOf(job: Job): number {
  if (job.status === 'FAILED' || job.status === 'CANCELLED') return EXIT.jobFailed;
  if (job.status === 'COMPLETED' && (job.result_log?.totals?.errors ?? 0) > 0) return EXIT.rowErrors;
  return EXIT.ok;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Where a row error is: the model field, with the file's column when it is spelled differently. */
function fieldOf(error: JobRowError): string {
  const field = error.field ?? null;
  const column = error.column ?? null;
  if (field && column && field !== column) return `${field} (${column})`;
  return field ?? column ?? '-';
}

/** The first `limit` row errors as a table: row number, field, code, message. */
export function formatRowErrors(job: Job, limit: number): string[] {
  const errors = job.result_log?.row_errors ?? [];
  if (errors.length === 0 || limit === 0) return [];
  const total = errors.length + (job.result_log?.row_errors_truncated ?? 0);
  const shown = errors.slice(0, limit);
  const title = shown.length < total ? `row errors (first ${shown.length} of ${formatCount(total)}):` : `row errors (${formatCount(total)}):`;
  return [
    title,
    ...table(
      ['ROW', 'FIELD', 'CODE', 'MESSAGE'],
      shown.map((e) => [String(e.row), fieldOf(e), e.code, e.message]),
    ).map((l) => `  ${l}`),
  ];
}

/** Flags that are off by default are named only when on; everything else shows its value. */
const OFF_BY_DEFAULT = new Set(['dry_run', 'skip_errors']);

/** A job's input parameters in one line: `dry_run skip_unchanged=false ordering=["-price"]`. */
export function formatOptions(params: Record<string, unknown>): string {
  return Object.entries(params)
    .filter(([k, v]) => v !== undefined && v !== null && !(v === false && OFF_BY_DEFAULT.has(k)))
    .map(([k, v]) => (v === true ? k : `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`))
    .join(' ');
}

const elapsedOf = (job: Job) => (job.started_at && job.finished_at ? Date.parse(job.finished_at) - Date.parse(job.started_at) : undefined);

/** A readable summary of a job: what it is, how far it got, its totals, warnings and first row errors. */
export function formatJobSummary(job: Job, options: { errors: number }): string[] {
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`  ${name.padEnd(13)}${value}`);
  const format = job.export_format ? ` ${job.export_format}` : '';
  lines.push(`job ${job.job_id}  ${job.job_type}${format} ${job.model}  ${job.status}`);
  if (job.user) field('user', job.user);
  if (job.input_file) field('file', `${job.input_file.filename} (${formatBytes(job.input_file.size)})`);
  const params = formatOptions(job.input_params ?? {});
  if (params) field('options', params);
  const took = elapsedOf(job);
  field('created', `${job.created_at}${took !== undefined ? `  (ran ${formatDuration(took)})` : ''}`);
  if (job.progress && !FINAL_STATUSES.includes(job.status)) field('progress', [percent(progressFraction(job)).trim(), formatCounters(job)].filter(Boolean).join('  '));
  const totals = job.result_log?.totals;
  if (totals) {
    field('totals', job.job_type === 'EXPORT' ? `${formatCount(totals.rows)} rows exported` : `${formatCount(totals.rows)} rows: ${formatCount(totals.new)} new, ${formatCount(totals.updated)} updated, ${formatCount(totals.skipped)} skipped, ${formatCount(totals.errors)} with errors`);
  } else if (job.job_type === 'EXPORT' && job.status === 'COMPLETED' && job.progress?.rows_total != null) {
    field('totals', `${formatCount(job.progress.rows_total)} rows exported`);
  }
  for (const warning of job.result_log?.summary?.warnings ?? []) field('warning', `${warning.code}: ${warning.message}`);
  const error = job.result_log?.error;
  if (error) field('error', `${error.code}: ${error.message}`);
  const output = job.output_file;
  if (output) field('output', `${output.filename} (${formatBytes(output.size)})${output.download_url ? `\n${' '.repeat(15)}${output.download_url}` : ''}`);
  const report = job.result_log?.error_report;
  if (report) {
    const rows = report.rows !== undefined ? `, ${formatCount(report.rows)} rows` : '';
    field('error report', `${report.filename} (${formatBytes(report.size)}${rows})${report.download_url ? `\n${' '.repeat(15)}${report.download_url}` : ''}`);
  }
  lines.push(...formatRowErrors(job, options.errors));
  return lines;
}

/** Jobs as a table, newest first as the API lists them. */
export function formatJobsTable(jobs: Job[]): string[] {
  return table(
    ['JOB ID', 'TYPE', 'MODEL', 'STATUS', 'ROWS', 'ERRORS', 'USER', 'CREATED'],
    jobs.map((job) => {
      const totals = job.result_log?.totals;
      const rows = totals?.rows ?? job.progress?.rows_total ?? job.progress?.rows_processed;
      return [
        job.job_id,
        job.job_type + (job.export_format ? ` ${job.export_format}` : ''),
        job.model,
        job.status,
        rows === undefined || rows === null ? '-' : formatCount(rows),
        totals ? formatCount(totals.errors) : '-',
        job.user ?? '-',
        job.created_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      ];
    }),
  );
}
