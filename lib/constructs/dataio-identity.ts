import * as cdk from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';

/**
 * How API callers prove who they are: the tokens the authorizer accepts and where it reads the
 * caller's user, organization and permissions from. Without a `jwksUrl` the authorizer takes
 * dataio's own HS256 tokens, signed with the `JwtSecret` of the storage stack; with one it takes
 * RS256/ES256 tokens of that identity provider only (HS256 is then refused, so the two can never
 * be confused).
 */
export interface DataioIdentity {
  /**
   * The identity provider's JSON Web Key Set, e.g. Cognito's
   * `https://cognito-idp.<region>.amazonaws.com/<user pool id>/.well-known/jwks.json`. Must be
   * https. Setting it requires `issuer` and `audience`.
   * @default - HS256 tokens signed with the JwtSecret
   */
  readonly jwksUrl?: string;

  /**
   * Expected `iss` claim (Cognito: `https://cognito-idp.<region>.amazonaws.com/<user pool id>`).
   * @default 'dataio' (HS256 only; required with `jwksUrl`)
   */
  readonly issuer?: string;

  /**
   * Expected `aud` claim; a token without `aud` may carry it as `client_id` instead (Cognito
   * access tokens). Cognito: the app client id.
   * @default 'dataio-api' (HS256 only; required with `jwksUrl`)
   */
  readonly audience?: string;

  /**
   * Claim naming the user (kept on jobs and as `created_by`/`updated_by` of imported records).
   * @default 'sub'
   */
  readonly userClaim?: string;

  /**
   * Claim holding the organization, a lowercase slug (Cognito: a custom attribute).
   * @default 'custom:org' with `jwksUrl`, else 'org'
   */
  readonly orgClaim?: string;

  /**
   * Claim holding the permissions: an array, or one space- or comma-separated string (Cognito: a
   * custom attribute such as `products:import products:export data-jobs:read`).
   * @default 'custom:perms' with `jwksUrl`, else 'perms'
   */
  readonly permsClaim?: string;
}

/** The identity settings of a Cognito user pool and one of its app clients. */
export function cognitoIdentity(
  userPool: cognito.IUserPool,
  client: cognito.IUserPoolClient,
  claims: Pick<DataioIdentity, 'userClaim' | 'orgClaim' | 'permsClaim'> = {},
): DataioIdentity {
  // userPoolProviderName is `cognito-idp.<region>.amazonaws.com/<pool id>`: the issuer without its scheme.
  const issuer = `https://${userPool.userPoolProviderName}`;
  return { jwksUrl: `${issuer}/.well-known/jwks.json`, issuer, audience: client.userPoolClientId, ...claims };
}

/** What the authorizer function needs for an identity setting. */
export interface AuthorizerIdentity {
  /** Whether tokens are HS256 with the JwtSecret (the function must be able to read it). */
  readonly usesSecret: boolean;
  /** Environment variables of the authorizer function (besides `JWT_SECRET_ARN`). */
  readonly environment: Record<string, string>;
}

const DEFAULT_CLAIMS = { hs256: { org: 'org', perms: 'perms' }, jwks: { org: 'custom:org', perms: 'custom:perms' } } as const;

/**
 * Resolves an identity setting into the authorizer's environment, failing at synth on settings
 * that contradict each other. `legacy` carries the older `jwtIssuer`/`jwtAudience` props.
 */
export function authorizerIdentity(identity: DataioIdentity = {}, legacy: { issuer?: string; audience?: string } = {}): AuthorizerIdentity {
  const issuer = pick('issuer', identity.issuer, legacy.issuer);
  const audience = pick('audience', identity.audience, legacy.audience);
  const env: Record<string, string> = {};
  const claim = (name: string, value: string | undefined, fallback: string) => {
    const chosen = value ?? fallback;
    if (chosen.trim() === '') throw new Error(`identity.${name} must not be empty`);
    return chosen;
  };
  if (identity.jwksUrl === undefined) {
    env.JWT_ISSUER = issuer ?? 'dataio';
    env.JWT_AUDIENCE = audience ?? 'dataio-api';
    // Only settings that differ from the handler's defaults, so the default environment stays small.
    if (identity.userClaim !== undefined) env.JWT_USER_CLAIM = claim('userClaim', identity.userClaim, 'sub');
    if (identity.orgClaim !== undefined) env.JWT_ORG_CLAIM = claim('orgClaim', identity.orgClaim, DEFAULT_CLAIMS.hs256.org);
    if (identity.permsClaim !== undefined) env.JWT_PERMS_CLAIM = claim('permsClaim', identity.permsClaim, DEFAULT_CLAIMS.hs256.perms);
    return { usesSecret: true, environment: env };
  }
  if (!cdk.Token.isUnresolved(identity.jwksUrl) && !/^https:\/\/[^/\s]+\/\S*$/.test(identity.jwksUrl)) {
    throw new Error(`identity.jwksUrl must be an https URL, got '${identity.jwksUrl}'`);
  }
  if (!issuer) throw new Error('identity.issuer is required with identity.jwksUrl: tokens of any other issuer must be refused');
  if (!audience) throw new Error('identity.audience is required with identity.jwksUrl (Cognito: the app client id)');
  return {
    usesSecret: false,
    environment: {
      JWT_JWKS_URL: identity.jwksUrl,
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience,
      JWT_USER_CLAIM: claim('userClaim', identity.userClaim, 'sub'),
      JWT_ORG_CLAIM: claim('orgClaim', identity.orgClaim, DEFAULT_CLAIMS.jwks.org),
      JWT_PERMS_CLAIM: claim('permsClaim', identity.permsClaim, DEFAULT_CLAIMS.jwks.perms),
    },
  };
}

function pick(name: string, fromIdentity: string | undefined, fromLegacy: string | undefined): string | undefined {
  if (fromIdentity !== undefined && fromLegacy !== undefined && fromIdentity !== fromLegacy) {
    throw new Error(`identity.${name} ('${fromIdentity}') contradicts jwt${name[0]!.toUpperCase()}${name.slice(1)} ('${fromLegacy}'): set one`);
  }
  const value = fromIdentity ?? fromLegacy;
  if (value !== undefined && value.trim() === '') throw new Error(`identity.${name} must not be empty`);
  return value;
}
