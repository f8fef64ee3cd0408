import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Who is calling, as proven by a verified token. */
export interface Principal {
  readonly user: string;
  readonly org: string;
  readonly perms: readonly string[];
}

/** A token was missing, malformed, forged or expired. The message is safe to log, not to return. */
export class TokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenError';
  }
}

const DEFAULT_ISSUER = 'dataio';
const DEFAULT_AUDIENCE = 'dataio-api';

const headerSchema = z.object({ alg: z.literal('HS256'), typ: z.string().optional() });
const claimsSchema = z.object({
  sub: z.string().min(1),
  org: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'org must be a lowercase slug'),
  perms: z.union([z.array(z.string()), z.string()]).transform((p) => (typeof p === 'string' ? p.split(/\s+/).filter(Boolean) : p)),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  nbf: z.number().optional(),
  iat: z.number().optional(),
});

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function sign(input: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

/** Issues an HS256 token for the local stack and tests. */
export function issueToken(
  claims: { org: string; user: string; perms: readonly string[]; ttlSeconds?: number },
  secret: string,
  options: { issuer?: string; audience?: string; now?: number } = {},
): string {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      sub: claims.user,
      org: claims.org,
      perms: claims.perms,
      iss: options.issuer ?? DEFAULT_ISSUER,
      aud: options.audience ?? DEFAULT_AUDIENCE,
      iat: now,
      exp: now + (claims.ttlSeconds ?? 12 * 3600),
    }),
  );
  return `${header}.${payload}.${base64url(sign(`${header}.${payload}`, secret))}`;
}

/**
 * Verifies an HS256 token: the algorithm is fixed (so `alg: none` and key confusion fail), the
 * signature is compared in constant time, and issuer, audience, expiry and not-before are checked.
 */
export function verifyToken(
  token: string,
  secret: string,
  options: { issuer?: string; audience?: string; now?: number } = {},
): Principal {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('token is not a JWT');
  const [rawHeader, rawPayload, rawSignature] = parts as [string, string, string];
  const header = headerSchema.safeParse(parseSegment(rawHeader));
  if (!header.success) throw new TokenError('token algorithm is not HS256');
  const expected = sign(`${rawHeader}.${rawPayload}`, secret);
  const actual = Buffer.from(rawSignature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new TokenError('token signature is invalid');
  }
  const claims = claimsSchema.safeParse(parseSegment(rawPayload));
  if (!claims.success) throw new TokenError(`token claims are invalid: ${claims.error.issues[0]?.message}`);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const { iss, aud, exp, nbf } = claims.data;
  if (iss !== (options.issuer ?? DEFAULT_ISSUER)) throw new TokenError('token issuer is not accepted');
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(options.audience ?? DEFAULT_AUDIENCE)) throw new TokenError('token audience is not accepted');
  if (exp <= now) throw new TokenError('token has expired');
  if (nbf !== undefined && nbf > now) throw new TokenError('token is not valid yet');
  return { user: claims.data.sub, org: claims.data.org, perms: claims.data.perms };
}

function parseSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (error) {
    throw new TokenError('token segment is not base64url JSON', { cause: error });
  }
}
