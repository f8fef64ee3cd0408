import { createHmac } from 'node:crypto';
import { CLOCK_SKEW_SECONDS, issueToken, JwksClient, JwksUnavailableError, TokenError, verifyJwt, verifyToken } from '../../../lambdas/shared/jwt';
import { generateTestKey, signJwt, startJwksServer, unsignedJwt, type JwksServer, type TestKey } from '../../support/jwks-server';

const SECRET = 'a-test-secret-of-enough-length-000000';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const nowSeconds = Math.floor(NOW / 1000);

/** Claims of a valid token for the default options. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: 'alice', org: 'acme', perms: ['products:import'], iss: 'dataio', aud: 'dataio-api', iat: nowSeconds, exp: nowSeconds + 600, ...overrides };
}

/** An HS256 token over any claims (issueToken only writes valid ones). */
function hs256(payload: Record<string, unknown>, secret = SECRET, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describe('HS256 tokens', () => {
  const verify = (token: string, options = {}) => verifyJwt(token, { secret: SECRET }, { now: NOW, ...options });

  it('accepts a token issued with the secret and returns the caller', async () => {
    const token = issueToken({ org: 'acme', user: 'alice', perms: ['products:import', 'data-jobs:read'] }, SECRET, { now: NOW });

    await expect(verify(token)).resolves.toEqual({ user: 'alice', org: 'acme', perms: ['products:import', 'data-jobs:read'] });
    expect(verifyToken(token, SECRET, { now: NOW })).toEqual({ user: 'alice', org: 'acme', perms: ['products:import', 'data-jobs:read'] });
  });

  it.each([
    ['a wrong signature', hs256(claims(), 'another-secret-of-enough-length-00'), /signature is invalid/],
    ['alg none without a signature', unsignedJwt(claims()), /algorithm 'none' is not accepted/],
    ['alg none spelled differently', unsignedJwt(claims(), { alg: 'NONE' }), /algorithm 'NONE' is not accepted/],
    ['HS512', hs256(claims(), SECRET, { alg: 'HS512' }), /algorithm 'HS512' is not accepted/],
    ['a critical header extension', hs256(claims(), SECRET, { alg: 'HS256', crit: ['b64'], b64: false }), /critical header/],
    ['an expired token', hs256(claims({ exp: nowSeconds - CLOCK_SKEW_SECONDS - 1 })), /expired/],
    ['a token not valid yet', hs256(claims({ nbf: nowSeconds + CLOCK_SKEW_SECONDS + 60 })), /not valid yet/],
    ['a token issued in the future', hs256(claims({ iat: nowSeconds + 3600 })), /issued in the future/],
    ['another issuer', hs256(claims({ iss: 'someone-else' })), /issuer/],
    ['another audience', hs256(claims({ aud: 'other-api' })), /audience/],
    ['no audience', hs256(claims({ aud: undefined })), /audience/],
    ['no expiry', hs256(claims({ exp: undefined })), /claims are invalid: exp/],
    ['no organization', hs256(claims({ org: undefined })), /'org' \(organization\)/],
    ['an organization that is not a slug', hs256(claims({ org: 'acme/../globex' })), /not a lowercase slug/],
    ['an upper-case organization', hs256(claims({ org: 'ACME' })), /not a lowercase slug/],
    ['no user', hs256(claims({ sub: '' })), /'sub' \(user\)/],
    ['permissions of the wrong type', hs256(claims({ perms: { all: true } })), /permissions/],
    ['three segments of garbage', 'not.a.token', /not base64url JSON|header is invalid/],
    ['two segments', 'abc.def', /not a JWT/],
  ])('refuses %s', async (_case, token, message) => {
    await expect(verify(token)).rejects.toThrow(TokenError);
    await expect(verify(token)).rejects.toThrow(message);
  });

  it('tolerates a few seconds of clock skew, not more', async () => {
    await expect(verify(hs256(claims({ exp: nowSeconds - 2 })))).resolves.toMatchObject({ user: 'alice' });
    await expect(verify(hs256(claims({ nbf: nowSeconds + 2 })))).resolves.toMatchObject({ user: 'alice' });
    await expect(verify(hs256(claims({ exp: nowSeconds - 10 })))).rejects.toThrow('expired');
  });

  it('accepts an audience list and permissions as one space- or comma-separated string', async () => {
    const token = hs256(claims({ aud: ['other', 'dataio-api'], perms: 'products:import, data-jobs:read  tags:*' }));

    await expect(verify(token)).resolves.toEqual({ user: 'alice', org: 'acme', perms: ['products:import', 'data-jobs:read', 'tags:*'] });
  });

  it('gives a token without permissions none', async () => {
    await expect(verify(hs256(claims({ perms: undefined })))).resolves.toMatchObject({ perms: [] });
  });

  it('refuses an RS256 token even when its signature is valid: a secret deployment takes HS256 only', async () => {
    const rsa = generateTestKey('k1', 'RS256');

    await expect(verify(signJwt({ alg: 'RS256', kid: 'k1' }, claims(), rsa))).rejects.toThrow(/algorithm 'RS256' is not accepted: expected HS256/);
  });
});

describe('RS256 and ES256 tokens from a JWKS', () => {
  let server: JwksServer;
  let rsa: TestKey;
  let ec: TestKey;
  let clock: number;
  let jwks: JwksClient;

  const cognitoLike = { issuer: 'https://idp.example/pool', audience: 'client-123', claims: { org: 'custom:org', perms: 'custom:perms' } };
  const idpClaims = (overrides: Record<string, unknown> = {}) => ({
    sub: 'u-1',
    'custom:org': 'acme',
    'custom:perms': 'products:import data-jobs:read',
    iss: 'https://idp.example/pool',
    aud: 'client-123',
    iat: nowSeconds,
    exp: nowSeconds + 600,
    ...overrides,
  });
  const verify = (token: string) => verifyJwt(token, { jwks }, { ...cognitoLike, now: NOW });

  beforeAll(async () => {
    rsa = generateTestKey('rsa-1', 'RS256');
    ec = generateTestKey('ec-1', 'ES256');
    server = await startJwksServer([rsa, ec]);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.keys = [rsa, ec];
    server.failWith = undefined;
    server.fetches = 0;
    clock = NOW;
    jwks = new JwksClient({ url: server.url, now: () => clock });
  });

  it('verifies RS256 and ES256 tokens with the keys named by kid, reading the configured claims', async () => {
    await expect(verify(signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims(), rsa))).resolves.toEqual({ user: 'u-1', org: 'acme', perms: ['products:import', 'data-jobs:read'] });
    await expect(verify(signJwt({ alg: 'ES256', kid: 'ec-1' }, idpClaims(), ec))).resolves.toMatchObject({ user: 'u-1', org: 'acme' });
    expect(server.fetches).toBe(1);
  });

  it('accepts a Cognito access token, whose audience is its client_id', async () => {
    const token = signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims({ aud: undefined, client_id: 'client-123', token_use: 'access' }), rsa);

    await expect(verify(token)).resolves.toMatchObject({ user: 'u-1' });
  });

  it('refuses a token signed by another key under a known kid', async () => {
    const impostor = generateTestKey('rsa-1', 'RS256');

    await expect(verify(signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims(), impostor))).rejects.toThrow('signature is invalid');
  });

  it('refuses an ES256 signature in DER encoding (JWS uses the raw r||s form)', async () => {
    await expect(verify(signJwt({ alg: 'ES256', kid: 'ec-1' }, idpClaims(), ec, { dsaEncoding: 'der' }))).rejects.toThrow('signature is invalid');
  });

  it.each([
    ['an HS256 token signed with the RSA public key as the secret (alg confusion)', () => hs256(idpClaims(), rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(), { alg: 'HS256', kid: 'rsa-1' }), /'HS256' is not accepted: expected RS256 or ES256/],
    ['alg none', () => unsignedJwt(idpClaims(), { alg: 'none', kid: 'rsa-1' }), /'none' is not accepted/],
    ['RS256 under the kid of an EC key', () => signJwt({ alg: 'RS256', kid: 'ec-1' }, idpClaims(), rsa), /does not match its key's ES256/],
    ['ES256 under the kid of an RSA key', () => signJwt({ alg: 'ES256', kid: 'rsa-1' }, idpClaims(), ec), /does not match its key's RS256/],
    ['no kid', () => signJwt({ alg: 'RS256' }, idpClaims(), rsa), /no key id/],
    ['another issuer', () => signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims({ iss: 'https://evil.example/pool' }), rsa), /issuer/],
    ['another audience', () => signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims({ aud: 'other-client' }), rsa), /audience/],
    ['an expired token', () => signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims({ exp: nowSeconds - 60 }), rsa), /expired/],
    ['a token without the organization claim', () => signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims({ 'custom:org': undefined, org: 'acme' }), rsa), /'custom:org'/],
  ])('refuses %s', async (_case, makeToken, message) => {
    const token = makeToken();
    await expect(verify(token)).rejects.toThrow(TokenError);
    await expect(verify(token)).rejects.toThrow(message);
  });

  it('refuses RS256 keys shorter than 2048 bits, keys of the wrong type and keys whose JWK declares another algorithm', async () => {
    const weak = generateTestKey('weak', 'RS256', { modulusLength: 1024 });
    const rs384 = generateTestKey('rs384', 'RS256', { declareAlg: 'RS384' });
    const bareEc = generateTestKey('bare-ec', 'ES256', { declareAlg: false });
    const bareRsa = generateTestKey('bare-rsa', 'RS256', { declareAlg: false });
    server.keys = [weak, rs384, bareEc, bareRsa];

    await expect(verify(signJwt({ alg: 'RS256', kid: 'weak' }, idpClaims(), weak))).rejects.toThrow('at least 2048 bits');
    await expect(verify(signJwt({ alg: 'RS256', kid: 'rs384' }, idpClaims(), rs384))).rejects.toThrow("does not match its key's RS384");
    await expect(verify(signJwt({ alg: 'RS256', kid: 'bare-ec' }, idpClaims(), bareRsa))).rejects.toThrow('not an RSA key');
    await expect(verify(signJwt({ alg: 'ES256', kid: 'bare-rsa' }, idpClaims(), bareEc))).rejects.toThrow('not a P-256 key');
    await expect(verify(signJwt({ alg: 'ES256', kid: 'bare-ec' }, idpClaims(), bareEc))).resolves.toMatchObject({ user: 'u-1' });
  });

  it('refetches the key set for an unknown kid at most once a minute', async () => {
    await verify(signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims(), rsa));
    clock += 61_000;
    const forged = signJwt({ alg: 'RS256', kid: 'made-up' }, idpClaims(), rsa);

    await expect(verify(forged)).rejects.toThrow('not in the key set');
    await expect(verify(forged)).rejects.toThrow('not in the key set');
    await expect(verify(signJwt({ alg: 'RS256', kid: 'made-up-2' }, idpClaims(), rsa))).rejects.toThrow('not in the key set');

    expect(server.fetches).toBe(2);
  });

  it('finds a rotated key once the rate limit allows a refetch', async () => {
    await verify(signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims(), rsa));
    const rotated = generateTestKey('rsa-2', 'RS256');
    server.keys = [rotated];
    const token = signJwt({ alg: 'RS256', kid: 'rsa-2' }, idpClaims(), rotated);

    await expect(verify(token)).rejects.toThrow('not in the key set');
    clock += 60_000;
    await expect(verify(token)).resolves.toMatchObject({ user: 'u-1' });
    expect(server.fetches).toBe(2);
  });

  it('shares one fetch among concurrent first requests', async () => {
    const token = signJwt({ alg: 'ES256', kid: 'ec-1' }, idpClaims(), ec);

    await Promise.all(Array.from({ length: 10 }, () => verify(token)));

    expect(server.fetches).toBe(1);
  });

  it('reports an unreachable key set as unavailable, not as a bad token, and keeps known keys when a refresh fails', async () => {
    const token = signJwt({ alg: 'RS256', kid: 'rsa-1' }, idpClaims(), rsa);
    server.failWith = 503;

    await expect(verify(token)).rejects.toThrow(JwksUnavailableError);

    server.failWith = undefined;
    clock += 60_000;
    await expect(verify(token)).resolves.toMatchObject({ user: 'u-1' });
    server.failWith = 503;
    clock += 2 * 3_600_000;
    await expect(verify(token)).resolves.toMatchObject({ user: 'u-1' });
  });

  it('only fetches key sets over https, or http on a loopback address', () => {
    expect(() => new JwksClient({ url: 'http://idp.example/jwks.json' })).toThrow('must use https');
    expect(() => new JwksClient({ url: 'https://idp.example/jwks.json' })).not.toThrow();
  });
});
