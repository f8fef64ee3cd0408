/** The whole local stack in one process: synthesized app, real handlers, in-memory DynamoDB. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueToken } from '../../lambdas/shared/jwt';
import { LocalStack, startLocalStack } from '../../lib/local/local-stack';

describe('startLocalStack', () => {
  let stack: LocalStack | undefined;
  let dataDir: string;
  const envBefore = { ...process.env };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataio-stack-'));
    stack = await startLocalStack({ port: 0, dataDir, inMemory: true });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const route = (handler: string): string => {
    const found = stack!.model.api.routes.find((r) => r.functionLogicalId && stack!.model.functions.get(r.functionLogicalId)?.handlerPath === handler);
    if (!found) throw new Error(`no route for ${handler}`);
    return found.pathTemplate.replace('{model_plural}', 'products');
  };
  const token = (): string =>
    issueToken({ org: 'acme', user: 'admin', perms: ['*'] }, stack!.jwtSecret, { issuer: process.env.JWT_ISSUER, audience: process.env.JWT_AUDIENCE });

  it('points the SDK at the local services and exports the function env', () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(stack!.dynamodbEndpoint);
    expect(process.env.AWS_ENDPOINT_URL_S3).toBe(stack!.s3Endpoint);
    expect(process.env.AWS_ENDPOINT_URL_SFN).toBe(stack!.sfnEndpoint);
    expect(process.env.JOBS_TABLE_NAME).toBe(stack!.model.tables.find((t) => t.logicalId.startsWith('JobsTable'))?.name);
    expect(process.env.JWT_SECRET).toBe(fs.readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim());
  });

  it('serves the API behind the real authorizer', async () => {
    const listJobs = `${stack!.apiUrl}${route('lambdas/api/list-jobs.ts')}`;
    expect((await fetch(listJobs)).status).toBe(401);
    expect((await fetch(listJobs, { headers: { Authorization: 'Bearer forged.token.here' } })).status).toBe(401);
    const response = await fetch(listJobs, { headers: { Authorization: `Bearer ${token()}` } });
    expect(response.status).toBe(200);
  });

  it('runs a job through the synthesized state machine', async () => {
    const response = await fetch(`${stack!.apiUrl}${route('lambdas/api/create-export.ts')}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 'csv' }),
    });
    expect(response.status).toBeLessThan(300);
    const [execution] = stack!.stepFunctions.listExecutions();
    expect(execution).toBeDefined();
    const done = await stack!.stepFunctions.waitForExecution(execution.executionArn);
    expect({ status: done.status, error: done.error, cause: done.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
  }, 30_000);

  it('restores process.env and leaves nothing running on stop', async () => {
    const { dynamodbEndpoint } = stack!;
    await stack!.stop();
    stack = undefined;
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(envBefore.AWS_ENDPOINT_URL_DYNAMODB);
    expect(process.env.JWT_SECRET).toBe(envBefore.JWT_SECRET);
    await expect(fetch(dynamodbEndpoint)).rejects.toThrow();
  });
});
