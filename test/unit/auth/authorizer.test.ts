import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createAuthorizer } from '../../../lambdas/api/authorizer';
import { readEnv } from '../../../lambdas/shared/env';
import { issueToken } from '../../../lambdas/shared/jwt';
import { generateTestKey, signJwt, startJwksServer, unsignedJwt, type JwksServer, type TestKey } from '../../support/jwks-server';

const SECRET = 'authorizer-test-secret-0123456789';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef/prod/GET/api/v1/data-jobs';

const event = (token: string | undefined): APIGatewayTokenAuthorizerEvent => ({
  type: 'TOKEN',
  methodArn: METHOD_ARN,
  authorizationToken: token === undefined ? '' : `Bearer ${token}`,
});

beforeAll(() => {
  process.env.DATAIO_LOG = 'silent';
});

describe('authorizer with an HS256 secret', () => {
  const authorize = createAuthorizer(readEnv({ JWT_SECRET: SECRET }));

  it('allows the API for a valid token and hands user, org and perms to the handlers', async () => {
    const result = await authorize(event(issueToken({ org: 'acme', user: 'alice', perms: ['products:import', 'data-jobs:read'] }, SECRET)));

    expect(result).toEqual({
      principalId: 'alice',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abcdef/prod/*' }] },
      context: { user: 'alice', org: 'acme', perms: 'products:import data-jobs:read' },
    });
  });

  it.each([
    ['no token', undefined],
    ['a token of another secret', issueToken({ org: 'acme', user: 'alice', perms: ['*'] }, 'some-other-secret-0123456789')],
    ['an expired token', issueToken({ org: 'acme', user: 'alice', perms: ['*'], ttlSeconds: -60 }, SECRET)],
    ['alg none', unsignedJwt({ sub: 'alice', org: 'acme', perms: ['*'], iss: 'dataio', aud: 'dataio-api', exp: Math.floor(Date.now() / 1000) + 600 })],
  ])('answers Unauthorized (401) for %s', async (_case, token) => {
    await expect(authorize(event(token))).rejects.toThrow(/^Unauthorized$/);
  });

  it('answers Unauthorized for a header that is not a bearer token', async () => {
    await expect(authorize({ ...event(undefined), authorizationToken: `Basic ${Buffer.from('a:b').toString('base64')}` })).rejects.toThrow(/^Unauthorized$/);
  });

  it('checks the issuer and audience of its environment', async () => {
    const custom = createAuthorizer(readEnv({ JWT_SECRET: SECRET, JWT_ISSUER: 'erp', JWT_AUDIENCE: 'erp-api' }));

    await expect(custom(event(issueToken({ org: 'acme', user: 'alice', perms: [] }, SECRET)))).rejects.toThrow(/^Unauthorized$/);
    await expect(custom(event(issueToken({ org: 'acme', user: 'alice', perms: [] }, SECRET, { issuer: 'erp', audience: 'erp-api' })))).resolves.toMatchObject({ principalId: 'alice' });
  });
});

describe('authorizer with the secret in Secrets Manager', () => {
  it('reads the secret once, and again after a failed read', async () => {
    const readSecret = jest.fn<Promise<string>, [string]>().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue(SECRET);
    const authorize = createAuthorizer(readEnv({ JWT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:jwt' }), { readSecret });
    const token = issueToken({ org: 'acme', user: 'alice', perms: [] }, SECRET);

    await expect(authorize(event(token))).rejects.toThrow('throttled');
    await expect(authorize(event(token))).resolves.toMatchObject({ principalId: 'alice' });
    await expect(authorize(event(token))).resolves.toMatchObject({ principalId: 'alice' });

    expect(readSecret).toHaveBeenCalledTimes(2);
    expect(readSecret).toHaveBeenCalledWith('arn:aws:secretsmanager:eu-west-1:1:secret:jwt');
  });

  it('fails as a server error (500), not a 401, when it has no key at all', async () => {
    const authorize = createAuthorizer(readEnv({}));

    await expect(authorize(event('a.b.c'))).rejects.toThrow('the authorizer has no key');
  });
});

describe('authorizer with a JWKS (Cognito-style claims)', () => {
  let server: JwksServer;
  let key: TestKey;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ sub: 'u-42', 'custom:org': 'globex', 'custom:perms': 'customers:export', iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool', aud: 'client-1', exp: now() + 600 });
  const env = () =>
    readEnv({
      JWT_JWKS_URL: server.url,
      JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool',
      JWT_AUDIENCE: 'client-1',
      JWT_ORG_CLAIM: 'custom:org',
      JWT_PERMS_CLAIM: 'custom:perms',
      // A secret left in the environment must not re-enable HS256.
      JWT_SECRET: SECRET,
    });

  beforeAll(async () => {
    key = generateTestKey('cognito-1', 'RS256');
    server = await startJwksServer([key]);
  });
  afterAll(() => server.close());

  it('allows a token of the identity provider', async () => {
    const result = await createAuthorizer(env())(event(signJwt({ alg: 'RS256', kid: 'cognito-1' }, claims(), key)));

    expect(result.context).toEqual({ user: 'u-42', org: 'globex', perms: 'customers:export' });
  });

  it('refuses an HS256 token, even one signed with the deployment secret', async () => {
    const authorize = createAuthorizer(env());
    const hs = issueToken({ org: 'globex', user: 'u-42', perms: ['*'] }, SECRET, { issuer: claims().iss, audience: 'client-1' });

    await expect(authorize(event(hs))).rejects.toThrow(/^Unauthorized$/);
  });

  it('answers a server error while the key set cannot be fetched', async () => {
    server.failWith = 500;
    try {
      await expect(createAuthorizer(env())(event(signJwt({ alg: 'RS256', kid: 'cognito-1' }, claims(), key)))).rejects.toThrow('could not be fetched');
    } finally {
      server.failWith = undefined;
    }
  });
});
