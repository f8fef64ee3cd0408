import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../bin/cli';
import type { Job } from '../../../bin/cli/api-client';
import { DIRECT_UPLOAD_LIMIT_BYTES, uploadRoute } from '../../../bin/cli/commands/import';
import { outputPath } from '../../../bin/cli/commands/export';
import type { CliIo } from '../../../bin/cli/io';
import { writeLocalState } from '../../../bin/cli/local-state';

const API = 'https://api.example.com';
const JOB_ID = '01kb0w8k1x7ez3n2m4c5q6r7s8';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Route = (request: Seen) => Response | Promise<Response>;

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A scripted API: routes by `METHOD path`, answers in order when a route has several answers. */
class FakeApi {
  readonly seen: Seen[] = [];
  private readonly routes = new Map<string, Route[]>();

  on(key: string, ...answers: Route[]): this {
    this.routes.set(key, answers);
    return this;
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = String(input);
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    let body: unknown = init?.body;
    if (typeof body === 'string' && headers['content-type'] === 'application/json') body = JSON.parse(body);
    const request = { method: init?.method ?? 'GET', url, headers, body };
    this.seen.push(request);
    const path = new URL(url).pathname;
    const key = `${request.method} ${url.startsWith(API) ? path : url.split('?')[0]}`;
    const answers = this.routes.get(key);
    if (!answers?.length) throw new Error(`unexpected request ${key}`);
    const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
    return answer(request);
  };
}

function job(overrides: Partial<Job> = {}): Job {
  return {
    job_id: JOB_ID,
    job_type: 'IMPORT',
    status: 'QUEUED',
    model: 'contacts',
    export_format: null,
    user: 'alice',
    input_params: {},
    input_file: null,
    output_file: null,
    result_log: null,
    progress: null,
    created_at: '2026-11-26T11:00:00.000Z',
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

const ROW_ERRORS = [
  { row: 3, column: 'customer_id', field: 'customer', value: 'cust-9999', code: 'not_found', message: "customers 'cust-9999' not found" },
  { row: 5, column: 'first_name', field: 'first_name', value: '', code: 'required', message: 'first_name is required' },
];

function finished(status: string, errors: number): Job {
  return job({
    status,
    started_at: '2026-11-26T11:00:00.500Z',
    finished_at: '2026-11-26T11:00:02.000Z',
    progress: { rows_processed: 6, rows_total: 6, chunks_done: 1, chunks_total: 1 },
    result_log: { totals: { rows: 6, new: 2, updated: 0, skipped: 0, errors }, row_errors: ROW_ERRORS.slice(0, errors) },
  });
}

/** Runs `dataio ...` in process against the fake API and captures what it printed. */
async function run(argv: string[], api: FakeApi, options: { tty?: boolean; env?: Record<string, string>; cwd?: string; interruptAfterPolls?: number } = {}) {
  let stdout = '';
  let stderr = '';
  let clock = 0;
  let interrupt: (() => void) | undefined;
  let polls = 0;
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false, columns: 100 },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? { DATAIO_API_URL: API, DATAIO_TOKEN: 'test-token' },
    cwd: options.cwd ?? process.cwd(),
    fetch: api.fetch,
    now: () => (clock += 100),
    sleep: async () => {
      polls += 1;
      if (options.interruptAfterPolls !== undefined && polls >= options.interruptAfterPolls) interrupt?.();
    },
    onInterrupt: (handler) => {
      interrupt = handler;
      return () => (interrupt = undefined);
    },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('dataio CLI commands (in process, scripted API)', () => {
  let dir: string;
  let csv: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dataio-cli-cmd-'));
    csv = join(dir, 'contacts.csv');
    writeFileSync(csv, 'first_name,last_name\nAda,Lovelace\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('import', () => {
    it('sends a small file as multipart with its options and prints only the job id', async () => {
      const api = new FakeApi().on('POST /api/v1/contacts/import/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }));

      const { code, stdout } = await run(['import', 'contacts', csv, '--skip-errors', '--encoding', 'windows-1252'], api);

      expect(code).toBe(0);
      expect(stdout).toBe(`${JOB_ID}\n`);
      const [request] = api.seen;
      expect(request!.headers.authorization).toBe('Bearer test-token');
      const form = request!.body as FormData;
      expect(form.get('skip_errors')).toBe('true');
      expect(form.get('encoding')).toBe('windows-1252');
      expect(form.get('dry_run')).toBeNull();
      const file = form.get('file') as File;
      expect(file.name).toBe('contacts.csv');
      expect(await file.text()).toBe('first_name,last_name\nAda,Lovelace\n');
    });

    it('takes the presigned route above 4 MiB: upload URL, PUT with the signed headers, then {upload_id}', async () => {
      const big = join(dir, 'big.csv');
      writeFileSync(big, `name\n${'x'.repeat(DIRECT_UPLOAD_LIMIT_BYTES)}\n`);
      const api = new FakeApi()
        .on('POST /api/v1/tags/import/uploads/', () =>
          json(201, { upload_id: 'u'.repeat(26), url: 'https://s3.example.com/uploads/acme/u/big.csv?X-Amz-Signature=1', method: 'PUT', headers: { 'Content-Type': 'text/csv', 'Content-Length': String(DIRECT_UPLOAD_LIMIT_BYTES + 6) } }),
        )
        .on('PUT https://s3.example.com/uploads/acme/u/big.csv', () => new Response('', { status: 200 }))
        .on('POST /api/v1/tags/import/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }));

      const { code, stdout, stderr } = await run(['import', 'tags', big, '--dry-run'], api);

      expect(code).toBe(0);
      expect(stdout).toBe(`${JOB_ID}\n`);
      expect(stderr).toContain('uploading big.csv (4.0 MiB) to a presigned URL');
      expect(api.seen.map((r) => r.method)).toEqual(['POST', 'PUT', 'POST']);
      expect(api.seen[0]!.body).toEqual({ filename: 'big.csv', size: DIRECT_UPLOAD_LIMIT_BYTES + 6 });
      expect(api.seen[1]!.headers).toEqual({ 'content-type': 'text/csv', 'content-length': String(DIRECT_UPLOAD_LIMIT_BYTES + 6) });
      expect((api.seen[1]!.body as Blob).size).toBe(DIRECT_UPLOAD_LIMIT_BYTES + 6);
      expect(api.seen[2]!.body).toEqual({ upload_id: 'u'.repeat(26), dry_run: true });
    });

    it('chooses the route by size unless told', () => {
      expect(uploadRoute('auto', DIRECT_UPLOAD_LIMIT_BYTES)).toBe('direct');
      expect(uploadRoute('auto', DIRECT_UPLOAD_LIMIT_BYTES + 1)).toBe('presigned');
      expect(uploadRoute('presigned', 10)).toBe('presigned');
      expect(uploadRoute('direct', DIRECT_UPLOAD_LIMIT_BYTES * 2)).toBe('direct');
    });

    it('with --wait prints progress lines, the totals and the row errors, and exits 1 when the job FAILED', async () => {
      const api = new FakeApi()
        .on('POST /api/v1/contacts/import/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }))
        .on(
          `GET /api/v1/data-jobs/${JOB_ID}/`,
          () => json(200, job()),
          () => json(200, job({ status: 'RUNNING', progress: { rows_processed: 0, rows_total: 6, chunks_done: 0, chunks_total: 1 } })),
          () => json(200, job({ status: 'RUNNING', progress: { rows_processed: 0, rows_total: 6, chunks_done: 0, chunks_total: 1 } })),
          () => json(200, finished('FAILED', 2)),
        );

      const { code, stdout } = await run(['import', 'contacts', csv, '--wait'], api);

      expect(code).toBe(1);
      const lines = stdout.split('\n');
      expect(lines[0]).toBe(`import of contacts.csv (34 B) into contacts started: job ${JOB_ID}`);
      expect(lines.filter((l) => /^\[[^\]]+\] {2}/.test(l))).toEqual([
        expect.stringMatching(/QUEUED$/),
        expect.stringMatching(/RUNNING {2}0% {2}rows 0\/6 {2}chunks 0\/1$/),
        expect.stringMatching(/FAILED {2}100% {2}rows 6\/6 {2}chunks 1\/1$/),
      ]);
      expect(stdout).toContain('totals       6 rows: 2 new, 0 updated, 0 skipped, 2 with errors');
      expect(stdout).toContain("3    customer (customer_id)  not_found  customers 'cust-9999' not found");
      expect(stdout).toContain('5    first_name              required   first_name is required');
    });

    it('exits 2 when the job completed with row errors, 0 without, and draws a bar on a terminal', async () => {
      const withErrors = new FakeApi()
        .on('POST /api/v1/contacts/import/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }))
        .on(`GET /api/v1/data-jobs/${JOB_ID}/`, () => json(200, job({ status: 'RUNNING', progress: { rows_processed: 3, rows_total: 6, chunks_done: 1, chunks_total: 2 } })), () => json(200, finished('COMPLETED', 2)));
      const clean = new FakeApi()
        .on('POST /api/v1/contacts/import/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }))
        .on(`GET /api/v1/data-jobs/${JOB_ID}/`, () => json(200, finished('COMPLETED', 0)));

      const partial = await run(['import', 'contacts', csv, '--wait', '--skip-errors'], withErrors, { tty: true });
      const ok = await run(['import', 'contacts', csv, '-w'], clean);

      expect(partial.code).toBe(2);
      expect(partial.stdout).toContain('\r\x1b[2Kimport contacts [██████████');
      expect(partial.stdout).toMatch(/ 50% {2}rows 3\/6 {2}chunks 1\/2 {2}RUNNING/);
      expect(partial.stdout).toContain('row errors (2):');
      expect(ok.code).toBe(0);
      expect(ok.stdout).not.toContain('row errors');
    });

    it('rides out a 503 while polling', async () => {
      const api = new FakeApi()
        .on('POST /api/v1/contacts/import/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }))
        .on(`GET /api/v1/data-jobs/${JOB_ID}/`, () => json(503, { message: 'Service Unavailable' }), () => json(200, finished('COMPLETED', 0)));

      const { code } = await run(['import', 'contacts', csv, '--wait'], api);

      expect(code).toBe(0);
    });

    it('stops waiting on Ctrl-C with 130 and says the job keeps running', async () => {
      const api = new FakeApi()
        .on('POST /api/v1/contacts/import/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }))
        .on(`GET /api/v1/data-jobs/${JOB_ID}/`, () => json(200, job({ status: 'RUNNING' })));

      const { code, stderr } = await run(['import', 'contacts', csv, '--wait'], api, { interruptAfterPolls: 2 });

      expect(code).toBe(130);
      expect(stderr).toContain(`stopped waiting for job ${JOB_ID}; it keeps running: 'dataio job ${JOB_ID}' shows it, 'dataio cancel ${JOB_ID}' stops it`);
    });

    it('refuses a missing file before calling the API', async () => {
      const api = new FakeApi();

      const { code, stderr } = await run(['import', 'contacts', join(dir, 'nope.csv')], api);

      expect(code).toBe(64);
      expect(stderr).toContain("dataio import: cannot read '");
      expect(stderr).toContain('ENOENT');
      expect(api.seen).toEqual([]);
    });
  });

  describe('export', () => {
    it('sends the filter file, fields and ordering, then downloads the finished file to --out', async () => {
      writeFileSync(join(dir, 'filter.json'), '{"field":"price","op":"gte","value":"100"}');
      const api = new FakeApi()
        .on('POST /api/v1/products/export/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }))
        .on(
          `GET /api/v1/data-jobs/${JOB_ID}/`,
          () =>
            json(
              200,
              job({
                job_type: 'EXPORT',
                export_format: 'csv',
                model: 'products',
                status: 'COMPLETED',
                output_file: { filename: 'products-20261126-110000.csv', size: 20, content_type: 'text/csv', download_url: 'https://s3.example.com/out.csv?sig=1' },
                result_log: { totals: { rows: 2, new: 0, updated: 0, skipped: 0, errors: 0 }, row_errors: [] },
              }),
            ),
        )
        .on('GET https://s3.example.com/out.csv', () => new Response('sku,price\nA,120\nB,100\n'));

      const { code, stdout } = await run(['export', 'products', '--filter', 'filter.json', '--fields', 'sku,price', '--ordering', '-price', '--out', 'p.csv'], api, { cwd: dir });

      expect(code).toBe(0);
      expect(api.seen[0]!.body).toEqual({ format: 'csv', filters: { field: 'price', op: 'gte', value: '100' }, fields: ['sku', 'price'], ordering: ['-price'] });
      expect(readFileSync(join(dir, 'p.csv'), 'utf8')).toBe('sku,price\nA,120\nB,100\n');
      expect(stdout).toContain(`wrote ${join(dir, 'p.csv')} (22 B, 2 rows)`);
    });

    it('names the file as the API does in the current folder, or inside an --out folder', () => {
      expect(outputPath(undefined, '/work', 'products-1.csv')).toBe('/work/products-1.csv');
      expect(outputPath(dir, '/work', 'products-1.csv')).toBe(join(dir, 'products-1.csv'));
      expect(outputPath('out/p.csv', '/work', 'products-1.csv')).toBe('/work/out/p.csv');
      expect(outputPath(undefined, '/work', '../evil.csv')).toBe('/work/.._evil.csv');
    });

    it('prints the API error code and message of a refused export and exits 3', async () => {
      const api = new FakeApi().on('POST /api/v1/products/export/', () =>
        json(400, { error: { code: 'validation_error', message: "filters.and[1].field: unknown field 'nope'", details: { path: 'filters.and[1].field' } } }),
      );

      const { code, stderr } = await run(['export', 'products', '--filter', '{"and":[]}'], api);

      expect(code).toBe(3);
      expect(stderr).toBe("dataio: the API answered 400 validation_error: filters.and[1].field: unknown field 'nope'\n");
    });

    it('exits 1 with the reason when the export fails, and writes no file', async () => {
      const api = new FakeApi()
        .on('POST /api/v1/products/export/', () => json(202, { job_id: JOB_ID, status: 'QUEUED' }))
        .on(`GET /api/v1/data-jobs/${JOB_ID}/`, () => json(200, job({ job_type: 'EXPORT', export_format: 'pdf', model: 'products', status: 'FAILED', result_log: { error: { code: 'report_too_large', message: 'over 2,000 pages' } } })));

      const { code, stdout } = await run(['export', 'products', '--format', 'pdf', '--wait'], api, { cwd: dir });

      expect(code).toBe(1);
      expect(stdout).toContain('error        report_too_large: over 2,000 pages');
      expect(api.seen.some((r) => r.url.includes('s3.example.com'))).toBe(false);
    });
  });

  describe('jobs, job and cancel', () => {
    it('pages through the list and keeps the jobs that match --status and --type', async () => {
      const api = new FakeApi().on(
        'GET /api/v1/data-jobs/',
        () => json(200, { items: [job({ job_id: 'a', status: 'FAILED' }), job({ job_id: 'b', status: 'COMPLETED' })], next_cursor: 'c1' }),
        () => json(200, { items: [job({ job_id: 'c', status: 'FAILED', job_type: 'EXPORT' }), job({ job_id: 'd', status: 'FAILED' })], next_cursor: null }),
      );

      const { code, stdout } = await run(['jobs', '--status', 'failed', '--type', 'import', '--json'], api);

      expect(code).toBe(0);
      expect((JSON.parse(stdout) as Job[]).map((j) => j.job_id)).toEqual(['a', 'd']);
      expect(new URL(api.seen[1]!.url).searchParams.get('cursor')).toBe('c1');
    });

    it('asks for only as many jobs as it shows when not filtering', async () => {
      const api = new FakeApi().on('GET /api/v1/data-jobs/', () => json(200, { items: [job()], next_cursor: 'more' }));

      const { stdout } = await run(['jobs', '--limit', '1'], api);

      expect(api.seen).toHaveLength(1);
      expect(new URL(api.seen[0]!.url).searchParams.get('limit')).toBe('1');
      expect(stdout.split('\n')[0]).toMatch(/^JOB ID\s+TYPE\s+MODEL\s+STATUS/);
    });

    it('shows one job as a summary or as JSON', async () => {
      const api = new FakeApi().on(`GET /api/v1/data-jobs/${JOB_ID}/`, () => json(200, finished('COMPLETED', 2)));

      const text = await run(['job', JOB_ID], api);
      const raw = await run(['job', JOB_ID, '--json'], api);

      expect(text.stdout).toContain(`job ${JOB_ID}  IMPORT contacts  COMPLETED`);
      expect(text.stdout).toContain('row errors (2):');
      expect(JSON.parse(raw.stdout)).toEqual(finished('COMPLETED', 2));
    });

    it('cancels, and reports a job that already ended with the API’s 409', async () => {
      const api = new FakeApi().on(
        `POST /api/v1/data-jobs/${JOB_ID}/cancel/`,
        () => json(200, job({ status: 'CANCELLED' })),
        () => json(409, { error: { code: 'job_transition', message: `data job '${JOB_ID}' is already CANCELLED` } }),
      );

      const first = await run(['cancel', JOB_ID], api);
      const second = await run(['cancel', JOB_ID], api);

      expect(first).toMatchObject({ code: 0, stdout: `job ${JOB_ID} (import contacts) is CANCELLED\n` });
      expect(second.code).toBe(3);
      expect(second.stderr).toContain(`the API answered 409 job_transition: data job '${JOB_ID}' is already CANCELLED`);
    });

    it('hints at the token when DATAIO_TOKEN is refused', async () => {
      const api = new FakeApi().on('GET /api/v1/data-jobs/', () => json(401, { error: { code: 'unauthorized', message: 'unauthorized' } }));

      const { code, stderr } = await run(['jobs'], api);

      expect(code).toBe(3);
      expect(stderr).toContain('401 unauthorized: unauthorized (DATAIO_TOKEN was refused');
    });
  });

  describe('the local stack', () => {
    it('says there is none when the recorded stack does not answer', async () => {
      writeLocalState(dir, { api_url: 'http://127.0.0.1:9', pid: process.pid, started_at: 'x' });
      writeFileSync(join(dir, 'jwt-secret'), 'secret');
      const api = new FakeApi();
      const refused: typeof fetch = async (input, init) => {
        await api.fetch(input, init).catch(() => undefined);
        throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      };

      const { code, stderr } = await run(['jobs'], { ...api, fetch: refused } as FakeApi, { env: { DATAIO_DATA_DIR: dir } });

      expect(code).toBe(3);
      expect(stderr).toBe('dataio: no local stack running: run `npx dataio start` or pass --api (http://127.0.0.1:9 does not answer: cannot reach http://127.0.0.1:9: ECONNREFUSED)\n');
      expect(api.seen[0]!.headers.authorization).toMatch(/^Bearer ey/);
    });

    it('says there is none when nothing is recorded', async () => {
      const { code, stderr } = await run(['job', JOB_ID], new FakeApi(), { env: { DATAIO_DATA_DIR: dir } });

      expect(code).toBe(3);
      expect(stderr).toBe('dataio: no local stack running: run `npx dataio start` or pass --api\n');
    });
  });

  describe('usage', () => {
    it('exits 64 for an unknown command or option, and 0 with the help text for --help', async () => {
      const unknown = await run(['frobnicate'], new FakeApi());
      const badOption = await run(['jobs', '--colour'], new FakeApi());
      const help = await run(['export', '--help'], new FakeApi());

      expect(unknown.code).toBe(64);
      expect(unknown.stderr).toContain("unknown command 'frobnicate'");
      expect(badOption.code).toBe(64);
      expect(badOption.stderr).toContain("dataio jobs: Unknown option '--colour'");
      expect(badOption.stderr).toContain("run 'dataio jobs --help' for the options");
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('usage: dataio export <model> [options]');
    });
  });
});
