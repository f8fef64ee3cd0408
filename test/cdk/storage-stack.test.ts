import { Match } from 'aws-cdk-lib/assertions';
import { DataioTemplates, synthDataio } from './synth-dataio';

describe('StorageStack', () => {
  let templates: DataioTemplates;

  beforeAll(() => {
    templates = synthDataio();
  });

  const PK_SK = [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ];
  // The jobs table also keys its open-jobs index (see test/cdk/retention.test.ts).
  const ATTRIBUTES: Record<string, unknown[]> = {
    JobsTable: [...PK_SK, { AttributeName: 'open_status', AttributeType: 'S' }, { AttributeName: 'open_since', AttributeType: 'S' }],
    RecordsTable: PK_SK,
  };

  it.each(['JobsTable', 'RecordsTable'])('%s is pk/sk on demand, with PITR, AWS-managed encryption, ttl and retained', (name) => {
    const tables = templates.storage.findResources('AWS::DynamoDB::Table');
    const [logicalId] = Object.keys(tables).filter((id) => id.startsWith(name));
    expect(logicalId).toBeDefined();
    const table = tables[logicalId];

    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: ATTRIBUTES[name],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    // SSEEnabled without a key id means the AWS-managed aws/dynamodb key.
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('files bucket blocks public access, is S3-encrypted, versioned, retained and open to presigned PUT/GET', () => {
    templates.storage.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        CorsConfiguration: {
          CorsRules: [Match.objectLike({ AllowedMethods: ['PUT', 'GET'], AllowedOrigins: ['*'] })],
        },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('files bucket policy denies every request that is not over TLS', () => {
    templates.storage.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('files bucket expires abandoned work files and unused uploads', () => {
    templates.storage.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-work-files', Prefix: 'work/', ExpirationInDays: 3, Status: 'Enabled' }),
          Match.objectLike({ Id: 'expire-unused-uploads', Prefix: 'uploads/', ExpirationInDays: 7, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('JWT secret is generated and retained', () => {
    templates.storage.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({
        GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('holds only stateful resources', () => {
    const types = new Set(Object.values(templates.storage.toJSON().Resources).map((r) => (r as { Type: string }).Type));
    expect([...types].sort()).toEqual([
      'AWS::DynamoDB::Table',
      'AWS::S3::Bucket',
      'AWS::S3::BucketPolicy',
      'AWS::SecretsManager::Secret',
    ]);
  });
});
