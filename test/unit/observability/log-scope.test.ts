import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { z } from 'zod';
import { newJob } from '../../../layers/core/jobs/start-job';
import { withHttp } from '../../../lambdas/shared/http';
import { appendLogKeys, log } from '../../../lambdas/shared/log';
import { LogTaggingJobRepository } from '../../../lambdas/shared/log-tagging-job-repository';
import { withTask } from '../../../lambdas/shared/task';
import { captureOutput } from '../../support/captured-output';
import { InMemoryJobRepository } from '../../support/in-memory-job-repository';

const context = (requestId: string) => ({ functionName: 'fn', awsRequestId: requestId }) as Context;
const taskInput = z.object({ org: z.string(), job_id: z.string(), chunk: z.number().optional() });

function job(id: string, model = 'contacts') {
  return newJob({ job_id: id, job_type: 'IMPORT', organization: 'acme', user: 'alice', model, export_format: null, input_params: {}, input_file: null }, new Date());
}

function httpEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    body: null,
    headers: {},
    httpMethod: 'GET',
    isBase64Encoded: false,
    path: '/api/v1/data-jobs/J1/',
    pathParameters: { job_id: 'J1' },
    queryStringParameters: null,
    requestContext: { authorizer: { user: 'alice', org: 'acme', perms: '*' } },
    ...overrides,
  } as unknown as APIGatewayProxyEvent;
}

describe('log scope of the handler wrappers', () => {
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => {
    output.restore();
    delete process.env.DATAIO_LOG;
  });

  it('puts job_id, organization, chunk and, once the job is read, model on every line of a task', async () => {
    const jobs = new LogTaggingJobRepository(new InMemoryJobRepository());
    await jobs.create(job('J1'));
    const handler = withTask('probe', taskInput, async (input) => {
      log('info', 'before the job is read');
      await jobs.get(input.org, input.job_id);
      log('info', 'after the job is read', { rows: 3 });
    });

    await handler({ org: 'acme', job_id: 'J1', chunk: 2 }, context('r1'));

    const lines = output.lines();
    expect(lines.map((l) => l.message)).toEqual(['before the job is read', 'after the job is read', 'probe finished']);
    for (const line of lines) {
      expect(line).toMatchObject({ level: 'INFO', service: 'dataio', job_id: 'J1', organization: 'acme', chunk: 2, function_name: 'fn', function_request_id: 'r1' });
    }
    expect(lines[0]).not.toHaveProperty('model');
    expect(lines[1]).toMatchObject({ model: 'contacts', rows: 3 });
    expect(lines[2]).toMatchObject({ model: 'contacts', duration_ms: expect.any(Number) });
  });

  it('keeps concurrent invocations apart and starts each one clean', async () => {
    const handler = withTask('probe', taskInput, async (input) => {
      if (input.job_id === 'J1') appendLogKeys({ model: 'products' });
      await new Promise((resolve) => setTimeout(resolve, input.job_id === 'J1' ? 20 : 0));
      log('info', 'working');
    });

    await Promise.all([handler({ org: 'acme', job_id: 'J1' }, context('r1')), handler({ org: 'globex', job_id: 'J2' }, context('r2'))]);
    await handler({ org: 'acme', job_id: 'J3' }, context('r3'));

    const working = output.lines().filter((l) => l.message === 'working');
    expect(working.map((l) => [l.job_id, l.organization, l.model, l.function_request_id, l.cold_start])).toEqual([
      ['J2', 'globex', undefined, 'r2', false],
      ['J1', 'acme', 'products', 'r1', true],
      ['J3', 'acme', undefined, 'r3', false],
    ]);
  });

  it('logs a failed task with its job and the error, and rethrows', async () => {
    const handler = withTask('probe', taskInput, async () => {
      throw new RangeError('boom');
    });

    await expect(handler({ org: 'acme', job_id: 'J1' }, context('r1'))).rejects.toThrow('boom');

    expect(output.lines()).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'probe failed', job_id: 'J1', organization: 'acme', error: expect.objectContaining({ name: 'RangeError', message: 'boom' }) }),
    ]);
  });

  it('keys a request by the caller organization and the job or model the path names', async () => {
    const handler = withHttp(async () => {
      log('info', 'handling');
      return { statusCode: 200, body: {} };
    });

    await handler(httpEvent(), context('r1'));
    await handler(httpEvent({ path: '/api/v1/products/export/', pathParameters: { model_plural: 'products' } }), context('r2'));

    expect(output.lines().map((l) => [l.organization, l.job_id, l.model])).toEqual([
      ['acme', 'J1', undefined],
      ['acme', undefined, 'products'],
    ]);
  });

  it('adds the id and model of the job a request creates, and of no other job', async () => {
    const jobs = new LogTaggingJobRepository(new InMemoryJobRepository());
    await jobs.create(job('OTHER', 'tags'));
    const handler = withHttp(async () => {
      await jobs.get('acme', 'OTHER');
      log('info', 'read another job');
      await jobs.create(job('NEW'));
      await jobs.get('acme', 'OTHER');
      log('info', 'created');
      return { statusCode: 202, body: {} };
    });

    await handler(httpEvent({ path: '/api/v1/contacts/import/', pathParameters: null, httpMethod: 'POST' }), context('r1'));

    expect(output.lines().map((l) => [l.message, l.job_id, l.model])).toEqual([
      ['read another job', undefined, undefined],
      ['created', 'NEW', 'contacts'],
    ]);
  });

  it('logs a rejected request at INFO and a failed one at ERROR with its stack, answering with the error body', async () => {
    const rejected = withHttp(async () => {
      throw new (await import('../../../layers/core/errors')).ValidationError('bad input');
    });
    const failed = withHttp(async () => {
      throw new Error('database down');
    });

    const answers = [await rejected(httpEvent(), context('r1')), await failed(httpEvent(), context('r2'))];

    expect(answers.map((a) => a.statusCode)).toEqual([400, 500]);
    const [info, error] = output.lines();
    expect(info).toMatchObject({ level: 'INFO', message: 'request rejected', status: 400, organization: 'acme', job_id: 'J1' });
    expect(error).toMatchObject({ level: 'ERROR', message: 'request failed', status: 500, error: expect.objectContaining({ message: 'database down', stack: expect.stringContaining('database down') }) });
  });

  it('prints nothing with DATAIO_LOG=silent', async () => {
    process.env.DATAIO_LOG = 'silent';
    const handler = withTask('probe', taskInput, async () => log('warn', 'quiet'));

    await handler({ org: 'acme', job_id: 'J1' }, context('r1'));

    expect(output.lines()).toEqual([]);
  });
});
