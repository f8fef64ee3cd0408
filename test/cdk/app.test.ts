import * as cdk from 'aws-cdk-lib';
import { createApp } from '../../lib/app';
import { environmentOf, synthDataio } from './synth-dataio';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

describe('createApp', () => {
  it('builds env-agnostic DataioStorage and DataioService stacks with cdk.json context applied', () => {
    const { app, storage, service } = createApp({ context: NO_BUNDLING });

    expect(storage.stackName).toBe('DataioStorage');
    expect(service.stackName).toBe('DataioService');
    for (const stack of [storage, service]) {
      expect(cdk.Token.isUnresolved(stack.account)).toBe(true);
      expect(cdk.Token.isUnresolved(stack.region)).toBe(true);
    }
    const assembly = app.synth();
    expect(assembly.getStackByName('DataioService').dependencies.map((d) => d.id)).toContain('DataioStorage');
    expect(app.node.tryGetContext('@aws-cdk/aws-iam:minimizePolicies')).toBe(true);
  });

  it('takes settings from context, including the strings `cdk -c` passes', () => {
    const { service } = synthDataio({
      'dataio:importChunkRows': '2500',
      'dataio:exportSegments': 8,
      'dataio:jwtIssuer': 'issuer-x',
      'dataio:downloadUrlTtlSeconds': 60,
    });

    expect(environmentOf(service, 'lambdas/workflow/import-prepare.ts')).toMatchObject({ IMPORT_CHUNK_ROWS: '2500', EXPORT_SEGMENTS: '8' });
    expect(environmentOf(service, 'lambdas/api/authorizer.ts')).toMatchObject({ JWT_ISSUER: 'issuer-x', JWT_AUDIENCE: 'dataio-api' });
    expect(environmentOf(service, 'lambdas/api/get-job.ts')).toMatchObject({ DOWNLOAD_URL_TTL_SECONDS: '60' });
  });

  it.each([
    [{ 'dataio:importChunkRows': 0 }, /importChunkRows must be a positive integer/],
    [{ 'dataio:exportSegments': 'four' }, /dataio:exportSegments must be a number/],
    [{ 'dataio:downloadUrlTtlSeconds': 8 * 24 * 3600 }, /downloadUrlTtlSeconds must be an integer between 1 and 604800/],
    [{ 'dataio:logRetentionDays': 31 }, /dataio:logRetentionDays must be a CloudWatch Logs retention/],
  ])('fails at synth on invalid context %j', (context, message) => {
    expect(() => createApp({ context: { ...NO_BUNDLING, ...context } })).toThrow(message);
  });
});
