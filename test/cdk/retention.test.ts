import { Match } from 'aws-cdk-lib/assertions';
import { OPEN_JOBS_INDEX } from '../../layers/aws/dynamodb-job-repository';
import { DataioTemplates, environmentOf, synthDataio } from './synth-dataio';

type Rule = Record<string, unknown>;

function lifecycleRules(templates: DataioTemplates): Rule[] {
  // The files bucket, not the access log bucket next to it.
  const [bucket] = Object.entries(templates.storage.findResources('AWS::S3::Bucket'))
    .filter(([logicalId]) => logicalId.startsWith('FilesBucket'))
    .map(([, resource]) => resource);
  return bucket!.Properties.LifecycleConfiguration.Rules as Rule[];
}

function rule(templates: DataioTemplates, id: string): Rule | undefined {
  return lifecycleRules(templates).find((r) => r.Id === id);
}

describe('retention', () => {
  let templates: DataioTemplates;

  beforeAll(() => {
    templates = synthDataio();
  });

  describe('DataJobs', () => {
    it('expire through the ttl attribute, 90 days after creation by default', () => {
      templates.storage.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        GlobalSecondaryIndexes: Match.anyValue(),
      });
      for (const handler of ['lambdas/api/create-import.ts', 'lambdas/api/create-export.ts']) {
        expect(environmentOf(templates.service, handler)).toMatchObject({ JOB_TTL_DAYS: '90' });
      }
    });

    it('keep a sparse index of the open jobs for the stuck-job sweeper', () => {
      templates.storage.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: [
          {
            IndexName: 'open-jobs',
            KeySchema: [
              { AttributeName: 'open_status', KeyType: 'HASH' },
              { AttributeName: 'open_since', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...OPEN_JOBS_INDEX.nonKeyAttributes] },
          },
        ],
      });
      // Only the jobs table: the records table has no index.
      const tables = Object.values(templates.storage.findResources('AWS::DynamoDB::Table'));
      expect(tables.filter((t) => t.Properties.GlobalSecondaryIndexes)).toHaveLength(1);
    });

    it('take their lifetime from context, files following it', () => {
      const custom = synthDataio({ 'dataio:jobTtlDays': 30 });

      expect(environmentOf(custom.service, 'lambdas/api/create-import.ts')).toMatchObject({ JOB_TTL_DAYS: '30' });
      expect(rule(custom, 'expire-export-outputs')).toMatchObject({ ExpirationInDays: 30 });
      expect(rule(custom, 'expire-import-files')).toMatchObject({ ExpirationInDays: 30 });
    });
  });

  describe('files bucket lifecycle', () => {
    it('expires export outputs, and import inputs with their error reports, when their jobs expire', () => {
      expect(rule(templates, 'expire-export-outputs')).toEqual({ Id: 'expire-export-outputs', Prefix: 'exports/', ExpirationInDays: 90, Status: 'Enabled' });
      expect(rule(templates, 'expire-import-files')).toEqual({ Id: 'expire-import-files', Prefix: 'imports/', ExpirationInDays: 90, Status: 'Enabled' });
    });

    it('expires unused uploads after 7 days and abandoned work files after 3, their old versions after 1', () => {
      expect(rule(templates, 'expire-unused-uploads')).toEqual({
        Id: 'expire-unused-uploads',
        Prefix: 'uploads/',
        ExpirationInDays: 7,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        Status: 'Enabled',
      });
      expect(rule(templates, 'expire-work-files')).toEqual({
        Id: 'expire-work-files',
        Prefix: 'work/',
        ExpirationInDays: 3,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        Status: 'Enabled',
      });
    });

    it('removes noncurrent versions after 30 days, then the delete markers left behind, and aborts stale multipart uploads', () => {
      expect(rule(templates, 'expire-noncurrent-versions')).toMatchObject({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' });
      expect(rule(templates, 'expire-noncurrent-versions')).not.toHaveProperty('Prefix');
      expect(rule(templates, 'remove-expired-delete-markers')).toEqual({ Id: 'remove-expired-delete-markers', ExpiredObjectDeleteMarker: true, Status: 'Enabled' });
      expect(rule(templates, 'abort-incomplete-multipart')).toMatchObject({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } });
    });

    it('takes export and import retention from context', () => {
      const custom = synthDataio({ 'dataio:exportRetentionDays': 7, 'dataio:importRetentionDays': '14' });

      expect(rule(custom, 'expire-export-outputs')).toMatchObject({ ExpirationInDays: 7 });
      expect(rule(custom, 'expire-import-files')).toMatchObject({ ExpirationInDays: 14 });
    });

    it.each([
      [{ 'dataio:exportRetentionDays': 120 }, /exportRetentionDays \(120\) must not exceed jobTtlDays \(90\)/],
      [{ 'dataio:jobTtlDays': 10, 'dataio:importRetentionDays': 11 }, /importRetentionDays \(11\) must not exceed jobTtlDays \(10\)/],
      [{ 'dataio:jobTtlDays': 0 }, /jobTtlDays must be a positive whole number of days/],
    ])('fails at synth on %j', (context, message) => {
      expect(() => synthDataio(context)).toThrow(message);
    });
  });
});
