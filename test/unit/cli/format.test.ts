import type { Job } from '../../../bin/cli/api-client';
import {
  exitCodeOf,
  formatBytes,
  formatDuration,
  formatJobsTable,
  formatJobSummary,
  formatOptions,
  formatProgressBar,
  formatProgressLine,
  formatRowErrors,
  progressFraction,
  renderBar,
} from '../../../bin/cli/format';

function job(overrides: Partial<Job> = {}): Job {
  return {
    job_id: '01kb0w8k1x7ez3n2m4c5q6r7s8',
    job_type: 'IMPORT',
    status: 'RUNNING',
    model: 'contacts',
    export_format: null,
    user: 'alice',
    input_params: { dry_run: false, skip_errors: true },
    input_file: { filename: 'contacts.csv', size: 512, content_type: 'text/csv' },
    output_file: null,
    result_log: null,
    progress: { rows_processed: 1200, rows_total: 2400, chunks_done: 3, chunks_total: 6 },
    created_at: '2026-11-26T11:00:00.000Z',
    started_at: '2026-11-26T11:00:00.500Z',
    finished_at: null,
    ...overrides,
  };
}

const CONTACT_ERRORS = [
  { row: 3, column: 'customer_id', field: 'customer', value: 'cust-9999', code: 'not_found', message: "customers 'cust-9999' not found" },
  { row: 5, column: 'first_name', field: 'first_name', value: '', code: 'required', message: 'first_name is required' },
  { row: 6, column: null, field: null, value: null, code: 'clean', message: 'a primary contact must have an email address' },
];

describe('sizes and durations', () => {
  it('states bytes in the binary units the API limits use', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4 * 1024 * 1024)).toBe('4.0 MiB');
    expect(formatBytes(150 * 1024)).toBe('150 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('writes durations from milliseconds to hours', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(3240)).toBe('3.2 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });
});

describe('progress', () => {
  it('measures an import by rows, an export by segments until it knows its rows, and knows nothing before the file is split', () => {
    expect(progressFraction(job())).toBe(0.5);
    expect(progressFraction(job({ job_type: 'EXPORT', progress: { rows_processed: 900, rows_total: null, chunks_done: 1, chunks_total: 4 } }))).toBe(0.25);
    expect(progressFraction(job({ progress: null }))).toBeNull();
    expect(progressFraction(job({ status: 'COMPLETED', progress: null }))).toBe(1);
  });

  it('draws a bar filled in proportion, and a sliding block when the share is unknown', () => {
    expect(renderBar(0.5, 10)).toBe('[█████░░░░░]');
    expect(renderBar(1, 4)).toBe('[████]');
    expect(renderBar(null, 6, 0)).toBe('[▒▒▒   ]');
    expect(renderBar(null, 6, 2)).toBe('[  ▒▒▒ ]');
    expect(renderBar(null, 6, 3)).toBe('[   ▒▒▒]');
    expect(renderBar(null, 6, 4)).toBe('[  ▒▒▒ ]');
    expect(renderBar(null, 6, 6)).toBe('[▒▒▒   ]');
  });

  it('fits the live line to the terminal width with the counters, status and elapsed time', () => {
    const line = formatProgressBar(job(), 3200, 100);

    expect(line.length).toBeLessThanOrEqual(99);
    expect(line).toMatch(/^import contacts \[█+░+\]\s+50% {2}rows 1,200\/2,400 {2}chunks 3\/6 {2}RUNNING {2}3\.2 s$/);
    expect(formatProgressBar(job(), 3200, 30).length).toBeLessThanOrEqual(29);
  });

  it('writes a plain line for pipes, saying when every chunk is validated and the import is finishing', () => {
    expect(formatProgressLine(job(), 1500)).toBe('[1.5 s]  RUNNING  50%  rows 1,200/2,400  chunks 3/6');
    expect(formatProgressLine(job({ progress: { rows_processed: 2400, rows_total: 2400, chunks_done: 6, chunks_total: 6 } }), 2000)).toBe(
      '[2.0 s]  RUNNING (finishing)  100%  rows 2,400/2,400  chunks 6/6',
    );
    expect(formatProgressLine(job({ status: 'QUEUED', progress: null }), 10)).toBe('[10 ms]  QUEUED');
    expect(formatProgressLine(job({ progress: null }), 10)).toBe('[10 ms]  RUNNING (reading the file)');
  });
});

describe('exitCodeOf', () => {
  it.each([
    ['COMPLETED', 0, 0],
    ['COMPLETED', 4, 2],
    ['FAILED', 4, 1],
    ['CANCELLED', 0, 1],
  ])('%s with %i row errors → %i', (status, errors, code) => {
    expect(exitCodeOf(job({ status, result_log: { totals: { rows: 6, new: 2, updated: 0, skipped: 0, errors } } }))).toBe(code);
  });
});

describe('formatRowErrors', () => {
  it('lists row, field (with the file column when it differs), code and message', () => {
    const lines = formatRowErrors(job({ result_log: { row_errors: CONTACT_ERRORS } }), 10);

    expect(lines).toEqual([
      'row errors (3):',
      '  ROW  FIELD                   CODE       MESSAGE',
      "  3    customer (customer_id)  not_found  customers 'cust-9999' not found",
      '  5    first_name              required   first_name is required',
      '  6    -                       clean      a primary contact must have an email address',
    ]);
  });

  it('says how many it left out, counting the ones the API truncated', () => {
    const lines = formatRowErrors(job({ result_log: { row_errors: CONTACT_ERRORS, row_errors_truncated: 2000 } }), 2);

    expect(lines[0]).toBe('row errors (first 2 of 2,003):');
    expect(lines).toHaveLength(4);
  });

  it('prints nothing without errors or when asked for none', () => {
    expect(formatRowErrors(job(), 10)).toEqual([]);
    expect(formatRowErrors(job({ result_log: { row_errors: CONTACT_ERRORS } }), 0)).toEqual([]);
  });
});

describe('formatJobSummary', () => {
  it('gives a failed import its totals, warning, error, error report and first row errors', () => {
    const failed = job({
      status: 'FAILED',
      input_params: { dry_run: false, skip_errors: false },
      finished_at: '2026-11-26T11:00:02.500Z',
      result_log: {
        totals: { rows: 6, new: 2, updated: 0, skipped: 0, errors: 4 },
        row_errors: CONTACT_ERRORS,
        summary: { warnings: [{ code: 'unmapped_columns', message: 'ignored column(s): customer_name' }] },
        error: { code: 'row_errors', message: '4 row(s) have errors; nothing was written' },
        error_report: { filename: 'contacts-errors.csv', size: 312, content_type: 'text/csv', rows: 4, download_url: 'https://s3/x' },
      },
    });

    const text = formatJobSummary(failed, { errors: 1 }).join('\n');

    expect(text).toContain('job 01kb0w8k1x7ez3n2m4c5q6r7s8  IMPORT contacts  FAILED');
    expect(text).toContain('(ran 2.0 s)');
    expect(text).toContain('totals       6 rows: 2 new, 0 updated, 0 skipped, 4 with errors');
    expect(text).toContain('warning      unmapped_columns: ignored column(s): customer_name');
    expect(text).toContain('error        row_errors: 4 row(s) have errors; nothing was written');
    expect(text).toContain('error report contacts-errors.csv (312 B, 4 rows)\n               https://s3/x');
    expect(text).toContain('row errors (first 1 of 3):');
    expect(text).not.toContain('options');
    expect(text).not.toContain('progress');
  });

  it('shows a running job’s progress and a finished export’s file', () => {
    expect(formatJobSummary(job(), { errors: 10 }).join('\n')).toContain('progress     50%  rows 1,200/2,400  chunks 3/6');
    const exported = job({
      job_type: 'EXPORT',
      export_format: 'csv',
      model: 'products',
      status: 'COMPLETED',
      input_file: null,
      input_params: { ordering: ['-price', 'sku'] },
      output_file: { filename: 'products-20261126-110000.csv', size: 2048, content_type: 'text/csv', download_url: 'https://s3/p' },
      result_log: { totals: { rows: 57, new: 0, updated: 0, skipped: 0, errors: 0 } },
    });

    const text = formatJobSummary(exported, { errors: 10 }).join('\n');

    expect(text).toContain('job 01kb0w8k1x7ez3n2m4c5q6r7s8  EXPORT csv products  COMPLETED');
    expect(text).toContain('options      ordering=["-price","sku"]');
    expect(text).toContain('totals       57 rows exported');
    expect(text).toContain('output       products-20261126-110000.csv (2.0 KiB)');
  });

  it('names flags that are off by default only when on, and others with their value', () => {
    expect(formatOptions({ dry_run: false, skip_errors: true, skip_unchanged: false, encoding: 'windows-1252' })).toBe('skip_errors skip_unchanged=false encoding=windows-1252');
  });
});

describe('formatJobsTable', () => {
  it('aligns one job per line with its rows and errors', () => {
    const lines = formatJobsTable([
      job({ status: 'COMPLETED', result_log: { totals: { rows: 6, new: 2, updated: 0, skipped: 0, errors: 4 } } }),
      job({ job_id: '01kb0w8k1x7ez3n2m4c5q6r7s9', job_type: 'EXPORT', export_format: 'xlsx', model: 'products', status: 'QUEUED', progress: null, user: 'bob' }),
    ]);

    expect(lines).toEqual([
      'JOB ID                      TYPE         MODEL     STATUS     ROWS  ERRORS  USER   CREATED',
      '01kb0w8k1x7ez3n2m4c5q6r7s8  IMPORT       contacts  COMPLETED  6     4       alice  2026-11-26 11:00:00Z',
      '01kb0w8k1x7ez3n2m4c5q6r7s9  EXPORT xlsx  products  QUEUED     -     -       bob    2026-11-26 11:00:00Z',
    ]);
  });
});
