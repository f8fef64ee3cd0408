import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { cognitoIdentity, type DataioIdentity } from '../../lib/constructs/dataio-identity';
import { ServiceStack, type ServiceStackProps } from '../../lib/service-stack';
import { StorageStack } from '../../lib/storage-stack';
import { environmentOf, synthDataio } from './synth-dataio';

const AUTHORIZER = 'lambdas/api/authorizer.ts';

function service(props: (storage: StorageStack) => Partial<ServiceStackProps>): Template {
  const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const storage = new StorageStack(app, 'Storage');
  const stack = new ServiceStack(app, 'Service', {
    jobsTable: storage.jobsTable,
    recordsTable: storage.recordsTable,
    filesBucket: storage.filesBucket,
    jwtSecret: storage.jwtSecret,
    ...props(storage),
  });
  return Template.fromStack(stack);
}

/** The actions the authorizer's role may take on the JWT secret. */
function secretActions(template: Template): string[] {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((r) => r.Metadata?.['dataio:handler'] === AUTHORIZER);
  const roleId = fn?.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
    .filter((s) => JSON.stringify(s.Resource).includes('JwtSecret'))
    .flatMap((s) => ([] as string[]).concat(s.Action));
}

describe('the identity setting of the API', () => {
  it('defaults to HS256 tokens with the JWT secret, issuer dataio and audience dataio-api', () => {
    const { service: template } = synthDataio();

    expect(environmentOf(template, AUTHORIZER)).toEqual({ NODE_OPTIONS: expect.any(String), POWERTOOLS_SERVICE_NAME: 'dataio', POWERTOOLS_METRICS_NAMESPACE: 'Dataio', JWT_SECRET_ARN: expect.anything(), JWT_ISSUER: 'dataio', JWT_AUDIENCE: 'dataio-api' });
    expect(secretActions(template)).toContain('secretsmanager:GetSecretValue');
  });

  it('configures a Cognito user pool: its JWKS, issuer and app client, Cognito custom attributes, and no secret access', () => {
    const template = service((storage) => ({
      identity: cognitoIdentity(
        cognito.UserPool.fromUserPoolId(storage, 'Pool', 'eu-west-1_AbCdEf123'),
        cognito.UserPoolClient.fromUserPoolClientId(storage, 'Client', 'client123'),
      ),
    }));
    const env = environmentOf(template, AUTHORIZER);

    expect(Object.keys(env).sort()).toEqual(['JWT_AUDIENCE', 'JWT_ISSUER', 'JWT_JWKS_URL', 'JWT_ORG_CLAIM', 'JWT_PERMS_CLAIM', 'JWT_USER_CLAIM', 'NODE_OPTIONS', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME']);
    expect(env).toMatchObject({ JWT_AUDIENCE: 'client123', JWT_USER_CLAIM: 'sub', JWT_ORG_CLAIM: 'custom:org', JWT_PERMS_CLAIM: 'custom:perms' });
    expect(JSON.stringify(env.JWT_JWKS_URL)).toMatch(/https:\/\/cognito-idp\..*eu-west-1_AbCdEf123\/\.well-known\/jwks\.json/);
    expect(JSON.stringify(env.JWT_ISSUER)).toMatch(/https:\/\/cognito-idp\..*eu-west-1_AbCdEf123"/);
    expect(secretActions(template)).toEqual([]);
  });

  it('takes any OIDC provider with its own claim names', () => {
    const identity: DataioIdentity = {
      jwksUrl: 'https://login.example.com/.well-known/jwks.json',
      issuer: 'https://login.example.com/',
      audience: 'dataio',
      userClaim: 'email',
      orgClaim: 'tenant',
      permsClaim: 'roles',
    };

    const env = environmentOf(service(() => ({ identity })), AUTHORIZER);

    expect(env).toEqual({
      NODE_OPTIONS: expect.any(String),
      POWERTOOLS_SERVICE_NAME: 'dataio',
      POWERTOOLS_METRICS_NAMESPACE: 'Dataio',
      JWT_JWKS_URL: 'https://login.example.com/.well-known/jwks.json',
      JWT_ISSUER: 'https://login.example.com/',
      JWT_AUDIENCE: 'dataio',
      JWT_USER_CLAIM: 'email',
      JWT_ORG_CLAIM: 'tenant',
      JWT_PERMS_CLAIM: 'roles',
    });
  });

  it('is read from cdk context (dataio:jwksUrl with dataio:jwtIssuer and dataio:jwtAudience)', () => {
    const { service: template } = synthDataio({
      'dataio:jwksUrl': 'https://login.example.com/jwks',
      'dataio:jwtIssuer': 'https://login.example.com/',
      'dataio:jwtAudience': 'dataio',
      'dataio:jwtOrgClaim': 'tenant',
    });

    expect(environmentOf(template, AUTHORIZER)).toMatchObject({ JWT_JWKS_URL: 'https://login.example.com/jwks', JWT_ISSUER: 'https://login.example.com/', JWT_ORG_CLAIM: 'tenant', JWT_PERMS_CLAIM: 'custom:perms' });
  });

  it.each([
    ['a JWKS without an issuer', { identity: { jwksUrl: 'https://idp.example/jwks', audience: 'a' } }, /identity.issuer is required/],
    ['a JWKS without an audience', { identity: { jwksUrl: 'https://idp.example/jwks', issuer: 'https://idp.example' } }, /identity.audience is required/],
    ['a JWKS over http', { identity: { jwksUrl: 'http://idp.example/jwks', issuer: 'i', audience: 'a' } }, /must be an https URL/],
    ['an issuer that contradicts jwtIssuer', { identity: { issuer: 'x' }, jwtIssuer: 'y' }, /contradicts jwtIssuer/],
    ['an empty claim name', { identity: { orgClaim: ' ' } }, /orgClaim must not be empty/],
  ])('fails at synth for %s', (_case, props, message) => {
    expect(() => service(() => props as Partial<ServiceStackProps>)).toThrow(message);
  });
});
