import ExcelJS from 'exceljs';
import { createImportJob } from '../../../layers/core/jobs/create-import-job';
import { DEFAULT_JOB_SETTINGS, type JobSettings } from '../../../layers/core/jobs/deps';
import { describeError } from '../../../layers/core/jobs/fail-job';
import { getJob } from '../../../layers/core/jobs/read-jobs';
import { createJobHarness } from '../../support/job-harness';

const admin = { org: 'acme', user: 'alice', perms: ['*'] };

async function importFile(settings: Partial<JobSettings>, filename: string, body: Buffer) {
  const harness = createJobHarness(settings);
  harness.records.resetCalls();
  const created = await createImportJob(harness.deps, {
    ...admin,
    model: 'tags',
    file: { filename, contentType: 'application/octet-stream', body },
    dryRun: false,
    skipErrors: true,
  });
  await harness.workflow.settle();
  return { job: await getJob(harness.deps, admin, created.job_id), writes: harness.records.calls.write };
}

const limits = (overrides: Partial<JobSettings['importLimits']>): Partial<JobSettings> => ({ importLimits: { ...DEFAULT_JOB_SETTINGS.importLimits, ...overrides } });

describe('import limits (use cases in process)', () => {
  it.each([
    ['too_many_rows', limits({ maxRows: 2 }), 'name\nred\nblue\ngreen\n', 'the file has more than 2 data rows, the most one import takes: split it into smaller files'],
    ['too_many_columns', limits({ maxColumns: 2 }), 'name,a,b\nred\n', 'row 1 has a value in column 3, beyond the 2 columns an import reads'],
    ['cell_too_long', limits({ maxCellChars: 5 }), 'name\nturquoise\n', 'row 2, column 1 holds 9 characters; a cell may hold at most 5'],
    ['file_too_large', { maxUploadBytes: 10 }, 'name\nred\nblue\ngreen\n', 'the file is larger than 10 bytes, the most an import reads'],
  ])('fails a CSV import over the limit with %s and writes nothing', async (code, settings, csv, message) => {
    const { job, writes } = await importFile(settings, 'tags.csv', Buffer.from(csv));

    expect(job.status).toBe('FAILED');
    expect(job.result_log?.error).toEqual({ code, message });
    expect(writes).toBe(0);
  });

  it('fails an XLSX import whose workbook inflates past the limit with xlsx_too_large', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Tags').addRows([['name'], ...Array.from({ length: 500 }, (_, i) => [`tag ${i}`])]);
    const body = Buffer.from(await workbook.xlsx.writeBuffer());

    const { job, writes } = await importFile(limits({ maxXlsxInflatedBytes: 4096 }), 'tags.xlsx', body);

    expect(job.status).toBe('FAILED');
    expect(job.result_log?.error).toMatchObject({ code: 'xlsx_too_large', message: expect.stringContaining('the workbook unpacks to more than 4096 bytes') });
    expect(writes).toBe(0);
  });

  it('imports a file within every limit', async () => {
    const { job } = await importFile(limits({ maxRows: 3, maxColumns: 1, maxCellChars: 5 }), 'tags.csv', Buffer.from('name\nred\nblue\ngreen\n'));

    expect(job.status).toBe('COMPLETED');
    expect(job.result_log?.totals.new).toBe(3);
  });
});

describe('describeError: read limits', () => {
  it.each([
    ['FileTooLargeError', 'file_too_large'],
    ['TooManyRowsError', 'too_many_rows'],
    ['TooManyColumnsError', 'too_many_columns'],
    ['CellTooLongError', 'cell_too_long'],
    ['XlsxTooLargeError', 'xlsx_too_large'],
  ])('maps a Lambda %s to %s with its message', (errorType, code) => {
    const caught = { Error: errorType, Cause: JSON.stringify({ errorType, errorMessage: 'the message', trace: [] }) };

    expect(describeError(caught)).toEqual({ code, message: 'the message' });
  });
});
