import { TemplateResolutionError, TemplateResolver } from '../../lib/local/template-resolver';
import { fixtureStacks } from './fixture-stacks';

describe('TemplateResolver', () => {
  const resolver = new TemplateResolver([
    {
      stackName: 'Producer',
      template: {
        Resources: {
          Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
          NamedTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: { 'Fn::Sub': '${AWS::StackName}-jobs' } } },
          Bucket: { Type: 'AWS::S3::Bucket' },
          Secret: { Type: 'AWS::SecretsManager::Secret' },
        },
        Outputs: {
          TableName: { Value: { Ref: 'Table' }, Export: { Name: { 'Fn::Join': [':', [{ Ref: 'AWS::StackName' }, 'TableName']] } } },
          BucketArn: { Value: { 'Fn::GetAtt': ['Bucket', 'Arn'] } },
        },
      },
    },
    {
      stackName: 'Consumer',
      template: {
        Parameters: { Stage: { Type: 'String', Default: 'prod' } },
        Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
        Mappings: { Sizes: { prod: { memory: 1024 } } },
        Resources: {
          Fn: { Type: 'AWS::Lambda::Function' },
          Machine: { Type: 'AWS::StepFunctions::StateMachine' },
          Api: { Type: 'AWS::ApiGateway::RestApi' },
          Role: { Type: 'AWS::IAM::Role' },
        },
      },
    },
  ]);
  const resolve = (value: unknown): unknown => resolver.resolve('Consumer', value);

  it('resolves pseudo parameters to the local account and region', () => {
    expect(resolve({ 'Fn::Join': ['/', [{ Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Partition' }, { Ref: 'AWS::URLSuffix' }]] }))
      .toBe('us-east-1/000000000000/aws/amazonaws.com');
  });

  it('gives local physical ids by resource type', () => {
    expect(resolver.resolve('Producer', { Ref: 'Table' })).toBe('Table');
    expect(resolver.resolve('Producer', { Ref: 'NamedTable' })).toBe('Producer-jobs');
    expect(resolver.resolve('Producer', { Ref: 'Bucket' })).toBe('bucket');
    expect(resolver.resolve('Producer', { Ref: 'Secret' })).toBe('arn:aws:secretsmanager:us-east-1:000000000000:secret:Secret');
    expect(resolve({ Ref: 'Machine' })).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:Machine');
    expect(resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe('arn:aws:lambda:us-east-1:000000000000:function:Fn');
    expect(resolve({ 'Fn::GetAtt': 'Fn.Arn' })).toBe('arn:aws:lambda:us-east-1:000000000000:function:Fn');
    expect(resolve({ 'Fn::GetAtt': ['Api', 'RootResourceId'] })).toBe('root');
    expect(resolve({ 'Fn::GetAtt': ['Role', 'Arn'] })).toBe('arn:aws:iam::000000000000:role/Role');
  });

  it('resolves Fn::Sub with pseudo parameters, references, attributes, variables and escapes', () => {
    expect(resolve({ 'Fn::Sub': '${Fn.Arn}|${Machine}|${AWS::Region}|${!Literal}' }))
      .toBe('arn:aws:lambda:us-east-1:000000000000:function:Fn|arn:aws:states:us-east-1:000000000000:stateMachine:Machine|us-east-1|${Literal}');
    expect(resolve({ 'Fn::Sub': ['${Greeting}, ${Name}', { Greeting: 'hello', Name: { Ref: 'AWS::StackName' } }] })).toBe('hello, Consumer');
  });

  it('resolves Fn::Select, Fn::Split, Fn::If, Fn::FindInMap and AWS::NoValue', () => {
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] })).toBe('b');
    expect(resolve({ 'Fn::If': ['IsProd', 'big', 'small'] })).toBe('big');
    expect(resolve({ 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'memory'] })).toBe(1024);
    expect(resolve({ a: 1, b: { Ref: 'AWS::NoValue' }, list: [1, { Ref: 'AWS::NoValue' }, 2] })).toEqual({ a: 1, list: [1, 2] });
  });

  it('resolves Fn::ImportValue through the resolved export names of the other stacks', () => {
    expect(resolve({ 'Fn::ImportValue': 'Producer:TableName' })).toBe('Table');
    expect(resolve({ 'Fn::ImportValue': { 'Fn::Sub': 'Producer:TableName' } })).toBe('Table');
  });

  it('resolves Fn::GetStackOutput from the producing stack', () => {
    expect(resolve({ 'Fn::GetStackOutput': { StackName: 'Producer', Region: { Ref: 'AWS::Region' }, OutputName: 'BucketArn' } }))
      .toBe('arn:aws:s3:::bucket');
  });

  it('fails loudly on what it cannot resolve', () => {
    expect(() => resolve({ Ref: 'Missing' })).toThrow(TemplateResolutionError);
    expect(() => resolve({ 'Fn::ImportValue': 'Nope' })).toThrow(/no matching export/);
    expect(() => resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] })).toThrow(/unsupported intrinsic Fn::Cidr/);
  });

  it('resolves the fixture stacks across Fn::Join and Fn::Sub export names', () => {
    const fixture = new TemplateResolver(fixtureStacks());
    expect(fixture.resolve('DataioService', { 'Fn::ImportValue': 'DataioStorage:ExportsOutputRefRecordsTableB5C3E0AA51F3B2C4' })).toBe('RecordsTableB5C3E0AA');
    expect(fixture.resolve('DataioService', { 'Fn::ImportValue': 'DataioStorage:ExportsOutputRefFilesBucket7A3E9B21C0FFEE00' })).toBe('filesbucket7a3e9b21');
  });
});
