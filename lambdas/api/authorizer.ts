import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { readEnv, type Env } from '../shared/env';
import { JwksClient, TokenError, verifyJwt, type KeySource, type Principal } from '../shared/jwt';
import { log } from '../shared/log';

/** Reads a secret's value (Secrets Manager in AWS; replaced in tests). */
export type SecretReader = (secretArn: string) => Promise<string>;

const readSecretsManager: SecretReader = async (secretArn) => {
  const result = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  return result.SecretString ?? '';
};

/**
 * Builds the TOKEN authorizer for one environment. One mode per deployment:
 * - `JWT_JWKS_URL` set: RS256/ES256 tokens of that identity provider (Cognito, any OIDC);
 * - else HS256 tokens signed with `JWT_SECRET` (local stack) or the secret at `JWT_SECRET_ARN`.
 * A valid bearer token yields an Allow policy and the caller (`user`, `org`, `perms`) as context;
 * a bad token is a 401 (API Gateway's answer to `Unauthorized`); a broken setup is a 500.
 */
export function createAuthorizer(env: Env, options: { readSecret?: SecretReader; fetch?: typeof fetch } = {}) {
  const keySource = keySourceOf(env, options);
  const verifyOptions = {
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    claims: { user: env.JWT_USER_CLAIM, org: env.JWT_ORG_CLAIM, perms: env.JWT_PERMS_CLAIM },
  };
  return async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const match = /^Bearer\s+(\S+)$/i.exec(event.authorizationToken ?? '');
    let principal: Principal;
    try {
      if (!match) throw new TokenError('no bearer token');
      principal = await verifyJwt(match[1]!, await keySource(), verifyOptions);
    } catch (error) {
      if (!(error instanceof TokenError)) {
        log('error', 'authorizer cannot verify tokens', { error: String(error) });
        throw error;
      }
      log('info', 'token rejected', { reason: error.message });
      throw new Error('Unauthorized');
    }
    // Allow every method of this API: the handlers check permissions per model and action.
    const [arnPrefix, stage] = event.methodArn.split('/');
    return {
      principalId: principal.user,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${arnPrefix}/${stage}/*` }] },
      context: { user: principal.user, org: principal.org, perms: principal.perms.join(' ') },
    };
  };
}

/** The key source of the environment's mode, resolved once and kept (a failed secret read is retried). */
function keySourceOf(env: Env, options: { readSecret?: SecretReader; fetch?: typeof fetch }): () => Promise<KeySource> {
  if (env.JWT_JWKS_URL) {
    const jwks = new JwksClient({ url: env.JWT_JWKS_URL, fetch: options.fetch });
    return async () => ({ jwks });
  }
  if (env.JWT_SECRET) {
    const source = { secret: env.JWT_SECRET };
    return async () => source;
  }
  const secretArn = env.JWT_SECRET_ARN;
  if (!secretArn) return () => Promise.reject(new Error('the authorizer has no key: set JWT_JWKS_URL, JWT_SECRET or JWT_SECRET_ARN'));
  const readSecret = options.readSecret ?? readSecretsManager;
  let pending: Promise<KeySource> | undefined;
  return () =>
    (pending ??= readSecret(secretArn)
      .then((secret) => {
        if (secret.length < 16) throw new Error('the JWT secret is shorter than 16 characters');
        return { secret };
      })
      .catch((error: unknown) => {
        pending = undefined;
        throw error;
      }));
}

let authorizer: ReturnType<typeof createAuthorizer> | undefined;

/** The Lambda entry point: the authorizer of this container's environment. */
export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  authorizer ??= createAuthorizer(readEnv());
  return authorizer(event);
}
