import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { ApiClient } from '../support/api-client';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const CONTACTS = join(ROOT, 'test', 'fixtures', 'contacts-import.csv');
const MANY_TAGS_CSV = ['name', ...Array.from({ length: 20_000 }, (_, i) => `tag-cli-${String(i + 1).padStart(5, '0')}`)].join('\n') + '\n';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node bin/dataio.js ...` as a user runs it: a child process, stdout a pipe (not a terminal). */
function cli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATAIO_USER: 'cli-e2e', ...options.env };
  for (const name of ['DATAIO_TOKEN', 'DATAIO_API_URL', 'DATAIO_ORG']) if (!options.env?.[name]) delete env[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'dataio.js'), ...args], { cwd: options.cwd ?? ROOT, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The job id a `--wait` run announces on its first line. */
function jobIdOf(run: CliRun): string {
  const id = /started: job (\S+)/.exec(run.stdout)?.[1];
  if (!id) throw new Error(`no job id in:\n${run.stdout}\n${run.stderr}`);
  return id;
}

/** The plain progress lines (`[1.2 s]  RUNNING  50%  rows 3/6  chunks 1/2`). */
function progressLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^\[[^\]]+\] {2}[A-Z]+/.test(line));
}

/** A decimal string as integer cents, so prices compare exactly. */
function cents(price: string): bigint {
  const [whole, fraction = ''] = price.split('.');
  return BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
}

describe('the dataio CLI against the local stack', () => {
  let stack: LocalStackProcess;
  let api: ApiClient;
  let work: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
    api = new ApiClient(stack.apiUrl, stack.token({ org: 'acme', user: 'alice', perms: ['*'] }));
    work = mkdtempSync(join(tmpdir(), 'dataio-cli-e2e-'));
    // Only the data folder: the CLI finds the stack through its local.json and mints its own token.
    env = { DATAIO_DATA_DIR: stack.dataDir };
  });
  afterAll(async () => {
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('finds the running stack through <dataDir>/local.json', () => {
    const state = JSON.parse(readFileSync(join(stack.dataDir, 'local.json'), 'utf8'));

    expect(state).toMatchObject({ api_url: stack.apiUrl, pid: expect.any(Number), started_at: expect.any(String) });
  });

  it('imports a file with row errors: shows progress, prints the row errors and exits 1 as the job FAILED', async () => {
    const run = await cli(['import', 'contacts', CONTACTS, '--wait'], { env });

    expect(run.code).toBe(1);
    const progress = progressLines(run.stdout);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toMatch(/FAILED {2}100% {2}rows 6\/6 {2}chunks 1\/1$/);
    expect(run.stdout).toContain('totals       6 rows: 2 new, 0 updated, 0 skipped, 4 with errors');
    expect(run.stdout).toContain('error        row_errors:');
    expect(run.stdout).toMatch(/row errors \(4\):\n\s+ROW\s+FIELD\s+CODE\s+MESSAGE\n/);
    expect(run.stdout).toMatch(/^\s+3\s+customer \(customer_id\)\s+not_found\s+customers 'cust-9999' not found$/m);
    expect(run.stdout).toMatch(/^\s+4\s+supplier \(supplier_id\)\s+not_found\s+suppliers 'sup-9999' not found$/m);
    expect(run.stdout).toMatch(/^\s+5\s+first_name\s+required\s+/m);
    expect(run.stdout).toMatch(/^\s+6\s+email\s+clean\s+/m);
    const job = (await api.request('GET', `/api/v1/data-jobs/${jobIdOf(run)}/`)).body;
    expect(job).toMatchObject({ status: 'FAILED', user: 'cli-e2e', result_log: { summary: { committed: false } } });
  });

  it('imports with --skip-errors through a presigned upload: exits 2, valid rows written, errors printed', async () => {
    const run = await cli(['import', 'contacts', CONTACTS, '--skip-errors', '--upload', 'presigned', '--wait', '--errors', '2'], { env });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('uploading contacts-import.csv (494 B) to a presigned URL');
    expect(progressLines(run.stdout).at(-1)).toMatch(/COMPLETED {2}100% {2}rows 6\/6/);
    expect(run.stdout).toContain('options      skip_errors');
    expect(run.stdout).toContain('totals       6 rows: 2 new, 0 updated, 0 skipped, 4 with errors');
    expect(run.stdout).toContain('row errors (first 2 of 4):');
    const job = (await api.request('GET', `/api/v1/data-jobs/${jobIdOf(run)}/`)).body;
    expect(job).toMatchObject({ status: 'COMPLETED', input_params: { skip_errors: true }, input_file: { filename: 'contacts-import.csv' } });
    expect(job.result_log.totals).toEqual({ rows: 6, new: 2, updated: 0, skipped: 0, errors: 4 });
  });

  it('exports a filtered, ordered CSV to --out with exactly the rows the filter selects', async () => {
    const out = join(work, 'expensive.csv');
    const filter = join(work, 'filter.json');
    writeFileSync(filter, JSON.stringify({ field: 'price', op: 'gte', value: '100' }));

    const run = await cli(['export', 'products', '--format', 'csv', '--filter', filter, '--fields', 'sku,price', '--ordering', '-price,sku', '--out', out], { env });

    expect(run.code).toBe(0);
    expect(progressLines(run.stdout).at(-1)).toMatch(/COMPLETED {2}100%/);
    expect(run.stdout).toContain(`wrote ${out} (`);
    const [header, ...rows] = parse(readFileSync(out), { bom: true }) as string[][];
    // Independently: every product, filtered and sorted here.
    const { csv } = await api.exportCsv('products', { fields: ['sku', 'price'] });
    const expected = (parse(csv, { bom: true }) as string[][])
      .slice(1)
      .filter(([, price]) => cents(price!) >= 10_000n)
      .sort(([skuA, a], [skuB, b]) => (cents(b!) > cents(a!) ? 1 : cents(b!) < cents(a!) ? -1 : skuA! < skuB! ? -1 : skuA! > skuB! ? 1 : 0));
    expect(header).toEqual(['sku', 'price']);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toEqual(expected);
    expect(run.stdout).toContain(`${rows.length.toLocaleString('en-US')} rows)`);
  });

  it('exports XLSX with --wait to the API’s file name in the current folder', async () => {
    const folder = mkdtempSync(join(work, 'xlsx-'));

    const run = await cli(['export', 'categories', '--format', 'xlsx', '--wait'], { env, cwd: folder });

    expect(run.code).toBe(0);
    const files = readdirSync(folder);
    expect(files).toEqual([expect.stringMatching(/^categories-\d{8}-\d{6}\.xlsx$/)]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(join(folder, files[0]!));
    const sheet = workbook.worksheets[0]!;
    const { csv } = await api.exportCsv('categories');
    const csvRows = parse(csv, { bom: true }) as string[][];
    expect(sheet.rowCount).toBe(csvRows.length);
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(csvRows[0]);
  });

  it('lists jobs with --status and --type, and shows one job as a summary or as JSON', async () => {
    writeFileSync(join(work, 'tags.csv'), 'name\ncli-listed-tag\n');
    const started = await cli(['import', 'tags', join(work, 'tags.csv')], { env });
    expect(started.code).toBe(0);
    const jobId = started.stdout.trim();
    expect(jobId).toMatch(/^[0-9a-z]{26}$/);
    await api.waitForJob(jobId);

    const listed = await cli(['jobs', '--type', 'import', '--json'], { env });
    const failedOnly = await cli(['jobs', '--status', 'failed', '--json'], { env });
    const table = await cli(['jobs', '--limit', '3'], { env });
    const summary = await cli(['job', jobId], { env });
    const raw = await cli(['job', jobId, '--json'], { env });

    expect(listed.code).toBe(0);
    const imports = JSON.parse(listed.stdout) as Array<{ job_id: string; job_type: string }>;
    expect(imports[0]!.job_id).toBe(jobId);
    expect(imports.every((j) => j.job_type === 'IMPORT')).toBe(true);
    const failures = JSON.parse(failedOnly.stdout) as Array<{ status: string; model: string }>;
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.every((j) => j.status === 'FAILED')).toBe(true);
    expect(table.stdout.split('\n')[0]).toMatch(/^JOB ID\s+TYPE\s+MODEL\s+STATUS\s+ROWS\s+ERRORS\s+USER\s+CREATED$/);
    expect(table.stdout).toMatch(new RegExp(`^${jobId}\\s+IMPORT\\s+tags\\s+COMPLETED\\s+1\\s+0\\s+cli-e2e\\s`, 'm'));
    expect(summary.stdout).toContain(`job ${jobId}  IMPORT tags  COMPLETED`);
    expect(summary.stdout).toContain('totals       1 rows: 1 new, 0 updated, 0 skipped, 0 with errors');
    const fromApi = (await api.request('GET', `/api/v1/data-jobs/${jobId}/`)).body;
    expect(JSON.parse(raw.stdout)).toEqual(fromApi);
  });

  it('cancels an import that has not ended, and reports the API’s 409 when cancelling it again', async () => {
    const file = join(work, 'many-tags.csv');
    writeFileSync(file, MANY_TAGS_CSV);
    const started = await cli(['import', 'tags', file], { env });
    const jobId = started.stdout.trim();

    const cancelled = await cli(['cancel', jobId], { env });
    const again = await cli(['cancel', jobId], { env });

    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toBe(`job ${jobId} (import tags) is CANCELLED\n`);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/^dataio: the API answered 409 job_transition: .*CANCELLED/);
    expect((await api.waitForJob(jobId)).status).toBe('CANCELLED');
  });

  it('refuses a file it cannot read with a usage error, before any request', async () => {
    const run = await cli(['import', 'tags', join(work, 'no-such-file.csv'), '--wait'], { env });

    expect(run.code).toBe(64);
    expect(run.stderr).toContain("dataio import: cannot read '");
    expect(run.stderr).toContain('ENOENT');
  });

  it('talks to an API given by --api with DATAIO_TOKEN, as it would to a deployed one', async () => {
    const elsewhere = mkdtempSync(join(work, 'no-stack-'));

    const withToken = await cli(['jobs', '--api', stack.apiUrl, '--limit', '1', '--json'], {
      env: { DATAIO_DATA_DIR: elsewhere, DATAIO_TOKEN: stack.token({ org: 'globex', user: 'bob', perms: ['data-jobs:read'] }) },
    });
    const withoutToken = await cli(['jobs', '--api', stack.apiUrl], { env: { DATAIO_DATA_DIR: elsewhere } });
    const forbidden = await cli(['export', 'products', '--api', stack.apiUrl], {
      env: { DATAIO_DATA_DIR: elsewhere, DATAIO_TOKEN: stack.token({ org: 'globex', user: 'bob', perms: ['data-jobs:read'] }) },
    });

    expect(withToken.code).toBe(0);
    expect(JSON.parse(withToken.stdout)).toEqual([]);
    expect(withoutToken.code).toBe(64);
    expect(withoutToken.stderr).toContain(`no token for ${stack.apiUrl}: set DATAIO_TOKEN`);
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toMatch(/^dataio: the API answered 403 forbidden: .*products:export/);
  });

  it('says how to start a stack when none is running, and local.json goes away when the stack stops', async () => {
    const none = await cli(['jobs'], { env: { DATAIO_DATA_DIR: mkdtempSync(join(work, 'empty-')) } });
    expect(none.code).toBe(3);
    expect(none.stderr).toBe('dataio: no local stack running: run `npx dataio start` or pass --api\n');

    const { pid } = JSON.parse(readFileSync(join(stack.dataDir, 'local.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (existsSync(join(stack.dataDir, 'local.json')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

    expect(existsSync(join(stack.dataDir, 'local.json'))).toBe(false);
    const after = await cli(['jobs'], { env });
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('no local stack running: run `npx dataio start` or pass --api');
  });
});
