/**
 * docs/api.md is true: its runnable curl examples, run in order in one bash against a fresh local
 * stack, succeed and print what the doc shows; and what the API answers is what the served
 * OpenAPI document describes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDocument } from '../../lambdas/shared/openapi';
import { ApiClient } from '../support/api-client';
import { compareOutput, extractExamples, runExamples, type SessionResult } from '../support/doc-examples';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';
import { componentValidator } from '../support/openapi-ajv';

// Starting the stack takes minutes on a loaded 2-core machine; the examples about one more.
jest.setTimeout(600_000);

const DOC = join(__dirname, '..', '..', 'docs', 'api.md');
const examples = extractExamples(readFileSync(DOC, 'utf8'));

describe('docs/api.md against the local stack', () => {
  let stack: LocalStackProcess;
  let workDir: string;
  let session: SessionResult;

  beforeAll(async () => {
    for (const tool of ['curl', 'jq']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`the docs examples need ${tool}: apt-get install -y ${tool}`);
    }
    stack = await startLocalStackProcess({ timeoutMs: 300_000 });
    workDir = mkdtempSync(join(tmpdir(), 'dataio-docs-'));
    const token = stack.token({ org: 'acme', user: 'alice', perms: ['*'] });
    session = await runExamples(examples, { cwd: workDir, env: { API: stack.apiUrl, TOKEN: token }, timeoutMs: 240_000 });
  });
  afterAll(async () => {
    await stack?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('has runnable examples, most of them with the output they print', () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
    expect(examples.filter((e) => e.expected).length).toBeGreaterThanOrEqual(12);
  });

  it.each(examples.map((example, i) => [example.line, i] as const))('runs the example at docs/api.md:%i as shown', (line, i) => {
    const example = examples[i]!;
    const run = session.runs[i]!;
    if (!run.finished) {
      throw new Error(`the example at docs/api.md:${line} did not finish (bash exited ${session.exitCode}):\n${run.stdout}\n${session.stderr}`);
    }
    const problems = example.expected ? compareOutput(example.expected, run.stdout) : [];
    expect({ line, problems }).toEqual({ line, problems: [] });
  });

  describe('the answers are what the served OpenAPI document describes', () => {
    let api: ApiClient;
    let validate: (name: string, data: unknown) => unknown[];

    beforeAll(async () => {
      api = new ApiClient(stack.apiUrl, stack.token({ org: 'acme', user: 'alice', perms: ['*'] }));
      const served = await api.withToken(undefined).request('GET', '/api/v1/openapi.json');
      expect(served.status).toBe(200);
      expect(served.body).toEqual(openApiDocument());
      validate = componentValidator(served.body);
    });

    it('for jobs, their list, previews, reports, uploads and errors', async () => {
      const list = await api.request('GET', '/api/v1/data-jobs/?limit=100');
      expect(list.status).toBe(200);
      expect(validate('JobList', list.body)).toEqual([]);
      expect(list.body.items.length).toBeGreaterThanOrEqual(4);
      for (const item of list.body.items) {
        const job = await api.request('GET', `/api/v1/data-jobs/${item.job_id}/`);
        expect(validate('DataJob', job.body)).toEqual([]);
      }
      const preview = await api.request('POST', '/api/v1/products/export/preview/', { limit: 3 });
      expect(validate('ExportPreview', preview.body)).toEqual([]);
      const reports = await api.request('GET', '/api/v1/customers/export/reports/');
      expect(validate('ReportList', reports.body)).toEqual([]);
      const upload = await api.request('POST', '/api/v1/tags/import/uploads/', { filename: 'tags.csv' });
      expect(upload.status).toBe(201);
      expect(validate('UploadTicket', upload.body)).toEqual([]);
      const started = await api.request('POST', '/api/v1/tags/export/', { format: 'xlsx' });
      expect(started.status).toBe(202);
      expect(validate('JobAccepted', started.body)).toEqual([]);
      expect(validate('DataJob', await api.waitForJob(started.body.job_id))).toEqual([]);

      const errors = await Promise.all([
        api.request('POST', '/api/v1/products/export/', { format: 'docx' }),
        api.withToken(undefined).request('GET', '/api/v1/data-jobs/'),
        api.withToken(stack.token({ org: 'acme', user: 'bob', perms: ['data-jobs:read'] })).request('POST', '/api/v1/products/export/', {}),
        api.request('GET', '/api/v1/data-jobs/01m8c3fzgcsm3md9fg085jz0dr/'),
        api.request('GET', '/api/v1/nothing-here/'),
      ]);
      expect(errors.map((e) => e.status)).toEqual([400, 401, 403, 404, 404]);
      for (const error of errors) expect(validate('ErrorBody', error.body)).toEqual([]);
    });
  });
});
