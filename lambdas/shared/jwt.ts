import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
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

/** The identity provider's key set could not be read: the server's problem, not the caller's. */
export class JwksUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksUnavailableError';
  }
}

/** The claims a principal is read from. */
export interface ClaimNames {
  /** @default 'sub' */
  readonly user: string;
  /** A lowercase slug (it is part of every storage key). @default 'org' */
  readonly org: string;
  /** An array of strings, or one string of space- or comma-separated permissions. @default 'perms' */
  readonly perms: string;
}

/** The claims dataio's own HS256 tokens carry. */
export const DEFAULT_CLAIMS: ClaimNames = { user: 'sub', org: 'org', perms: 'perms' };

/** Tolerance for clocks that disagree, applied to `exp`, `nbf` and `iat`. Kept small on purpose. */
export const CLOCK_SKEW_SECONDS = 5;

const DEFAULT_ISSUER = 'dataio';
const DEFAULT_AUDIENCE = 'dataio-api';

/** Algorithms verified with a key from a JWKS. */
export type AsymmetricAlgorithm = 'RS256' | 'ES256';
const ASYMMETRIC_ALGORITHMS: readonly string[] = ['RS256', 'ES256'] satisfies AsymmetricAlgorithm[];

/** What a token is checked against besides its signature. */
export interface VerifyOptions {
  /** Expected `iss`. @default 'dataio' */
  readonly issuer?: string;
  /** Expected `aud` (or `client_id` when the token has no `aud`, as Cognito access tokens). @default 'dataio-api' */
  readonly audience?: string;
  /** Where user, organization and permissions are read from. @default DEFAULT_CLAIMS */
  readonly claims?: Partial<ClaimNames>;
  /** The current time in milliseconds (tests). @default Date.now() */
  readonly now?: number;
}

/**
 * The key a token must be signed with: a shared HS256 secret, or the key set of an identity
 * provider (RS256/ES256). One mode per deployment: each refuses the other's algorithms, so a
 * public key can never be used as an HMAC secret, nor a secret-signed token pass as the IdP's.
 */
export type KeySource = { readonly secret: string } | { readonly jwks: JwksClient };

const headerSchema = z.object({
  alg: z.string(),
  kid: z.string().min(1).max(256).optional(),
  typ: z.string().optional(),
  // Extensions a verifier must understand; this one understands none.
  crit: z.unknown().refine((crit) => crit === undefined, 'token has critical header extensions').optional(),
});

const ORG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

const registeredClaimsSchema = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  client_id: z.string().optional(),
  exp: z.number(),
  nbf: z.number().optional(),
  iat: z.number().optional(),
});

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function hmac(input: string, secret: string): Buffer {
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
  return `${header}.${payload}.${base64url(hmac(`${header}.${payload}`, secret))}`;
}

/**
 * Verifies a token with the deployment's key source and returns the caller.
 *
 * 1. Split the token and read its header; refuse `alg` values the key source does not use
 *    (`none`, HS256 against a JWKS, RS256/ES256 against a secret) and critical extensions.
 * 2. Check the signature: HMAC compared in constant time, or RSA/ECDSA with the JWKS key named
 *    by `kid` (an unknown kid refetches the set, at most once a minute).
 * 3. Check issuer, audience, expiry, not-before and issued-at, with a few seconds of clock skew.
 * 4. Read user, organization and permissions from the configured claims.
 * @throws TokenError for any token that is not acceptable; JwksUnavailableError when the key set cannot be read
 */
export async function verifyJwt(token: string, source: KeySource, options: VerifyOptions = {}): Promise<Principal> {
  const parsed = parseToken(token);
  if ('secret' in source) {
    checkHmac(parsed, source.secret);
  } else {
    if (!ASYMMETRIC_ALGORITHMS.includes(parsed.header.alg)) throw new TokenError(`token algorithm ${describeAlg(parsed.header.alg)} is not accepted: expected RS256 or ES256`);
    if (!parsed.header.kid) throw new TokenError('token has no key id (kid)');
    const key = await source.jwks.getKey(parsed.header.kid, parsed.header.alg as AsymmetricAlgorithm);
    checkAsymmetric(parsed, key);
  }
  return principalOf(parsed.payload, options);
}

/** Verifies an HS256 token synchronously (see `verifyJwt`). */
export function verifyToken(token: string, secret: string, options: VerifyOptions = {}): Principal {
  const parsed = parseToken(token);
  checkHmac(parsed, secret);
  return principalOf(parsed.payload, options);
}

interface ParsedToken {
  readonly header: z.infer<typeof headerSchema>;
  readonly payload: unknown;
  readonly signingInput: string;
  readonly signature: Buffer;
}

function parseToken(token: string): ParsedToken {
  if (token.length > 16 * 1024) throw new TokenError('token is too long');
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('token is not a JWT');
  const [rawHeader, rawPayload, rawSignature] = parts as [string, string, string];
  const header = headerSchema.safeParse(parseSegment(rawHeader));
  if (!header.success) throw new TokenError(`token header is invalid: ${header.error.issues[0]?.message}`);
  return { header: header.data, payload: parseSegment(rawPayload), signingInput: `${rawHeader}.${rawPayload}`, signature: Buffer.from(rawSignature, 'base64url') };
}

function checkHmac(token: ParsedToken, secret: string): void {
  if (token.header.alg !== 'HS256') throw new TokenError(`token algorithm ${describeAlg(token.header.alg)} is not accepted: expected HS256`);
  const expected = hmac(token.signingInput, secret);
  if (token.signature.length !== expected.length || !timingSafeEqual(token.signature, expected)) {
    throw new TokenError('token signature is invalid');
  }
}

function checkAsymmetric(token: ParsedToken, key: KeyObject): void {
  const data = Buffer.from(token.signingInput);
  const valid =
    token.header.alg === 'ES256'
      ? token.signature.length === 64 && verifySignature('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, token.signature)
      : verifySignature('sha256', data, key, token.signature);
  if (!valid) throw new TokenError('token signature is invalid');
}

function principalOf(payload: unknown, options: VerifyOptions): Principal {
  const claims = registeredClaimsSchema.safeParse(payload);
  if (!claims.success) throw new TokenError(`token claims are invalid: ${claims.error.issues[0]?.path.join('.')} ${claims.error.issues[0]?.message}`);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const { iss, aud, client_id: clientId, exp, nbf, iat } = claims.data;
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  if (iss !== (options.issuer ?? DEFAULT_ISSUER)) throw new TokenError('token issuer is not accepted');
  const audiences = aud === undefined ? (clientId === undefined ? [] : [clientId]) : Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(audience)) throw new TokenError('token audience is not accepted');
  if (exp + CLOCK_SKEW_SECONDS <= now) throw new TokenError('token has expired');
  if (nbf !== undefined && nbf - CLOCK_SKEW_SECONDS > now) throw new TokenError('token is not valid yet');
  if (iat !== undefined && iat - CLOCK_SKEW_SECONDS > now) throw new TokenError('token was issued in the future');

  const names = { ...DEFAULT_CLAIMS, ...options.claims };
  const values = payload as Record<string, unknown>;
  const user = values[names.user];
  const org = values[names.org];
  if (typeof user !== 'string' || user.length === 0 || user.length > 256) throw new TokenError(`token claim '${names.user}' (user) is missing or invalid`);
  if (typeof org !== 'string' || !ORG_PATTERN.test(org)) throw new TokenError(`token claim '${names.org}' (organization) is missing or not a lowercase slug`);
  return { user, org, perms: permsOf(values[names.perms], names.perms) };
}

function permsOf(value: unknown, claim: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value) && value.every((p) => typeof p === 'string')) return value.flatMap((p: string) => p.split(/[\s,]+/)).filter(Boolean);
  throw new TokenError(`token claim '${claim}' (permissions) must be a string or an array of strings`);
}

function parseSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (error) {
    throw new TokenError('token segment is not base64url JSON', { cause: error });
  }
}

function describeAlg(alg: string): string {
  return `'${alg.slice(0, 20)}'`;
}

/** Options of a `JwksClient`. */
export interface JwksClientOptions {
  /** The key set's URL: https, or http on a loopback address (tests, local providers). */
  readonly url: string;
  /** Least time between two fetches, however many unknown key ids arrive. @default 60_000 */
  readonly minRefetchIntervalMs?: number;
  /** Keys older than this are fetched again on next use (providers rotate keys). @default 3_600_000 */
  readonly maxAgeMs?: number;
  /** Time allowed for one fetch. @default 3_000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** The current time in milliseconds (tests). @default Date.now */
  readonly now?: () => number;
}

interface JwksKey {
  readonly key: KeyObject;
  /** The JWK's own `alg`, when it declares one. */
  readonly alg?: string;
}

const jwksSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional(), use: z.string().optional(), alg: z.string().optional() })),
});

const MAX_JWKS_BYTES = 256 * 1024;

/**
 * The public keys of an identity provider (Cognito, any OIDC provider), fetched from its JWKS URL
 * and kept for the life of the container. A token with an unknown `kid` triggers a refetch (keys
 * rotate), but fetches are rate-limited so forged kids cannot make the authorizer hammer the
 * provider; concurrent callers share one fetch.
 */
export class JwksClient {
  private keys = new Map<string, JwksKey>();
  private fetchedAt: number | undefined;
  private attemptedAt: number | undefined;
  private inflight: Promise<void> | undefined;
  private readonly url: URL;

  constructor(private readonly options: JwksClientOptions) {
    this.url = new URL(options.url);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(this.url.hostname);
    if (this.url.protocol !== 'https:' && !(this.url.protocol === 'http:' && loopback)) {
      throw new Error(`JWKS URL must use https (got ${this.url.protocol}//${this.url.host})`);
    }
  }

  /**
   * The verification key named `kid`, checked to suit `alg` (an RSA key of 2048+ bits for RS256,
   * a P-256 key for ES256, and the JWK's own `alg` when it declares one).
   * @throws TokenError when no key of the set has that id or the key does not suit `alg`
   */
  async getKey(kid: string, alg: AsymmetricAlgorithm): Promise<KeyObject> {
    const now = this.now();
    const stale = this.fetchedAt === undefined || now - this.fetchedAt > (this.options.maxAgeMs ?? 3_600_000);
    if (stale && this.mayFetch(now)) await this.refresh(this.keys.size > 0);
    let found = this.keys.get(kid);
    if (!found && this.mayFetch(this.now())) {
      await this.refresh(true);
      found = this.keys.get(kid);
    }
    if (!found) {
      if (this.fetchedAt === undefined) throw new JwksUnavailableError(`the key set at ${this.url.origin}${this.url.pathname} has not been read`);
      throw new TokenError('token key id (kid) is not in the key set');
    }
    if (found.alg !== undefined && found.alg !== alg) throw new TokenError(`token algorithm ${alg} does not match its key's ${found.alg}`);
    checkKeySuits(found.key, alg);
    return found.key;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private mayFetch(now: number): boolean {
    return this.inflight !== undefined || this.attemptedAt === undefined || now - this.attemptedAt >= (this.options.minRefetchIntervalMs ?? 60_000);
  }

  /** Fetches the set once for everyone waiting; with `tolerant`, a failure keeps the keys held. */
  private async refresh(tolerant: boolean): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => (this.inflight = undefined));
    try {
      await this.inflight;
    } catch (error) {
      if (!tolerant || this.keys.size === 0) throw error;
    }
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = this.now();
    const doFetch = this.options.fetch ?? fetch;
    let text: string;
    try {
      const response = await doFetch(this.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } catch (error) {
      throw new JwksUnavailableError(`the key set at ${this.url.origin}${this.url.pathname} could not be fetched: ${(error as Error).message}`, { cause: error });
    }
    if (text.length > MAX_JWKS_BYTES) throw new JwksUnavailableError(`the key set at ${this.url.origin}${this.url.pathname} is larger than ${MAX_JWKS_BYTES} bytes`);
    let parsed: z.infer<typeof jwksSchema>;
    try {
      parsed = jwksSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new JwksUnavailableError(`the key set at ${this.url.origin}${this.url.pathname} is not a JWKS document`, { cause: error });
    }
    const keys = new Map<string, JwksKey>();
    for (const jwk of parsed.keys) {
      // Encryption keys and keys without an id can never verify a token here.
      if (!jwk.kid || (jwk.use !== undefined && jwk.use !== 'sig') || !['RSA', 'EC'].includes(jwk.kty)) continue;
      try {
        const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
        keys.set(jwk.kid, { key, ...(jwk.alg !== undefined ? { alg: jwk.alg } : {}) });
      } catch {
        // A malformed key is skipped; the others still verify.
      }
    }
    this.keys = keys;
    this.fetchedAt = this.now();
  }
}

function checkKeySuits(key: KeyObject, alg: AsymmetricAlgorithm): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (alg === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa' || (details.modulusLength ?? 0) < 2048) throw new TokenError('token key is not an RSA key of at least 2048 bits, as RS256 needs');
  } else if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') {
    throw new TokenError('token key is not a P-256 key, as ES256 needs');
  }
}
